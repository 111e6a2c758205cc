"""HTTP to Mailchimp: one capped pool per run, backoff on load shedding, honest errors.

Mailchimp allows 10 simultaneous connections per *user*, shared with every other integration on the account,
so a run takes at most ``max_connections`` (default 5) and every request of the run waits for a slot.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from gpmc_desktop import __version__
from gpmc_desktop.mailchimp.errors import Category, MailchimpError, error_from_response, transport_error
from gpmc_desktop.retry_after import next_wait, retry_after_seconds

HARD_CONNECTION_LIMIT = 10
# Mailchimp cuts a call at 120 s; wait a little longer so its own answer (a 502) reaches us.
DEFAULT_TIMEOUT = (10.0, 130.0)
_ORDER_PATH = re.compile(r"/ecommerce/stores/[^/]+/orders/[^/]+/?$")
# Load shedding (429) and maintenance (503): the answers whose Retry-After says when to come back.
RETRY_AFTER_STATUSES = frozenset({429, 503})


class ForbiddenRequest(RuntimeError):
    """A request our client must never send (a PUT on an order: Mailchimp's current API has none)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def window(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt))

    def delay(self, attempt: int, rng: random.Random) -> float:
        # Full jitter: spreads the retries of many workers so they do not hit the limit again in step.
        return rng.uniform(0, self.window(attempt))

    @property
    def deadline(self) -> float:
        """The most one request sleeps in total: every backoff window at its ceiling.  A Retry-After wait
        counts against it too, so the header never makes a request take longer than the backoff could."""
        return sum(self.window(attempt) for attempt in range(1, self.attempts))

    def wait(self, attempt: int, rng: random.Random, retry_after: float | None, waited: float) -> float | None:
        """The sleep before *attempt*, after *waited* seconds of sleeping so far; None: stop retrying."""
        # Capped at the backoff's ceiling: a server that wants longer is down for longer than one record should
        # hold up the run, and the failure ledger tries that record again on a later run.
        return next_wait(self.delay(attempt, rng), retry_after, cap=self.max_delay,
                         remaining=self.deadline - waited)


@dataclass
class Answer:
    status: int
    body: Any


class MailchimpTransport:
    def __init__(
        self,
        api_base: str,
        api_key: str,
        *,
        max_connections: int = 5,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        if not 1 <= max_connections <= HARD_CONNECTION_LIMIT:
            raise ValueError(f"max_connections must be 1..{HARD_CONNECTION_LIMIT}")
        self.api_base = api_base.rstrip("/")
        self.max_connections = max_connections
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock  # "now" for a Retry-After given as an HTTP-date
        self._slots = threading.BoundedSemaphore(max_connections)
        self._session = requests.Session()
        self._session.auth = ("gpmc", api_key)
        self._session.headers.update(
            {"User-Agent": f"gpmc-desktop/{__version__}", "Accept": "application/json"}
        )
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_connections, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._stats_lock = threading.Lock()
        self.requests_sent = 0
        self.writes_sent = 0
        self.retries = 0

    def close(self) -> None:
        self._session.close()

    # -- one attempt -------------------------------------------------------------------------------------
    def _once(self, method: str, path: str, json_body: Any, params: dict[str, Any] | None) -> Answer:
        # Upper-cased and without a query string, so "put" or "...?x=1" cannot slip past the guard.
        if method.upper() == "PUT" and _ORDER_PATH.search(path.split("?", 1)[0]):
            raise ForbiddenRequest("never PUT an order: create with POST, update with PATCH")
        url = f"{self.api_base}{path}"
        with self._slots:
            with self._stats_lock:
                self.requests_sent += 1
                if method != "GET":
                    self.writes_sent += 1
            try:
                resp = self._session.request(method, url, json=json_body, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                raise transport_error(exc, method, path) from exc
        if resp.status_code >= 400:
            asked = None
            if resp.status_code in RETRY_AFTER_STATUSES:
                asked = retry_after_seconds(resp.headers.get("Retry-After"), self._clock())
            raise error_from_response(resp.status_code, resp.content, method, path, retry_after=asked)
        if resp.status_code == 204 or not resp.content:
            return Answer(resp.status_code, None)
        try:
            return Answer(resp.status_code, resp.json())
        except ValueError as exc:
            raise MailchimpError(
                resp.status_code, "Unreadable answer", resp.text[:200], category=Category.TRANSIENT,
                method=method, path=path,
            ) from exc

    # -- with retries --------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        *,
        verify_path: str | None = None,
    ) -> Answer:
        """Send, retrying transient failures with backoff, or after the wait a 429 or 503 asks for in its
        Retry-After header, within the policy's attempts and deadline.

        A POST that failed in transit may still have been carried out (Mailchimp keeps working on a call the
        client gave up on), so before sending it again we GET *verify_path* and take an existing resource as
        the answer instead of creating a duplicate.
        """
        attempt = 0
        waited = 0.0
        while True:
            try:
                return self._once(method, path, json_body, params)
            except MailchimpError as err:
                if err.category is not Category.TRANSIENT or attempt + 1 >= self.retry.attempts:
                    raise
                attempt += 1
                pause = self.retry.wait(attempt, self._rng, err.retry_after, waited)
                if pause is None:
                    raise
                waited += pause
                with self._stats_lock:
                    self.retries += 1
                self._sleep(pause)
                # In transit (no status) or a 5xx: Mailchimp may have done the work anyway.  Its CDN answers 502
                # at 120 s while the call runs on, so a blind re-POST would fail with "already exists".
                if method == "POST" and verify_path and (err.status is None or err.status >= 500):
                    existing = self._probe(verify_path)
                    if existing is not None:
                        return existing

    def _probe(self, path: str) -> Answer | None:
        try:
            return self.request("GET", path)
        except MailchimpError as err:
            if err.is_not_found:
                return None
            raise

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).body
