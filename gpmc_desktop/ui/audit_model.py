"""The audit log as a lazy table model: pages of 500 rows fetched by keyset (`store.audit_page`) as the view
scrolls, so a million-row log opens as fast as a hundred-row one and memory grows only with what was seen.

Newest events first. `refresh_new()` puts events written since the last look at the top without reloading
(the view fills while a sync runs); a filter change starts over from the first page.

Every page query runs on a pool thread (`ui/audit_pages.py`): a search that matches few of a million rows
reads for a while, and the window must not freeze meanwhile. The answer comes back to the GUI thread as the
task's queued signal; an answer for a filter the user has since changed is dropped (the task is dropped, and
the answer's generation no longer matches). `sync=True` runs the queries inline (tests, scripts); `wait()`
blocks until the queries started have been answered.
"""

from __future__ import annotations

import time
from functools import partial

from PySide6.QtCore import QModelIndex, QObject, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor

from gpmc_desktop.store import AuditEventRow, AuditFilter
from gpmc_desktop.ui.audit_pages import Generation, Kind, PageAnswer, PageQuery, run_query
from gpmc_desktop.ui.background import Background, Task
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.table_model import Column, Index, RowTableModel

PAGE_SIZE = 500
MAX_PREPEND = 2000  # more new rows than this: reload from the top instead of inserting them all
# A pool of the audit view's own: on the global one (two threads on a two-core PC) a CSV export and a count
# would make a page wait. Two threads: a page and the new rows may be read at once.
QUERY_THREADS = 2
_pool: QThreadPool | None = None


def query_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(QUERY_THREADS)
    return _pool


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

    loading_changed = Signal(bool)  # the first page of a filter is being read (the view says "Searching…")
    loaded = Signal()  # an answer was shown: a first page, a next page or new rows (maybe none)
    refreshed = Signal(int)  # refresh_new put this many rows on top (not sent when it reloaded instead)
    failed = Signal(str)  # a query failed (the database could not be read)

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE, *, sync: bool = False) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.sync = sync
        self.error = ""  # the last query's failure, until the next answer
        self._filter: AuditFilter | None = None
        self._cursor: int | None = None  # where the next older page starts; None: no more pages
        self._generation = Generation()
        self._background = Background(self, pool=query_pool())
        self._tasks: dict[Kind, Task | None] = dict.fromkeys(Kind)  # in flight: at most one of each kind
        self._in_flight: set[Kind] = set()
        self._replace = False  # the first page replaces the rows still shown (a reload) rather than filling
        self._refresh_again = False  # refresh_new was asked for while a query that may predate the rows ran

    # -- filters -------------------------------------------------------------------------------------------
    @property
    def filters(self) -> AuditFilter | None:
        return self._filter

    @property
    def loading(self) -> bool:
        """A filter's first page is on its way."""
        return Kind.FIRST in self._in_flight

    @property
    def querying(self) -> bool:
        """Any query is on its way (a first page, a next page or new rows)."""
        return bool(self._in_flight)

    def set_filter(self, filters: AuditFilter | None, *, clear: bool = True) -> None:
        """Show the events matching `filters` (None: nothing; no query until a profile is chosen), starting
        again from the newest. The rows go at once (unless not `clear`: a reload keeps them in view until the
        new ones arrive); the first page follows when read."""
        self._generation.bump()
        for kind in Kind:
            self._forget(kind)
        self._filter = filters
        self._cursor = None
        self.error = ""
        self._replace = not clear
        self._refresh_again = False  # the new first page is read after the rows asked for
        if clear or filters is None:
            self.set_rows([])
        if filters is not None:
            self._start(Kind.FIRST, None, self.page_size)

    def reload(self) -> None:
        self.set_filter(self._filter)

    # -- lazy loading --------------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return (not parent.isValid() and self._filter is not None and self._cursor is not None
                and not self._in_flight & {Kind.FIRST, Kind.MORE})

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._start(Kind.MORE, self._cursor, self.page_size)

    def refresh_new(self) -> None:
        """Put at the top the matching events written since the newest one shown (`refreshed` says how many
        once read); with no rows shown, reload. While the first page or the last refresh is on its way, once it
        has been shown (the rows a run wrote last must show up though no call follows the run's end)."""
        if self._filter is None:
            return
        if self._in_flight & {Kind.FIRST, Kind.NEW}:
            self._refresh_again = True
            return
        if not self._rows:
            self.set_filter(self._filter, clear=False)
            return
        self._start(Kind.NEW, self._rows[0].id, MAX_PREPEND, newest_first=False)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the queries started (and any they led to: a reload) have been answered and shown
        (tests, scripts); True if they were in time."""
        deadline = time.monotonic() + msecs / 1000
        while self._in_flight:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not self._background.wait(left):
                return False
        return True

    # -- the queries ---------------------------------------------------------------------------------------
    def _start(self, kind: Kind, after: int | None, limit: int, *, newest_first: bool = True) -> None:
        assert self._filter is not None
        query = PageQuery(kind, self._generation.value, self._filter, after, limit, newest_first)
        self._mark(kind, True)
        if self.sync:
            self._on_answer(run_query(query, self._generation))
            return
        self._tasks[kind] = self._background.start(
            partial(_work, query, self._generation), name=f"audit {kind.value}", on_result=self._on_answer)

    def _forget(self, kind: Kind) -> None:
        task = self._tasks[kind]
        if task is not None:
            task.drop()
        self._tasks[kind] = None
        self._mark(kind, False)

    def _mark(self, kind: Kind, in_flight: bool) -> None:
        was = self.loading
        if in_flight:
            self._in_flight.add(kind)
        else:
            self._in_flight.discard(kind)
        if self.loading != was:
            self.loading_changed.emit(self.loading)

    @Slot(object)
    def _on_answer(self, answer: PageAnswer) -> None:
        query = answer.query
        if query.generation != self._generation.value:  # an older filter's: the task was dropped, but be sure
            return
        self._forget(query.kind)
        self.error = answer.error
        page = answer.page
        if page is None:
            if answer.error:
                self.failed.emit(answer.error)
        elif query.kind is Kind.FIRST:
            self._cursor = page.next_cursor
            if self._replace:
                self.set_rows(page.rows)
            else:
                self.insert_rows(0, page.rows)
        elif query.kind is Kind.MORE:
            self._cursor = page.next_cursor if page.rows else None
            self.insert_rows(self.rowCount(), page.rows)
        elif page.next_cursor is not None:  # a flood: the user wants the top of the list, not 2,000 inserts
            self.set_filter(self._filter, clear=False)
            return
        else:
            self.insert_rows(0, page.rows[::-1])
            self.refreshed.emit(len(page.rows))
        self.loaded.emit()
        if self._refresh_again and query.kind is not Kind.MORE:
            self._refresh_again = False
            self.refresh_new()


def _work(query: PageQuery, generation: Generation, _report: object) -> PageAnswer:
    return run_query(query, generation)
