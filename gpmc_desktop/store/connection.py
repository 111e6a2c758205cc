"""Opening and closing the state database.

Concurrency model: peewee's `SqliteDatabase` with thread-local connections (one per thread, opened on
first use), the file in WAL mode, a busy timeout, and write transactions that begin IMMEDIATE.

* WAL: readers never block the writer and the writer never blocks readers, so the GUI thread can page the
  audit log while a sync worker inserts.
* IMMEDIATE: a write transaction takes the write lock at BEGIN, where SQLite waits up to the busy timeout
  for it. A deferred transaction that reads first and then writes can instead fail at once with
  "database is locked" (SQLITE_BUSY_SNAPSHOT, which the busy handler cannot wait out) when another thread
  committed in between.
* Not `SqliteQueueDatabase`: it funnels writes through one background thread, which makes them
  fire-and-forget and does not support transactions, so batch inserts would lose atomicity and
  migrations could not run one version per transaction. With a single writer at a time (the sync worker)
  and short transactions, thread-local connections with IMMEDIATE need no extra thread.

A thread that is done with the store (a worker finishing) may call `Store.close_thread_connection()`;
otherwise its connection closes when the thread object is garbage collected.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from types import TracebackType

import peewee

from gpmc_desktop.store.errors import StoreAlreadyOpenError
from gpmc_desktop.store.migrations import (
    DEFAULT_KEEP_BACKUPS,
    MIGRATIONS,
    Migration,
    MigrationReport,
    migrate,
)
from gpmc_desktop.store.models import database_proxy
from gpmc_desktop.store.paths import state_db_path

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_S = 15.0


def _pragmas(busy_timeout_s: float) -> dict[str, object]:
    # journal_mode is not here: WAL is a property of the file, set once in `open_store`; re-asserting it
    # on every new thread's connection would need a lock that a busy writer may be holding.
    return {
        "busy_timeout": int(busy_timeout_s * 1000),
        "foreign_keys": 1,
        "synchronous": "NORMAL",  # safe with WAL: a power cut may lose the last commits, never corrupt
        "cache_size": -2_000,  # KiB per connection, filled only as used: a big poll reads far more than it holds
        # Statement journals and sorts bigger than a few pages go to a temporary file: held in memory, the
        # savepoints of a batch's results doubled SQLite's heap and each commit took 13 MB more (measured).
        "temp_store": "FILE",
        "journal_size_limit": 64 * 1024 * 1024,  # truncate a WAL that a big batch inflated
    }


def make_database(path: Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> peewee.SqliteDatabase:
    return peewee.SqliteDatabase(
        str(path),
        pragmas=_pragmas(busy_timeout_s),
        timeout=busy_timeout_s,  # sqlite3.connect's busy handler, same value as the pragma
        lock_type="IMMEDIATE",  # every atomic()/transaction(), not only the store's own (see module doc)
        thread_safe=True,  # the default, stated: one connection per thread
    )


def write_transaction() -> AbstractContextManager[object]:
    """A write transaction on the open store (IMMEDIATE at the outermost level, a savepoint when nested)."""
    return database_proxy.atomic("IMMEDIATE")


class Store:
    """The open state database. Query helpers in the sibling modules use it through the bound models."""

    def __init__(self, path: Path, db: peewee.SqliteDatabase, migration: MigrationReport) -> None:
        self.path = path
        self.db = db
        self.migration = migration

    @property
    def schema_version(self) -> int:
        return self.migration.to_version

    @property
    def is_open(self) -> bool:
        return database_proxy.obj is self.db

    def journal_mode(self) -> str:
        return str(self.db.execute_sql("PRAGMA journal_mode").fetchone()[0])

    def thread_connection(self) -> AbstractContextManager[object]:
        """``with store.thread_connection():`` in a worker: its connection is closed when the block ends."""
        return self.db.connection_context()

    def close_thread_connection(self) -> None:
        self.db.close()

    def close(self) -> None:
        """Close this thread's connection and unbind the models; idempotent."""
        if not self.is_open:
            return
        try:
            if not self.db.is_closed():
                # Refresh planner statistics where they went stale; analysis_limit samples instead of
                # reading a million-row table at exit.
                self.db.execute_sql("PRAGMA analysis_limit = 1000")
                self.db.execute_sql("PRAGMA optimize")
        finally:
            self.db.close()
            database_proxy.initialize(None)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    migrations: Mapping[int, Migration] = MIGRATIONS,
    keep_backups: int = DEFAULT_KEEP_BACKUPS,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    now: datetime | None = None,
) -> Store:
    """Open (creating or migrating as needed) the state database and bind the models to it.

    `path` is the database file; by default ``paths.state_db_path()`` (GPMC_DATA_DIR or the per-user data
    folder). `migrations` is for tests that register a future version.
    """
    if database_proxy.obj is not None:
        raise StoreAlreadyOpenError(f"a state database is already open ({database_proxy.obj.database})")
    db_path = Path(path) if path is not None else state_db_path()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = make_database(db_path, busy_timeout_s=busy_timeout_s)
    try:
        db.connect()
        mode = str(db.execute_sql("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        if mode != "wal":
            # e.g. a network share, where WAL's shared memory does not work: keep going, slower and with
            # readers and writers blocking each other, rather than refuse to start.
            log.warning("%s: WAL unavailable (journal_mode=%s); concurrent access will block", db_path, mode)
        report = migrate(db, db_path, migrations=migrations, keep_backups=keep_backups, now=now)
    except BaseException:
        db.close()
        raise
    if database_proxy.obj is not None:  # another thread won the race while this one migrated
        db.close()
        raise StoreAlreadyOpenError(f"a state database is already open ({database_proxy.obj.database})")
    database_proxy.initialize(db)
    return Store(db_path, db, report)

