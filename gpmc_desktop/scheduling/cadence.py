"""`Cadence`: when a profile syncs on its own, stored as the profile's `schedule` JSON dict.

    {"kind": "manual"}                                              never on its own (the default: {})
    {"kind": "every_hours", "hours": 4}                             4 hours after the last success
    {"kind": "daily", "at": "07:00"}
    {"kind": "weekly", "weekday": "mon", "at": "07:00"}
    {"kind": "month_end", "at": "07:00", "business_days_after": 0}  0: the last business day of the month;
                                                                    N: the Nth business day after month end
    {"kind": "custom", "times": {"mon": ["07:00", "13:00"], "fri": ["18:00"]}}

Times are wall-clock "HH:MM" in the computer's zone.  The keys are a stored contract: extend, never rename.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Final

MANUAL: Final = "manual"
EVERY_HOURS: Final = "every_hours"
DAILY: Final = "daily"
WEEKLY: Final = "weekly"
MONTH_END: Final = "month_end"
CUSTOM: Final = "custom"
KINDS: Final = (MANUAL, EVERY_HOURS, DAILY, WEEKLY, MONTH_END, CUSTOM)

DAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_HOURS: Final = 24 * 7
MAX_BUSINESS_DAYS_AFTER: Final = 10  # stays inside the next month (every month has 20+ business days)

_KEYS_BY_KIND: Final = {
    MANUAL: {"kind"},
    EVERY_HOURS: {"kind", "hours"},
    DAILY: {"kind", "at"},
    WEEKLY: {"kind", "weekday", "at"},
    MONTH_END: {"kind", "at", "business_days_after"},
    CUSTOM: {"kind", "times"},
}


class CadenceError(ValueError):
    """A schedule that cannot be used; the message names the key and what is expected."""


def parse_time(value: object, where: str = "time") -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        hh, sep, mm = value.strip().partition(":")
        if sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and 0 <= int(hh) <= 23 and 0 <= int(mm) <= 59:
            return time(int(hh), int(mm))
    raise CadenceError(f"{where}: expected a time of day as HH:MM (00:00 to 23:59), got {value!r}")


def parse_weekday(value: object, where: str = "weekday") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        key = value.strip().lower()[:3]
        if key in DAY_KEYS and DAY_NAMES[DAY_KEYS.index(key)].lower().startswith(value.strip().lower()):
            return DAY_KEYS.index(key)
    raise CadenceError(f"{where}: expected a weekday (mon … sun, or 0 = Monday … 6 = Sunday), got {value!r}")


def hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _and_join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _day_runs(days: list[int]) -> str:
    """[0,1,2,3,4] -> "Mon–Fri"; [0,2,4] -> "Mon, Wed, Fri"; runs of three or more are spans."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_KEYS[run[0]].title()}–{DAY_KEYS[run[-1]].title()}")
        else:
            parts.extend(DAY_KEYS[d].title() for d in run)
    return ", ".join(parts)


