"""Scheduler with an injected clock: once per due time, never while running, failures, pause, the ticker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.scheduling import Cadence, Scheduler

NY = ZoneInfo("America/New_York")


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NY)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class World:
    """The database and the job queue, as the scheduler sees them through its callbacks."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.successes: dict[str, datetime] = {}
        self.running: set[str] = set()
        self.fired: list[tuple[str, datetime]] = []
        self.on_due_hook: Callable[[str], None] | None = None

    def last_success(self, profile: str) -> datetime | None:
        return self.successes.get(profile)

    def is_running(self, profile: str) -> bool:
        return profile in self.running

    def on_due(self, profile: str) -> None:
        self.fired.append((profile, self.clock()))
        if self.on_due_hook is not None:
            self.on_due_hook(profile)

    def succeed(self, profile: str) -> None:
        self.running.discard(profile)
        self.successes[profile] = self.clock()

    def names(self) -> list[str]:
        return [name for name, _ in self.fired]


@pytest.fixture
def clock() -> Clock:
    return Clock(ny(2024, 5, 6, 6, 0))  # a Monday


@pytest.fixture
def world(clock: Clock) -> World:
    return World(clock)


def make(world: World, profiles: list[tuple[str, Cadence]], **kw: object) -> Scheduler:
    return Scheduler(
        profiles,
        last_success=world.last_success,
        on_due=world.on_due,
        is_running=world.is_running,
        clock=world.clock,
        tz=NY,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def scheduler(world: World) -> Iterator[Scheduler]:
    world.successes["acme"] = ny(2024, 5, 5, 7, 10)
    s = make(world, [("acme", Cadence.daily("07:00"))])
    yield s
    s.stop()


def test_on_due_is_called_exactly_once_per_due_time(scheduler: Scheduler, world: World, clock: Clock) -> None:
    assert scheduler.tick() == []
    clock.set(ny(2024, 5, 6, 6, 59))
    assert scheduler.tick() == []
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == ["acme"]
    for _ in range(5):  # queued, not yet running: still not again
        clock.advance(seconds=30)
        assert scheduler.tick() == []
    world.running.add("acme")
    clock.advance(minutes=10)
    assert scheduler.tick() == []
    world.succeed("acme")
    for hours in range(1, 24):
        clock.set(ny(2024, 5, 6, 7, 10) + timedelta(hours=hours))
        scheduler.tick()
    clock.set(ny(2024, 5, 7, 7, 0))
    scheduler.tick()
    assert world.fired == [("acme", ny(2024, 5, 6, 7, 0)), ("acme", ny(2024, 5, 7, 7, 0))]


def test_never_while_running(scheduler: Scheduler, world: World, clock: Clock) -> None:
    world.running.add("acme")  # e.g. a Sync now that began at 06:50
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == []
    clock.set(ny(2024, 5, 6, 7, 5))
    world.succeed("acme")  # it finished after 07:00: today's slot is covered
    assert scheduler.tick() == []
    assert scheduler.next_run("acme") == ny(2024, 5, 7, 7, 0)


def test_a_failed_run_is_retried_after_the_delay_not_on_every_tick(
    scheduler: Scheduler, world: World, clock: Clock
) -> None:
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == ["acme"]
    world.running.add("acme")
    clock.set(ny(2024, 5, 6, 7, 20))
    scheduler.tick()
    world.running.discard("acme")  # ...and it failed: no new success
    clock.set(ny(2024, 5, 6, 7, 21))
    assert scheduler.tick() == []
    assert scheduler.next_run("acme") == ny(2024, 5, 6, 7, 50)  # 30 minutes after it was last seen running
    clock.set(ny(2024, 5, 6, 7, 49))
    assert scheduler.tick() == []
    clock.set(ny(2024, 5, 6, 7, 50))
    assert scheduler.tick() == ["acme"]


def test_without_a_retry_delay_a_failure_waits_for_the_next_slot(world: World, clock: Clock) -> None:
    world.successes["acme"] = ny(2024, 5, 5, 7, 10)
    scheduler = make(world, [("acme", Cadence.daily("07:00"))], retry_delay=None)
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == ["acme"]
    clock.set(ny(2024, 5, 6, 23, 0))
    assert scheduler.tick() == []
    assert scheduler.next_run("acme") == ny(2024, 5, 7, 7, 0)


def test_a_week_off_fires_once_at_start(world: World, clock: Clock) -> None:
    world.successes["acme"] = ny(2024, 4, 29, 7, 10)
    clock.set(ny(2024, 5, 6, 9, 0))  # the app starts a week later: seven slots missed
    scheduler = make(world, [("acme", Cadence.daily("07:00"))])
    assert scheduler.next_run("acme") == clock()
    assert scheduler.tick() == ["acme"]
    world.running.add("acme")
    clock.advance(minutes=5)
    assert scheduler.tick() == []
    world.succeed("acme")
    clock.advance(minutes=1)
    assert scheduler.tick() == []
    assert world.names() == ["acme"]
    assert scheduler.next_run("acme") == ny(2024, 5, 7, 7, 0)


def test_manual_profiles_never_fire(world: World, clock: Clock) -> None:
    scheduler = make(world, [("by-hand", Cadence.manual())])
    for days in range(40):
        clock.set(ny(2024, 5, 6, 7) + timedelta(days=days))
        assert scheduler.tick() == []
    assert scheduler.next_run("by-hand") is None


def test_exceptions_in_callbacks_are_logged_and_do_not_stop_others(
    world: World, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(ny(2024, 5, 6, 9))
    calls: list[str] = []

    def on_due(profile: str) -> None:
        calls.append(profile)
        if profile == "a-broken":
            raise RuntimeError("the job queue said no")

    def last_success(profile: str) -> datetime | None:
        if profile == "c-unreadable":
            raise OSError("database is locked")
        return None

    def is_running(profile: str) -> bool:
        if profile == "d-unknown-state":
            raise RuntimeError("boom")
        return False

    scheduler = Scheduler(
        [(n, Cadence.every_hours(1)) for n in ("a-broken", "b-fine", "c-unreadable", "d-unknown-state")],
        last_success=last_success, on_due=on_due, is_running=is_running, clock=clock, tz=NY,
    )
    with caplog.at_level(logging.ERROR, logger="gpmc_desktop.scheduling"):
        assert scheduler.tick() == ["a-broken", "b-fine"]
    assert calls == ["a-broken", "b-fine"]
    messages = caplog.text
    assert "the job queue said no" in messages and "database is locked" in messages and "boom" in messages
    assert scheduler.next_run("c-unreadable") is None
    clock.advance(minutes=29)  # the broken start counts as an attempt: retried later, not on every tick
    assert scheduler.tick() == []
    clock.advance(minutes=1)
    assert scheduler.tick() == ["a-broken", "b-fine"]


def test_pause_and_resume(scheduler: Scheduler, world: World, clock: Clock) -> None:
    scheduler.pause("acme")
    assert scheduler.is_paused("acme")
    assert scheduler.next_run("acme") is None
    for day in range(3):
        clock.set(ny(2024, 5, 6 + day, 7, 0))
        assert scheduler.tick() == []
    scheduler.resume("acme")
    assert not scheduler.is_paused("acme")
    assert scheduler.tick() == ["acme"]  # the missed slots catch up once
    assert scheduler.tick() == []


def test_pause_until_a_time(scheduler: Scheduler, world: World, clock: Clock) -> None:
    clock.set(ny(2024, 5, 6, 6, 30))
    scheduler.pause("acme", until=ny(2024, 5, 6, 8, 0))
    assert scheduler.next_run("acme") == ny(2024, 5, 6, 8, 0)
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == []
    clock.set(ny(2024, 5, 6, 8, 0))
    assert scheduler.tick() == ["acme"]
    assert not scheduler.is_paused("acme")


def test_pausing_an_unknown_profile_is_an_error(scheduler: Scheduler) -> None:
    with pytest.raises(KeyError, match="no scheduled profile named 'nope'"):
        scheduler.pause("nope")


def test_next_run_for_the_tooltip(world: World, clock: Clock) -> None:
    world.successes.update(
        hourly=ny(2024, 5, 6, 5, 40), weekly=ny(2024, 4, 29, 7, 5), close=ny(2024, 5, 2, 7, 2)
    )
    scheduler = make(
        world,
        [
            ("hourly", Cadence.every_hours(4)),
            ("weekly", Cadence.weekly("mon", "07:00")),
            ("close", Cadence.month_end("07:00", business_days_after=2)),
            ("new", Cadence.daily("07:00")),
        ],
    )
    assert scheduler.next_run("hourly") == ny(2024, 5, 6, 9, 40)
    assert scheduler.next_run("weekly") == ny(2024, 5, 6, 7, 0)
    assert scheduler.next_run("close") == ny(2024, 6, 4, 7, 0)  # May ends Fri 31: Mon 3, Tue 4 June
    assert scheduler.next_run("new") == clock()  # never synced: now
    assert scheduler.next_run("missing") is None
    assert scheduler.next_run("weekly").tzinfo is NY  # type: ignore[union-attr]


def test_a_run_started_elsewhere_counts_as_an_attempt(scheduler: Scheduler, world: World, clock: Clock) -> None:
    clock.set(ny(2024, 5, 6, 6, 55))
    world.running.add("acme")  # the user pressed Sync now
    scheduler.tick()
    clock.set(ny(2024, 5, 6, 7, 1))
    scheduler.tick()
    world.running.discard("acme")  # it failed at 07:01
    clock.set(ny(2024, 5, 6, 7, 2))
    assert scheduler.tick() == []  # 07:00 passed during a failed attempt: retry after the delay
    assert scheduler.next_run("acme") == ny(2024, 5, 6, 7, 31)


def test_set_profiles_keeps_state_and_drops_removed_profiles(
    scheduler: Scheduler, world: World, clock: Clock
) -> None:
    scheduler.pause("acme")
    scheduler.set_profiles([("acme", Cadence.every_hours(2)), ("other", Cadence.manual())])
    assert scheduler.is_paused("acme")
    assert scheduler.profiles() == ["acme", "other"]
    scheduler.set_profiles([("other", Cadence.every_hours(1))])
    clock.set(ny(2024, 5, 6, 7, 0))
    assert scheduler.tick() == ["other"]


def test_the_clock_must_be_timezone_aware(world: World) -> None:
    scheduler = Scheduler(
        [("acme", Cadence.daily("07:00"))], last_success=world.last_success, on_due=world.on_due,
        is_running=world.is_running, clock=lambda: datetime(2024, 5, 6, 7), tz=NY,
    )
    with pytest.raises(ValueError, match="naive"):
        scheduler.tick()


def test_last_success_may_come_in_utc(world: World, clock: Clock) -> None:
    world.successes["acme"] = datetime(2024, 5, 6, 11, 5, tzinfo=UTC)  # 07:05 New York, as the store keeps it
    scheduler = make(world, [("acme", Cadence.daily("07:00"))])
    clock.set(ny(2024, 5, 6, 12))
    assert scheduler.tick() == []
    assert scheduler.next_run("acme") == ny(2024, 5, 7, 7)


# -- the ticker thread: waits use events with generous limits, never assertions on elapsed time -------------


def test_the_ticker_catches_up_at_start_and_check_now_wakes_it(world: World, clock: Clock) -> None:
    fired = threading.Event()
    world.on_due_hook = lambda _profile: fired.set()
    world.successes["acme"] = ny(2024, 5, 1, 7, 5)
    scheduler = make(world, [("acme", Cadence.daily("07:00"))], tick_seconds=3600)
    try:
        scheduler.start()
        assert fired.wait(30), "the first check at start should fire the missed run"
        fired.clear()
        world.succeed("acme")
        clock.set(ny(2024, 5, 7, 7, 0))  # the PC wakes the next morning
        scheduler.check_now()
        assert fired.wait(30), "check_now should wake the ticker"
    finally:
        scheduler.stop()
    assert not scheduler.started
    assert world.names() == ["acme", "acme"]


def test_the_schedule_tick_keeps_running_after_a_callback_raises(world: World, clock: Clock) -> None:
    first, fired = threading.Event(), threading.Event()
    calls: list[str] = []

    def hook(profile: str) -> None:
        calls.append(profile)
        if len(calls) == 1:
            first.set()
            raise RuntimeError("first start fails")
        fired.set()

    world.on_due_hook = hook
    scheduler = make(world, [("acme", Cadence.every_hours(1))], tick_seconds=1, retry_delay=timedelta(minutes=1))
    try:
        scheduler.start()  # never synced: due at once, and the start raises
        assert first.wait(30)
        clock.advance(minutes=2)  # past the retry delay: the next `schedule` tick (every second) fires again
        assert fired.wait(30), "the ticker should survive the exception and fire on a later tick"
    finally:
        scheduler.stop()
    assert calls == ["acme", "acme"]


def test_check_now_without_a_thread_checks_inline(world: World, clock: Clock) -> None:
    scheduler = make(world, [("acme", Cadence.daily("07:00"))])
    scheduler.check_now()
    assert world.names() == ["acme"]


def test_on_due_may_call_back_into_the_scheduler(world: World, clock: Clock) -> None:
    scheduler = make(world, [("acme", Cadence.daily("07:00")), ("beta", Cadence.daily("07:00"))])
    world.on_due_hook = lambda profile: (scheduler.pause(profile), scheduler.check_now())  # type: ignore[func-returns-value]
    assert scheduler.tick() == ["acme", "beta"]
    assert scheduler.is_paused("acme") and scheduler.is_paused("beta")
    assert world.names() == ["acme", "beta"]
