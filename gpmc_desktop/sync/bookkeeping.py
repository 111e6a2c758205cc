"""The engine's memory for one profile, over the state store: runs, synced hashes, the failure ledger, the audit.

Writes are buffered and committed together by :meth:`Bookkeeping.flush` (a few hundred records per
transaction), because one commit per record would make a 100,000-customer first load crawl.  A crash loses at
most the unflushed tail, whose Mailchimp writes were upserts the next run repeats harmlessly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.store import Entity, FailureCategory, LedgerEntry, NewAuditEvent, Outcome, RunKind, SyncedState
from gpmc_desktop.store.synced import OwnStrings, SyncedMap


class Bookkeeping:
    def __init__(self, profile_id: int, *, now: Callable[[], dt.datetime] | None = None) -> None:
        self.profile_id = profile_id
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self.run_id: int | None = None
        self._audit: list[NewAuditEvent] = []
        self._synced: dict[Entity, dict[str, SyncedState]] = {}
        self._forget: dict[Entity, set[str]] = {}
        # What was synced, by entity: read from the database once per run, then kept up to date by
        # mark_synced and forget (a poll asked for the orders' 400,000 rows eight times before).
        self._known: dict[Entity, SyncedMap] = {}
        self._own: dict[Entity, OwnStrings] = {}
        self._scope: dict[Entity, list[str]] | None = None  # see scope()
        self.ledger_written: set[tuple[Entity, str]] = set()  # the ledger entries this run wrote, by entity and key

    # -- runs -----------------------------------------------------------------------------------------------
    def start_run(self, kind: RunKind) -> int:
        self.run_id = store.start_run(self.profile_id, kind, now=self._now())
        self.ledger_written = set()
        return self.run_id

    def finish_run(
        self, run_id: int | None, outcome: Outcome, counts: dict[str, Any], error: str
    ) -> None:
        """*counts*: by entity, the count per action; under "reconciliation", the run's (a JSON object)."""
        if run_id is not None:
            store.finish_run(run_id, outcome, counts=counts, error_summary=error or None, now=self._now())

    # -- synced state -----------------------------------------------------------------------------------------
    def synced(self, entity: Entity) -> Mapping[str, SyncedState]:
        """What was last synced of *entity*, with this run's marks and forgets (read-only: a live view, held
        compactly, whose SyncedState objects are made on access)."""
        known = self._known.get(entity)
        if known is None:
            keys = self._scope.get(entity) if self._scope is not None else None
            known = self._known[entity] = store.synced_map(self.profile_id, entity, self._own.get(entity), keys=keys)
            for gp_key in self._forget.get(entity, ()):
                known.drop(gp_key)
            for gp_key, state in self._synced.get(entity, {}).items():
                known.put(gp_key, state)
        return known

    def scope(self, keys: Mapping[Entity, Iterable[str]] | None) -> None:
        """From now on :meth:`synced` reads, of each entity *keys* names, only those records (a shard of a big
        run: the rest of the table stays in the database); None: every record again."""
        self.flush()  # a shard's marks are in the database before the next shard reads
        self._known.clear()
        self._scope = None if keys is None else {entity: list(found) for entity, found in keys.items()}

    def synced_count(self, entity: Entity, *, without_hash: str | None = None) -> int:
        """How many records of *entity* are synced, this run's writes included (whatever the scope)."""
        self.flush()
        return store.synced_count(self.profile_id, entity, without_hash=without_hash)

    def synced_keys(self, entity: Entity) -> Iterator[str]:
        """Every synced key of *entity*, this run's writes included, read from the database as the caller goes."""
        self.flush()
        return store.synced_keys(self.profile_id, entity)

    def synced_items(self, entity: Entity) -> Iterator[tuple[str, SyncedState]]:
        """Every synced record of *entity*, this run's writes included, read from the database as the caller goes."""
        self.flush()
        return store.synced_items(self.profile_id, entity)

    def emails_held(self, entity: Entity, emails: Iterable[str]) -> set[str]:
        """Those of *emails* some synced record of *entity* holds (an order: its buyer's), this run's included."""
        self.flush()
        return store.emails_held(self.profile_id, entity, emails)

    def prefer_strings(self, entity: Entity, own: OwnStrings | None) -> None:
        """Read *entity*'s synced state with the strings *own* gives (see :func:`store.synced_map`); None: with
        its own again (*own* holds what it gives alive)."""
        if own is None:
            self._own.pop(entity, None)
        else:
            self._own[entity] = own

    def forget_known(self) -> None:
        """Read the synced state from the database again on the next :meth:`synced` (after something other than
        this bookkeeping wrote it)."""
        self.flush()
        self._known.clear()

    def mark_synced(self, entity: Entity, gp_key: str, state: SyncedState) -> None:
        self._forget.get(entity, set()).discard(gp_key)
        self._synced.setdefault(entity, {})[gp_key] = state
        if entity in self._known:
            self._known[entity].put(gp_key, state)

    def forget(self, entity: Entity, gp_key: str) -> None:
        self._synced.get(entity, {}).pop(gp_key, None)
        self._forget.setdefault(entity, set()).add(gp_key)
        if entity in self._known:
            self._known[entity].drop(gp_key)

    # -- failures ---------------------------------------------------------------------------------------------
    def failures(self, entity: Entity) -> dict[str, LedgerEntry]:
        """Every ledgered record of *entity*, dismissed ones included, by GP key."""
        return store.failure_map(self.profile_id, entity)

    def record_failure(
        self, entity: Entity, gp_key: str, err: MailchimpError, content_hash: str, event: NewAuditEvent | None = None
    ) -> None:
        """*event*: the failed audit row, whose e-mail and customer the failures list shows."""
        own = gp_key if entity == Entity.CUSTOMER else None  # a customer is its own customer
        self.ledger_written.add((entity, gp_key))
        store.record_failure(
            self.profile_id, entity, gp_key, category=failure_category(err), content_hash=content_hash,
            error_title=err.title, error_detail=_detail_with_fields(err), http_status=err.status, now=self._now(),
            email=event.email if event else None,
            customer_number=(event.customer_number if event else None) or own,
            customer_name=event.customer_name if event else None,
        )

    def resolve_failure(self, entity: Entity, gp_key: str) -> None:
        self.ledger_written.add((entity, gp_key))
        store.resolve_failure(self.profile_id, entity, gp_key)

    # -- audit, state -----------------------------------------------------------------------------------------
    def audit(self, event: NewAuditEvent) -> None:
        """Buffer *event* for the current run, stamped with the time it is reported unless it has one."""
        self._audit.append(event if event.at is not None else dataclasses.replace(event, at=self._now()))

    def get_state(self, key: str) -> str | None:
        value = store.get_state(self.profile_id, key)
        return None if value is None else str(value)

    def set_state(self, key: str, value: str) -> None:
        self.flush()
        store.set_state(self.profile_id, key, value, now=self._now())

    def get_value(self, key: str) -> Any:
        """An engine state value as stored (a JSON value), or None."""
        return store.get_state(self.profile_id, key)

    def set_value(self, key: str, value: Any) -> None:
        self.flush()
        store.set_state(self.profile_id, key, value, now=self._now())

    def delete_value(self, key: str) -> None:
        store.delete_state(self.profile_id, key)

    def state_changes(self) -> int:
        """The profile's write count over its synced state, ledger and batches (store.state_changes); flush first
        for this run's own writes to count."""
        return store.state_changes(self.profile_id)

    def flush(self) -> None:
        if not (self._audit or self._synced or self._forget):
            return
        with store.write_transaction():
            for entity, keys in self._forget.items():
                if keys:
                    store.delete_synced(self.profile_id, entity, keys)
            for entity, records in self._synced.items():
                if records:
                    store.upsert_synced(self.profile_id, entity, records, now=self._now())
            if self._audit and self.run_id is not None:
                store.record_audit(self.run_id, self._audit)
        self._audit, self._synced, self._forget = [], {}, {}


def _detail_with_fields(err: MailchimpError) -> str:
    """The detail, with the fields Mailchimp named (a merge field error says which field only there)."""
    named = "; ".join(f"{e.get('field')}: {e.get('message', '')}" for e in err.errors
                      if isinstance(e, dict) and e.get("field"))
    return f"{err.detail} [{named}]".strip() if named else err.detail


def failure_category(err: MailchimpError) -> FailureCategory:
    """How the failure ledger files a refused write: retried by time, or waiting for the GP record to change."""
    return FailureCategory.TRANSIENT if err.category is Category.TRANSIENT else FailureCategory.PERMANENT
