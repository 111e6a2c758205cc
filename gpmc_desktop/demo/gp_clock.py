"""The simulated GP server's clock.

GP stamps MODIFDT/CREATDDT/document dates with the server's *local* date (date-only) and DEX_ROW_TS with
``GETUTCDATE()``.  Tests need both to be injectable and advanceable, and the live demo needs them to follow
real time; one class does both.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

DEFAULT_START = dt.datetime(2024, 6, 14, 9, 30, 0)  # a Friday morning; any fixed instant keeps seeds reproducible
DEFAULT_UTC_OFFSET = dt.timedelta(hours=-5)  # US Central (daylight): a distributor in Chicago


class SimClock:
    """Local wall time of the GP server, frozen (tests) or running (demo), plus an advance offset.

    The UTC offset is fixed (no DST switching) because only the date boundary matters to the sync.
    """

    def __init__(
        self,
        start: dt.datetime | None = None,
        utc_offset: dt.timedelta = DEFAULT_UTC_OFFSET,
        frozen: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self.utc_offset = utc_offset
        self.frozen = frozen
        self._start = (start or DEFAULT_START).replace(tzinfo=None)
        self._real_start = time.monotonic()
        self._advanced = dt.timedelta()

    @classmethod
    def running(cls, utc_offset: dt.timedelta | None = None) -> SimClock:
        """A clock that follows the machine's local time (for the live demo)."""
        local = dt.datetime.now().astimezone()
        offset = utc_offset if utc_offset is not None else (local.utcoffset() or dt.timedelta())
        return cls(start=local.replace(tzinfo=None), utc_offset=offset, frozen=False)

    def now(self) -> dt.datetime:
        """Naive local server time."""
        with self._lock:
            elapsed = dt.timedelta() if self.frozen else dt.timedelta(seconds=time.monotonic() - self._real_start)
            return self._start + elapsed + self._advanced

    def today(self) -> dt.date:
        return self.now().date()

    def utcnow(self) -> dt.datetime:
        """Naive UTC, millisecond precision, like ``GETUTCDATE()`` read back from a datetime column."""
        t = self.now() - self.utc_offset
        return t.replace(microsecond=t.microsecond // 1000 * 1000)

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> None:
        with self._lock:
            self._advanced += dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def set(self, local: dt.datetime) -> None:
        """Jump to a local instant (keeps running if the clock is not frozen)."""
        with self._lock:
            self._start = local.replace(tzinfo=None)
            self._real_start = time.monotonic()
            self._advanced = dt.timedelta()
