"""Fault injection knobs, settable from a test thread while requests are being served (hence the lock)."""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from dataclasses import dataclass

from ..httpbase import RetryAfter


@dataclass
class PlannedFault:
    # "error", "reset" (before the work), "reset_after" (the work is done, the answer is lost) or "late" (the work
    # is done, the CDN's HTML 502 answers: a call past Mailchimp's cut-off)
    kind: str
    status: int = 0
    bodyless: bool = False
    title: str | None = None
    detail: str | None = None
    retry_after: RetryAfter | None = None  # None: as SimConfig.retry_after says


@dataclass
class _Queued:
    fault: PlannedFault
    remaining: int
    pattern: str | None


@dataclass(frozen=True)
class FaultMix:
    """Seeded-random faults on every request, several kinds at once (the reliability suite's "faults in
    combination"): the fraction of requests each kind hits.  *lost_after_write* hits writes only (POST, PUT,
    PATCH, DELETE): Mailchimp applies them and the client never learns it, half by a reset connection, half by the
    CDN's 502 at the cut-off."""

    too_many: float = 0.0  # 429 with a problem body and Retry-After: *retry_after* seconds
    server_error: float = 0.0  # 500, 502 or 503 with a problem body
    bodyless_403: float = 0.0  # 403 without a body: load shedding in front of the API
    reset: float = 0.0  # the connection reset before any work
    lost_after_write: float = 0.0
    retry_after: int = 1

    def draw(self, rng: random.Random, write: bool) -> PlannedFault | None:
        roll = rng.random()
        for rate, fault in (
            (self.too_many, PlannedFault("error", 429, retry_after=self.retry_after)),
            (self.server_error, PlannedFault("error", rng.choice((500, 502, 503)))),
            (self.bodyless_403, PlannedFault("error", 403, bodyless=True)),
            (self.reset, PlannedFault("reset")),
            (self.lost_after_write if write else 0.0, PlannedFault(rng.choice(("reset_after", "late")))),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return None


def fault_name(fault: PlannedFault) -> str:
    """How the suite's figures name an injected fault."""
    if fault.kind == "error":
        return f"{fault.status}{' without a body' if fault.bodyless else ''}"
    return {"reset": "connection reset", "reset_after": "write applied, connection reset",
            "late": "write applied, 502 at the cut-off"}[fault.kind]


def _matches(pattern: str | None, path: str) -> bool:
    return pattern is None or fnmatch.fnmatchcase(path, pattern)


class Faults:
    """Latency, queued errors/resets, a random error rate and the 120 s cut-off.

    Patterns are shell globs on the path below ``/3.0`` (``"/lists/*/members/*"``); ``None`` means every path.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._latency = 0.0
        self._path_latency: list[tuple[str, float]] = []
        self._queue: list[_Queued] = []
        self._error_rate = 0.0
        self._error_status = 500
        self._mix: FaultMix | None = None
        self.injected: Counter[str] = Counter()  # every fault taken, by fault_name
        # Mailchimp's CDN closes a call after 120 s with an HTML 502; tests shrink this.
        self._cutoff_seconds = 120.0

    def set_latency(self, seconds: float, pattern: str | None = None) -> None:
        """Delay every request (``pattern=None``) or those whose path matches; the latest pattern wins."""
        with self._lock:
            if pattern is None:
                self._latency = seconds
            else:
                self._path_latency = [(p, s) for p, s in self._path_latency if p != pattern]
                self._path_latency.insert(0, (pattern, seconds))

    def latency_for(self, path: str) -> float:
        with self._lock:
            return next((s for p, s in self._path_latency if _matches(p, path)), self._latency)

    def fail_next(
        self,
        n: int,
        status: int = 429,
        *,
        bodyless: bool = False,
        pattern: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        retry_after: RetryAfter | None = None,
    ) -> None:
        """The next *n* matching requests get *status* (with a problem body unless *bodyless*), and a
        Retry-After header when *retry_after* is given."""
        with self._lock:
            fault = PlannedFault("error", status, bodyless, title, detail, retry_after)
            self._queue.append(_Queued(fault, n, pattern))

    def reset_next(self, n: int, pattern: str | None = None) -> None:
        """The next *n* matching requests have their connection reset (RST) instead of an answer."""
        with self._lock:
            self._queue.append(_Queued(PlannedFault("reset"), n, pattern))

    def reset_after_next(self, n: int, pattern: str | None = None) -> None:
        """The next *n* matching requests are carried out, then their connection is reset: the client never
        hears that the work was done (what a client that re-sends blindly turns into a duplicate)."""
        with self._lock:
            self._queue.append(_Queued(PlannedFault("reset_after"), n, pattern))

    def set_error_rate(self, rate: float, status: int = 500) -> None:
        """Answer a seeded-random fraction of requests with *status* (flaky-server tests)."""
        with self._lock:
            self._error_rate = rate
            self._error_status = status

    @property
    def cutoff_seconds(self) -> float:
        with self._lock:
            return self._cutoff_seconds

    def set_cutoff(self, seconds: float) -> None:
        with self._lock:
            self._cutoff_seconds = seconds

    def set_mix(self, mix: FaultMix | None, seed: int | None = None) -> None:
        """Faults of several kinds at random from now on (None: none); *seed* restarts the draw."""
        with self._lock:
            self._mix = mix
            if seed is not None:
                self._rng = random.Random(seed)

    def take(self, path: str, method: str = "GET") -> PlannedFault | None:
        """The fault this request should suffer, if any (consumes one queued fault)."""
        fault = self._take(path, method)
        if fault is not None:
            with self._lock:
                self.injected[fault_name(fault)] += 1
        return fault

    def _take(self, path: str, method: str) -> PlannedFault | None:
        with self._lock:
            for queued in self._queue:
                if queued.remaining > 0 and _matches(queued.pattern, path):
                    queued.remaining -= 1
                    self._queue = [q for q in self._queue if q.remaining > 0]
                    return queued.fault
            if self._error_rate > 0 and self._rng.random() < self._error_rate:
                return PlannedFault("error", self._error_status)
            if self._mix is not None:
                return self._mix.draw(self._rng, method not in ("GET", "HEAD"))
        return None

    def clear(self) -> None:
        with self._lock:
            self._latency = 0.0
            self._path_latency.clear()
            self._queue.clear()
            self._error_rate = 0.0
            self._mix = None
            self._cutoff_seconds = 120.0
