"""Faults inside a batch: chosen operations answer 400 or 429 in the results instead of running.

Mailchimp reports a failed operation only in the result archive (the batch itself finishes), so a client must
read every result; these faults let tests exercise that without contriving bad payloads. The choice of a
``fraction`` is seeded per operation (not per run), so it does not depend on the shuffled execution order.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass
from typing import Any

from .errors import DETAIL_TOO_MANY, DETAIL_VALIDATION, ApiError


@dataclass(frozen=True)
class BatchFault:
    status: int  # 400 (Invalid Resource) or 429 (Too Many Requests)
    operation_id: str | None = None  # shell glob on the operation's operation_id; None: any
    path: str | None = None  # shell glob on the operation's path below /3.0; None: any
    fraction: float = 1.0  # share of the matching operations that fail
    seed: int = 0
    detail: str | None = None  # None: Mailchimp's usual detail for the status

    def hits(self, index: int, operation: dict[str, Any]) -> bool:
        op_id = str(operation.get("operation_id") or "")
        path = str(operation.get("path", "")).removeprefix("/3.0")
        if self.operation_id is not None and not fnmatch.fnmatchcase(op_id, self.operation_id):
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.fraction >= 1.0 or random.Random(f"{self.seed}|{index}|{op_id}").random() < self.fraction

    def error(self, too_many_title: str) -> ApiError:
        if self.status == 429:
            return ApiError(429, too_many_title, self.detail or DETAIL_TOO_MANY)
        return ApiError(self.status, "Invalid Resource", self.detail or DETAIL_VALIDATION,
                        errors=[{"field": "", "message": "The operation was refused (simulated fault)."}])


def injected_fault(faults: list[BatchFault], index: int, operation: dict[str, Any]) -> BatchFault | None:
    """The first fault that applies to the operation at submission *index*, if any."""
    return next((fault for fault in faults if fault.hits(index, operation)), None)
