"""The computer's time zone, with its daylight-saving rules (not just today's offset).

Due times are wall-clock times ("07:00"), so they need the zone's rules: `datetime.now().astimezone()` only
gives a fixed offset that is wrong after the next DST change.  zoneinfo is used where the zone can be named
or read (TZ, /etc/localtime); Windows has no IANA database without the tzdata package, so there the OS's own
rules are used through the `time` module.  Everything that takes a zone accepts any tzinfo (tests inject
ZoneInfo("America/New_York")).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SystemLocalZone(tzinfo):
    """The OS's local zone via mktime/localtime: correct DST on every platform, no database needed."""

    def _local_struct(self, dt: datetime) -> time.struct_time:
        # isdst=-1: let the C library decide whether DST applies at that wall time.
        stamp = time.mktime((dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.weekday(), 0, -1))
        return time.localtime(stamp)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        struct = time.localtime() if dt is None else self._local_struct(dt)
        return timedelta(seconds=struct.tm_gmtoff)

    def dst(self, dt: datetime | None) -> timedelta | None:
        struct = time.localtime() if dt is None else self._local_struct(dt)
        return timedelta(hours=1) if struct.tm_isdst > 0 else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return (time.localtime() if dt is None else self._local_struct(dt)).tm_zone

    def fromutc(self, dt: datetime) -> datetime:
        struct = time.localtime((dt.replace(tzinfo=UTC) - _EPOCH).total_seconds())
        return datetime(*struct[:6], microsecond=dt.microsecond, tzinfo=self)

    def __repr__(self) -> str:
        return "SystemLocalZone()"


def local_zone() -> tzinfo:
    """The zone due times are computed in, unless a caller injects one."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a POSIX rule string such as "EST5EDT,M3.2.0,M11.1.0": the C library understands it
    if os.name != "nt" and not name:
        try:
            with open("/etc/localtime", "rb") as f:
                return ZoneInfo.from_file(f, key="localtime")
        except (OSError, ValueError):
            pass
    return SystemLocalZone()
