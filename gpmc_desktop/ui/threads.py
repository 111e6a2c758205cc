"""Small helpers for code that runs off the GUI thread."""

from __future__ import annotations

import logging

from gpmc_desktop.store.models import database_proxy

log = logging.getLogger(__name__)


def release_store_connection() -> None:
    """Close this thread's state-database connection (peewee keeps one per thread).

    Worker and pool threads call it when their task ends, so a finished sync or export does not keep a
    SQLite connection (and its page cache) alive until the thread object happens to be collected.
    """
    db = database_proxy.obj
    if db is None:
        return
    try:
        db.close()
    except Exception:  # a connection left inside a transaction by a crash: not worth failing the task over
        log.warning("could not close the worker's store connection", exc_info=True)
