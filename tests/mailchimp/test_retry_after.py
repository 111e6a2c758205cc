"""The Mailchimp transport waits what a 429 or 503's Retry-After says, over real sockets to the simulator.

Every wait goes through an injected ``sleep`` that records it (and how many requests had gone out by then), and
an HTTP-date is read against an injected clock, so the waits are exact and nothing waits for real.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest

from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from tests.demo.mailchimp_support import KEY, LIST

NOW = dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
POLICY = RetryPolicy()  # the shipped one: 6 attempts, 0.5 s doubling, 30 s ceiling
assert POLICY.deadline == 31.0  # 1 + 2 + 4 + 8 + 16: the most the backoff alone could sleep


class Ceiling(random.Random):
    """The top of every jitter window, so a backoff sleep is exactly its window."""

    def uniform(self, a: float, b: float) -> float:
        return b


class Recorder:
    """An injected sleep: what it was asked to wait, and how many requests had been sent by then."""

    def __init__(self) -> None:
        self.transport: MailchimpTransport | None = None
        self.waits: list[float] = []
        self.sent: list[int] = []

    def __call__(self, seconds: float) -> None:
        assert self.transport is not None
        self.waits.append(seconds)
        self.sent.append(self.transport.requests_sent)


@pytest.fixture(autouse=True)
def _fresh(mailchimp_sim: MailchimpSimulator) -> Iterator[None]:
    mailchimp_sim.faults.clear()
    mailchimp_sim.reset_counters()
    yield
    mailchimp_sim.faults.clear()
    assert mailchimp_sim.contract_violations == []


@pytest.fixture
def sleep() -> Recorder:
    return Recorder()


@pytest.fixture
def api(mailchimp_sim: MailchimpSimulator, sleep: Recorder) -> Iterator[MailchimpApi]:
    transport = MailchimpTransport(mailchimp_sim.api_base, KEY, retry=POLICY, sleep=sleep, rng=Ceiling(),
                                   clock=lambda: NOW)
    sleep.transport = transport
    yield MailchimpApi(transport)
    transport.close()


def pings(sim: MailchimpSimulator) -> int:
    return sim.request_counts().get(("GET", "/ping"), 0)


@pytest.mark.parametrize("status", [429, 503])
def test_delta_seconds_are_waited_before_the_next_attempt(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder, status: int
) -> None:
    mailchimp_sim.faults.fail_next(2, status, retry_after=3)
    assert api.ping()
    assert sleep.waits == [3.0, 3.0]  # not the backoff's 1 s and 2 s
    assert sleep.sent == [1, 2]  # each wait came after a refusal and before the next attempt
    assert api.t.retries == 2


@pytest.mark.parametrize("status", [429, 503])
def test_an_http_date_is_waited_until(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder, status: int
) -> None:
    mailchimp_sim.faults.fail_next(1, status, retry_after=NOW + dt.timedelta(seconds=7))
    assert api.ping()
    assert sleep.waits == [7.0]


def test_a_date_already_past_retries_at_once(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder
) -> None:
    mailchimp_sim.faults.fail_next(1, 429, retry_after=NOW - dt.timedelta(minutes=5))
    assert api.ping()
    assert sleep.waits == [0.0]


def test_a_long_wait_is_capped_at_the_backoff_ceiling(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder
) -> None:
    mailchimp_sim.faults.fail_next(1, 503, retry_after=3600)
    assert api.ping()
    assert sleep.waits == [POLICY.max_delay]


def test_a_wait_that_does_not_fit_the_deadline_ends_the_retries(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder
) -> None:
    # 20 s fits in the 31 s deadline once; the second 20 s would not, and trying after 11 s would be refused.
    mailchimp_sim.faults.fail_next(3, 429, retry_after=20)
    with pytest.raises(MailchimpError) as caught:
        api.ping()
    assert caught.value.status == 429 and caught.value.retry_after == 20.0
    assert sleep.waits == [20.0]
    assert api.t.requests_sent == 2 and pings(mailchimp_sim) == 0


def test_the_whole_request_never_sleeps_past_the_deadline(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every request is over the connection limit, and every 429 asks for 7 s: four waits fit, the fifth would not.
    monkeypatch.setattr(mailchimp_sim.config, "connection_limit", 0)
    monkeypatch.setattr(mailchimp_sim.config, "retry_after", 7)
    with pytest.raises(MailchimpError) as caught:
        api.ping()
    assert caught.value.status == 429
    assert sleep.waits == [7.0, 7.0, 7.0, 7.0]
    assert mailchimp_sim.rejected_for_concurrency == 5


@pytest.mark.parametrize("header", [None, "soon", "-5", "2.5", "Mon, 32 Feb 2031 04:05:16 GMT"])
def test_without_a_readable_header_the_backoff_applies(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder, header: str | None
) -> None:
    mailchimp_sim.faults.fail_next(3, 429, retry_after=header)
    assert api.ping()
    assert sleep.waits == [1.0, 2.0, 4.0]  # the backoff's windows (the jitter pinned to their tops)


def test_retry_after_on_other_statuses_is_not_a_wait(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder
) -> None:
    # A 500 or 502 says nothing about when the server is back; the header, if a proxy adds one, is ignored.
    mailchimp_sim.faults.fail_next(1, 500, retry_after=9)
    mailchimp_sim.faults.fail_next(1, 502, bodyless=True, retry_after=9)
    assert api.ping()
    assert sleep.waits == [1.0, 2.0]


def test_a_post_waits_as_asked_and_is_then_sent_once(
    mailchimp_sim: MailchimpSimulator, api: MailchimpApi, sleep: Recorder
) -> None:
    # A 503 means the work was not done: after the wait the member is written exactly once.
    mailchimp_sim.faults.fail_next(1, 503, pattern="/lists/*/members/*", retry_after=5)
    api.upsert_member(LIST, {"email_address": "retry.after@fabrikam.org", "status_if_new": "transactional"})
    assert sleep.waits == [5.0]
    assert mailchimp_sim.member(LIST, "retry.after@fabrikam.org") is not None
    assert mailchimp_sim.request_counts()[("PUT", "/lists/{list_id}/members/{subscriber_hash}")] == 1
