"""When profiles sync on their own. Qt-free.

    cadence = Cadence.from_dict(profile.schedule)      # the profile's `schedule` JSON dict
    cadence.describe()                                  # "Month-end close: last business day of the month, 07:00"
    next_due(cadence, last_success, now, tz)            # pure: from the last success in the database
    Scheduler(profiles, last_success=..., on_due=..., is_running=...).start()

Modules: `cadence` (the kinds and their JSON), `due` (next due times), `business_days` (Mon–Fri plus a
holiday hook), `zones` (the computer's zone with its DST rules), `scheduler` (the ticker).
"""

from __future__ import annotations

from gpmc_desktop.scheduling.business_days import WEEKDAYS_ONLY, BusinessCalendar
from gpmc_desktop.scheduling.cadence import KINDS, Cadence, CadenceError
from gpmc_desktop.scheduling.due import first_slot_after, is_due, next_due
from gpmc_desktop.scheduling.scheduler import Scheduler
from gpmc_desktop.scheduling.zones import SystemLocalZone, local_zone

__all__ = [
    "KINDS",
    "WEEKDAYS_ONLY",
    "BusinessCalendar",
    "Cadence",
    "CadenceError",
    "Scheduler",
    "SystemLocalZone",
    "first_slot_after",
    "is_due",
    "local_zone",
    "next_due",
]
