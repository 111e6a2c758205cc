"""next_due with an injected clock and zone: each cadence, month ends, DST, catch-up once, manual."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.scheduling import BusinessCalendar, Cadence, first_slot_after, is_due, next_due

NY = ZoneInfo("America/New_York")


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NY, fold=fold)


def slot(cadence: Cadence, after: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    found = first_slot_after(cadence, after, NY, calendar or BusinessCalendar())
    assert found is not None
    return found.astimezone(NY)


def test_manual_is_never_due() -> None:
    now = ny(2024, 5, 1, 12)
    assert next_due(Cadence.manual(), None, now, NY) is None
    assert next_due(Cadence.manual(), now - timedelta(days=400), now, NY) is None
    assert not is_due(Cadence.manual(), None, now, NY)


def test_never_synced_is_due_now() -> None:
    now = ny(2024, 5, 1, 12)
    assert next_due(Cadence.daily("07:00"), None, now, NY) == now
    assert is_due(Cadence.daily("07:00"), None, now, NY)


def test_every_hours_counts_from_the_last_success() -> None:
    last = ny(2024, 5, 1, 9, 17)
    assert next_due(Cadence.every_hours(4), last, ny(2024, 5, 1, 10), NY) == ny(2024, 5, 1, 13, 17)
    assert not is_due(Cadence.every_hours(4), last, ny(2024, 5, 1, 13, 16), NY)
    assert is_due(Cadence.every_hours(4), last, ny(2024, 5, 1, 13, 17), NY)


def test_every_hours_is_elapsed_time_across_spring_forward() -> None:
    # 23:00 EST + 4 elapsed hours = 04:00 EDT on the change day (the wall clock skipped 02:00-03:00).
    due = next_due(Cadence.every_hours(4), ny(2024, 3, 9, 23), ny(2024, 3, 10, 1), NY)
    assert due == ny(2024, 3, 10, 4)
    assert due is not None and due.utcoffset() == timedelta(hours=-4)


def test_daily() -> None:
    daily = Cadence.daily("07:00")
    assert slot(daily, ny(2024, 5, 1, 7, 5)) == ny(2024, 5, 2, 7)  # today's run done: tomorrow
    assert slot(daily, ny(2024, 5, 1, 6, 0)) == ny(2024, 5, 1, 7)  # a manual sync at 06:00 does not skip today
    assert slot(daily, ny(2024, 5, 1, 7, 0)) == ny(2024, 5, 2, 7)  # strictly after


def test_daily_across_spring_forward_keeps_the_wall_clock() -> None:
    due = slot(Cadence.daily("07:00"), ny(2024, 3, 9, 7, 10))
    assert due == ny(2024, 3, 10, 7)
    assert due.astimezone(UTC) == datetime(2024, 3, 10, 11, tzinfo=UTC)  # 23 hours after the day before


def test_a_time_in_the_spring_forward_gap_runs_once_an_hour_late() -> None:
    gap = Cadence.daily("02:30")  # 02:30 does not exist in New York on 2024-03-10
    first = slot(gap, ny(2024, 3, 9, 3))
    assert first.astimezone(UTC) == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)  # = 03:30 EDT
    assert (first.hour, first.minute) == (3, 30)
    assert slot(gap, first) == ny(2024, 3, 11, 2, 30)  # not twice on the change day


def test_a_time_in_the_repeated_fall_back_hour_runs_once() -> None:
    repeated = Cadence.daily("01:30")  # 01:30 happens twice in New York on 2024-11-03
    first = slot(repeated, ny(2024, 11, 2, 12))
    assert first.astimezone(UTC) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)  # the first one, EDT
    assert slot(repeated, first) == ny(2024, 11, 4, 1, 30)


def test_weekly() -> None:
    monday = Cadence.weekly("mon", "07:00")
    assert slot(monday, ny(2024, 5, 1, 12)) == ny(2024, 5, 6, 7)  # a Wednesday: next Monday
    assert slot(monday, ny(2024, 5, 6, 6)) == ny(2024, 5, 6, 7)  # Monday before 07:00: today
    assert slot(monday, ny(2024, 5, 6, 7, 1)) == ny(2024, 5, 13, 7)  # Monday after: a week later


def test_custom_times_per_weekday() -> None:
    custom = Cadence.custom({"mon": ["07:00", "13:00"], "fri": ["18:00"]})
    assert slot(custom, ny(2024, 5, 6, 7)) == ny(2024, 5, 6, 13)
    assert slot(custom, ny(2024, 5, 6, 13)) == ny(2024, 5, 10, 18)
    assert slot(custom, ny(2024, 5, 10, 18)) == ny(2024, 5, 13, 7)


def test_custom_times_on_both_sides_of_the_gap_stay_in_order() -> None:
    custom = Cadence.custom({"sun": ["02:30", "03:15"]})  # 02:30 becomes 03:30 EDT, after 03:15
    first = slot(custom, ny(2024, 3, 10, 0))
    assert first == ny(2024, 3, 10, 3, 15)
    assert slot(custom, first) == ny(2024, 3, 10, 3, 30)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (ny(2024, 8, 1), ny(2024, 8, 30, 7)),  # August 2024 ends on a Saturday: Friday the 30th
        (ny(2024, 3, 1), ny(2024, 3, 29, 7)),  # March 2024 ends on a Sunday: Friday the 29th
        (ny(2024, 1, 31, 6), ny(2024, 1, 31, 7)),  # ends on a Wednesday: that day, still ahead
        (ny(2024, 1, 31, 7, 5), ny(2024, 2, 29, 7)),  # done: next is leap February's 29th (a Thursday)
        (ny(2025, 2, 1), ny(2025, 2, 28, 7)),  # February 2025 ends on a Friday
        (ny(2026, 2, 1), ny(2026, 2, 27, 7)),  # February 2026 ends on a Saturday: Friday the 27th
        (ny(2024, 12, 31, 8), ny(2025, 1, 31, 7)),  # December -> January
    ],
)
def test_month_end_last_business_day(after: datetime, expected: datetime) -> None:
    assert slot(Cadence.month_end("07:00"), after) == expected


@pytest.mark.parametrize(
    ("after", "days", "expected"),
    [
        (ny(2024, 1, 15), 2, ny(2024, 2, 2, 7)),  # January ends Wed 31: Thu 1 Feb, Fri 2 Feb
        (ny(2024, 3, 15), 1, ny(2024, 4, 1, 7)),  # March ends on a Sunday: Monday 1 April
        (ny(2024, 3, 15), 2, ny(2024, 4, 2, 7)),
        (ny(2024, 8, 15), 1, ny(2024, 9, 2, 7)),  # August ends Sat 31: skips Sun 1 Sep
        (ny(2024, 12, 15), 1, ny(2025, 1, 1, 7)),  # December -> January (no holiday list: Jan 1 is a Wednesday)
        (ny(2024, 2, 15), 1, ny(2024, 3, 1, 7)),  # leap February ends Thu 29: Friday 1 March
        (ny(2024, 2, 2, 7, 5), 2, ny(2024, 3, 4, 7)),  # January's close done: February's (Mon 4 Mar)
        (ny(2024, 2, 1, 12), 2, ny(2024, 2, 2, 7)),  # between month end and the close: this one still ahead
    ],
)
def test_month_end_business_days_after(after: datetime, days: int, expected: datetime) -> None:
    assert slot(Cadence.month_end("07:00", business_days_after=days), after) == expected


def test_month_end_holiday_hook() -> None:
    holidays = BusinessCalendar.with_holidays([date(2025, 1, 1), date(2024, 12, 31)])
    close = Cadence.month_end("07:00", business_days_after=1)
    assert slot(close, ny(2024, 12, 15), holidays) == ny(2025, 1, 2, 7)
    assert slot(Cadence.month_end("07:00"), ny(2024, 12, 15), holidays) == ny(2024, 12, 30, 7)


def test_a_week_off_is_caught_up_once() -> None:
    daily = Cadence.daily("07:00")
    last = ny(2024, 5, 6, 7, 10)  # Monday's run
    back = ny(2024, 5, 13, 9, 0)  # the PC comes back the next Monday: six 07:00 slots were missed
    assert next_due(daily, last, back, NY) == back  # due now...
    done = back + timedelta(minutes=10)
    assert next_due(daily, done, done, NY) == ny(2024, 5, 14, 7)  # ...once: then tomorrow, not six more
    assert not is_due(daily, done, done + timedelta(minutes=1), NY)


def test_month_end_missed_while_off_is_caught_up_on_return() -> None:
    close = Cadence.month_end("07:00")
    back = ny(2024, 9, 3, 8)  # off from before Aug 30 until after it
    assert next_due(close, ny(2024, 7, 31, 7, 5), back, NY) == back


def test_results_are_in_the_given_zone_and_naive_times_are_refused() -> None:
    noon_utc = datetime(2024, 5, 1, 12, tzinfo=UTC)
    due = next_due(Cadence.daily("07:00"), noon_utc, noon_utc, NY)
    assert due is not None and due.tzinfo is NY and due == ny(2024, 5, 2, 7)
    with pytest.raises(ValueError, match="naive"):
        next_due(Cadence.daily("07:00"), datetime(2024, 5, 1, 12), ny(2024, 5, 1, 12), NY)
    with pytest.raises(ValueError, match="naive"):
        next_due(Cadence.daily("07:00"), None, datetime(2024, 5, 1, 12), NY)
