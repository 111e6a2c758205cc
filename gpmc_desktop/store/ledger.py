"""The failure ledger: records whose last push failed, and when each deserves another try.

* transient (timeouts, 429, 5xx): retried by time, with exponential backoff (5 min doubling, capped at
  24 h), or sooner if the server's Retry-After says later;
* permanent (Mailchimp rejected the data): not retried by time. It becomes due when the GP record's
  content hash differs from the one that failed (someone fixed the data), or when a person replays it;
* dismissed: a person said "stop showing this"; only a change in GP brings it back.

A success removes the entry (`resolve_failure`). Every time-dependent call takes ``now=`` (the clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from gpmc_desktop.store.clock import from_iso, resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import FailureLedger
from gpmc_desktop.store.secrets_guard import redact
from gpmc_desktop.store.vocab import Entity, FailureCategory, check


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    base: timedelta = timedelta(minutes=5)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=24)

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th consecutive failure: base, base*factor, ... up to cap.
        No jitter: one desktop client does not stampede a server, and a fixed schedule is testable."""
        if attempts < 1:
            raise ValueError("attempts start at 1")
        exponent = min(attempts - 1, 64)  # bounded: factor**exponent stays a finite float
        seconds = self.base.total_seconds() * self.factor**exponent
        return self.cap if seconds >= self.cap.total_seconds() else timedelta(seconds=seconds)


DEFAULT_BACKOFF = BackoffPolicy()


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    profile_id: int
    entity: str
    gp_key: str
    attempts: int
    category: str
    next_retry_at: datetime | None
    last_error_title: str | None
    last_error_detail: str | None
    last_http_status: int | None
    first_failed_at: datetime
    last_failed_at: datetime
    content_hash: str | None
    dismissed: bool
    email: str | None = None  # the address the record was sent with
    customer_number: str | None = None  # the GP customer (an order's buyer; a customer is its own)
    customer_name: str | None = None

    def is_due(self, now: datetime, current_hash: str | None = None) -> bool:
        """Should the engine try this record again? Pass the GP record's current content hash when known."""
        if current_hash is not None and current_hash != self.content_hash:
            return True  # the GP record changed since it failed: new data deserves a new try
        if self.dismissed:
            return False
        return self.next_retry_at is not None and self.next_retry_at <= resolve_now(now)


_COLUMNS = (
    FailureLedger.profile, FailureLedger.entity, FailureLedger.gp_key, FailureLedger.attempts,
    FailureLedger.category, FailureLedger.next_retry_at, FailureLedger.last_error_title,
    FailureLedger.last_error_detail, FailureLedger.last_http_status, FailureLedger.first_failed_at,
    FailureLedger.last_failed_at, FailureLedger.content_hash, FailureLedger.dismissed, FailureLedger.email,
    FailureLedger.customer_number, FailureLedger.customer_name,
)


def _entries(query: peewee.ModelSelect) -> list[LedgerEntry]:
    return [LedgerEntry(*t) for t in query.tuples()]


def _key(profile_id: int, entity: str, gp_key: str) -> peewee.Expression:
    return (FailureLedger.profile == profile_id) & (FailureLedger.entity == entity) & (
        FailureLedger.gp_key == gp_key
    )


def record_failure(
    profile_id: int,
    entity: Entity | str,
    gp_key: str,
    *,
    category: FailureCategory | str,
    content_hash: str | None,
    error_title: str | None = None,
    error_detail: str | None = None,
    http_status: int | None = None,
    email: str | None = None,
    customer_number: str | None = None,
    customer_name: str | None = None,
    retry_after: timedelta | None = None,
    now: datetime | None = None,
    policy: BackoffPolicy = DEFAULT_BACKOFF,
) -> LedgerEntry:
    """Note a failed push and schedule the next try.

    Repeated failures of the same content count up `attempts` (longer backoff); a failure of *changed*
    content starts a new series at 1. A new failure clears a dismissal: it is news.
    """
    entity = check(Entity, entity, "entity")
    category = check(FailureCategory, category, "failure category")
    moment = resolve_now(now)
    with write_transaction():
        existing = FailureLedger.get_or_none(_key(profile_id, entity, gp_key))
        same_series = existing is not None and existing.content_hash == content_hash
        attempts = existing.attempts + 1 if same_series else 1
        next_retry: datetime | None = None
        if category == FailureCategory.TRANSIENT:
            wait = policy.delay(attempts)
            if retry_after is not None:
                wait = max(wait, retry_after)
            next_retry = moment + wait
        values = {
            "attempts": attempts,
            "category": category,
            "next_retry_at": next_retry,
            "last_error_title": redact(error_title),
            "last_error_detail": redact(error_detail),
            "last_http_status": http_status,
            "first_failed_at": existing.first_failed_at if same_series and existing else moment,
            "last_failed_at": moment,
            "content_hash": content_hash,
            "dismissed": False,
            "email": email,
            "customer_number": customer_number,
            "customer_name": customer_name,
        }
        if existing is None:
            FailureLedger.insert(profile=profile_id, entity=entity, gp_key=gp_key, **values).execute()
        else:
            FailureLedger.update(**values).where(FailureLedger.id == existing.id).execute()
    entry = get_failure(profile_id, entity, gp_key)
    assert entry is not None
    return entry


