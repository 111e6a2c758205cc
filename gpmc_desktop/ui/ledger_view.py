"""The failures of one profile, as a finance admin acts on them: whose record, its full GP key and e-mail, and
what to fix in GP terms (Mailchimp's own words stay in the detail pane and the tooltip, for IT).

Only the actions that make sense: Retry where it can help (not on a record Mailchimp refuses as it is in GP: the
next sync sends that one by itself once it changes there); Dismiss asks first and can be undone; Copy and Export.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop import store
from gpmc_desktop.store import LedgerEntry
from gpmc_desktop.store.vocab import FailureCategory
from gpmc_desktop.sync.fix_advice import NO_RETRY_WHY, advise_entry
from gpmc_desktop.ui.audit_model import customer_label
from gpmc_desktop.ui.export_paths import default_export_path
from gpmc_desktop.ui.table_model import Column, RowTableModel

_RECORD_NAMES = {"customer": "Customer", "order": "Invoice"}
_NAMED_IN_CONFIRMATION = 10  # more than this many records: "and N more"


def record_kind(entry: LedgerEntry) -> str:
    return _RECORD_NAMES.get(entry.entity, entry.entity.replace("_", " ").capitalize())


def record_label(entry: LedgerEntry) -> str:
    """"customer THOMASEL0001 (Thomas Electrical)", as a confirmation names it."""
    name = f" ({entry.customer_name})" if entry.customer_name else ""
    return f"{record_kind(entry).lower()} {entry.gp_key}{name}"


def mailchimp_said(entry: LedgerEntry) -> str:
    """Mailchimp's raw answer, for IT."""
    status = f"{entry.last_http_status} " if entry.last_http_status is not None else ""
    text = " — ".join(t for t in (entry.last_error_title, entry.last_error_detail) if t)
    return f"{status}{text}".strip()


def can_retry(entry: LedgerEntry) -> bool:
    """A retry can succeed without a change in GP: Mailchimp was busy, or the fix happens outside GP."""
    return entry.category == FailureCategory.TRANSIENT or advise_entry(entry).retry_helps


def _local(moment: object) -> str:
    # Local time without seconds: what a person reads, and a date-time a spreadsheet recognises.
    return "" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]


def _next_try(entry: LedgerEntry) -> str:
    if entry.dismissed:
        return "dismissed"
    if entry.next_retry_at is None:
        return "when the GP record changes"
    return _local(entry.next_retry_at)


def _fix(entry: LedgerEntry) -> str:
    return advise_entry(entry).text


def _fix_tooltip(entry: LedgerEntry) -> str:
    return f"{_fix(entry)}\n\nMailchimp said: {mailchimp_said(entry)}"


def _customer(entry: LedgerEntry) -> str:
    return customer_label(entry.entity, entry.customer_name, entry.customer_number)


