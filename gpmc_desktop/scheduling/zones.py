"""The computer's time zone, with its daylight-saving rules (not just today's offset).

Due times are wall-clock times ("07:00"), so they need the zone's rules: `datetime.now().astimezone()` only
gives a fixed offset that is wrong after the next DST change.  zoneinfo is used where the zone can be named
or read: TZ, /etc/localtime, and on Windows the IANA name of its zone setting, which the ICU library shipped
with Windows 10 (1903) and later knows (zoneinfo reads the rules from the tzdata package there).  Failing
that, the OS's own rules are used through the `time` module.  Everything that takes a zone accepts any tzinfo
(tests inject ZoneInfo("America/New_York")).
"""

from __future__ import annotations

import ctypes
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


def icu_default_zone(library: str, symbol_suffix: str = "") -> str | None:
    """The IANA name of the system's zone as the ICU *library* sees it, or None when it cannot say.

    *symbol_suffix*: ICU builds outside Windows version their symbols (``ucal_getDefaultTimeZone_72``)."""
    try:
        get_zone = getattr(ctypes.CDLL(library), f"ucal_getDefaultTimeZone{symbol_suffix}")
    except (OSError, AttributeError):
        return None
    # int32_t ucal_getDefaultTimeZone(UChar* result, int32_t capacity, UErrorCode* status); UChar is UTF-16.
    get_zone.restype = ctypes.c_int32
    get_zone.argtypes = [ctypes.POINTER(ctypes.c_uint16), ctypes.c_int32, ctypes.POINTER(ctypes.c_int)]
    result = (ctypes.c_uint16 * 128)()
    status = ctypes.c_int(0)
    length = get_zone(result, len(result), ctypes.byref(status))
    if status.value > 0 or not 0 < length < len(result):  # ICU errors are positive, warnings negative
        return None
    return bytes(result)[: 2 * length].decode("utf-16-le")


def _windows_zone() -> ZoneInfo | None:
    # From System32 by full path, so no ICU elsewhere on the search path is loaded instead; icu.dll since
    # Windows 10 1903, icuin.dll before.
    system32 = os.path.join(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32")
    for dll in ("icu.dll", "icuin.dll"):
        name = icu_default_zone(os.path.join(system32, dll))
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                return None  # "Etc/Unknown", or no tzdata package: the time module's rules still apply
    return None


def local_zone() -> tzinfo:
    """The zone due times are computed in, unless a caller injects one."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a POSIX rule string such as "EST5EDT,M3.2.0,M11.1.0": the C library understands it
    elif os.name == "nt":
        found = _windows_zone()
        if found is not None:
            return found
    else:
        try:
            with open("/etc/localtime", "rb") as f:
                return ZoneInfo.from_file(f, key="localtime")
        except (OSError, ValueError):
            pass
    return SystemLocalZone()
