"""Last page: a dry run of the profile (the reconciliation's chain: customers, shared e-mail addresses,
contacts, invoices and their money, with the reasons records are left out, and the new contacts the Mailchimp
plan must cover), the profile's name, what Finish does (send now, or wait for the schedule: the user
chooses), and Finish, which is the only place anything is saved."""

from __future__ import annotations

import html
import threading
from collections.abc import Hashable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QWidget,
)

from gpmc_desktop.scheduling import Cadence, first_slot_after, local_zone
from gpmc_desktop.sync.progress_throttle import throttled_progress
from gpmc_desktop.sync.progress_words import progress_words
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.result_words import plural, sent_phrase
from gpmc_desktop.ui.background import Task
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.wizard import probes
from gpmc_desktop.ui.wizard.background import crash_text
from gpmc_desktop.ui.wizard.base import Page, hint


def report_html(report: RunReport) -> str:
    """The dry run as the one reconciliation tells it (GP customers → left out → e-mail addresses, shared ones
    explained → contacts; GP invoices → left out → orders and their money), the figures ``gpmc sync --dry-run``
    prints and the first load's summary will state, then the merge values the audience cannot take."""
    rec = report.reconciliation
    if rec is None:  # GP could not be read: the page shows the error instead
        return ""
    text = _chain_html(rec.lines())
    text += (f"<p><b>{plural(rec.new_contacts, 'new contact')}</b> will be added to the audience "
             f"({html.escape(rec.shared_text())}): make sure your Mailchimp plan covers them (Mailchimp counts "
             "subscribed and transactional contacts).</p>")
    lines = report.order_lines.lines() if report.order_lines is not None else []
    if lines:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        text += f"<p style='margin-bottom:0'>Order lines:</p><ul style='margin-top:0'>{items}</ul>"
    mapped = report.mapped.lines() if report.mapped is not None else []
    if mapped:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in mapped)
        text += f"<p style='margin-bottom:0'>GP fields in Mailchimp:</p><ul style='margin-top:0'>{items}</ul>"
    if report.field_room_line():
        text += f"<p><b>{html.escape(report.field_room_line())}</b></p>"
    left_out = report.left_out_lines()
    if left_out:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in left_out)
        text += ("<p style='margin-bottom:0'>Values the audience's fields cannot take (those contacts are still "
                 f"added):</p><ul style='margin-top:0'>{items}</ul>")
    return text


def _chain_html(lines: list[str]) -> str:
    """The chain's lines: each step in bold, its details (indented in the CLI's text) as a list under it."""
    text, items = "", ""
    for line in lines:
        if line.startswith("  "):
            items += f"<li>{html.escape(line.strip())}</li>"
            continue
        if items:
            text += f"<ul style='margin-top:0'>{items}</ul>"
            items = ""
        step, _, rest = line.partition(": ")
        text += f"<p style='margin-bottom:0'><b>{html.escape(step)}:</b> {html.escape(rest)}</p>"
    return text + (f"<ul style='margin-top:0'>{items}</ul>" if items else "")


def sent_counts_text(report: RunReport) -> str:
    """What a run like the preview sends, for the Finish line ("315 contacts and 933 invoices ($75,694.02)"):
    the reconciliation's contacts (e-mail addresses) and invoices, the figures the first load will state."""
    rec = report.reconciliation
    return sent_phrase(rec) if rec is not None else "what the preview counts"


def first_run_text(cadence: Cadence, now: datetime | None = None) -> str:
    """When the schedule first runs after *now*, in local time ("07:00 tomorrow"); "" for a manual cadence."""
    now = now or datetime.now(UTC)
    slot = first_slot_after(cadence, now)
    if slot is None:
        return ""
    local = slot.astimezone(local_zone())
    days = (local.date() - now.astimezone(local_zone()).date()).days
    when = {0: "today", 1: "tomorrow"}.get(days) or _day(local.date())
    return f"{local:%H:%M} {when}"


def _day(day: date) -> str:
    return f"on {day:%A} {day.day} {day:%B}"


class PreviewPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Preview the first sync")
        self.setSubTitle("A dry run: GP is read, nothing is sent to Mailchimp, and nothing is saved until Finish.")
        self.setFinalPage(True)
        layout = self.body_layout()
        status_row = QHBoxLayout()
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.again = QPushButton("Run the preview again", self)
        self.again.setAutoDefault(False)
        self.again.clicked.connect(self.run_preview)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        status_row.addWidget(self.again)
        layout.addLayout(status_row)
        self.result = QLabel("", self)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.textChanged.connect(self._name_changed)
        form.addRow("Profile &name:", self.name)
        layout.addLayout(form)
        self.name_problem = QLabel("", self)
        self.name_problem.setStyleSheet(colours(self).error_style())
        self.name_problem.setWordWrap(True)
        self.name_problem.hide()
        layout.addWidget(self.name_problem)
        self.schedule_line = hint("", self)
        layout.addWidget(self.schedule_line)
        # What Finish does, and the choice: the first sync sends everything the preview counted.
        self.finish_line = QLabel("", self)
        self.finish_line.setObjectName("finishLine")
        self.finish_line.setWordWrap(True)
        font = self.finish_line.font()
        font.setBold(True)
        self.finish_line.setFont(font)
        self.send_now_button = QRadioButton("Send now", self)
        self.wait_button = QRadioButton("Wait for the schedule", self)
        self.first_run = QButtonGroup(self)
        # Pinned under the scrolling report, so the choice is in view next to Finish on a small screen too.
        self.pinned.addWidget(self.finish_line)
        for button in (self.send_now_button, self.wait_button):
            self.first_run.addButton(button)
            self.pinned.addWidget(button)
        self.send_now_button.setChecked(True)
        self.first_run.buttonToggled.connect(self._describe_finish)
        self.where = hint("", self)
        layout.addWidget(self.where)
        self.save_error = QLabel("", self)
        self.save_error.setStyleSheet(colours(self).error_style())
        self.save_error.setWordWrap(True)
        self.save_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_error.hide()
        layout.addWidget(self.save_error)
        layout.addStretch(1)
        self.report: RunReport | None = None
        self.error = ""
        self._job: Task | None = None
        self._cancel = threading.Event()
        self._ran_for: Hashable | None = None
        self._name_typed = False
        self.name.textEdited.connect(self._name_edited)

    # -- entering the page ------------------------------------------------------------------------------
    def initializePage(self) -> None:
        wiz = self.setup_wizard()
        if not self._name_typed or not self.name.text().strip():
            self.name.setText(wiz.default_profile_name())
        self.where.setText(f"Passwords and API keys: {wiz.credentials.where_text}")
        self.schedule_line.setText(f"Schedule: {wiz.schedule_text()}")
        self.save_error.hide()
        self._name_changed()
        self._describe_finish()
        if self._ran_for != self.signature() or self.report is None:
            self.run_preview()

    def signature(self) -> Hashable:
        wiz = self.setup_wizard()
        return (wiz.profile(name="-"), wiz.secrets_key())

    @Slot()
    def run_preview(self) -> None:
        if self._job is not None:
            self._job.drop()
        self._cancel.set()  # a still-running older preview stops between records
        self._cancel = threading.Event()
        wiz = self.setup_wizard()
        profile, secrets, existing = wiz.profile(name="-"), wiz.secrets(), wiz.editing_id()
        cancel = self._cancel
        self._ran_for = self.signature()
        self.report, self.error = None, ""
        self.result.setText("")
        self.status.setText("Reading GP…")
        self.progress.show()
        self.again.setEnabled(False)

        def work(report: Any) -> RunReport:
            progress = throttled_progress(lambda phase, done, total: report((phase, done, total)))
            return probes.preview(profile, secrets, existing, cancel=cancel, progress=progress)

        self._job = wiz.background.start(work, name="wizard preview", on_item=self._progress, on_result=self._done,
                                         on_error=self._crashed, on_finished=self._finished)
        self.completeChanged.emit()

    def cancel(self) -> None:
        self._cancel.set()

    # -- results ----------------------------------------------------------------------------------------
    @Slot(object)
    def _progress(self, item: tuple[str, int, int]) -> None:
        phase, done, total = item
        self.status.setText(progress_words(phase, done, total))  # the words the tray and the terminal show

    @Slot(object)
    def _done(self, report: RunReport) -> None:
        if report.outcome == "failed":
            self.error = report.error
            self.status.setText("The preview could not finish:")
            self.result.setText(f"<p style='color:{colours(self).error.name()}'>{html.escape(report.error)}</p>"
                                "<p>Go Back to the page of that system, test it again, then return here.</p>")
            return
        self.report = report
        self.status.setText("Preview of the first sync:" if report.outcome == "ok" else
                            f"Preview ({report.outcome}):")
        self.result.setText(report_html(report))
        self._describe_finish()

    @Slot(str)
    def _crashed(self, error: str) -> None:
        message = crash_text(error)
        self.error = message
        self.status.setText("The preview could not finish:")
        self.result.setText(f"<p style='color:{colours(self).error.name()}'>{html.escape(message)}</p>")

    @Slot()
    def _finished(self) -> None:
        self._job = None  # the task deletes itself now
        self.progress.hide()
        self.again.setEnabled(True)
        self.completeChanged.emit()

    def running(self) -> bool:
        return self._job is not None and self._job.active()

    # -- the name, and Finish ------------------------------------------------------------------------------
    @Slot()
    def _name_edited(self) -> None:
        self._name_typed = True

    @Slot()
    def _name_changed(self) -> None:
        problem = self.setup_wizard().name_problem(self.name.text().strip())
        self.name_problem.setText(problem or "")
        self.name_problem.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        wiz = self.setup_wizard()
        return (self.report is not None and not self.running() and self._ran_for == self.signature()
                and wiz.name_problem(self.name.text().strip()) is None)

    def show_save_error(self, text: str) -> None:
        """Finish could not save (the keyring or the state database refused): the wizard stays open."""
        self.save_error.setText(text)
        self.save_error.show()

    # -- what Finish does ------------------------------------------------------------------------------------
    def set_first_run_default(self, *, send_now: bool) -> None:
        """A new profile offers "Send now"; an edited one waits for its schedule unless the user says otherwise."""
        (self.send_now_button if send_now else self.wait_button).setChecked(True)

    def send_now(self) -> bool:
        return self.send_now_button.isChecked()

    @Slot()
    def _describe_finish(self) -> None:
        """The choice's labels follow the schedule, and the line above says what Finish will do."""
        wiz = self.wizard()
        if wiz is None:
            return
        first = first_run_text(self.setup_wizard().cadence())
        self.wait_button.setText(f"Wait for the schedule (first run at {first})" if first else
                                 "Do not send yet (the schedule is manual: use Sync now when ready)")
        if self.send_now():
            what = sent_counts_text(self.report) if self.report is not None else "what the preview counts"
            self.finish_line.setText(f"Finish saves the profile and sends {what} to Mailchimp now.")
        elif first:
            self.finish_line.setText(f"Finish saves the profile; nothing is sent now. First run at {first}.")
        else:
            self.finish_line.setText("Finish saves the profile; nothing is sent until you press Sync now.")