class LedgerTableModel(RowTableModel[LedgerEntry]):
    # What to fix comes last: it is the long text, and the last column takes the window's spare width.
    columns = (
        Column("Record", record_kind, tooltip=False),
        Column("GP key", lambda e: e.gp_key),
        Column("Customer", _customer),
        Column("E-mail", lambda e: e.email or ""),
        Column("Last failed", lambda e: _local(e.last_failed_at), tooltip=False),
        Column("Attempts", lambda e: str(e.attempts), tooltip=False, align_right=True),
        Column("Next try", _next_try, tooltip=False),
        Column("What to fix", _fix, tooltip=_fix_tooltip),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile_id: int | None = None
        self.dismissed = False  # show the dismissed entries (to restore them) instead of the open ones
        self.text = ""  # keep rows whose key, customer or e-mail contain this (any case)

    def set_profile(self, profile_id: int | None) -> None:
        self.profile_id = profile_id
        self.reload()

    def set_dismissed(self, dismissed: bool) -> None:
        self.dismissed = dismissed
        self.reload()

    def set_text(self, text: str) -> None:
        self.text = text.strip()
        self.reload()

    def reload(self) -> None:
        if self.profile_id is None:
            self.set_rows([])
            return
        entries = store.list_failures(self.profile_id, only_dismissed=self.dismissed)
        needle = self.text.casefold()
        if needle:
            entries = [e for e in entries if any(needle in (v or "").casefold() for v in (
                e.gp_key, e.customer_number, e.customer_name, e.email))]
        self.set_rows(entries)


def write_failures_csv(path: Path, entries: Sequence[LedgerEntry]) -> int:
    """The failures as a CSV file with headers a person reads; returns how many rows were written."""
    header = ("Record", "GP key", "Customer number", "Customer name", "E-mail", "What to fix", "Mailchimp said",
              "Retry helps", "Attempts", "First failed", "Last failed", "Next try")
    # utf-8-sig: Excel recognises UTF-8 by the BOM; newline="": the csv module writes its own line ends.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for e in entries:
            writer.writerow((record_kind(e), e.gp_key, e.customer_number or "", e.customer_name or "", e.email or "",
                             _fix(e), mailchimp_said(e), "yes" if can_retry(e) else "no, correct it in GP",
                             e.attempts, _local(e.first_failed_at), _local(e.last_failed_at), _next_try(e)))
    return len(entries)


class MessageBar(QFrame):
    """A line over the table saying what just happened, with an Undo when it can be undone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.undo_button = QPushButton("Undo", self)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.undo_button)
        row.addWidget(self.close_button)
        self.hide()

    def say(self, text: str, *, undo: bool = False) -> None:
        self.label.setText(text)
        self.undo_button.setVisible(undo)
        self.show()


class LedgerView(QWidget):
    sync_requested = Signal(str)  # profile name: replayed entries are retried by the next sync
    exported = Signal(int, str)  # rows, path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_name: str | None = None
        self._undo: list[LedgerEntry] = []  # what the last Dismiss dismissed
        self.model = LedgerTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        # A GP key's end tells keys apart: cut in the middle, and only when the column is narrower than the text.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.verticalHeader().hide()

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Customer, GP key or e-mail")
        self.search.setClearButtonEnabled(True)
        self.show_dismissed = QCheckBox("Show dismissed", self)
        self.summary = QLabel(self)
        self.retry_selected_button = QPushButton("Retry selected", self)
        self.retry_all_button = QPushButton("Retry all", self)
        self.dismiss_button = QPushButton("Dismiss…", self)
        self.restore_button = QPushButton("Restore", self)
        self.restore_button.setToolTip("Show these records again and retry them as before")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the selected rows (all rows when none is selected) for a spreadsheet")
        self.export_button = QPushButton("Export CSV…", self)
        self.message = MessageBar(self)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.copy_action = QAction("Copy", self.table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.copy_action)

        self.retry_selected_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.copy_button.clicked.connect(self.copy_selected)
        self.copy_action.triggered.connect(self.copy_selected)
        self.export_button.clicked.connect(self.export_csv)
        self.message.undo_button.clicked.connect(self.undo_dismiss)
        self.search.textChanged.connect(self.model.set_text)
        self.show_dismissed.toggled.connect(self.model.set_dismissed)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.show_dismissed)
        for b in (self.retry_selected_button, self.retry_all_button, self.dismiss_button, self.restore_button,
                  self.copy_button, self.export_button):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.model.modelReset.connect(self._fit_columns)
        self.model.modelReset.connect(self._update_buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_profile(self, name: str | None, profile_id: int | None) -> None:
        self.profile_name = name
        self._undo = []
        self.message.hide()
        self.model.set_profile(profile_id)

    def reload(self) -> None:
        self.model.reload()

    def selected_entries(self) -> list[LedgerEntry]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(r) for r in rows]

    def _fit_columns(self) -> None:
        """Every column but the last as wide as its longest text: full keys, names and e-mails whenever the window
        has room (the columns stay resizable, and the last takes what is left)."""
        for column in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(column)

    def _update_buttons(self) -> None:
        entries = self.model.rows()
        selected = self.selected_entries() if self.table.selectionModel() else []
        dismissed = self.model.dismissed
        retryable = [e for e in entries if can_retry(e)]
        n = len(entries)
        if dismissed:
            self.summary.setText("No dismissed records." if n == 0 else
                                 f"{n} dismissed record(s): select them and Restore to show them again.")
        elif n == 0:
            self.summary.setText("No failed records.")
        else:
            waiting = n - len(retryable)
            self.summary.setText(f"{n} record(s) failed: {waiting} wait for a correction in GP, "
                                 f"{len(retryable)} can be retried.")
        for button in (self.retry_selected_button, self.retry_all_button, self.dismiss_button):
            button.setVisible(not dismissed)
        self.restore_button.setVisible(dismissed)
        self.restore_button.setEnabled(bool(selected))
        self.dismiss_button.setEnabled(bool(selected))
        selected_retryable = any(can_retry(e) for e in selected)
        self.retry_selected_button.setEnabled(selected_retryable)
        self.retry_selected_button.setToolTip(
            "Send the selected records again now" if selected_retryable or not selected else NO_RETRY_WHY)
        self.retry_all_button.setEnabled(bool(retryable))
        self.retry_all_button.setToolTip(
            f"Send the {len(retryable)} record(s) a retry can help again now" if retryable else NO_RETRY_WHY)
        self.copy_button.setEnabled(n > 0)
        self.export_button.setEnabled(n > 0)
        self._show_detail(selected[0] if len(selected) == 1 else None)

    def _show_detail(self, entry: LedgerEntry | None) -> None:
        if entry is None:
            self.detail.setText("Select a record to see what to fix and what Mailchimp said.")
            return
        self.detail.setText(
            f"{advise_entry(entry).text}.\nMailchimp said (for IT): {mailchimp_said(entry)}\n"
            f"Failed {entry.attempts} time(s), first {_local(entry.first_failed_at)}, "
            f"last {_local(entry.last_failed_at)}.")

    # -- retry ---------------------------------------------------------------------------------------------
    @Slot()
    def retry_selected(self) -> int:
        chosen = self.selected_entries()
        entries = [e for e in chosen if can_retry(e)]
        n = sum(store.replay_failure(e.profile_id, e.entity, e.gp_key) for e in entries)
        self._after_replay(n, len(chosen) - len(entries))
        return n

    @Slot()
    def retry_all(self) -> int:
        """Retry the records a retry can help; the rest wait for their correction in GP (and are counted)."""
        if self.model.profile_id is None:
            return 0
        entries = store.list_failures(self.model.profile_id)
        retryable = [e for e in entries if can_retry(e)]
        n = sum(store.replay_failure(e.profile_id, e.entity, e.gp_key) for e in retryable)
        self._after_replay(n, len(entries) - len(retryable))
        return n

    def _after_replay(self, n: int, skipped: int) -> None:
        self.reload()
        parts = [f"Retrying {n} record(s)." if n else "Nothing to retry."]
        if skipped:
            parts.append(f"Skipped {skipped} that Mailchimp refuses as they are in GP: correct them there and the "
                         "next sync sends them by itself.")
        self.message.say(" ".join(parts))
        if n and self.profile_name:
            self.sync_requested.emit(self.profile_name)

    # -- dismiss, undo, restore ------------------------------------------------------------------------------
    def confirmation(self, entries: Sequence[LedgerEntry]) -> QMessageBox:
        """The question Dismiss asks, naming the records."""
        names = [record_label(e) for e in entries[:_NAMED_IN_CONFIRMATION]]
        if len(entries) > _NAMED_IN_CONFIRMATION:
            names.append(f"and {len(entries) - _NAMED_IN_CONFIRMATION} more")
        box = QMessageBox(QMessageBox.Icon.Question, "Dismiss failed records",
                          f"Dismiss {len(entries)} failed record(s)?", parent=self)
        box.setInformativeText(
            "\n".join(names) + "\n\nThey are no longer shown or retried until they change in GP. "
            "You can undo this, or restore them later with \"Show dismissed\".")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Dismiss")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box

    @Slot()
    def dismiss_selected(self) -> int:
        entries = self.selected_entries()
        if not entries or self.confirmation(entries).exec() != QMessageBox.StandardButton.Yes:
            return 0
        n = sum(store.dismiss_failure(e.profile_id, e.entity, e.gp_key) for e in entries)
        self._undo = entries
        self.reload()
        what = record_label(entries[0]) if len(entries) == 1 else f"{len(entries)} records"
        self.message.say(f"Dismissed {what}.", undo=True)
        return n

    @Slot()
    def undo_dismiss(self) -> int:
        n = self._undismiss(self._undo)
        self._undo = []
        self.message.say(f"Restored {n} record(s).")
        return n

    @Slot()
    def restore_selected(self) -> int:
        n = self._undismiss(self.selected_entries())
        self.message.say(f"Restored {n} record(s).")
        return n

    def _undismiss(self, entries: Sequence[LedgerEntry]) -> int:
        n = sum(store.undismiss_failure(e.profile_id, e.entity, e.gp_key) for e in entries)
        self.reload()
        return n

    # -- copy, export, search ----------------------------------------------------------------------------------
    @Slot()
    def copy_selected(self) -> str:
        """The selected rows (all when none is), tab-separated under their headers, on the clipboard."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()}) or range(self.model.rowCount())
        text = self.model.rows_as_text(rows)
        QApplication.clipboard().setText(text)
        return text

    @Slot()
    def export_csv(self) -> None:
        """Ctrl+E: the list as a CSV file, saved where the user says (Documents by default)."""
        path, _ = QFileDialog.getSaveFileName(self, "Export the failed records",
                                              str(default_export_path("failures")), "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> int:
        try:
            n = write_failures_csv(path, self.model.rows())
        except OSError as err:
            self.message.say(f"Could not write {path}: {err.strerror or err}. Choose another folder.")
            return 0
        self.message.say(f"Exported {n} record(s) to {path}.")
        self.exported.emit(n, str(path))
        return n

    @Slot()
    def focus_search(self) -> None:
        """Ctrl+F: find a customer, key or e-mail in the list."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
