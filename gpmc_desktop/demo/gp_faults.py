"""Fault injection and request bookkeeping for the GP simulator, settable from tests while it serves.

Latency applies to every HTTP request (each NTLM leg too, as a slow server would).  Error bursts and resets
apply to requests that passed authentication, so "the next 2 requests fail" means the next 2 real calls, not
handshake legs.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass

from gpmc_desktop.demo.httpbase import RetryAfter, retry_after_header


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # percent-decoded, without the query
    status: int  # 0 when the connection was reset instead of answered
    user: str | None  # DOMAIN\user once authenticated
    connection: int  # per-simulator connection number: requests on one keep-alive connection share it
    delay: float = 0.0  # injected latency, seconds
    fault: str = ""  # "error", "reset" or ""
    note: str = ""  # why authentication failed, error code, ...
    started: float = 0.0  # time.monotonic() when the request arrived (0: not kept): shows calls that overlapped
    finished: float = 0.0  # ... and when its answer was ready


@dataclass
class _Burst:
    remaining: int
    pattern: re.Pattern[str] | None
    status: int = 500
    error_code: str = ""
    message: str = ""
    retry_after: RetryAfter | None = None  # None: no Retry-After header (IIS sends none on its own 503s)

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [retry_after_header(self.retry_after)] if self.retry_after is not None else []


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency = 0.0
        self._latency_pattern: re.Pattern[str] | None = None
        self._errors: list[_Burst] = []
        self._resets: list[_Burst] = []
        self._halves: list[_Burst] = []

    def set_latency(self, seconds: float, path_pattern: str | None = None) -> None:
        with self._lock:
            self._latency = max(0.0, seconds)
            self._latency_pattern = re.compile(path_pattern) if path_pattern else None

    def fail_next(
        self,
        n: int,
        *,
        path_pattern: str | None = None,
        status: int = 500,
        error_code: str = "ServiceFault",
        message: str = "The application encountered an unhandled system exception. "
        "Contact your system administrator for details.",
        retry_after: RetryAfter | None = None,
    ) -> None:
        with self._lock:
            self._errors.append(_Burst(n, re.compile(path_pattern) if path_pattern else None, status,
                                       error_code, message, retry_after))

    def reset_next(self, n: int, *, path_pattern: str | None = None) -> None:
        with self._lock:
            self._resets.append(_Burst(n, re.compile(path_pattern) if path_pattern else None))

    def half_answer_next(self, n: int, *, path_pattern: str | None = None) -> None:
        """The next *n* matching answers stop halfway (headers and half the body, then the connection drops):
        a server that died mid-answer, or a proxy that gave up."""
        with self._lock:
            self._halves.append(_Burst(n, re.compile(path_pattern) if path_pattern else None))

    def clear(self) -> None:
        with self._lock:
            self._latency, self._latency_pattern = 0.0, None
            self._errors.clear()
            self._resets.clear()
            self._halves.clear()

    def latency_for(self, path: str) -> float:
        with self._lock:
            if self._latency and (self._latency_pattern is None or self._latency_pattern.search(path)):
                return self._latency
            return 0.0

    @staticmethod
    def _take(bursts: list[_Burst], path: str) -> _Burst | None:
        for burst in bursts:
            if burst.pattern is None or burst.pattern.search(path):
                burst.remaining -= 1
                if burst.remaining <= 0:
                    bursts.remove(burst)
                return burst
        return None

    def take_error(self, path: str) -> _Burst | None:
        with self._lock:
            return self._take(self._errors, path)

    def take_reset(self, path: str) -> bool:
        with self._lock:
            return self._take(self._resets, path) is not None

    def take_half(self, path: str) -> bool:
        with self._lock:
            return self._take(self._halves, path) is not None


class RequestLog:
    """The last *maxlen* requests plus counters that never wrap."""

    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.total = 0
        self.delayed = 0
        self.connections = 0

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            self.total += 1
            if record.delay:
                self.delayed += 1

    def new_connection(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def most_at_once(self, path: str) -> int:
        """The most answered (not 401) *path* requests in flight at one moment, from their start and finish."""
        calls = [r for r in self.records() if r.path == path and r.status not in (0, 401) and r.finished]
        edges = sorted([(r.started, 1) for r in calls] + [(r.finished, -1) for r in calls])
        now = most = 0
        for _, step in edges:  # an end sorts before a start at the same instant: touching is not overlapping
            now += step
            most = max(most, now)
        return most

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.total = self.delayed = 0
