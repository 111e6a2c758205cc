"""The computer's zone: named when it can be, else the OS's own rules (as on Windows), DST included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.scheduling import Cadence, SystemLocalZone, local_zone, next_due

NY = ZoneInfo("America/New_York")
needs_tzset = pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX-only")


@pytest.fixture
def process_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let a test set TZ for the C library, and put the process back as it was afterwards."""
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_named_tz_is_used_as_zoneinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    zone = local_zone()
    assert isinstance(zone, ZoneInfo) and zone.key == "America/New_York"


def test_without_tz_the_system_zone_has_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TZ", raising=False)
    zone = local_zone()
    assert zone.utcoffset(datetime(2024, 1, 15, 12)) is not None


@needs_tzset
def test_system_local_zone_follows_the_os_rules_across_dst(monkeypatch: pytest.MonkeyPatch, process_tz: None) -> None:
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")  # a POSIX rule: no zoneinfo name to find
    time.tzset()
    zone = local_zone()
    assert isinstance(zone, SystemLocalZone)
    for instant in (
        datetime(2024, 1, 15, 12, tzinfo=UTC),
        datetime(2024, 3, 10, 6, 59, tzinfo=UTC),  # 01:59 EST
        datetime(2024, 3, 10, 7, 0, tzinfo=UTC),  # 03:00 EDT
        datetime(2024, 7, 1, 12, tzinfo=UTC),
        datetime(2024, 11, 3, 7, 30, tzinfo=UTC),  # 02:30 EST, after the repeated hour
    ):
        mine, reference = instant.astimezone(zone), instant.astimezone(NY)
        assert mine.replace(tzinfo=None) == reference.replace(tzinfo=None)
        assert mine.utcoffset() == reference.utcoffset()
        assert mine.astimezone(UTC) == instant
    # The repeated hour (01:30 happens twice): the wall time is right; which offset mktime picks is the C
    # library's call, a limit of the time-module zone that only matters for slots inside that hour.
    second = datetime(2024, 11, 3, 6, 30, tzinfo=UTC).astimezone(zone)
    assert (second.hour, second.minute) == (1, 30)
    summer = datetime(2024, 7, 1, 7, 0, tzinfo=zone)
    assert summer.utcoffset() == timedelta(hours=-4)
    assert summer.tzname() == "EDT"
    # The same due times as with zoneinfo, including the spring-forward day.
    last = datetime(2024, 3, 9, 12, tzinfo=UTC)
    ours = next_due(Cadence.daily("07:00"), last, last, zone)
    theirs = next_due(Cadence.daily("07:00"), last, last, NY)
    assert ours is not None and theirs is not None
    assert ours.astimezone(UTC) == theirs.astimezone(UTC) == datetime(2024, 3, 10, 11, tzinfo=UTC)
