"""Drives the Qt-free `scheduling.Scheduler` from the GUI thread: a QTimer calls its `tick()`, so `on_due`
starts runs through the `SyncManager` directly (which refuses overlaps) and nothing crosses threads. Each
profile's next run and pause state go to the status board; a pause is kept in the store's per-profile state
so a paused profile stays paused after a restart."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Slot

from gpmc_desktop import store
from gpmc_desktop.scheduling import Cadence, CadenceError, Scheduler
from gpmc_desktop.store import ProfileRow
from gpmc_desktop.ui.status import StatusBoard
from gpmc_desktop.ui.worker import SyncManager

log = logging.getLogger(__name__)

DEFAULT_TICK_MS = 30_000
PAUSED_KEY = "ui_paused"
# When the setup wizard's Finish chose "wait for the schedule": a profile that never synced counts its slots from
# then instead of being due at once.
SCHEDULE_FROM_KEY = "ui_schedule_from"
# A run that finished counts as a success for the schedule even if some records failed: those have their own
# retry times in the failure ledger, and re-running the whole profile every half hour would not help them.
_SUCCESS = frozenset({"ok", "partial"})
_RUNS_PAGE = 25
_RUNS_LOOKBACK = 200


def last_success(profile_id: int) -> datetime | None:
    """When the profile's last successful (ok or partial, not dry) run finished.

    Looks back `_RUNS_LOOKBACK` runs at most: a profile failing for that long is retried on the scheduler's
    failure timing whatever its last success was, and the scan runs on every tick."""
    before: int | None = None
    for _ in range(_RUNS_LOOKBACK // _RUNS_PAGE):
        runs = store.list_runs(profile_id, before_id=before, limit=_RUNS_PAGE)
        for run in runs:
            if run.outcome in _SUCCESS and run.kind != store.RunKind.DRY_RUN and run.finished_at is not None:
                return run.finished_at
        if len(runs) < _RUNS_PAGE:
            break
        before = runs[-1].id
    return None


def cadence_of(row: ProfileRow) -> Cadence:
    try:
        return Cadence.from_dict(row.schedule)
    except CadenceError as err:
        log.warning("profile %r: unreadable schedule (%s); it syncs only on demand", row.name, err)
        return Cadence.manual()


class ScheduleDriver(QObject):
    def __init__(self, manager: SyncManager, board: StatusBoard, *, tick_ms: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.board = board
        self._ids: dict[str, int] = {}
        self.scheduler = Scheduler(
            [], last_success=self._last_success, on_due=self._on_due, is_running=manager.is_running,
            tick_seconds=max(1, (tick_ms or DEFAULT_TICK_MS) // 1000),
        )
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms or DEFAULT_TICK_MS)
        self.timer.timeout.connect(self.tick)

    def _last_success(self, name: str) -> datetime | None:
        profile_id = self._ids.get(name)
        if profile_id is None:
            return None
        last = last_success(profile_id)
        if last is None:  # never synced: due now, unless its owner chose to wait for the schedule
            waits = store.get_state(profile_id, SCHEDULE_FROM_KEY)
            return store.from_iso(str(waits)) if waits else None
        return last

    def _on_due(self, name: str) -> None:
        log.info("scheduled sync of %r is due", name)
        self.manager.start(name, trigger=store.RunKind.SCHEDULED)

    def set_profiles(self, rows: Sequence[ProfileRow]) -> None:
        self._ids = {row.name: row.id for row in rows}
        cadences = {row.name: cadence_of(row) for row in rows}
        self.scheduler.set_profiles(cadences.items())
        for row in rows:
            status = self.board.get(row.name)
            if status is not None:
                status.set_schedule_text(cadences[row.name].describe())
            if store.get_state(row.id, PAUSED_KEY, False):
                self.scheduler.pause(row.name)
        self.refresh()

    def start(self) -> None:
        """Tick now (the catch-up of missed slots at start) and then every tick_ms."""
        self.timer.start()
        self.tick()

    def stop(self) -> None:
        self.timer.stop()

    @Slot()
    def tick(self) -> list[str]:
        due = self.scheduler.tick()
        self.refresh()
        return due

    def refresh(self) -> None:
        """Next run and pause state of every profile onto the board (after a tick, a run, a pause)."""
        for name in self.scheduler.profiles():
            status = self.board.get(name)
            if status is not None:
                status.set_paused(self.scheduler.is_paused(name))
                status.set_next_run(self.scheduler.next_run(name))

    def set_paused(self, name: str, paused: bool) -> None:
        if name not in self._ids:
            return
        if paused:
            self.scheduler.pause(name)
        else:
            self.scheduler.resume(name)
        store.set_state(self._ids[name], PAUSED_KEY, paused)
        self.refresh()
        if not paused and self.timer.isActive():
            self.tick()  # a slot missed while paused is due now

    def is_paused(self, name: str) -> bool:
        return name in self._ids and self.scheduler.is_paused(name)

