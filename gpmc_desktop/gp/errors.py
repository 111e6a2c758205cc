"""GP connection failures in words a finance admin can act on."""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from gpmc_desktop.retry_after import next_wait

T = TypeVar("T")

BACKOFF_BASE = 0.5  # seconds before the first retry's window doubles
BACKOFF_CAP = 30.0  # the widest backoff window, and the longest a Retry-After is honoured


class Stage(StrEnum):
    """Where a connection failed, in the order ``gpmc check`` and the wizard test them."""

    REACH = "reach"
    TLS = "tls"
    AUTH = "auth"
    COMPANY = "company"
    ACCESS = "access"
    SERVER = "server"
    DATA = "data"


class GPError(Exception):
    def __init__(
        self, stage: Stage, message: str, hint: str = "", *, transient: bool = False, log_id: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.hint = hint
        self.transient = transient
        self.log_id = log_id
        self.retry_after = retry_after  # seconds a 503's Retry-After asked us to wait

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


def backoff_window(attempt: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


def retry_transient(call: Callable[[], T], attempts: int, sleep: Callable[[float], None], rng: random.Random) -> T:
    """Run *call*, retrying transient GP errors with full-jitter exponential backoff (0.5 s doubling, 30 s cap), or
    after the wait a 503's Retry-After asks for.

    GP servers never time out on their own and restart their services now and then: a read is worth a few tries.
    All the sleeping for one call fits in the backoff's worst case (every window at its ceiling), Retry-After
    waits included, so the header never makes a call take longer than the backoff could.  Non-transient errors
    are raised at once; after the last attempt, or when the server asks for more than is left, the last error is
    raised."""
    deadline = sum(backoff_window(attempt) for attempt in range(attempts - 1))
    waited = 0.0
    last: GPError | None = None
    for attempt in range(attempts):
        try:
            return call()
        except GPError as err:
            if not err.transient:
                raise
            last = err
            if attempt + 1 < attempts:
                # Capped at the backoff's ceiling: a server down for longer should fail this run, whose failure
                # the next scheduled run retries, rather than hold it.
                pause = next_wait(rng.uniform(0, backoff_window(attempt)), err.retry_after, cap=BACKOFF_CAP,
                                  remaining=deadline - waited)
                if pause is None:
                    raise
                waited += pause
                sleep(pause)
    assert last is not None
    raise last