def resolve_failure(profile_id: int, entity: Entity | str, gp_key: str) -> bool:
    """The record synced: drop its entry. Returns whether there was one."""
    entity = check(Entity, entity, "entity")
    with write_transaction():
        return bool(FailureLedger.delete().where(_key(profile_id, entity, gp_key)).execute())


def get_failure(profile_id: int, entity: Entity | str, gp_key: str) -> LedgerEntry | None:
    entity = check(Entity, entity, "entity")
    rows = _entries(FailureLedger.select(*_COLUMNS).where(_key(profile_id, entity, gp_key)))
    return rows[0] if rows else None


def failure_map(profile_id: int, entity: Entity | str) -> dict[str, LedgerEntry]:
    """gp_key → entry (dismissed included) for checking each polled record with `LedgerEntry.is_due`."""
    entity = check(Entity, entity, "entity")
    query = FailureLedger.select(*_COLUMNS).where(
        (FailureLedger.profile == profile_id) & (FailureLedger.entity == entity)
    )
    return {e.gp_key: e for e in _entries(query)}


def due_for_retry(
    profile_id: int,
    *,
    entity: Entity | str | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[LedgerEntry]:
    """Entries whose retry time has come (transient ones past their backoff, replayed permanent ones),
    earliest first. Permanent failures waiting for a GP change are not here: see `LedgerEntry.is_due`."""
    query = FailureLedger.select(*_COLUMNS).where(
        (FailureLedger.profile == profile_id)
        & (FailureLedger.dismissed == False)  # noqa: E712 (peewee expression, not a Python comparison)
        & (FailureLedger.next_retry_at <= resolve_now(now))
    )
    if entity is not None:
        query = query.where(FailureLedger.entity == check(Entity, entity, "entity"))
    query = query.order_by(FailureLedger.next_retry_at, FailureLedger.id)
    if limit is not None:
        query = query.limit(limit)
    return _entries(query)


def next_retry_time(profile_id: int) -> datetime | None:
    """When the earliest timed retry falls due (for the scheduler to wake up), or None."""
    value = (
        FailureLedger.select(peewee.fn.MIN(FailureLedger.next_retry_at))
        .where((FailureLedger.profile == profile_id) & (FailureLedger.dismissed == False))  # noqa: E712
        .scalar()
    )
    # peewee usually converts MIN(field) with the field's converter; accept the raw text too.
    return from_iso(value) if isinstance(value, str) else value


def list_failures(
    profile_id: int,
    *,
    entity: Entity | str | None = None,
    category: FailureCategory | str | None = None,
    include_dismissed: bool = False,
    only_dismissed: bool = False,
) -> list[LedgerEntry]:
    """For the UI: most recent failure first. `only_dismissed`: the ones a person dismissed (to restore)."""
    query = FailureLedger.select(*_COLUMNS).where(FailureLedger.profile == profile_id)
    if entity is not None:
        query = query.where(FailureLedger.entity == check(Entity, entity, "entity"))
    if category is not None:
        query = query.where(FailureLedger.category == check(FailureCategory, category, "failure category"))
    if only_dismissed:
        query = query.where(FailureLedger.dismissed == True)  # noqa: E712
    elif not include_dismissed:
        query = query.where(FailureLedger.dismissed == False)  # noqa: E712
    return _entries(query.order_by(FailureLedger.last_failed_at.desc(), FailureLedger.id.desc()))


def replay_failure(
    profile_id: int, entity: Entity | str, gp_key: str, *, now: datetime | None = None
) -> bool:
    """A person asked to try again: due now, whatever the category, and no longer dismissed."""
    entity = check(Entity, entity, "entity")
    with write_transaction():
        query = FailureLedger.update(next_retry_at=resolve_now(now), dismissed=False).where(
            _key(profile_id, entity, gp_key)
        )
        return bool(query.execute())


def replay_failures(
    profile_id: int,
    *,
    entity: Entity | str | None = None,
    category: FailureCategory | str | None = None,
    now: datetime | None = None,
) -> int:
    """`replay_failure` for every matching, not dismissed entry ("retry all permanent failures")."""
    query = FailureLedger.update(next_retry_at=resolve_now(now)).where(
        (FailureLedger.profile == profile_id) & (FailureLedger.dismissed == False)  # noqa: E712
    )
    if entity is not None:
        query = query.where(FailureLedger.entity == check(Entity, entity, "entity"))
    if category is not None:
        query = query.where(FailureLedger.category == check(FailureCategory, category, "failure category"))
    with write_transaction():
        return int(query.execute())


def dismiss_failure(profile_id: int, entity: Entity | str, gp_key: str) -> bool:
    """Stop retrying and showing this entry until the GP record changes."""
    entity = check(Entity, entity, "entity")
    with write_transaction():
        return bool(FailureLedger.update(dismissed=True).where(_key(profile_id, entity, gp_key)).execute())


def undismiss_failure(profile_id: int, entity: Entity | str, gp_key: str) -> bool:
    """Undo `dismiss_failure`: the entry is shown and retried as before (its schedule was never changed)."""
    entity = check(Entity, entity, "entity")
    with write_transaction():
        return bool(FailureLedger.update(dismissed=False).where(_key(profile_id, entity, gp_key)).execute())
