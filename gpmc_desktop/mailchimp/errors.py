"""Mailchimp's answers, sorted into what the sync does about them.

Mailchimp's ``type`` URL has changed over the years, so we branch on the status first and the title second,
never on ``type``.  A 403 or 429 without a body is Mailchimp shedding load, not a verdict on the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    TRANSIENT = "transient"  # retry with backoff: rate limits, overload, 5xx, resets, timeouts
    AUTH = "auth"  # the key is wrong or lacks the role: nothing will work until a person fixes it
    PERMANENT = "permanent"  # this record will fail the same way until its data changes


# Titles that are a verdict on one record (consent, validity): ledgered, never retried blindly.
COMPLIANCE_TITLES = {
    "Member In Compliance State",
    "Forgotten Email Not Subscribed",
    "Invalid Resource",
    "Customer Was Not Saved",
}


@dataclass
class MailchimpError(Exception):
    status: int | None
    title: str
    detail: str = ""
    instance: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    category: Category = Category.PERMANENT
    method: str = ""
    path: str = ""
    retry_after: float | None = None  # seconds the server asked us to wait (429/503 with Retry-After)

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        status = f"{self.status} " if self.status else ""
        fields = "; ".join(f"{e.get('field', '')}: {e.get('message', '')}" for e in self.errors if e)
        text = f"{status}{self.title}: {self.detail}" if self.detail else f"{status}{self.title}"
        return f"{text}{' [' + fields + ']' if fields else ''}{where}"

    @property
    def is_not_found(self) -> bool:
        return self.status == 404

    @property
    def already_exists(self) -> bool:
        """A resource with the id sent (order, product, store) exists; not another customer's e-mail."""
        return self.status == 400 and "already exists" in self.detail and not self.customer_email_taken

    @property
    def member_exists(self) -> bool:
        """A member POST found the address on the audience already (add it with PUT instead)."""
        return self.status == 400 and (self.title == "Member Exists" or "already a list member" in self.detail)

    @property
    def customer_email_taken(self) -> bool:
        """Another customer of the store has this e-mail: a store's customers are identified by e-mail."""
        return self.status == 400 and "customer email already exists" in self.detail.lower()

    @property
    def missing_product(self) -> bool:
        return self.status == 400 and "product with the provided ID does not exist" in self.detail


def categorize(status: int | None, has_body: bool) -> Category:
    if status is None or status == 429 or status >= 500:
        return Category.TRANSIENT
    if status == 403 and not has_body:
        return Category.TRANSIENT
    if status in (401, 403):
        return Category.AUTH
    return Category.PERMANENT


def error_from_response(
    status: int, body: bytes, method: str = "", path: str = "", *, retry_after: float | None = None
) -> MailchimpError:
    problem: dict[str, Any] = {}
    if body:
        try:
            parsed = json.loads(body)
            problem = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            problem = {}
    title = str(problem.get("title") or _fallback_title(status))
    errors = problem.get("errors") if isinstance(problem.get("errors"), list) else []
    return MailchimpError(
        status=status,
        title=title,
        detail=str(problem.get("detail") or ""),
        instance=str(problem.get("instance") or ""),
        errors=list(errors),
        category=categorize(status, bool(problem)),
        method=method,
        path=path,
        retry_after=retry_after,
    )


def transport_error(exc: BaseException, method: str = "", path: str = "") -> MailchimpError:
    return MailchimpError(
        status=None,
        title="Connection problem",
        detail=f"{type(exc).__name__}: {exc}",
        category=Category.TRANSIENT,
        method=method,
        path=path,
    )


def _fallback_title(status: int) -> str:
    return {
        403: "Forbidden",
        404: "Resource Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }.get(status, f"HTTP {status}")
