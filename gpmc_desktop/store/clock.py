"""UTC time in one text form, so stored timestamps sort and compare as plain strings.

Every timestamp is written as ISO 8601 with microseconds and an explicit ``+00:00`` offset, e.g.
``2025-03-01T09:30:00.000000+00:00``: fixed width, so SQL ``<``/``ORDER BY`` on the text is chronological.
Functions that depend on the time take ``now=`` so tests (and the engine) inject the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are refused because their zone is a guess."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
    return value.astimezone(UTC)


def to_iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    # Rows written by hand or by an older build without an offset are taken as UTC, never as local time.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def resolve_now(now: datetime | None) -> datetime:
    """The injected time in UTC, or the real one."""
    return utc_now() if now is None else as_utc(now)
