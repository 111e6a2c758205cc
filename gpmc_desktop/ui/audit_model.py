"""The audit log as a lazy table model: pages of 500 rows fetched by keyset (`store.audit_page`) as the view
scrolls, so a million-row log opens as fast as a hundred-row one and memory grows only with what was seen.

Newest events first. `refresh_new()` puts events written since the last look at the top without reloading
(the view fills while a sync runs); a filter change starts over from the first page.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtGui import QColor

from gpmc_desktop import store
from gpmc_desktop.store import AuditEventRow, AuditFilter
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.table_model import Column, Index, RowTableModel

PAGE_SIZE = 500
MAX_PREPEND = 2000  # more new rows than this: reload from the top instead of inserting them all


def action_colour(action: str) -> QColor | None:
    """A failed row's action in red, a skipped one in amber, readable on the table of the current palette."""
    c = colours()
    return {"failed": c.table_error, "skipped": c.table_warning}.get(action)


def detail_text(row: AuditEventRow) -> str:
    if row.error_title or row.error_detail:
        return " — ".join(t for t in (row.error_title, row.error_detail) if t)
    return row.reason or ""


def customer_label(entity: str, name: str | None, number: str | None) -> str:
    """Whose record it is: a customer's name (its key is beside it); an invoice's customer by name and number."""
    if entity == "customer" or not number:
        return name or ""
    return f"{name} ({number})" if name else number


def customer_text(row: AuditEventRow) -> str:
    return customer_label(row.entity, row.customer_name, row.customer_number)


def amount_text(row: AuditEventRow) -> str:
    if row.amount is None:
        return ""
    return f"{row.amount:,.2f} {row.currency or ''}".rstrip()


class AuditTableModel(RowTableModel[AuditEventRow]):
    # Only the texts that may not fit repeat themselves as a tooltip.
    columns = (
        Column("When", lambda r: f"{r.at.astimezone():%Y-%m-%d %H:%M:%S}", tooltip=False),
        Column("Record", lambda r: r.entity, tooltip=False),
        Column("GP key", lambda r: r.gp_key),
        Column("Customer", customer_text),
        Column("Amount", amount_text, tooltip=False, align_right=True),
        Column("E-mail", lambda r: r.email or ""),
        Column("Action", lambda r: r.action, tooltip=False, color=lambda r: action_colour(r.action)),
        Column("HTTP", lambda r: "" if r.http_status is None else str(r.http_status), tooltip=False),
        Column("Detail", detail_text),
        Column("Mailchimp id", lambda r: r.mailchimp_id or "", tooltip=False),
        Column("Run", lambda r: str(r.run_id), tooltip=False),
    )

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._filter: AuditFilter | None = None
        self._cursor: int | None = None  # where the next older page starts; None: no more pages

    # -- filters -------------------------------------------------------------------------------------------
    @property
    def filters(self) -> AuditFilter | None:
        return self._filter

    def set_filter(self, filters: AuditFilter | None) -> None:
        """Show the events matching `filters` (None: nothing; no query until a profile is chosen), starting
        again from the newest."""
        self._filter = filters
        rows: list[AuditEventRow] = []
        self._cursor = None
        if filters is not None:
            page = store.audit_page(filters, limit=self.page_size)
            rows, self._cursor = page.rows, page.next_cursor
        self.set_rows(rows)

    def reload(self) -> None:
        self.set_filter(self._filter)

    # -- lazy loading --------------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return not parent.isValid() and self._filter is not None and self._cursor is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._filter is not None
        page = store.audit_page(self._filter, after=self._cursor, limit=self.page_size)
        self._cursor = page.next_cursor if page.rows else None
        self.insert_rows(self.rowCount(), page.rows)

    def refresh_new(self) -> int:
        """Insert at the top the matching events written since the newest one shown; returns how many."""
        if self._filter is None:
            return 0
        if not self._rows:
            self.reload()
            return self.rowCount()
        top = self._rows[0].id
        page = store.audit_page(self._filter, after=top, limit=MAX_PREPEND, newest_first=False)
        if page.next_cursor is not None:  # a flood: the user wants the top of the list, not 2,000 inserts
            self.reload()
            return self.rowCount()
        self.insert_rows(0, page.rows[::-1])
        return len(page.rows)
