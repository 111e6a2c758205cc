"""Which days count as business days for the month-end cadence.

Mon–Fri by default. Holidays are the extension point: a `BusinessCalendar(holidays=...)` (e.g. from a
per-profile list or a future settings page) is passed down to `next_due` and the `Scheduler`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class BusinessCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_holidays(cls, days: Iterable[date]) -> BusinessCalendar:
        return cls(frozenset(days))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def last_business_day(self, year: int, month: int) -> date:
        day = date(year, month, calendar.monthrange(year, month)[1])
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def business_days_after_month_end(self, year: int, month: int, count: int) -> date:
        """The `count`-th business day after the last calendar day of the month (count >= 1)."""
        day = date(year, month, calendar.monthrange(year, month)[1])
        while count > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count -= 1
        return day


WEEKDAYS_ONLY = BusinessCalendar()
