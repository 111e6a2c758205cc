"""The audit model's page queries, as they run on a pool thread (`ui/audit_model.py` starts them).

A query is tagged with the filter's generation when it starts. When the user has since changed the filter,
the query is skipped if it has not begun, and interrupted if it has (SQLite's progress handler): a broad
search over a million rows then stops at once instead of holding a pool thread for the newer one.

The worker reads through the store's own database (`database_proxy`), on its own per-thread connection to
the same file; in WAL mode that read never waits for a sync's writes. `ui/background.py` closes the
connection when the task ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

import peewee

from gpmc_desktop import store
from gpmc_desktop.store import AuditFilter, AuditPage
from gpmc_desktop.store.models import database_proxy

log = logging.getLogger(__name__)

CHECK_EVERY = 20_000  # SQLite VM steps between two looks at the generation (well under a millisecond)


class Kind(Enum):
    FIRST = "first page"  # a filter's first page, or a reload
    MORE = "next page"  # the page after the last row shown (scrolling)
    NEW = "new rows"  # rows written since the newest row shown


class Generation:
    """The number of the filter shown; a plain object, so a worker can read it whatever became of the model."""

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> int:
        self.value += 1
        return self.value


@dataclass(frozen=True, slots=True)
class PageQuery:
    kind: Kind
    generation: int  # the filter's generation when the query started
    filters: AuditFilter
    after: int | None
    limit: int
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class PageAnswer:
    query: PageQuery
    page: AuditPage | None  # None: skipped or interrupted (stale), or failed
    error: str = ""
    thread: str = ""  # the thread that ran it (tests check it was not the GUI's)


def run_query(query: PageQuery, generation: Generation) -> PageAnswer:
    """`store.audit_page` for *query*, unless its filter is no longer shown. Never raises: a failure is an
    answer with `error`, so the model always learns that its query ended."""
    thread = threading.current_thread().name

    def stale() -> bool:
        return generation.value != query.generation

    if stale():
        return PageAnswer(query, None, thread=thread)
    try:
        with _interrupted_when(stale):
            page = store.audit_page(query.filters, after=query.after, limit=query.limit,
                                    newest_first=query.newest_first)
    except Exception as exc:  # an I/O error or a bug: the view says so rather than search forever
        if isinstance(exc, peewee.OperationalError) and stale():  # "interrupted": the progress handler stopped it
            return PageAnswer(query, None, thread=thread)
        log.exception("audit %s query failed", query.kind.value)
        return PageAnswer(query, None, f"{type(exc).__name__}: {exc}", thread)
    return PageAnswer(query, page, thread=thread)


@contextmanager
def _interrupted_when(stale: Callable[[], bool]) -> Iterator[None]:
    """Abort this thread's running SQLite statement as soon as `stale()` is true."""
    db = database_proxy.obj
    conn = db.connection() if db is not None else None
    if conn is None:
        yield
        return
    conn.set_progress_handler(lambda: 1 if stale() else 0, CHECK_EVERY)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)
