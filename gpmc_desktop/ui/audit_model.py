"""The audit log as a lazy table model: pages of 500 rows fetched by keyset (`store.audit_page`) as the view
scrolls, so a million-row log opens as fast as a hundred-row one and memory grows only with what was seen.

Newest events first. `refresh_new()` puts events written since the last look at the top without reloading
(the view fills while a sync runs); a filter change starts over from the first page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from gpmc_desktop import store
from gpmc_desktop.store import AuditEventRow, AuditFilter

PAGE_SIZE = 500
MAX_PREPEND = 2000  # more new rows than this: reload from the top instead of inserting them all

COLUMNS = ("When", "Record", "GP key", "E-mail", "Action", "HTTP", "Detail", "Mailchimp id", "Run")
_FAILED_COLOR = QColor("#b3261e")
_SKIPPED_COLOR = QColor("#7a6a00")

Index = QModelIndex | QPersistentModelIndex


def detail_text(row: AuditEventRow) -> str:
    if row.error_title or row.error_detail:
        return " — ".join(t for t in (row.error_title, row.error_detail) if t)
    return row.reason or ""


class AuditTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._filter: AuditFilter | None = None
        self._rows: list[AuditEventRow] = []
        self._cursor: int | None = None
        self._active = False  # no query until a profile is chosen

    # -- filters -------------------------------------------------------------------------------------------
    @property
    def filters(self) -> AuditFilter | None:
        return self._filter

    def set_filter(self, filters: AuditFilter | None) -> None:
        """Show the events matching `filters` (None: nothing), starting again from the newest."""
        self.beginResetModel()
        self._filter = filters
        self._rows = []
        self._cursor = None
        self._active = filters is not None
        if self._active:
            self._load_page()
        self.endResetModel()

    def reload(self) -> None:
        self.set_filter(self._filter)

    def _load_page(self) -> int:
        assert self._filter is not None
        page = store.audit_page(self._filter, limit=self.page_size)
        self._rows.extend(page.rows)
        self._cursor = page.next_cursor
        return len(page.rows)

    # -- lazy loading --------------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return not parent.isValid() and self._active and self._cursor is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._filter is not None
        page = store.audit_page(self._filter, after=self._cursor, limit=self.page_size)
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self._cursor = page.next_cursor
            self.endInsertRows()
        else:
            self._cursor = None

    def refresh_new(self) -> int:
        """Insert at the top the matching events written since the newest one shown; returns how many."""
        if not self._active or self._filter is None:
            return 0
        if not self._rows:
            self.reload()
            return len(self._rows)
        top = self._rows[0].id
        page = store.audit_page(self._filter, after=top, limit=MAX_PREPEND, newest_first=False)
        if page.next_cursor is not None:  # a flood: the user wants the top of the list, not 2,000 inserts
            self.reload()
            return len(self._rows)
        if page.rows:
            self.beginInsertRows(QModelIndex(), 0, len(page.rows) - 1)
            self._rows[:0] = reversed(page.rows)
            self.endInsertRows()
        return len(page.rows)

    # -- table ---------------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def row_at(self, row: int) -> AuditEventRow:
        return self._rows[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if role == Qt.ItemDataRole.ToolTipRole and col != 6:
                return None
            return self._cell(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            if row.action == "failed":
                return _FAILED_COLOR
            if row.action == "skipped":
                return _SKIPPED_COLOR
        return None

    @staticmethod
    def _cell(row: AuditEventRow, col: int) -> str:
        match col:
            case 0:
                return f"{row.at.astimezone():%Y-%m-%d %H:%M:%S}"
            case 1:
                return row.entity
            case 2:
                return row.gp_key
            case 3:
                return row.email or ""
            case 4:
                return row.action
            case 5:
                return "" if row.http_status is None else str(row.http_status)
            case 6:
                return detail_text(row)
            case 7:
                return row.mailchimp_id or ""
            case _:
                return str(row.run_id)
