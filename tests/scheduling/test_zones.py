"""The computer's zone: named when it can be, else the OS's own rules (as on Windows), DST included."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.scheduling import Cadence, SystemLocalZone, local_zone, next_due
from gpmc_desktop.scheduling.zones import icu_default_zone

NY = ZoneInfo("America/New_York")
needs_tzset = pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX-only")
ICU = None if os.name == "nt" else ctypes.util.find_library("icui18n")  # libicui18n.so.72
needs_icu = pytest.mark.skipif(ICU is None or ".so." not in ICU, reason="no versioned system ICU library")


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


@needs_icu
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland", "UTC"])
def test_icu_names_the_system_zone(zone: str) -> None:
    # The call Windows' own icu.dll answers, made to this system's ICU (whose symbols carry its version), in a
    # process of its own: ICU reads the system zone once per process.
    assert ICU is not None
    suffix = "_" + ICU.rsplit(".so.", 1)[1].split(".")[0]
    code = f"from gpmc_desktop.scheduling.zones import icu_default_zone; print(icu_default_zone({ICU!r}, {suffix!r}))"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TZ": zone}, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == zone
    assert ZoneInfo(zone).key == zone  # what local_zone() then builds on Windows


def test_an_icu_that_is_missing_or_lacks_the_call_names_nothing() -> None:
    assert icu_default_zone("no-such-icu.dll") is None
    assert icu_default_zone(ICU or ("msvcrt.dll" if os.name == "nt" else "libc.so.6"), "_0") is None


@pytest.mark.skipif(os.name != "nt", reason="Windows' own ICU and the tzdata package")
def test_on_windows_the_zone_setting_becomes_a_named_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TZ", raising=False)
    zone = local_zone()
    assert isinstance(zone, ZoneInfo)
    now = datetime.now(UTC)
    assert now.astimezone(zone).utcoffset() == now.astimezone().utcoffset()
