"""The mass-change guard: a run that would change, skip or stop keeping more than ``[sync] mass_change_percent``
of the customers or of the invoices Mailchimp already holds sends nothing and waits for a person.

A shape change on the GP side (every e-mail gone), a filter that drops most customers or the wrong company all
look like that, and sending them would take weeks of clean-up in Mailchimp.  Counted from the engine's own
forecast, against what was synced before:

* changed: a previously synced record this run would update, newly skip (a record skipped for the same reason
  last run is old news), or newly miss from GP's answer (those missing at the last run that went through are
  remembered, :data:`MISSING_STATE`);
* not changed: unchanged records, records the failure ledger holds back (nothing is sent for them), new records,
  and an older build's records this build converts (its per-GP-customer e-commerce customers merged into one per
  e-mail, their orders moved): that is the upgrade's own doing, not news from GP.

The forecast counted is the run's own (a full comparison sends only what differs, as any run does).  The first
load (nothing synced yet) is exempt.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gpmc_desktop.store.synced import SyncedState
from gpmc_desktop.store.vocab import Action
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.archived import is_archived_skip
from gpmc_desktop.sync.decide import GONE_ORDER_HASH, Forecast, legacy_buyer_of
from gpmc_desktop.sync.plan import Plan

# Every stop message starts so: the app tells a stop waiting for a decision from a failure by it.
MESSAGE_START = "This run would change "
CONFIRM_FLAG = "--confirm-mass-change"

# Profile state: the previously synced records GP's answer lacked at the last run that went through, by entity.
MISSING_STATE = "mass_change_missing"

SKIPPED = "skipped"
UPDATED = "updated"
GONE = "gone"


def is_stop(error: str) -> bool:
    """Whether a run's error (a report's, or a stored run's summary) is the guard's stop."""
    return error.startswith(MESSAGE_START)


@dataclass(frozen=True)
class Change:
    """Why previously synced records change: a kind (skipped, updated, gone) and its detail in GP's words."""

    kind: str
    detail: str = ""

    def words(self, n: int) -> str:
        if self.kind == SKIPPED:
            return f'{n} would be skipped for "{self.detail}"'
        if self.kind == GONE:
            return f"{n} no longer returned by GP"
        return f"{n} updated" + (f" ({self.detail})" if self.detail else "")

    @property
    def key(self) -> str:
        """The reason as the ``--json`` line names it."""
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


