"""When is a profile due? Pure functions of the cadence, the last success and the time: no state anywhere.

The last *successful* run (from the database) is the truth.  The first scheduled slot after it is the next
due time; if that slot has already passed (the PC was off, asleep, or the app closed), the profile is due
now, and only once: the run that follows moves the last success past every missed slot.

Wall-clock slots are built in the given zone and compared in UTC, because Python compares two datetimes that
share a tzinfo by their wall clocks, which is wrong across a DST change.  A slot that falls in the
spring-forward gap (02:30 on the New York change day) runs at the same instant zoneinfo gives it: 03:30 EDT,
once; one in the repeated fall-back hour runs at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from gpmc_desktop.scheduling.business_days import WEEKDAYS_ONLY, BusinessCalendar
from gpmc_desktop.scheduling.cadence import CUSTOM, DAILY, EVERY_HOURS, MANUAL, MONTH_END, WEEKLY, Cadence
from gpmc_desktop.scheduling.zones import local_zone


def aware(value: datetime, what: str = "time") -> datetime:
    """`value` in UTC; a naive datetime is refused because its zone would be a guess."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive datetime for {what} ({value!r}): pass a timezone-aware datetime")
    return value.astimezone(UTC)


def _at(day: date, at: object, tz: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]


def _day_slots(cadence: Cadence, day: date, tz: tzinfo) -> list[datetime]:
    if cadence.kind == DAILY or (cadence.kind == WEEKLY and day.weekday() == cadence.weekday):
        return [_at(day, cadence.at, tz)]
    if cadence.kind == CUSTOM:
        return [_at(day, t, tz) for t in cadence.times[day.weekday()]]
    return []


def _month_end_day(cadence: Cadence, year: int, month: int, cal: BusinessCalendar) -> date:
    n = cadence.business_days_after
    return cal.last_business_day(year, month) if n == 0 else cal.business_days_after_month_end(year, month, n)


def first_slot_after(
    cadence: Cadence, after: datetime, tz: tzinfo | None = None, calendar: BusinessCalendar = WEEKDAYS_ONLY
) -> datetime | None:
    """The first scheduled instant strictly after `after` (UTC), or None for a manual cadence."""
    after = aware(after, "after")
    if cadence.kind == MANUAL:
        return None
    if cadence.kind == EVERY_HOURS:
        return after + timedelta(hours=cadence.hours or 0)  # elapsed hours: DST does not stretch them
    tz = local_zone() if tz is None else tz
    start = after.astimezone(tz).date() - timedelta(days=1)  # a day early: a slot's UTC date may differ
    candidates: list[datetime] = []
    if cadence.kind == MONTH_END:
        # Month M's slot lies in M (last business day) or M+1 (N days after): look at the months around.
        for offset in range(-1, 3):
            y, m = divmod(start.year * 12 + start.month - 1 + offset, 12)
            candidates.append(_at(_month_end_day(cadence, y, m + 1, calendar), cadence.at, tz))
    else:
        # Weekly and custom repeat within 7 days; 9 covers the early start and a DST-shifted edge.
        for offset in range(9):
            candidates.extend(_day_slots(cadence, start + timedelta(days=offset), tz))
    later = [slot for slot in candidates if slot > after]
    if not later:  # pragma: no cover - every valid cadence has a slot in that window
        raise RuntimeError(f"no slot found after {after} for {cadence}")
    return min(later)


def next_due(
    cadence: Cadence,
    last_success: datetime | None,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: BusinessCalendar = WEEKDAYS_ONLY,
) -> datetime | None:
    """When the profile is next due, in `tz` (default: the computer's zone); None if it never runs on its own.

    Never synced: due now.  A missed slot (or several): due now, once.  Otherwise the first slot after the
    last success.  Pass the *finish* time of the last successful run, so a long run does not count its own
    slot as missed."""
    tz = local_zone() if tz is None else tz
    now_utc = aware(now, "now")
    if cadence.kind == MANUAL:
        return None
    if last_success is None:
        return now_utc.astimezone(tz)
    slot = first_slot_after(cadence, last_success, tz, calendar)
    assert slot is not None
    return max(slot, now_utc).astimezone(tz)


def is_due(
    cadence: Cadence,
    last_success: datetime | None,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: BusinessCalendar = WEEKDAYS_ONLY,
) -> bool:
    due = next_due(cadence, last_success, now, tz, calendar)
    return due is not None and due <= aware(now, "now")