@dataclass(frozen=True)
class Cadence:
    """One profile's cadence. Build it with the class methods; fields not used by `kind` stay at defaults."""

    kind: str = MANUAL
    hours: int | None = None
    at: time | None = None
    weekday: int | None = None
    business_days_after: int = 0
    times: tuple[tuple[time, ...], ...] = ()  # custom: seven sorted tuples, Monday first

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def manual(cls) -> Cadence:
        return cls(MANUAL)

    @classmethod
    def every_hours(cls, hours: int) -> Cadence:
        return cls(EVERY_HOURS, hours=hours)

    @classmethod
    def daily(cls, at: str | time) -> Cadence:
        return cls(DAILY, at=parse_time(at, "at"))

    @classmethod
    def weekly(cls, weekday: str | int, at: str | time) -> Cadence:
        return cls(WEEKLY, weekday=parse_weekday(weekday), at=parse_time(at, "at"))

    @classmethod
    def month_end(cls, at: str | time, business_days_after: int = 0) -> Cadence:
        return cls(MONTH_END, at=parse_time(at, "at"), business_days_after=business_days_after)

    @classmethod
    def custom(cls, times: Mapping[str | int, Iterable[str | time]]) -> Cadence:
        """Times per weekday, e.g. {"mon": ["07:00", "13:00"], "fri": ["18:00"]}."""
        if not isinstance(times, Mapping):
            raise CadenceError("times: expected a table of weekday -> list of HH:MM times")
        per_day: list[set[time]] = [set() for _ in DAY_KEYS]
        for day, day_times in times.items():
            index = parse_weekday(day, "times")
            if isinstance(day_times, str | time) or not isinstance(day_times, Iterable):
                raise CadenceError(f"times.{DAY_KEYS[index]}: expected a list of HH:MM times")
            per_day[index].update(parse_time(t, f"times.{DAY_KEYS[index]}") for t in day_times)
        return cls(CUSTOM, times=tuple(tuple(sorted(day)) for day in per_day))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CadenceError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        used = _KEYS_BY_KIND[self.kind]
        defaults = {"hours": None, "at": None, "weekday": None, "business_days_after": 0, "times": ()}
        stray = [name for name, default in defaults.items() if name not in used and getattr(self, name) != default]
        if stray:
            raise CadenceError(f"a {self.kind} schedule does not use {', '.join(stray)}")
        if self.kind == EVERY_HOURS and not (
            isinstance(self.hours, int) and not isinstance(self.hours, bool) and 1 <= self.hours <= MAX_HOURS
        ):
            raise CadenceError(f"hours: expected a whole number from 1 to {MAX_HOURS}, got {self.hours!r}")
        if self.kind in (DAILY, WEEKLY, MONTH_END) and not isinstance(self.at, time):
            raise CadenceError("at: a time of day (HH:MM) is required")
        if self.kind == WEEKLY:
            parse_weekday(self.weekday)
        if self.kind == MONTH_END:
            n = self.business_days_after
            if not (isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_BUSINESS_DAYS_AFTER):
                raise CadenceError(
                    f"business_days_after: expected 0 (the last business day) to {MAX_BUSINESS_DAYS_AFTER}, got {n!r}"
                )
        if self.kind == CUSTOM and (len(self.times) != 7 or not any(self.times)):
            raise CadenceError("times: a custom schedule needs at least one time on one weekday")

    # -- the profile's `schedule` dict ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == EVERY_HOURS:
            out["hours"] = self.hours
        if self.kind == WEEKLY:
            assert self.weekday is not None
            out["weekday"] = DAY_KEYS[self.weekday]
        if self.at is not None:
            out["at"] = hhmm(self.at)
        if self.kind == MONTH_END:
            out["business_days_after"] = self.business_days_after
        if self.kind == CUSTOM:
            out["times"] = {DAY_KEYS[d]: [hhmm(t) for t in ts] for d, ts in enumerate(self.times) if ts}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Cadence:
        """Parse a stored `schedule` dict; an empty one (a profile's default) is manual."""
        if not data:
            return cls.manual()
        if not isinstance(data, Mapping):
            raise CadenceError("schedule: expected a table of keys")
        kind = data.get("kind")
        if kind not in KINDS:
            raise CadenceError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        unknown = sorted(set(data) - _KEYS_BY_KIND[kind])
        if unknown:
            raise CadenceError(f"a {kind} schedule does not use {', '.join(unknown)}")
        if kind == MANUAL:
            return cls.manual()
        if kind == EVERY_HOURS:
            return cls.every_hours(data.get("hours"))  # type: ignore[arg-type]  (validated in __post_init__)
        if kind == DAILY:
            return cls.daily(parse_time(data.get("at"), "at"))
        if kind == WEEKLY:
            return cls.weekly(parse_weekday(data.get("weekday")), parse_time(data.get("at"), "at"))
        if kind == MONTH_END:
            return cls.month_end(parse_time(data.get("at"), "at"), data.get("business_days_after", 0))
        return cls.custom(data.get("times"))  # type: ignore[arg-type]

    # -- plain words ----------------------------------------------------------------------------------------

    def describe(self) -> str:
        if self.kind == MANUAL:
            return "Manual only: syncs when you click Sync now"
        if self.kind == EVERY_HOURS:
            return "Every hour" if self.hours == 1 else f"Every {self.hours} hours"
        assert self.kind == CUSTOM or self.at is not None
        if self.kind == DAILY:
            return f"Every day at {hhmm(self.at)}"  # type: ignore[arg-type]
        if self.kind == WEEKLY:
            return f"Every {DAY_NAMES[self.weekday]} at {hhmm(self.at)}"  # type: ignore[arg-type,index]
        if self.kind == MONTH_END:
            n = self.business_days_after
            when = (
                "last business day of the month"
                if n == 0
                else f"{n} business day{'s' if n > 1 else ''} after the last day of the month"
            )
            return f"Month-end close: {when}, {hhmm(self.at)}"  # type: ignore[arg-type]
        return self._describe_custom()

    def _describe_custom(self) -> str:
        groups: dict[tuple[time, ...], list[int]] = {}
        for day, day_times in enumerate(self.times):
            if day_times:
                groups.setdefault(day_times, []).append(day)
        parts = []
        for day_times, days in groups.items():
            at = _and_join([hhmm(t) for t in day_times])
            parts.append(f"Every day at {at}" if len(days) == 7 else f"{_day_runs(days)} at {at}")
        return "; ".join(parts)
