"""The GUI's one way to run blocking work: a function runs on a pool thread, and what it reports comes back
on the GUI thread through queued signals, unless the caller dropped the task because its inputs changed.

    task = background.start(work, on_item=..., on_result=..., on_error=..., on_finished=...)

`work(report)` runs on a pool thread; `report(x)` streams partial results (check stages, progress) as
`item`s. Then comes `result` (its return value) or `error` (the text of the exception it raised, logged
with its traceback), then `finished`. Each `Task` is a QObject on the GUI thread: the worker emits its
private signals, Qt queues them to the task's own slots, and those re-emit the public ones unless the task
was dropped. So a slow answer for old values can never overwrite a newer one, and the callbacks may touch
widgets. Connect bound methods of QObjects: Qt drops those connections when the receiver is deleted.

Tasks have no parent and keep themselves alive until their worker has ended, whatever happens to the
window that started them: the work itself cannot be interrupted (a sync or a preview polls a cancel Event
that the caller passes into `work`), and its queued signals need a live object to land on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRunnable, QThreadPool, Signal, Slot

from gpmc_desktop.store.models import database_proxy

log = logging.getLogger(__name__)

Report = Callable[[Any], None]
Work = Callable[[Report], Any]

_live: set[Task] = set()


class Task(QObject):
    """One call of a work function: `item`*, then `result` or `error`, then `finished`, all on the GUI thread
    and none of them after `drop()`."""

    item = Signal(object)
    result = Signal(object)
    error = Signal(str)
    finished = Signal()

    # Emitted by the worker thread; queued to the relay slots below.
    _item = Signal(object)
    _result = Signal(object)
    _error = Signal(str)
    _finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.stale = False
        self.running = True
        _live.add(self)
        self._item.connect(self._on_item)
        self._result.connect(self._on_result)
        self._error.connect(self._on_error)
        self._finished.connect(self._on_finished)

    def drop(self) -> None:
        """Ignore whatever this task still reports (its inputs changed, or its window closed)."""
        self.stale = True

    def active(self) -> bool:
        """Running, and its answer still wanted."""
        return self.running and not self.stale

    @Slot(object)
    def _on_item(self, value: Any) -> None:
        if not self.stale:
            self.item.emit(value)

    @Slot(object)
    def _on_result(self, value: Any) -> None:
        if not self.stale:
            self.result.emit(value)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        if not self.stale:
            self.error.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        self.running = False
        if not self.stale:
            self.finished.emit()
        _live.discard(self)
        self.deleteLater()


class _Runnable(QRunnable):
    def __init__(self, task: Task, work: Work, name: str) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._work = work
        self._name = name

    def run(self) -> None:  # on a pool thread
        try:
            value = self._work(self._task._item.emit)
        except Exception as exc:  # callers turn expected failures into results; this is a bug or an I/O error
            log.exception("%s crashed", self._name)
            self._task._error.emit(f"{type(exc).__name__}: {exc}")
        else:
            self._task._result.emit(value)
        finally:
            release_store_connection()
            self._task._finished.emit()


class Background(QObject):
    """Starts tasks on one thread pool and remembers them, so an owner can drop their answers or wait for them."""

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool if pool is not None else QThreadPool.globalInstance()
        self._tasks: list[Task] = []

    def start(
        self,
        work: Work,
        *,
        name: str = "background task",
        on_item: Callable[[Any], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Task:
        """Queue *work*; the callbacks are connected before it can report anything. *name* is for the log."""
        task = Task()
        for signal, slot in ((task.item, on_item), (task.result, on_result), (task.error, on_error),
                             (task.finished, on_finished)):
            if slot is not None:
                signal.connect(slot)
        self._tasks = [*self._running(), task]
        self._pool.start(_Runnable(task, work, name))
        return task

    def _running(self) -> list[Task]:
        return [t for t in self._tasks if t in _live]

    def drop_all(self) -> None:
        for task in self._running():
            task.drop()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool's work has ended (tests, an app quitting; -1: no limit), then deliver what the
        tasks queued, which a GUI thread blocked here could not receive. True if all ended in time."""
        done = self._pool.waitForDone(msecs)
        for task in self._running():
            QCoreApplication.sendPostedEvents(task, QEvent.Type.MetaCall)
        return done


def release_store_connection() -> None:
    """Close this thread's state-database connection (peewee keeps one per thread).

    Every task ends with it: pool threads are reused, and a finished sync or export must not keep a SQLite
    connection (and its page cache) alive until the thread happens to exit.
    """
    db = database_proxy.obj
    if db is None:
        return
    try:
        db.close()
    except Exception:  # a connection left inside a transaction by a crash: not worth failing the task over
        log.warning("could not close the worker's store connection", exc_info=True)
