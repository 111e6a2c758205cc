"""`Scheduler`: asks "is any profile due?" on a tick and calls `on_due(profile)` for each one that is.

The database is the truth (`last_success(profile)`); the `schedule` library is only the tick, in ONE thread
that this class owns.  We lean on it for nothing else because it catches up nothing, never reschedules a job
whose function raised (it would then run it on every loop), and is not thread-safe: hence a private
`schedule.Scheduler` instance, touched only by the ticker thread, and a tick function that never raises.

Per profile the scheduler remembers, in memory only, when it last fired (or saw a run start), so that:
* a due time fires `on_due` once: while the run is queued or running (`is_running`) nothing fires, and after
  a failure the profile is retried after `retry_delay` or at its next regular slot, whichever comes first,
  instead of on every tick;
* a run started elsewhere (Sync now) counts as an attempt too.
After a restart that memory is gone, which is the catch-up: a missed or failed slot is due once at start.
`on_due` is called on the ticker thread (or the thread calling `tick()`): it must return quickly, handing the
run to the job queue (the GUI marshals it to its own thread with a queued signal).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import schedule

from gpmc_desktop.scheduling.business_days import WEEKDAYS_ONLY, BusinessCalendar
from gpmc_desktop.scheduling.cadence import MANUAL, Cadence
from gpmc_desktop.scheduling.due import aware, first_slot_after
from gpmc_desktop.scheduling.zones import local_zone
from gpmc_desktop.store.clock import utc_now

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 30
DEFAULT_RETRY_DELAY = timedelta(minutes=30)


@dataclass
class _ProfileState:
    cadence: Cadence
    attempted_at: datetime | None = None  # on_due fired, or a run was first seen (UTC)
    last_seen_running: datetime | None = None
    was_running: bool = False
    paused: bool = False
    paused_until: datetime | None = None  # None with paused=True: until resumed


class Scheduler:
    def __init__(
        self,
        profiles: Iterable[tuple[str, Cadence]],
        *,
        last_success: Callable[[str], datetime | None],
        on_due: Callable[[str], object],
        is_running: Callable[[str], bool],
        clock: Callable[[], datetime] = utc_now,
        tz: tzinfo | None = None,
        calendar: BusinessCalendar = WEEKDAYS_ONLY,
        retry_delay: timedelta | None = DEFAULT_RETRY_DELAY,
        tick_seconds: int = DEFAULT_TICK_SECONDS,
    ) -> None:
        self._last_success = last_success
        self._on_due = on_due
        self._is_running = is_running
        self._clock = clock
        self._tz = local_zone() if tz is None else tz
        self._calendar = calendar
        self._retry_delay = retry_delay
        self._tick_seconds = max(1, int(tick_seconds))
        self._lock = threading.RLock()  # the profile states
        self._tick_lock = threading.RLock()  # one check at a time (re-entrant: on_due may call check_now)
        self._states: dict[str, _ProfileState] = {}
        self._last_tick: datetime | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.set_profiles(profiles)

    # -- the profile list, pause and resume -----------------------------------------------------------------

    def set_profiles(self, profiles: Iterable[tuple[str, Cadence]]) -> None:
        """Replace the list (a profile added, removed, renamed or re-scheduled); kept names keep their state."""
        with self._lock:
            old = self._states
            self._states = {}
            for name, cadence in profiles:
                state = old.get(name) or _ProfileState(cadence)
                state.cadence = cadence
                self._states[name] = state

    def profiles(self) -> list[str]:
        with self._lock:
            return list(self._states)

    def pause(self, profile: str, until: datetime | None = None) -> None:
        """No scheduled run for `profile` until `resume` (or until `until`). Missed slots catch up once after."""
        with self._lock:
            state = self._state(profile)
            state.paused, state.paused_until = True, None if until is None else aware(until, "until")

    def resume(self, profile: str) -> None:
        with self._lock:
            state = self._state(profile)
            state.paused, state.paused_until = False, None

    def is_paused(self, profile: str) -> bool:
        with self._lock:
            return self._paused(self._state(profile), aware(self._clock(), "clock"))

    def _state(self, profile: str) -> _ProfileState:
        try:
            return self._states[profile]
        except KeyError:
            raise KeyError(f"no scheduled profile named {profile!r}") from None

    @staticmethod
    def _paused(state: _ProfileState, now: datetime) -> bool:
        if state.paused and state.paused_until is not None and state.paused_until <= now:
            state.paused, state.paused_until = False, None  # the pause has run out
        return state.paused

    # -- due times ------------------------------------------------------------------------------------------

    def _due_at(self, state: _ProfileState, last: datetime | None, now: datetime) -> datetime | None:
        """UTC instant the profile is due (maybe in the past), or None if it never runs on its own."""
        cadence = state.cadence
        if cadence.kind == MANUAL:
            return None
        tried = state.attempted_at
        if tried is not None and (last is None or last < tried):
            # Tried since the last success and it did not succeed: retry later, not on every tick.
            base = max(tried, state.last_seen_running or tried)
            regular = first_slot_after(cadence, base, self._tz, self._calendar)
            assert regular is not None
            return regular if self._retry_delay is None else min(regular, base + self._retry_delay)
        if last is None:
            return now  # scheduled but never synced: due now
        return first_slot_after(cadence, last, self._tz, self._calendar)

    def next_run(self, profile: str) -> datetime | None:
        """When `profile` will next be started, in the scheduler's zone (for the tray tooltip).

        None for manual profiles, profiles paused until resumed, unknown profiles, or an unreadable last
        success. An overdue profile reports now."""
        now = aware(self._clock(), "clock")
        with self._lock:
            state = self._states.get(profile)
            if state is None or state.cadence.kind == MANUAL:
                return None
            paused = self._paused(state, now)
            if paused and state.paused_until is None:
                return None
        try:
            last = self._last_success_utc(profile)
        except Exception:
            log.exception("scheduler: could not read the last success of %r", profile)
            return None
        with self._lock:
            due = self._due_at(state, last, now)
            if due is None:
                return None
            if paused and state.paused_until is not None:
                due = max(due, state.paused_until)
        return max(due, now).astimezone(self._tz)

    def _last_success_utc(self, profile: str) -> datetime | None:
        last = self._last_success(profile)
        return None if last is None else aware(last, f"last success of {profile!r}")

    # -- the check ------------------------------------------------------------------------------------------

    def tick(self) -> list[str]:
        """Check every profile once, on the calling thread; call `on_due` for each due one. Returns those."""
        with self._tick_lock:
            now = aware(self._clock(), "clock")
            if self._last_tick is not None and now - self._last_tick > timedelta(seconds=3 * self._tick_seconds + 60):
                log.info("scheduler: clock jumped %s since the last check (sleep or hibernate?): catching up",
                         now - self._last_tick)
            self._last_tick = now
            due = [name for name in self.profiles() if self._check(name, now)]
            for name in due:
                try:
                    self._on_due(name)
                except Exception:
                    log.exception("scheduler: starting the scheduled run of %r failed", name)
            return due

    def _check(self, name: str, now: datetime) -> bool:
        """True when `name` is due now; marks it attempted so the same due time never fires twice."""
        try:
            running = bool(self._is_running(name))
        except Exception:
            log.exception("scheduler: is_running(%r) failed; not starting it", name)
            return False
        with self._lock:
            state = self._states.get(name)
            if state is None:  # removed while we were asking
                return False
            if running:
                if not state.was_running:
                    state.attempted_at = now  # a run we did not start (Sync now) counts as an attempt
                state.was_running, state.last_seen_running = True, now
                return False
            state.was_running = False
            if state.cadence.kind == MANUAL or self._paused(state, now):
                return False
        try:
            last = self._last_success_utc(name)
        except Exception:
            log.exception("scheduler: could not read the last success of %r", name)
            return False
        with self._lock:
            due = self._due_at(state, last, now)
            if due is None or due > now:
                return False
            state.attempted_at = now
            return True

    # -- the ticker thread ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the ticker thread; it checks at once (the catch-up at start), then every `tick_seconds`."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            ticker = schedule.Scheduler()  # private: the module-level default scheduler is shared state
            ticker.every(self._tick_seconds).seconds.do(self._safe_tick)
            self._thread = threading.Thread(target=self._run, args=(ticker,), name="gpmc-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        self._stop.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def started(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def check_now(self) -> None:
        """The wake/resume hook (and "settings changed"): check at once instead of at the next tick."""
        if self.started:
            self._wake.set()
        else:
            self._safe_tick()

    def _run(self, ticker: schedule.Scheduler) -> None:
        self._safe_tick()
        while not self._stop.is_set():
            if self._wake.wait(timeout=1.0):
                self._wake.clear()
                if self._stop.is_set():
                    break
                self._safe_tick()
            try:
                ticker.run_pending()
            except Exception:  # pragma: no cover - _safe_tick never raises; keep the thread alive regardless
                log.exception("scheduler: tick failed")
        ticker.clear()

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("scheduler: check failed; the next tick will try again")
