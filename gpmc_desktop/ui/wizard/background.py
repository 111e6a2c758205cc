"""The wizard's checks run through the app's background helper (`ui/background.py`) on a pool of their own.

The pool outlives the wizard on purpose: a GP server that does not answer keeps a worker busy until its
timeout, and a pool owned by the dialog would block the GUI thread in its destructor when the user closes
the wizard. Its own pool (not Qt's global one) also keeps such a hung check from delaying an audit export.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThreadPool

from gpmc_desktop.ui import background

_pool: QThreadPool | None = None


def worker_pool() -> QThreadPool:
    """Two threads are plenty: one check at a time per page, plus a dropped one still waiting for its timeout."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
    return _pool


class Background(background.Background):
    """The wizard's tasks: the app's helper on the wizards' pool; closing the wizard drops their answers."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent, pool=worker_pool())


def crash_text(error: str) -> str:
    """What a page shows when a check raised instead of reporting a failed stage (a bug, not a bad setting)."""
    return (f"Something unexpected went wrong ({error}). "
            "Try again; if it keeps happening, send the log file to support.")
