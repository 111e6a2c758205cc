"""Read-only views of the simulated account for tests: copies, so a test never races the server threads."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .members import member_json
from .routes_orders import is_cancelled
from .state import ContractViolation, subscriber_hash

if TYPE_CHECKING:
    from .batches import BatchRunner
    from .slots import ConnectionSlots
    from .state import AccountState


class Inspection:
    state: AccountState
    slots: ConnectionSlots
    batches: BatchRunner

    # --- audience ---------------------------------------------------------------------------------------------

    def member(self, list_id: str, email: str) -> dict[str, Any] | None:
        """The contact as GET would show it, plus ``tags`` as names; None if absent or forgotten."""
        with self.state.lock:
            audience = self.state.lists.get(list_id)
            member = audience.members.get(subscriber_hash(email)) if audience else None
            if member is None:
                return None
            view = member_json(member)
            view["tags"] = sorted(member.tags)
            view["compliance_hold"] = member.compliance_hold
            return view

    def members(self, list_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [m for m in (self.member(list_id, x.email_address)
                                for x in self.state.lists[list_id].members.values()) if m]

    def is_forgotten(self, list_id: str, email: str) -> bool:
        with self.state.lock:
            return subscriber_hash(email) in self.state.lists[list_id].forgotten

    def merge_fields(self, list_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(list(self.state.lists[list_id].merge_fields.values()))

    # --- e-commerce -------------------------------------------------------------------------------------------

    def store(self, store_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            store = self.state.stores.get(store_id)
            return copy.deepcopy(store.data) if store else None

    def is_syncing_history(self, store_id: str) -> list[bool]:
        """Every value the store's ``is_syncing`` was given, creation first (e.g. ``[False, True, False]``)."""
        with self.state.lock:
            return [entry["is_syncing"] for entry in self.state.stores[store_id].is_syncing_history]

    def customers(self, store_id: str) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.stores[store_id].customers)

    def products(self, store_id: str) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.stores[store_id].products)

    def orders(self, store_id: str) -> dict[str, dict[str, Any]]:
        """Orders by id, each with a ``cancelled`` flag (set by ``cancelled_at_foreign``)."""
        with self.state.lock:
            return {oid: {**copy.deepcopy(o), "cancelled": is_cancelled(o)}
                    for oid, o in self.state.stores[store_id].orders.items()}

    def notification_events(self, store_id: str | None = None) -> list[dict[str, Any]]:
        """Order notifications / first purchases, sent or not: ``suppressed`` (and ``suppressed_by``) while the
        store is_syncing or, for order e-mails, while the account's order notifications are off."""
        with self.state.lock:
            return [dict(e) for e in self.state.notification_events if store_id in (None, e["store_id"])]

    def sent_notifications(self, store_id: str | None = None) -> list[dict[str, Any]]:
        """The events that did e-mail a buyer or start an automation (the ones nothing suppressed)."""
        return [e for e in self.notification_events(store_id) if not e["suppressed"]]

    @property
    def order_notifications(self) -> bool:
        """The account's "Order notifications" setting (``set_order_notifications`` changes it)."""
        with self.state.lock:
            return self.state.order_notifications

    # --- traffic ----------------------------------------------------------------------------------------------

    def request_counts(self) -> dict[tuple[str, str], int]:
        """Live requests per (method, contract path template); batch operations are in batch_operation_counts."""
        with self.state.lock:
            return dict(self.state.request_counts)

    def batch_operation_counts(self) -> dict[tuple[str, str], int]:
        with self.state.lock:
            return dict(self.state.batch_operation_counts)

    @property
    def writes(self) -> int:
        """Live requests with a method other than GET/HEAD, answered or refused."""
        with self.state.lock:
            return self.state.writes

    @property
    def peak_concurrency(self) -> int:
        return self.slots.peak

    @property
    def rejected_for_concurrency(self) -> int:
        return self.slots.rejected

    @property
    def contract_violations(self) -> list[ContractViolation]:
        with self.state.lock:
            return list(self.state.contract_violations)

    @property
    def response_violations(self) -> list[ContractViolation]:
        with self.state.lock:
            return list(self.state.response_violations)

    @property
    def order_put_attempts(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(a) for a in self.state.order_put_attempts]

    @property
    def internal_errors(self) -> list[str]:
        with self.state.lock:
            return list(self.state.internal_errors)

    def tag_requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.tag_requests)

    def member_events(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(e) for e in self.state.member_events]

    def result_downloads(self) -> list[dict[str, Any]]:
        """Each download of a batch's results: ``status`` and whether it carried an ``authorization`` header."""
        with self.state.lock:
            return [dict(d) for d in self.state.result_downloads]

    def status_changes(self, list_id: str | None = None) -> list[dict[str, Any]]:
        """Every status change of an existing contact made through the API so far (a new contact's first status
        is not a change): ``list_id``, ``email``, ``from``, ``to``, ``at``."""
        with self.state.lock:
            return [dict(c) for c in self.state.status_changes if list_id is None or c["list_id"] == list_id]

    def rejected_requests(self) -> list[tuple[str, str, str, str]]:
        """Every request answered 400 so far, live or in a batch: (method, path, SHA-256 of the body, "answered"
        or "unheard": whether the 400 reached the client with its answer)."""
        with self.state.lock:
            return list(self.state.rejected_requests)

    def batch(self, batch_id: str) -> dict[str, Any]:
        """Status and counters of a batch, plus the ``execution_order`` (submission indexes as they ran)."""
        found = self.batches.get(batch_id)
        return {"id": found.id, "status": found.status, "execution_order": list(found.execution_order),
                "finished_operations": found.finished_operations, "errored_operations": found.errored_operations}

    def reset_counters(self) -> None:
        """Forget traffic and violations (not account data), e.g. between a set-up phase and the run under test."""
        self.state.reset_counters()
        self.slots.reset()
