"""Sync runs off the GUI thread: one `QThread` + `SyncWorker` per running profile, owned by `SyncManager`.

* `run_profile` (the Qt-free core) runs in the worker thread; its progress callback becomes the worker's
  `progress` signal, which Qt queues to the GUI thread. Progress is throttled to about 20 signals a second
  (phase changes and each phase's first and last count always go through), so a 100,000-record run cannot
  flood the GUI's event queue, and the counts shown are still the engine's own.
* One run per profile: `start()` refuses, with a reason, while that profile's run is going.
* `shutdown()` sets every run's cancel Event and waits for the threads; the engine stops between records.
  The worker's `done` signal quits its thread through a *direct* connection: the GUI thread may be blocked
  in `wait()` then, and a queued quit would never be delivered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEvent, QObject, Qt, QThread, Signal, Slot

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.credentials import KIND_LABELS as CREDENTIAL_LABELS
from gpmc_desktop.sync.config import Secrets
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import run_profile
from gpmc_desktop.ui.threads import release_store_connection

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
# (profile name, progress, cancel, full) -> report; the default loads the saved profile and its credentials.
ProfileRunner = Callable[[str, ProgressCallback, threading.Event, bool], RunReport]

PROGRESS_INTERVAL_S = 0.05


class CredentialReader(Protocol):
    def get(self, profile: str, kind: str) -> str | None: ...


class MissingCredentialError(RuntimeError):
    def __init__(self, profile: str, kind: str) -> None:
        super().__init__(f"no {CREDENTIAL_LABELS[kind]} is saved for profile {profile!r}: enter it in Settings")
        self.kind = kind


def saved_profile_runner(credentials: CredentialReader) -> ProfileRunner:
    """The runner the app uses: the profile from the state database, the secrets from the credential store."""

    def run(name: str, progress: ProgressCallback, cancel: threading.Event, full: bool) -> RunReport:
        row = store.get_profile(name)
        if row is None:
            raise LookupError(f"profile {name!r} no longer exists")
        values: dict[str, str] = {}
        for kind in (GP_PASSWORD, MAILCHIMP_API_KEY):
            value = credentials.get(name, kind)
            if not value:
                raise MissingCredentialError(name, kind)
            values[kind] = value
        secrets = Secrets(gp_password=values[GP_PASSWORD], mailchimp_api_key=values[MAILCHIMP_API_KEY])
        return run_profile(row.profile(), secrets, full=full, progress=progress, cancel=cancel)

    return run


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one run came back with: a report, or the error that stopped it from producing one."""

    profile: str
    report: RunReport | None
    error: str = ""
    credential_kind: str | None = None  # a credential that is missing (so the user can be asked for it)
    cancelled_before_start: bool = False


class SyncWorker(QObject):
    progress = Signal(str, str, int, int)  # profile, phase, done, total
    done = Signal(object)  # SyncResult

    def __init__(self, profile: str, runner: ProfileRunner, cancel: threading.Event, full: bool) -> None:
        super().__init__()
        self.profile = profile
        self._runner = runner
        self._cancel = cancel
        self._full = full
        self._last_emit = 0.0
        self._last_phase = ""

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        # Called by the engine (possibly from its own pool threads): emitting is thread-safe.
        now = time.monotonic()
        if phase == self._last_phase and done not in (0, total) and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_phase, self._last_emit = phase, now
        self.progress.emit(self.profile, phase, done, total)

    @Slot()
    def run(self) -> None:
        result: SyncResult
        if self._cancel.is_set():  # quit arrived before the thread got going
            result = SyncResult(self.profile, None, "cancelled before it started", cancelled_before_start=True)
        else:
            try:
                report = self._runner(self.profile, self._on_progress, self._cancel, self._full)
                result = SyncResult(self.profile, report)
            except MissingCredentialError as err:
                result = SyncResult(self.profile, None, str(err), credential_kind=err.kind)
            except Exception as err:
                log.exception("sync of profile %r crashed", self.profile)
                result = SyncResult(self.profile, None, f"{type(err).__name__}: {err}")
            finally:
                release_store_connection()
        self.done.emit(result)


@dataclass(eq=False)
class _Job:
    profile: str
    thread: QThread
    worker: SyncWorker
    cancel: threading.Event


class SyncManager(QObject):
    """Starts, tracks and stops the sync runs; lives on the GUI thread and re-emits the workers' signals there."""

    started = Signal(str)  # profile
    progress = Signal(str, str, int, int)  # profile, phase, done, total
    finished = Signal(object)  # SyncResult
    refused = Signal(str, str)  # profile, why

    def __init__(self, runner: ProfileRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._jobs: dict[str, _Job] = {}
        self._retiring: list[_Job] = []  # result delivered, thread still winding down
        self._accepting = True

    def is_running(self, profile: str) -> bool:
        return profile in self._jobs

    def running(self) -> list[str]:
        return sorted(self._jobs)

    def start(self, profile: str, *, full: bool = False) -> bool:
        """Start a run of `profile`; False (and `refused`) if one is going or the app is quitting."""
        if not self._accepting:
            self.refused.emit(profile, "the application is shutting down")
            return False
        if profile in self._jobs:
            self.refused.emit(profile, f"a sync of {profile} is already running; it has not finished yet")
            return False
        cancel = threading.Event()
        thread = QThread(self)
        thread.setObjectName(f"sync:{profile}")
        worker = SyncWorker(profile, self._runner, cancel, full)
        worker.moveToThread(thread)
        job = _Job(profile, thread, worker, cancel)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        worker.progress.connect(self._on_progress)  # queued: the manager lives on the GUI thread
        worker.done.connect(self._on_done)
        # A bound slot, not a lambda: PySide runs a context-less lambda in the emitting (worker) thread.
        thread.finished.connect(self._on_thread_finished)
        self._jobs[profile] = job
        thread.start()
        self.started.emit(profile)
        return True

    def cancel(self, profile: str) -> bool:
        job = self._jobs.get(profile)
        if job is None:
            return False
        job.cancel.set()
        return True

    @Slot(str, str, int, int)
    def _on_progress(self, profile: str, phase: str, done: int, total: int) -> None:
        if profile in self._jobs:
            self.progress.emit(profile, phase, done, total)

    @Slot(object)
    def _on_done(self, result: SyncResult) -> None:
        job = self._jobs.pop(result.profile, None)
        if job is not None:
            self._retiring.append(job)
        self.finished.emit(result)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for job in [j for j in self._retiring if j.thread is thread]:
            self._retiring.remove(job)
            job.worker.deleteLater()
            job.thread.deleteLater()

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Refuse new runs, cancel the running ones and wait for their threads; True if all have stopped."""
        self._accepting = False
        jobs = [*self._jobs.values(), *self._retiring]
        for job in jobs:
            job.cancel.set()
        deadline = QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever if timeout_s is None
                                  else int(timeout_s * 1000))
        stopped = True
        for job in jobs:
            if not job.thread.wait(deadline):
                log.warning("sync of %r did not stop in time", job.profile)
                stopped = False
        # Deliver the results the stopped workers queued to us (the GUI thread was blocked in wait()), so
        # the board shows "cancelled" and `running()` is empty once this returns.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return stopped
