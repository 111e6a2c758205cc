"""The simulated account: audiences, members, stores and everything tests inspect afterwards.

One :class:`AccountState` per simulator; every route runs under its re-entrant ``lock``, so a handler sees and
leaves a consistent account even with ten live requests and a batch worker running at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .contract import ContractProblem

# Statuses a contact can never be moved out of into "subscribed" (reference §4.3 item 21).
COMPLIANCE_STATUSES = frozenset({"unsubscribed", "cleaned"})


def normalise_email(email: str) -> str:
    return email.strip().lower()


def subscriber_hash(email: str) -> str:
    return hashlib.md5(normalise_email(email).encode("utf-8")).hexdigest()


class SimClock:
    """Wall clock plus an offset tests can advance (URL expiry, 7-day retention) without sleeping."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def iso(self, at: float | None = None) -> str:
        moment = self.now() if at is None else at
        return dt.datetime.fromtimestamp(moment, tz=dt.UTC).isoformat(timespec="seconds")


@dataclass
class Member:
    list_id: str
    email_address: str
    status: str
    merge_fields: dict[str, Any]
    created_at: str
    last_changed: str
    unique_email_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    contact_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    web_id: int = 0
    email_type: str = "html"
    language: str = ""
    vip: bool = False
    interests: dict[str, bool] = field(default_factory=dict)
    ip_signup: str = ""
    timestamp_signup: str = ""
    ip_opt: str = ""
    timestamp_opt: str = ""
    source: str = "API - Generic"
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> date added
    # What the contact was before DELETE archived it: the compliance rules still apply to a returning contact.
    status_before_archive: str | None = None
    # A contact under compliance review cannot be subscribed whatever its status says.
    compliance_hold: bool = False

    @property
    def id(self) -> str:
        return subscriber_hash(self.email_address)


@dataclass
class AudienceList:
    id: str
    name: str
    double_optin: bool
    date_created: str
    web_id: int
    merge_fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_merge_id: int = 1
    members: dict[str, Member] = field(default_factory=dict)  # subscriber hash -> member
    forgotten: dict[str, str] = field(default_factory=dict)  # subscriber hash -> e-mail, after delete-permanent
    # The audience's tags by case-folded name: a tag is a static segment, whose names Mailchimp matches case-blind
    # (DynamoMTL/spree_chimpy#15), so "vip" given after "VIP" is the VIP tag.
    tag_names: dict[str, str] = field(default_factory=dict)

    def add_tag(self, member: Member, name: str, when: str) -> None:
        """Give *member* the tag *name*, spelt as the audience first knew it."""
        spelt = self.tag_names.setdefault(name.casefold(), name)
        member.tags.setdefault(spelt, when)

    def remove_tag(self, member: Member, name: str) -> None:
        folded = name.casefold()
        for held in [t for t in member.tags if t.casefold() == folded]:
            del member.tags[held]

    def merge_field_by_tag(self, tag: str) -> dict[str, Any] | None:
        return next((f for f in self.merge_fields.values() if f["tag"] == tag), None)


@dataclass
class Store:
    data: dict[str, Any]
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every value is_syncing was given (creation first): the sync must frame a backfill with True ... False.
    is_syncing_history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def is_syncing(self) -> bool:
        return bool(self.data.get("is_syncing"))


@dataclass(frozen=True)
class ContractViolation:
    method: str
    path: str
    message: str
    field: str = ""
    source: str = "live"  # "live" request or "batch" operation


@dataclass
class AccountState:
    account_id: str = "8d3a3db4d97663a9074efcc16"
    account_name: str = "Fabrikam, Inc."
    email: str = "marketing@fabrikam.test"
    lock: threading.RLock = field(default_factory=threading.RLock)
    lists: dict[str, AudienceList] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    campaign_ids: set[str] = field(default_factory=set)
    next_web_id: int = 1000
    # The account's "Order notifications" setting: with it off, no order e-mail goes out, syncing or not.
    order_notifications: bool = True
    # Event logs: order notifications / automations (suppressed ones included), confirmation e-mails, tag posts.
    notification_events: list[dict[str, Any]] = field(default_factory=list)
    member_events: list[dict[str, Any]] = field(default_factory=list)
    # Every status change of an existing contact made through the API (list_id, email, from, to, at); the
    # simulator's own set-up (set_member_status) is not one.  Kept across reset_counters.
    status_changes: list[dict[str, Any]] = field(default_factory=list)
    tag_requests: list[dict[str, Any]] = field(default_factory=list)
    # Counters for tests (cleared by reset_counters).
    request_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    batch_operation_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    writes: int = 0
    contract_violations: list[ContractViolation] = field(default_factory=list)
    response_violations: list[ContractViolation] = field(default_factory=list)
    order_put_attempts: list[dict[str, Any]] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)  # simulator bugs answered with a 500
    # Downloads of batch results: each one's status and whether it carried an Authorization header (the link
    # is pre-signed storage: a client must not send the API key there).
    result_downloads: list[dict[str, Any]] = field(default_factory=list)
    # Every request answered 400, live or in a batch, as (method, path, SHA-256 of its body, "answered" when the
    # 400 reached the client at once, "unheard" when it did not: a lost answer, or a batch operation whose results
    # are read later): kept across reset_counters, since a later run must not send a refused request again either.
    rejected_requests: list[tuple[str, str, str, str]] = field(default_factory=list)

    def new_web_id(self) -> int:
        self.next_web_id += 1
        return self.next_web_id

    def record_violations(
        self, method: str, path: str, problems: list[ContractProblem], source: str, *, response: bool = False
    ) -> None:
        target = self.response_violations if response else self.contract_violations
        with self.lock:
            target.extend(ContractViolation(method, path, p.message, p.field, source) for p in problems)

    def reset_counters(self) -> None:
        with self.lock:
            self.request_counts.clear()
            self.batch_operation_counts.clear()
            self.writes = 0
            self.contract_violations.clear()
            self.response_violations.clear()
            self.order_put_attempts.clear()
            self.internal_errors.clear()
            self.result_downloads.clear()
