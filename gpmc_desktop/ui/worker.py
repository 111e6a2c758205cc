"""Sync runs off the GUI thread, through the app's background helper (`ui/background.py`), owned by
`SyncManager`.

* Each run has a thread of the manager's own pool, which starts every run at once (one per profile, never
  queued behind another).  The app's runner starts the engine (`run_profile`, the Qt-free core) in a process of
  its own from that thread (`sync/engine_process.py`: the window never waits for the GIL behind the engine) and
  relays its progress, throttled to about 20 calls a second, to the GUI thread as the task's queued items.
  `saved_profile_runner(..., in_process=True)` runs the engine on the pool thread itself.
* One run per profile: `start()` refuses, with a reason, while that profile's run is going.
* `shutdown()` sets every run's cancel Event, waits for the pool and delivers the results the stopped runs
  queued; the engine stops between records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.credentials import KIND_LABELS as CREDENTIAL_LABELS
from gpmc_desktop.profile import Secrets
from gpmc_desktop.sync.engine_process import run_in_child_process
from gpmc_desktop.sync.progress_throttle import ProgressCallback, throttled_progress
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import run_profile
from gpmc_desktop.ui.background import Background, Report
from gpmc_desktop.ui.gc_pauses import freeze_survivors, short_gc_pauses

log = logging.getLogger(__name__)

# (profile name, progress, cancel, full, *, trigger) -> report; the default loads the saved profile and its
# credentials.  *trigger* (a store.RunKind) says what started the run: the schedule, Sync now, a retry.  A run a
# person confirmed past the mass-change guard is called with confirm_mass_change=True as well.
ProfileRunner = Callable[..., RunReport]

TRAY_APP = "the gpmc-desktop tray app"  # who holds a profile's run lock, in a refused gpmc sync's message
MAX_PARALLEL_RUNS = 64  # far more profiles than anyone syncs at once: no run waits for a free thread


class CredentialReader(Protocol):
    def get(self, profile: str, kind: str) -> str | None: ...


class MissingCredentialError(RuntimeError):
    def __init__(self, profile: str, kind: str) -> None:
        super().__init__(f"no {CREDENTIAL_LABELS[kind]} is saved for profile {profile!r}: enter it in Settings")
        self.kind = kind


def saved_profile_runner(credentials: CredentialReader, *, in_process: bool = False) -> ProfileRunner:
    """The runner the app uses: the profile from the state database, the secrets from the credential store, the
    engine in a sync process of its own (or, *in_process*, on the calling thread)."""

    def run(name: str, progress: ProgressCallback, cancel: threading.Event, full: bool, *,
            trigger: store.RunKind = store.RunKind.SYNC_NOW, confirm_mass_change: bool = False) -> RunReport:
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
        if in_process:
            return run_profile(row.profile(), secrets, full=full, progress=progress, cancel=cancel,
                               confirm_mass_change=confirm_mass_change, trigger=trigger, holder=TRAY_APP)
        return run_in_child_process(row.profile(), secrets, database=store.open_database_path(), progress=progress,
                                    cancel=cancel,
                                    full=full, trigger=trigger, confirm_mass_change=confirm_mass_change,
                                    holder=TRAY_APP)

    return run


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one run came back with: a report, or the error that stopped it from producing one."""

    profile: str
    report: RunReport | None
    error: str = ""
    credential_kind: str | None = None  # a credential that is missing (so the user can be asked for it)
    cancelled_before_start: bool = False
    full: bool = False  # the run was a full comparison (a confirmed rerun is one too)
    busy: bool = False  # another process (gpmc sync) was syncing the profile: this run did nothing


def _run(
    runner: ProfileRunner, profile: str, cancel: threading.Event, full: bool, trigger: store.RunKind, confirm: bool,
    report: Report,
) -> SyncResult:
    """One run, on a pool thread; a crash is left to the background helper (it logs it, `error` says it)."""
    if cancel.is_set():  # quit arrived before the thread got going
        return SyncResult(profile, None, "cancelled before it started", cancelled_before_start=True, full=full)
    def reported(phase: str, done: int, total: int) -> None:
        freeze_survivors()  # full GC pauses would freeze the window (ui/gc_pauses.py)
        report((phase, done, total))

    progress = throttled_progress(reported)
    # Only a confirmed run passes the keyword: a runner that never confirms need not know it.
    extra = {"confirm_mass_change": True} if confirm else {}
    try:
        with short_gc_pauses():
            return SyncResult(profile, runner(profile, progress, cancel, full, trigger=trigger, **extra),
                              full=full)
    except MissingCredentialError as err:
        return SyncResult(profile, None, str(err), credential_kind=err.kind, full=full)
    except store.ProfileBusyError as err:
        return SyncResult(profile, None, str(err), full=full, busy=True)


class SyncManager(QObject):
    """Starts, tracks and stops the sync runs; lives on the GUI thread and emits the runs' news there."""

    started = Signal(str)  # profile
    progress = Signal(str, str, int, int)  # profile, phase, done, total
    finished = Signal(object)  # SyncResult
    refused = Signal(str, str)  # profile, why

    def __init__(self, runner: ProfileRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        pool = QThreadPool(self)
        pool.setMaxThreadCount(MAX_PARALLEL_RUNS)
        self._background = Background(self, pool=pool)
        self._cancels: dict[str, threading.Event] = {}  # the running profiles
        self._accepting = True

    def is_running(self, profile: str) -> bool:
        return profile in self._cancels

    def running(self) -> list[str]:
        return sorted(self._cancels)

    def start(
        self, profile: str, *, full: bool = False, trigger: store.RunKind = store.RunKind.SYNC_NOW,
        confirm_mass_change: bool = False,
    ) -> bool:
        """Start a run of `profile`; False (and `refused`) if one is going or the app is quitting.
        *trigger*: what started it (the runs table's kind; the first load and a full comparison say so whatever
        started them).  *confirm_mass_change*: a person confirmed the changes the last run stopped at (this run
        only)."""
        if not self._accepting:
            self.refused.emit(profile, "the application is shutting down")
            return False
        if profile in self._cancels:
            self.refused.emit(profile, f"a sync of {profile} is already running; it has not finished yet")
            return False
        cancel = self._cancels[profile] = threading.Event()
        self._background.start(
            partial(_run, self._runner, profile, cancel, full, trigger, confirm_mass_change),
            name=f"sync of profile {profile!r}",
            on_item=partial(self._on_progress, profile), on_result=self._on_done,
            on_error=partial(self._on_crash, profile))
        self.started.emit(profile)
        return True

    def cancel(self, profile: str) -> bool:
        cancel = self._cancels.get(profile)
        if cancel is None:
            return False
        cancel.set()
        return True

    def _on_progress(self, profile: str, item: tuple[str, int, int]) -> None:
        if profile in self._cancels:
            self.progress.emit(profile, *item)

    @Slot(object)
    def _on_done(self, result: SyncResult) -> None:
        self._cancels.pop(result.profile, None)
        self.finished.emit(result)

    def _on_crash(self, profile: str, error: str) -> None:
        self._on_done(SyncResult(profile, None, error))

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Refuse new runs, cancel the running ones and wait for them; True if all have stopped. Their results
        are delivered before this returns, so the board shows "cancelled" and `running()` is empty."""
        self._accepting = False
        for cancel in self._cancels.values():
            cancel.set()
        stopped = self._background.wait(-1 if timeout_s is None else int(timeout_s * 1000))
        if not stopped:
            log.warning("sync runs %s did not stop in time", ", ".join(self.running()))
        return stopped
