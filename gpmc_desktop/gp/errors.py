"""GP connection failures in words a finance admin can act on."""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


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
        self, stage: Stage, message: str, hint: str = "", *, transient: bool = False, log_id: str = ""
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.hint = hint
        self.transient = transient
        self.log_id = log_id

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


def retry_transient(call: Callable[[], T], attempts: int, sleep: Callable[[float], None], rng: random.Random) -> T:
    """Run *call*, retrying transient GP errors with full-jitter exponential backoff (0.5 s doubling, 30 s cap).

    GP servers never time out on their own and restart their services now and then: a read is worth a few tries.
    Non-transient errors are raised at once; after the last attempt the last error is raised."""
    last: GPError | None = None
    for attempt in range(attempts):
        try:
            return call()
        except GPError as err:
            if not err.transient:
                raise
            last = err
            if attempt + 1 < attempts:
                sleep(rng.uniform(0, min(30.0, 0.5 * 2**attempt)))
    assert last is not None
    raise last
