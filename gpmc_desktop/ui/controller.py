"""The desktop shell's hub: it owns the status board, the sync manager, the scheduler driver, the tray and
the main window, and connects them. All state lives in the Qt-free core (store, credentials, scheduling);
this class only routes signals and asks the core.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from gpmc_desktop import store
from gpmc_desktop.credentials import CredentialStore
from gpmc_desktop.profile import ConfigError, Document, GPSettings, merge_documents, profile_from_mapping
from gpmc_desktop.sync import automations
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog
from gpmc_desktop.ui.automations_question import AutomationsQuestion
from gpmc_desktop.ui.autostart import Autostart
from gpmc_desktop.ui.background import Background, Task
from gpmc_desktop.ui.diagnostics import qt_versions, write_app_bundle
from gpmc_desktop.ui.gp_sample import write_app_sample
from gpmc_desktop.ui.main_window import MainWindow
from gpmc_desktop.ui.mass_change_dialog import MassChangeDialog
from gpmc_desktop.ui.password_dialog import PasswordDialog
from gpmc_desktop.ui.schedule_driver import ScheduleDriver
from gpmc_desktop.ui.settings_dialog import SettingsDialog
from gpmc_desktop.ui.status import (
    CREDENTIAL_LABELS,
    StatusBoard,
    Toast,
    ToastPolicy,
    describe_crash,
    describe_report,
    describe_run_row,
)
from gpmc_desktop.ui.tray import Tray, tray_available
from gpmc_desktop.ui.worker import ProfileRunner, SyncManager, SyncResult, saved_profile_runner

if TYPE_CHECKING:
    from gpmc_desktop.demo.environment import DemoEnvironment
    from gpmc_desktop.ui.wizard import SetupWizard

log = logging.getLogger(__name__)

AUDIT_REFRESH_MS = 1000  # while the shown profile syncs, new audit rows appear this often
# Per-profile state: the one-time question about [mailchimp] automations was put (answered or not).
AUTOMATIONS_ASKED = "automations_question_asked"


class DesktopController(QObject):
    notice_shown = Signal(str)
    run_finished = Signal(object)  # SyncResult, after the board, the toasts and the pages were updated

    def __init__(
        self,
        credentials: CredentialStore,
        *,
        use_tray: bool | None = None,
        log_folder: Path | None = None,
        autostart: Autostart | None = None,
        runner: ProfileRunner | None = None,
        schedule_tick_ms: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.credentials = credentials
        self.log_folder = log_folder
        self.autostart = autostart
        self.board = StatusBoard(self)
        self.manager = SyncManager(runner or saved_profile_runner(credentials), self)
        self.toast_policy = ToastPolicy()
        self.toasts: list[Toast] = []  # every toast this session (the tests read it; so could a history view)
        self.notices: list[str] = []
        self.has_tray = tray_available() if use_tray is None else use_tray
        self.window = MainWindow(self.board, stands_in_for_tray=not self.has_tray)
        self.tray: Tray | None = Tray(self.board, self) if self.has_tray else None
        self.schedule = ScheduleDriver(self.manager, self.board, tick_ms=schedule_tick_ms, parent=self)
        self._quitting = False
        self.quit_question: QMessageBox | None = None  # "A sync is running … Stop it and quit?" while open
        self._dialogs: list[QWidget] = []  # open non-modal dialogs, kept alive
        self.mass_change_questions: dict[str, MassChangeDialog] = {}  # by profile: the open question
        self._background = Background(self)  # the diagnostics bundle is written off the GUI thread

        self._audit_timer = QTimer(self)
        self._audit_timer.setInterval(AUDIT_REFRESH_MS)
        self._audit_timer.timeout.connect(self._refresh_live_audit)

        self.manager.started.connect(self._on_started)
        self.manager.progress.connect(self._on_progress)
        self.manager.finished.connect(self._on_finished)
        self.manager.refused.connect(self._on_refused)

        w = self.window
        w.sync_requested.connect(self.sync_now)
        w.full_sync_requested.connect(self.full_compare_now)
        w.retry_requested.connect(self.retry_now)
        w.stop_requested.connect(self.manager.cancel)
        w.pause_requested.connect(self.set_paused)
        w.credential_requested.connect(self.ask_credential)
        w.profile_shown.connect(self._on_profile_shown)
        w.settings_requested.connect(self.open_settings)
        w.setup_requested.connect(self.open_setup)
        w.log_folder_requested.connect(self.open_log_folder)
        w.diagnostics_requested.connect(self.ask_diagnostics)
        w.gp_sample_requested.connect(self.ask_gp_sample)
        w.quit_requested.connect(self.request_quit)
        w.closed_to_tray.connect(self._say_still_running)
        if self.tray is not None:
            t = self.tray
            t.sync_requested.connect(self.sync_all)
            t.pause_requested.connect(self.set_all_paused)
            t.open_requested.connect(self.show_window)
            t.settings_requested.connect(self.open_settings)
            t.diagnostics_requested.connect(self.ask_diagnostics)
            t.gp_sample_requested.connect(self.ask_gp_sample)
            t.quit_requested.connect(self.request_quit)
            t.failures_requested.connect(self.window.show_failures)
            t.toast_clicked.connect(self._on_toast_clicked)
        self.reload_profiles()

    # -- start-up ------------------------------------------------------------------------------------------
    def start(self, *, show_window: bool = False) -> None:
        """Show the tray (or the window standing in for it) and start the schedule."""
        if self.tray is not None:
            self.tray.show()
        if show_window or self.tray is None or not self.board.names():
            self.show_window()
        self.schedule.start()

    def reload_profiles(self) -> None:
        """Match the board to the profiles in the store; each new one starts from its last finished run."""
        rows = {row.name: row for row in store.list_profiles()}
        for name in self.board.names():
            if name not in rows and not self.manager.is_running(name):
                self.board.remove(name)
        for name, row in rows.items():
            if self.board.get(name) is None:
                status = self.board.add(name, row.id)
                # A preview (the wizard's dry run) sent nothing: it says nothing about how syncing goes.
                finished = [describe_run_row(r) for r in store.list_runs(row.id, limit=10)
                            if r.finished_at and r.kind != store.RunKind.DRY_RUN]
                if finished:
                    status.set_finished(finished[0])
                # The toasts compare with the last run that said something about the connection.
                telling = next((f for f in finished if not f.cancelled), None)
                if telling is not None:
                    self.toast_policy.seed(name, telling.health)
            self._load_full_compare(name)
            self._load_automations(name)
        self.schedule.set_profiles(list(rows.values()))

    # -- sync ----------------------------------------------------------------------------------------------
    @Slot(str)
    def sync_now(self, profile: str, full: bool = False) -> bool:
        """A person's Sync now (window, tray, a credential just entered)."""
        return self.manager.start(profile, full=full, trigger=store.RunKind.SYNC_NOW)

    @Slot(str)
    def full_compare_now(self, profile: str) -> bool:
        """Sync now, re-reading and comparing everything (``run_profile(full=True)``)."""
        return self.manager.start(profile, full=True, trigger=store.RunKind.FULL)

    @Slot(str)
    def retry_now(self, profile: str) -> bool:
        """The sync that retries the failed records a person just replayed (Failures: Retry)."""
        return self.manager.start(profile, trigger=store.RunKind.RETRY)

    def _load_full_compare(self, name: str) -> None:
        """Show when a SOAP profile's full comparison last ran (the engine records it in the state store)."""
        status, row = self.board.get(name), store.get_profile(name)
        if status is None or row is None:
            return
        if row.gp_api != "soap":
            status.set_full_compare(None, None)
            return
        try:
            days = row.profile().gp.full_compare_days
        except ConfigError:
            days = GPSettings.full_compare_days
        last = store.get_state(row.id, store.LAST_FULL_COMPARE_AT)
        status.set_full_compare(days, store.from_iso(str(last)) if last else None)

    def _load_automations(self, name: str) -> None:
        """Show which [mailchimp] automations is in force (the first load moves "on" from pending to acting)."""
        status, row = self.board.get(name), store.get_profile(name)
        if status is None or row is None:
            return
        try:
            profile = row.profile()
        except ConfigError:
            status.set_automations_text("")
            return
        state = automations.in_force(profile, first_load_done=store.first_load_done(row.id))
        status.set_automations_text(state.text())

    @Slot()
    def sync_all(self) -> int:
        started = 0
        for name in self.board.names():
            if self.manager.is_running(name):
                self._on_refused(name, f"a sync of {name} is already running")
            elif self.manager.start(name, trigger=store.RunKind.SYNC_NOW):
                started += 1
        return started

    @Slot(str)
    def _on_started(self, profile: str) -> None:
        status = self.board.get(profile)
        if status is not None:
            status.set_syncing()
        self._audit_timer.start()

    @Slot(str, str, int, int)
    def _on_progress(self, profile: str, phase: str, done: int, total: int) -> None:
        status = self.board.get(profile)
        if status is not None:
            status.set_progress(phase, done, total)

    @Slot(object)
    def _on_finished(self, result: SyncResult) -> None:
        if result.cancelled_before_start:
            return
        if result.busy:  # not a failure: gpmc sync is doing this profile's work; the last result still stands
            if not self.manager.running():
                self._audit_timer.stop()
            status = self.board.get(result.profile)
            if status is not None:
                status.set_idle()
            if not self._quitting:
                self.show_notice(result.error)
            self.run_finished.emit(result)
            return
        finished_at = datetime.now(UTC)
        if result.report is not None:
            summary = describe_report(result.report, finished_at)
        else:
            summary = describe_crash(result.error, result.credential_kind, finished_at)
        status = self.board.get(result.profile)
        if status is not None:
            status.set_finished(summary)
        if not self.manager.running():
            self._audit_timer.stop()
        if not self._quitting:
            toast = self.toast_policy.on_finished(result.profile, summary)
            if toast is not None:
                self.notify(toast)
            self._load_full_compare(result.profile)
            self._load_automations(result.profile)
            self.window.refresh_data(result.profile)
            self.schedule.refresh()
            self._ask_if_stopped(result)
        self.run_finished.emit(result)

    @Slot(str, str)
    def _on_refused(self, profile: str, why: str) -> None:
        self.show_notice(f"Sync now: {why}.")

    def _refresh_live_audit(self) -> None:
        current = self.window.current_profile
        # Only when the audit page is in view: every query on the GUI thread must win the GIL back from the
        # sync's threads afterwards, which is what makes a busy GUI stutter.
        if current and self.manager.is_running(current) and self.window.audit_view.isVisible():
            self.window.audit_view.refresh(runs=False)

    # -- pause / resume ------------------------------------------------------------------------------------
    @Slot(str, bool)
    def set_paused(self, profile: str, paused: bool) -> None:
        self.schedule.set_paused(profile, paused)

    @Slot(bool)
    def set_all_paused(self, paused: bool) -> None:
        for name in self.board.names():
            self.schedule.set_paused(name, paused)

    # -- messages ------------------------------------------------------------------------------------------
    def notify(self, toast: Toast) -> None:
        """A toast in the tray, or in the window where there is no tray."""
        self.toasts.append(toast)
        log.info("notification: %s: %s", toast.title, toast.message)
        if self.tray is not None:
            self.tray.show_toast(toast)
        else:
            self.window.show_notice(f"<b>{toast.title}</b><br>{toast.message}")

    def show_notice(self, text: str) -> None:
        self.notices.append(text)
        self.window.show_notice(text)
        if self.tray is not None and not self.window.isVisible():
            self.tray.show_message("gpmc-desktop", text)
        self.notice_shown.emit(text)

    @Slot(object)
    def _on_toast_clicked(self, toast: Toast) -> None:
        if toast.credential_kind:
            self.ask_credential(toast.profile, toast.credential_kind)
        else:
            self.window.select_profile(toast.profile)
            self.show_window()

    # -- dialogs -------------------------------------------------------------------------------------------
    @Slot()
    def show_window(self) -> None:
        self.window.bring_forward()
        if self.window.current_profile:
            self._on_profile_shown(self.window.current_profile)

    # -- the one-time question about order e-mails -----------------------------------------------------------
    def needs_automations_question(self, profile: str) -> bool:
        """A profile saved before [mailchimp] automations existed that was never asked about it."""
        row = store.get_profile(profile)
        if row is None or store.get_state(row.id, AUTOMATIONS_ASKED):
            return False
        try:
            return automations.KEY in row.profile().unchosen
        except ConfigError:
            return False  # a broken profile is fixed in the wizard, which asks there

    @Slot(str)
    def _on_profile_shown(self, profile: str) -> None:
        if self.window.isVisible() and not self._quitting and self.needs_automations_question(profile):
            self.ask_automations(profile)

    def ask_automations(self, profile: str) -> AutomationsQuestion:
        """Ask once: the answer goes into the profile; "Not now" keeps what it did before (the window says so)."""
        row = store.get_profile(profile)
        if row is not None:
            store.set_state(row.id, AUTOMATIONS_ASKED, True)
        dialog = AutomationsQuestion(profile, self.window)
        dialog.chosen.connect(self.save_automations)
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        dialog.open()
        return dialog

    @Slot(str, str)
    def save_automations(self, profile: str, choice: str) -> bool:
        """Store *choice* as the profile's [mailchimp] automations; its next sync applies it to the store."""
        row = store.get_profile(profile)
        if row is None:
            return False
        changes: Document = {"mailchimp": {"automations": choice}, "profile": {"name": profile}}
        try:
            settings = profile_from_mapping(merge_documents(row.settings, changes))
        except ConfigError as err:
            QMessageBox.warning(self.window, "Order e-mails and automations",
                                f"The choice was not saved:\n{err}\n\nOpen Edit… to fix the profile.")
            return False
        store.save_profile(profile, settings=settings)
        log.info("profile %r: automations = %s", profile, choice)
        self._load_automations(profile)
        return True

    # -- the mass-change question ------------------------------------------------------------------------------
    def _ask_if_stopped(self, result: SyncResult) -> None:
        report = result.report
        if report is not None and report.waits_for_decision and report.mass_change is not None:
            self.ask_mass_change(result.profile, report, full=result.full)

    def ask_mass_change(self, profile: str, report: RunReport, *, full: bool = False) -> MassChangeDialog:
        """Ask whether to send what the stopped run would have sent; a later stop replaces an open question."""
        assert report.mass_change is not None
        old = self.mass_change_questions.pop(profile, None)
        if old is not None:
            old.decided.disconnect()
            old.close()
        dialog = MassChangeDialog(profile, report.mass_change, self.window)
        dialog.decided.connect(lambda name, send: self.decide_mass_change(name, send, full=full))
        dialog.finished.connect(dialog.deleteLater)
        self.mass_change_questions[profile] = dialog
        self._keep(dialog)
        dialog.open()
        return dialog

    def decide_mass_change(self, profile: str, send: bool, *, full: bool = False) -> bool:
        """"Send these changes": run again with the confirmation (that run only).  True when a run started."""
        self.mass_change_questions.pop(profile, None)
        log.info("profile %r: mass change %s by the user", profile, "confirmed" if send else "not sent")
        if not send:
            return False
        return self.manager.start(profile, full=full, confirm_mass_change=True)

    def _keep(self, dialog: QWidget) -> QWidget:
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self._dialogs.remove(dialog) if dialog in self._dialogs else None)
        return dialog

    @Slot(str, str)
    def ask_credential(self, profile: str, kind: str) -> PasswordDialog:
        """The small dialog that saves one credential; on Save a sync of `profile` starts to prove it."""
        status = self.board.get(profile)
        reason = ""
        if status and status.last and status.last.credential_kind == kind:
            reason = f"{status.last.text}<br><br>Enter the {CREDENTIAL_LABELS[kind]} of <b>{profile}</b> again."
        dialog = PasswordDialog(profile, kind, self.credentials, reason, self.window)
        dialog.accepted.connect(lambda: self.sync_now(profile))
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        dialog.open()
        return dialog

    @Slot()
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.board.names(), self.credentials.where_text, self.autostart, self.window)
        dialog.setup_requested.connect(self.open_setup)
        dialog.edit_requested.connect(lambda name: self.open_setup(edit=name))
        dialog.edit_page_requested.connect(lambda name, page: self.open_setup(edit=name, start=page))
        dialog.advanced_requested.connect(self.open_advanced)
        dialog.credential_requested.connect(self.ask_credential)
        dialog.remove_requested.connect(self.remove_profile)
        dialog.log_folder_requested.connect(self.open_log_folder)
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        dialog.open()
        return dialog

    @Slot(str)
    def open_advanced(self, profile: str) -> AdvancedSettingsDialog | None:
        """A saved profile's Advanced settings; OK saves them (validated with the whole profile) at once."""
        row = store.get_profile(profile)
        if row is None:
            return None
        dialog = AdvancedSettingsDialog(row.settings, self.window, title=f"Advanced settings – {profile}")
        dialog.accepted.connect(lambda: self.save_advanced(profile, dialog.values()))
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        dialog.open()
        return dialog

    def save_advanced(self, profile: str, changes: Document) -> bool:
        row = store.get_profile(profile)
        if row is None:
            return False
        try:
            settings = profile_from_mapping(merge_documents(row.settings, {**changes, "profile": {"name": profile}}))
        except ConfigError as err:
            QMessageBox.warning(self.window, "Advanced settings",
                                f"The settings of {profile} were not saved:\n{err}\n\nOpen Edit… to fix the profile.")
            return False
        store.save_profile(profile, settings=settings)
        log.info("profile %r: advanced settings saved", profile)
        self.reload_profiles()
        return True

    def open_setup(self, *, edit: str | None = None, demo: DemoEnvironment | None = None,
                   start: int = 0) -> SetupWizard:
        """The setup wizard: a new profile (first run, Settings), the demo pre-filled, or `edit` an existing
        one. The board, the schedule and the pages follow when Finish saves the profile."""
        from gpmc_desktop.ui.wizard import PageId, SetupWizard

        if demo is not None:
            wizard = SetupWizard.for_demo(demo, self.credentials, self.window)
        elif edit is not None:
            wizard = SetupWizard.edit_profile(edit, self.credentials, self.window, start=PageId(start))
        else:
            wizard = SetupWizard.new_profile(self.credentials, self.window)
        wizard.profileSaved.connect(self._on_profile_saved)
        wizard.sendNow.connect(self.sync_now)  # Finish with "Send now"; "Wait for the schedule" starts nothing
        wizard.finished.connect(wizard.deleteLater)
        self._keep(wizard)
        wizard.open()
        return wizard

    @Slot(str)
    def _on_profile_saved(self, name: str) -> None:
        self.reload_profiles()
        self.window.select_profile(name)
        self.show_window()

    def remove_profile(self, name: str) -> None:
        if self.manager.is_running(name):
            self.show_notice(f"{name} is syncing; remove it when the run has finished.")
            return
        store.delete_profile(name)
        try:
            self.credentials.delete_profile(name)
        except Exception as err:  # the profile is gone either way; say what was left behind
            self.show_notice(f"Profile removed, but its saved credentials could not be deleted: {err}")
        self.reload_profiles()

    @Slot()
    def open_log_folder(self) -> bool:
        if self.log_folder is None:
            return False
        self.log_folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_folder)))

    # -- diagnostics for IT ---------------------------------------------------------------------------------
    @Slot()
    def ask_diagnostics(self) -> None:
        name = f"gpmc-diagnostics-{datetime.now():%Y%m%d-%H%M}.zip"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save diagnostics for IT", name, "Zip files (*.zip)")
        if path:
            self.save_diagnostics(Path(path))

    def save_diagnostics(self, path: Path) -> Task:
        """Write the diagnostics bundle (every profile, secrets masked) to *path*; a notice says how it went."""
        versions = qt_versions()  # asked here: Qt's version calls belong on the GUI thread
        return self._background.start(
            lambda _report: write_app_bundle(path, self.credentials, self.log_folder, versions),
            name=f"diagnostics bundle to {path}",
            on_result=lambda _summary: self.show_notice(f"Diagnostics saved to {path}: no passwords or keys in it."),
            on_error=lambda message: self.show_notice(f"The diagnostics were not saved: {message}"))

    # -- GP sample for support ------------------------------------------------------------------------------
    @Slot()
    def ask_gp_sample(self) -> None:
        """For the profile the window shows (or the only one): where to save its redacted GP sample."""
        profile = self.window.current_profile or next(iter(self.board.names()), None)
        if not profile:
            self.show_notice("Set up a profile first: the GP sample is read with a profile's GP connection.")
            return
        name = f"gpmc-gp-sample-{datetime.now():%Y%m%d-%H%M}.zip"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save a GP sample for support", name,
                                              "Zip files (*.zip)")
        if path:
            self.save_gp_sample(profile, Path(path))

    def save_gp_sample(self, profile: str, path: Path) -> Task:
        """Read *profile*'s GP sample (off the GUI thread: GP may take minutes) and write it to *path*."""
        versions = qt_versions()  # asked here: Qt's version calls belong on the GUI thread
        return self._background.start(
            lambda _report: write_app_sample(path, profile, self.credentials, versions),
            name=f"GP sample of {profile} to {path}",
            on_result=lambda _summary: self.show_notice(
                f"GP sample saved to {path}: names, e-mails, phones and addresses replaced, no passwords or keys in "
                "it. Send it to support."),
            on_error=lambda message: self.show_notice(f"The GP sample was not saved: {message}"))

    # -- quit ----------------------------------------------------------------------------------------------
    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Stop the schedule, cancel running syncs and wait for their threads; True if all stopped."""
        self._quitting = True
        self.schedule.stop()
        self._audit_timer.stop()
        if self.manager.running():
            self.window.show_notice("Stopping the running sync…")
        stopped = self.manager.shutdown(timeout_s)
        if self.tray is not None:
            self.tray.hide()
        return stopped

    def running_text(self) -> str:
        """What the running syncs have done, for the quit question: "120 of 318 sent" or "reading GP"."""
        parts = []
        for name in self.board.names():
            status = self.board.get(name)
            if status is None or not self.manager.is_running(name):
                continue
            if status.total and status.phase != "gp":
                parts.append(f"{status.done:,} of {status.total:,} sent")
            else:
                parts.append("reading GP")
            if len(self.board.names()) > 1:
                parts[-1] = f"{name}: {parts[-1]}"
        return "; ".join(parts)

    @Slot()
    def request_quit(self) -> QMessageBox | None:
        """Quit (Ctrl+Q, the menus, closing the stand-in window): at once when idle; during a sync only after the
        user agreed to stop it. Returns the open question, or None when quitting went ahead."""
        if self._quitting:
            return None
        if self.quit_question is not None:
            self.quit_question.raise_()
            return self.quit_question
        if not self.manager.running():
            self.quit()
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Quit gpmc-desktop",
                          f"A sync is running ({self.running_text()}). Stop it and quit?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
        box.setInformativeText("What was sent stays in Mailchimp; the next sync carries on from there.")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Stop and quit")
        box.button(QMessageBox.StandardButton.No).setText("Keep syncing")
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _result: self._on_quit_answered(box.clickedButton() is yes))
        self.quit_question = box
        self.window.bring_forward()
        box.open()
        return box

    def _on_quit_answered(self, stop: bool) -> None:
        box, self.quit_question = self.quit_question, None
        if box is not None:
            box.deleteLater()
        if stop:
            self.quit()

    @Slot()
    def _say_still_running(self) -> None:
        """Once ever, the first time the window is closed: where the app went."""
        if self.tray is not None:
            self.tray.show_message("gpmc-desktop is still running",
                                   "It keeps syncing on schedule from the tray icon. Right-click the icon to open "
                                   "the window or to quit.")

    @Slot()
    def quit(self) -> None:
        if self._quitting:
            return
        self.shutdown()
        self.window.hide()
        QApplication.quit()

