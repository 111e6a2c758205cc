"""HTTP to Mailchimp: one capped pool per run, backoff on load shedding, honest errors.

Mailchimp allows 10 simultaneous connections per *user*, shared with every other integration on the account,
so a run takes at most ``max_connections`` (default 5) and every request of the run waits for a slot.
"""

from __future__ import annotations

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

HARD_CONNECTION_LIMIT = 10
# Mailchimp cuts a call at 120 s; wait a little longer so its own answer (a 502) reaches us.
DEFAULT_TIMEOUT = (10.0, 130.0)
_ORDER_PATH = re.compile(r"/ecommerce/stores/[^/]+/orders/[^/]+/?$")


class ForbiddenRequest(RuntimeError):
    """A request our client must never send (a PUT on an order: Mailchimp's current API has none)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        # Full jitter: spreads the retries of many workers so they do not hit the limit again in step.
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


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
    ) -> None:
        if not 1 <= max_connections <= HARD_CONNECTION_LIMIT:
            raise ValueError(f"max_connections must be 1..{HARD_CONNECTION_LIMIT}")
        self.api_base = api_base.rstrip("/")
        self.max_connections = max_connections
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
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
            raise error_from_response(resp.status_code, resp.content, method, path)
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
        """Send, retrying transient failures with backoff.

        A POST that failed in transit may still have been carried out (Mailchimp keeps working on a call the
        client gave up on), so before sending it again we GET *verify_path* and take an existing resource as
        the answer instead of creating a duplicate.
        """
        attempt = 0
        while True:
            try:
                return self._once(method, path, json_body, params)
            except MailchimpError as err:
                if err.category is not Category.TRANSIENT or attempt + 1 >= self.retry.attempts:
                    raise
                attempt += 1
                with self._stats_lock:
                    self.retries += 1
                self._sleep(self.retry.delay(attempt, self._rng))
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