@dataclass(frozen=True)
class EntityChange:
    """One kind of record: how many Mailchimp holds from earlier runs, and why this run would change some."""

    label: str  # "customers" or "invoices", in the admin's words
    synced: int
    reasons: Counter[Change] = field(default_factory=Counter)
    missing: frozenset[str] = frozenset()  # previously synced, not in GP's answer (new or not): remembered

    @property
    def changed(self) -> int:
        return sum(self.reasons.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.changed / self.synced if self.synced else 0.0

    def exceeds(self, limit: float) -> bool:
        # Exact in integers; a limit of 100 can never be exceeded.
        return bool(limit) and self.changed * 100 > limit * self.synced

    def biggest_first(self) -> list[tuple[Change, int]]:
        return sorted(self.reasons.items(), key=lambda item: (-item[1], item[0].kind, item[0].detail))

    def sentence(self, limit: float) -> str:
        reasons = ", ".join(change.words(n) for change, n in self.biggest_first())
        return (f"{self.changed} of {self.synced} {self.label} Mailchimp already holds "
                f"({self.percent:.0f}%; the limit is {limit:g}%): {reasons}.")

    def as_json(self) -> dict[str, Any]:
        return {"synced_before": self.synced, "changed": self.changed, "percent": round(self.percent, 1),
                "reasons": {change.key: n for change, n in self.biggest_first()}}


@dataclass(frozen=True)
class MassChange:
    """The guard's count for one run; ``stops`` when a share exceeds the limit and nobody confirmed."""

    limit: float
    customers: EntityChange
    orders: EntityChange
    confirmed: bool = False
    cause: str = ""  # why so much changes, when the engine knows (the profile now sends GP's fields otherwise)

    @property
    def over_limit(self) -> list[EntityChange]:
        return [e for e in (self.customers, self.orders) if e.exceeds(self.limit)]

    @property
    def stops(self) -> bool:
        return bool(self.over_limit) and not self.confirmed

    def message(self, *, dry_run: bool = False) -> str:
        """In plain words: what the run would have done and that nothing was sent (empty when under the
        limit)."""
        over = self.over_limit
        if not over:
            return ""
        text = MESSAGE_START + " It would also change ".join(e.sentence(self.limit) for e in over)
        if self.cause:
            text += f" {self.cause}"
        if self.confirmed:
            return text + " Sent, as a person confirmed."
        return text + (" A real run would stop and send nothing." if dry_run else " Nothing was sent.")

    def as_json(self) -> dict[str, Any]:
        """The ``mass_change`` value of the ``--json`` line."""
        return {"limit_percent": self.limit, "over_limit": bool(self.over_limit),
                "needs_confirmation": self.stops, "confirmed": self.confirmed, "customers": self.customers.as_json(),
                "orders": self.orders.as_json()}


def _skip_detail(reason: str) -> str:
    """A skip reason without the record-specific part in parentheses (as the report tallies them)."""
    return reason.split(" (")[0]


def _newly_skipped(number: str, reason: str, known: Mapping[str, SyncedState]) -> bool:
    """Not skipped for *reason* at the last run that went through (the engine keeps each skip's reason)."""
    prior = known.get(number)
    return prior is None or prior.content_hash != mapping.content_hash(reason)


def customer_changes(
    plan: Plan, fc: Forecast, synced: Mapping[str, SyncedState], *, skips: Mapping[str, SyncedState],
    missing: Collection[str],
) -> EntityChange:
    # Only the customers something happens to: an unchanged one is no change (a poll's 100,000 are not held twice).
    decisions = {cp.customer.number: (d, cp) for group in fc.groups for cp, d in group.customers
                 if d.action != Action.UNCHANGED}

    def decided(number: str, prior: SyncedState) -> Change | None:
        found = decisions.get(number)
        if found is None:
            return None if number in plan.customers else Change(GONE)
        decision, cp = found
        if decision.held or decision.action != Action.UPDATED or legacy_buyer_of(number, prior):
            return None
        email_changed = prior.remote_email is not None and prior.remote_email != cp.customer.email
        return Change(UPDATED, "e-mail changed in GP" if email_changed else "")

    return _changes("customers", synced, plan.skipped_customers, skips, missing, decided)


def order_changes(
    plan: Plan, fc: Forecast, synced: Mapping[str, SyncedState], *, skips: Mapping[str, SyncedState],
    missing: Collection[str],
) -> EntityChange:
    # Only the invoices something happens to: an unchanged one is no change (a poll's 500,000 are not held twice).
    decisions = {op.doc.number: (d, op) for op, d in fc.orders if d.action != Action.UNCHANGED}

    def decided(number: str, prior: SyncedState) -> Change | None:
        found = decisions.get(number)
        if found is None:
            return None if number in plan.orders else Change(GONE)
        decision, op = found
        if decision.held:
            return None
        if decision.action == Action.SKIPPED and not is_archived_skip(decision.reason):
            return Change(SKIPPED, _skip_detail(decision.reason))
        if decision.action != Action.UPDATED or not _sent_by_this_build(prior):
            return None
        return Change(UPDATED, "sent as cancelled: voided in GP" if op.doc.is_voided else
                      "moved to another e-mail's customer" if decision.repoint else "")

    return _changes("invoices", synced, plan.skipped_orders, skips, missing, decided)


def _changes(
    label: str,
    synced: Mapping[str, SyncedState],
    skipped: Mapping[str, tuple[object, str]],
    skips: Mapping[str, SyncedState],
    missing: Collection[str],
    decided: Callable[[str, SyncedState], Change | None],
) -> EntityChange:
    """Tally each previously synced record: skipped by the plan (news only when newly so), else as *decided*
    says (None: no change; GONE: not in GP's answer, news only when it was there last time)."""
    reasons: Counter[Change] = Counter()
    gone: set[str] = set()
    for number, prior in synced.items():
        if number in skipped:
            reason = skipped[number][1]
            # Archived in Mailchimp is Mailchimp's side, not a change in GP's data (sync/archived.py).
            if _newly_skipped(number, reason, skips) and not is_archived_skip(reason):
                reasons[Change(SKIPPED, _skip_detail(reason))] += 1
        elif (change := decided(number, prior)) is not None:
            if change.kind == GONE:
                gone.add(number)
            else:
                reasons[change] += 1
    if newly_gone := len(gone - set(missing)):
        reasons[Change(GONE)] += newly_gone
    return EntityChange(label, len(synced), reasons, frozenset(gone))


def _sent_by_this_build(prior: SyncedState) -> bool:
    """An older build kept no e-mail with an order (its buyer was the GP customer's own); an order deleted with
    such a customer waits to be created again on its e-mail's."""
    return bool(prior.remote_email) and prior.content_hash != GONE_ORDER_HASH


def assess(
    plan: Plan,
    fc: Forecast,
    *,
    synced_customers: Mapping[str, SyncedState],
    synced_orders: Mapping[str, SyncedState],
    customer_skips: Mapping[str, SyncedState],
    order_skips: Mapping[str, SyncedState],
    missing: str | None,
    limit: float,
    confirmed: bool = False,
) -> MassChange:
    """The guard's count of one run from its forecast *fc* (see the module's doc); *missing*: the
    :data:`MISSING_STATE` the last run that went through left (None: none yet)."""
    known = read_missing(missing)
    customers = customer_changes(plan, fc, synced_customers, skips=customer_skips, missing=known["customers"])
    orders = order_changes(plan, fc, synced_orders, skips=order_skips, missing=known["invoices"])
    return MassChange(limit, customers, orders, confirmed)


def read_missing(value: str | None) -> dict[str, frozenset[str]]:
    """The :data:`MISSING_STATE` as sets by label; an unreadable value counts as nothing remembered."""
    try:
        found = json.loads(value) if value else {}
    except ValueError:
        found = {}
    found = found if isinstance(found, dict) else {}
    return {label: frozenset(map(str, found.get(label) or ())) for label in ("customers", "invoices")}


def write_missing(guard: MassChange) -> str:
    """The :data:`MISSING_STATE` a run that goes through leaves for the next run's guard."""
    return json.dumps({e.label: sorted(e.missing) for e in (guard.customers, guard.orders)}, separators=(",", ":"))


# ------------------------------------------------------------------------------------------------ a big run
def absent(label: str, numbers: Collection[str], missing: str | None) -> EntityChange:
    """The previously synced records of *label* GP's answer lacks (a big run finds them by key, apart from the
    plans of its parts, each of which counts only its own records)."""
    known = read_missing(missing)[label]
    gone = frozenset(numbers)
    reasons: Counter[Change] = Counter()
    if newly_gone := len(gone - known):
        reasons[Change(GONE)] = newly_gone
    return EntityChange(label, len(gone), reasons, gone)


def merged(parts: Collection[MassChange], limit: float, *, confirmed: bool = False) -> MassChange:
    """One count of a run from its parts' (each plan's, and the records GP lacks: :func:`absent`)."""

    def total(label: str, changes: list[EntityChange]) -> EntityChange:
        reasons: Counter[Change] = Counter()
        for change in changes:
            reasons.update(change.reasons)
        return EntityChange(label, sum(c.synced for c in changes), reasons,
                            frozenset().union(*(c.missing for c in changes)))

    return MassChange(limit, total("customers", [p.customers for p in parts]),
                      total("invoices", [p.orders for p in parts]), confirmed)
