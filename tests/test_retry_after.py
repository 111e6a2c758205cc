"""Reading Retry-After (both forms of RFC 9110 §10.2.3) and fitting its wait into a retry deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from gpmc_desktop.retry_after import next_wait, retry_after_seconds

NOW = dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Mon, 03 Feb 2031 04:05:16 GMT", 10.0),  # IMF-fixdate
        ("Monday, 03-Feb-31 04:05:36 GMT", 30.0),  # RFC 850
        ("Mon Feb  3 04:06:06 2031", 60.0),  # asctime, no zone: GMT
        ("Mon, 03 Feb 2031 04:00:00 GMT", 0.0),  # already past
    ],
)
def test_both_forms_give_the_seconds_to_wait(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, NOW) == seconds


def test_a_date_is_read_against_the_clock_given() -> None:
    assert retry_after_seconds("Mon, 03 Feb 2031 04:05:16 GMT", NOW - dt.timedelta(seconds=5)) == 15.0
    assert retry_after_seconds("Mon, 03 Feb 2031 04:05:16 GMT", NOW.replace(tzinfo=None)) == 10.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "+3", "Mon, 32 Feb 2031 04:05:16 GMT"])
def test_absent_or_unreadable_is_none(header: str | None) -> None:
    assert retry_after_seconds(header, NOW) is None


def test_without_a_header_the_backoff_is_cut_to_what_remains() -> None:
    assert next_wait(4.0, None, cap=30.0, remaining=10.0) == 4.0
    assert next_wait(4.0, None, cap=30.0, remaining=1.5) == 1.5
    assert next_wait(4.0, None, cap=30.0, remaining=-1.0) == 0.0


def test_the_server_is_honoured_up_to_the_cap_and_never_past_the_deadline() -> None:
    assert next_wait(0.1, 7.0, cap=30.0, remaining=31.0) == 7.0
    assert next_wait(0.1, 0.0, cap=30.0, remaining=31.0) == 0.0
    assert next_wait(0.1, 3600.0, cap=30.0, remaining=31.0) == 30.0
    assert next_wait(0.1, 7.0, cap=30.0, remaining=6.0) is None  # sooner than asked would only be refused again
    assert next_wait(0.1, 3600.0, cap=30.0, remaining=29.0) is None
