"""GP business dates as Mailchimp date-times that show on the same calendar day in the company's time zone.

GP dates carry no time and no zone: an invoice dated 1 March was issued on 1 March wherever the company is.
Mailchimp wants an instant (ISO 8601 with an offset) and shows it in the account's zone, so midnight UTC shows as
the day before anywhere west of UTC.  Noon local time is the instant furthest from both ends of the day, and it
is sent with the offset in force on that date in that zone (DST included).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gpmc_desktop.scheduling.zones import local_zone

BUSINESS_TIME = dt.time(12)


def company_zone(name: str | None) -> dt.tzinfo:
    """The zone a profile's ``[gp] time_zone`` names (the schema checked the name), or this computer's."""
    return ZoneInfo(name) if name else local_zone()


def today(zone: dt.tzinfo) -> dt.date:
    return dt.datetime.now(zone).date()


def foreign_timestamp(day: dt.date, zone: dt.tzinfo) -> str:
    """*day* at noon in *zone*, with that day's offset: ``2024-03-10T12:00:00-07:00`` in Los Angeles."""
    moment = dt.datetime.combine(day, BUSINESS_TIME, tzinfo=zone)
    try:
        return moment.isoformat()
    except (OverflowError, OSError, ValueError):
        # The time-module fallback zone cannot place dates before 1970 on Windows; noon UTC is the same day for
        # every zone within 12 hours of it, which is nearly all of them.
        return moment.replace(tzinfo=dt.UTC).isoformat()


def hashed_timestamp(stamp: str, zone: dt.tzinfo) -> str:
    """What the content hash sees for a date-time this module wrote.

    Orders synced with midnight UTC of their date must not all be sent again for an hour nobody sees: where that
    instant is already on the same calendar day in *zone* (UTC and every zone east of it), the hash takes it
    instead of noon, so their hash is unchanged.  West of UTC it showed the day before, so there the hash
    differs and such an order is sent once more, onto its own day."""
    day = dt.date.fromisoformat(stamp[:10])
    midnight_utc = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    try:
        same_day = midnight_utc.astimezone(zone).date() == day
    except (OverflowError, OSError, ValueError):
        same_day = False
    return midnight_utc.isoformat() if same_day else stamp
