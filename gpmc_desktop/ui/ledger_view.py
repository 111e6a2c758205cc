"""The failure ledger of one profile: records whose last push failed, with Retry selected / Retry all
(replay in the store, then start a sync) and Dismiss."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop import store
from gpmc_desktop.store import LedgerEntry
from gpmc_desktop.ui.table_model import Column, RowTableModel


def _error(entry: LedgerEntry) -> str:
    return " — ".join(t for t in (entry.last_error_title, entry.last_error_detail) if t)


def _next_try(entry: LedgerEntry) -> str:
    if entry.dismissed:
        return "dismissed"
    if entry.next_retry_at is None:
        return "when the GP record changes"
    return f"{entry.next_retry_at.astimezone():%Y-%m-%d %H:%M}"


class LedgerTableModel(RowTableModel[LedgerEntry]):
    columns = (
        Column("Record", lambda e: e.entity),
        Column("GP key", lambda e: e.gp_key),
        Column("Attempts", lambda e: str(e.attempts)),
        Column("Kind", lambda e: e.category),
        Column("Error", _error),
        Column("HTTP", lambda e: "" if e.last_http_status is None else str(e.last_http_status)),
        Column("Last failed", lambda e: f"{e.last_failed_at.astimezone():%Y-%m-%d %H:%M}"),
        Column("Next try", _next_try),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile_id: int | None = None

    def set_profile(self, profile_id: int | None) -> None:
        self.profile_id = profile_id
        self.reload()

    def reload(self) -> None:
        self.set_rows([] if self.profile_id is None else store.list_failures(self.profile_id))


class LedgerView(QWidget):
    sync_requested = Signal(str)  # profile name: replayed entries are retried by the next sync

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_name: str | None = None
        self.model = LedgerTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.summary = QLabel(self)
        self.retry_selected_button = QPushButton("Retry selected", self)
        self.retry_all_button = QPushButton("Retry all", self)
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setToolTip("Stop retrying and showing these records until they change in GP")
        self.retry_selected_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for b in (self.retry_selected_button, self.retry_all_button, self.dismiss_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.model.modelReset.connect(self._update_buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_profile(self, name: str | None, profile_id: int | None) -> None:
        self.profile_name = name
        self.model.set_profile(profile_id)

    def reload(self) -> None:
        self.model.reload()

    def selected_entries(self) -> list[LedgerEntry]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(r) for r in rows]

    def _update_buttons(self) -> None:
        n = self.model.rowCount()
        selected = bool(self.table.selectionModel().selectedRows()) if self.table.selectionModel() else False
        self.summary.setText("No failed records." if n == 0 else f"{n} record(s) failed and wait for a retry.")
        self.retry_all_button.setEnabled(n > 0)
        self.retry_selected_button.setEnabled(selected)
        self.dismiss_button.setEnabled(selected)

    def retry_selected(self) -> int:
        entries = self.selected_entries()
        n = sum(store.replay_failure(e.profile_id, e.entity, e.gp_key) for e in entries)
        self._after_replay(n)
        return n

    def retry_all(self) -> int:
        if self.model.profile_id is None:
            return 0
        n = store.replay_failures(self.model.profile_id)
        self._after_replay(n)
        return n

    def _after_replay(self, n: int) -> None:
        self.reload()
        if n and self.profile_name:
            self.sync_requested.emit(self.profile_name)

    def dismiss_selected(self) -> int:
        n = sum(store.dismiss_failure(e.profile_id, e.entity, e.gp_key) for e in self.selected_entries())
        self.reload()
        return n
