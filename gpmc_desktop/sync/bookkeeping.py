"""The engine's memory for one profile, over the state store: runs, synced hashes, the failure ledger, the audit.

Writes are buffered and committed together by :meth:`Bookkeeping.flush` (a few hundred records per
transaction), because one commit per record would make a 100,000-customer first load crawl.  A crash loses at
most the unflushed tail, whose Mailchimp writes were upserts the next run repeats harmlessly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.mailchimp.errors import Category, MailchimpError


@dataclass(frozen=True)
class Synced:
    hash: str
    remote_id: str
    email: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    title: str
    category: str
    content_hash: str
    next_retry_at: dt.datetime | None
    dismissed: bool


@dataclass(frozen=True)
class AuditRecord:
    entity: str
    gp_key: str
    action: str
    reason: str = ""
    mailchimp_id: str = ""
    email: str = ""
    payload_hash: str = ""
    http_status: int | None = None
    error_title: str = ""
    error_detail: str = ""


class Bookkeeping:
    def __init__(self, profile_id: int, *, now: Any = None) -> None:
        self.profile_id = profile_id
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self.run_id: int | None = None
        self._audit: list[store.NewAuditEvent] = []
        self._synced: dict[str, dict[str, store.SyncedState]] = {}
        self._forget: dict[str, set[str]] = {}

    # -- runs -----------------------------------------------------------------------------------------------
    def start_run(self, kind: str) -> int:
        self.run_id = store.start_run(self.profile_id, kind, now=self._now())
        return self.run_id

    def finish_run(self, run_id: int | None, outcome: str, counts: dict[str, dict[str, int]], error: str) -> None:
        if run_id is not None:
            store.finish_run(run_id, outcome, counts=counts, error_summary=error or None, now=self._now())

    # -- synced state -----------------------------------------------------------------------------------------
    def synced(self, entity: str) -> dict[str, Synced]:
        self.flush()
        return {
            key: Synced(s.content_hash, s.remote_id or "", s.remote_email or "")
            for key, s in store.synced_map(self.profile_id, entity).items()
        }

    def mark_synced(
        self, entity: str, gp_key: str, digest: str, remote_id: str, email: str, meta: dict[str, Any]
    ) -> None:
        self._forget.get(entity, set()).discard(gp_key)
        self._synced.setdefault(entity, {})[gp_key] = store.SyncedState(digest, remote_id or None, email or None)

    def forget(self, entity: str, gp_key: str) -> None:
        self._synced.get(entity, {}).pop(gp_key, None)
        self._forget.setdefault(entity, set()).add(gp_key)

    # -- failures ---------------------------------------------------------------------------------------------
    def failures(self, entity: str) -> dict[str, Failure]:
        return {
            key: Failure(e.last_error_title or "", e.category, e.content_hash or "", e.next_retry_at, e.dismissed)
            for key, e in store.failure_map(self.profile_id, entity).items()
        }

    def record_failure(self, entity: str, gp_key: str, err: MailchimpError, content_hash: str) -> None:
        category = "transient" if err.category is Category.TRANSIENT else "permanent"
        store.record_failure(
            self.profile_id, entity, gp_key, category=category, content_hash=content_hash,
            error_title=err.title, error_detail=err.detail, http_status=err.status, now=self._now(),
        )

    def resolve_failure(self, entity: str, gp_key: str) -> None:
        store.resolve_failure(self.profile_id, entity, gp_key)

    # -- audit, state -----------------------------------------------------------------------------------------
    def audit(self, records: list[AuditRecord]) -> None:
        for r in records:
            self._audit.append(store.NewAuditEvent(
                entity=r.entity, gp_key=r.gp_key, action=r.action, mailchimp_id=r.mailchimp_id or None,
                email=r.email or None, reason=r.reason or None, http_status=r.http_status,
                error_title=r.error_title or None, error_detail=r.error_detail or None,
                payload_hash=r.payload_hash or None, at=self._now(),
            ))

    def get_state(self, key: str) -> str | None:
        value = store.get_state(self.profile_id, key)
        return None if value is None else str(value)

    def set_state(self, key: str, value: str) -> None:
        self.flush()
        store.set_state(self.profile_id, key, value, now=self._now())

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
