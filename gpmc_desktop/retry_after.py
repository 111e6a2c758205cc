"""The wait a server asks for with ``Retry-After``, and how it fits into a retry loop's deadline.

Shared by the GP and Mailchimp clients.  A server that sends the header knows better than our backoff when it
will take the request again; one that sends none (Mailchimp documents none) or sends nonsense gets the backoff.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

_DELTA_SECONDS = re.compile(r"\d+")  # RFC 9110 delta-seconds: digits only, no sign, no fraction


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header *value* (delta-seconds or an HTTP-date, read
    against *now*), 0 for a date already past, or None when the header is absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)  # all three HTTP-date forms: IMF-fixdate, RFC 850, asctime
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # asctime carries no zone; HTTP-dates are always GMT
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def next_wait(backoff: float, asked: float | None, *, cap: float, remaining: float) -> float | None:
    """How long to sleep before the next attempt, or None to stop retrying now.

    *asked* is the server's Retry-After in seconds (None: use the *backoff*).  It is honoured up to *cap*; when
    that does not fit in the *remaining* time before the deadline the retries stop, since trying sooner than
    asked only earns another refusal and waiting longer breaks the deadline.  The backoff is our own guess, so
    it is simply cut to what remains."""
    if asked is None:
        return max(0.0, min(backoff, remaining))
    wait = min(asked, cap)
    return wait if wait <= remaining else None
