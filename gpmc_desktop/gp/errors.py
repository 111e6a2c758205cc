"""GP connection failures in words a finance admin can act on."""

from __future__ import annotations

from enum import StrEnum


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
