"""Run the core's blocking checks off the GUI thread and hand their results back through queued signals.

Each call gets a `Job`, a QObject on the GUI thread.  The worker emits the job's private signals; Qt queues
them to the job's own slots on the GUI thread, which re-emit the public signals unless the job went stale.
A page marks its previous job stale when the user presses "Test" again or edits a field, so a slow answer
for old values can never turn a newer test green.

The pool and the jobs outlive the wizard on purpose: a GP server that does not answer keeps a worker busy
until its timeout, and a pool owned by the dialog would block the GUI thread in its destructor when the user
closes the wizard.  Jobs are parentless and keep themselves alive until their worker has ended; when the page
they report to is gone, Qt has already dropped the connections.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from gpmc_desktop.ui.threads import release_store_connection

log = logging.getLogger(__name__)

# The work function gets `report(item)` to stream partial results (StageResult rows) as they come.
Work = Callable[[Callable[[Any], None]], Any]


class Job(QObject):
    """One background call: `item` streams partial results, then `result` or `crashed`, then `finished`."""

    item = Signal(object)
    result = Signal(object)
    crashed = Signal(str)
    finished = Signal()

    # Emitted by the worker thread; queued to the relay slots below.
    _item = Signal(object)
    _result = Signal(object)
    _crashed = Signal(str)
    _finished = Signal()
    ended = Signal()  # always (stale or not): the pool's bookkeeping

    def __init__(self) -> None:
        super().__init__()
        self.stale = False
        self.running = True
        _live.add(self)  # no parent: alive until its worker ends, whatever happens to the wizard
        self._item.connect(self._on_item)
        self._result.connect(self._on_result)
        self._crashed.connect(self._on_crashed)
        self._finished.connect(self._on_finished)

    def drop(self) -> None:
        """Ignore whatever this job still reports (the worker itself cannot be interrupted mid-request)."""
        self.stale = True

    @Slot(object)
    def _on_item(self, value: Any) -> None:
        if not self.stale:
            self.item.emit(value)

    @Slot(object)
    def _on_result(self, value: Any) -> None:
        if not self.stale:
            self.result.emit(value)

    @Slot(str)
    def _on_crashed(self, message: str) -> None:
        if not self.stale:
            self.crashed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        self.running = False
        if not self.stale:
            self.finished.emit()
        self.ended.emit()
        _live.discard(self)
        self.deleteLater()


class _Runnable(QRunnable):
    def __init__(self, job: Job, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._work = work

    def run(self) -> None:  # on a pool thread
        try:
            value = self._work(self._job._item.emit)
        except Exception as exc:  # the core reports expected failures as stage results; this is a bug or a crash
            log.exception("background check crashed")
            self._job._crashed.emit(f"Something unexpected went wrong ({type(exc).__name__}: {exc}). "
                                    "Try again; if it keeps happening, send the log file to support.")
        else:
            self._job._result.emit(value)
        finally:
            release_store_connection()  # pool threads are reused: do not keep a SQLite connection per thread
            self._job._finished.emit()


_live: set[Job] = set()
_pool: QThreadPool | None = None


def worker_pool() -> QThreadPool:
    """The wizards' own pool (not Qt's global one, which the app uses for other work): two threads are
    plenty, one check at a time per page."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
    return _pool


class Background(QObject):
    """Starts a wizard's checks and remembers them, so closing the wizard can drop their answers."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []

    def start(
        self,
        work: Work,
        *,
        on_item: Callable[[Any], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_crash: Callable[[str], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Job:
        """Queue *work*; the callbacks (bound methods of GUI objects) are connected before it can emit."""
        job = Job()
        for signal, slot in ((job.item, on_item), (job.result, on_result), (job.crashed, on_crash),
                             (job.finished, on_finished)):
            if slot is not None:
                signal.connect(slot)
        self._jobs = [j for j in self._jobs if j in _live]
        self._jobs.append(job)
        worker_pool().start(_Runnable(job, work))
        return job

    def busy(self) -> bool:
        return any(job.running for job in self._jobs if job in _live)

    def drop_all(self) -> None:
        for job in self._jobs:
            if job in _live:
                job.drop()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the running checks end (tests, an app quitting); True if all ended in time."""
        return worker_pool().waitForDone(msecs)
