"""What each planned record becomes this run: the rules the real run performs and the dry run counts.

Pure functions of the plan, what was last synced, the failure ledger, ``full`` and the clock: no Mailchimp, no
database.  Both runs call them, so a preview cannot disagree with the sync it previews (except where Mailchimp
refuses a write, which no preview can know).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from dataclasses import dataclass, replace

from gpmc_desktop.store.ledger import LedgerEntry
from gpmc_desktop.store.synced import SyncedState
from gpmc_desktop.store.vocab import Action
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.merge_fields import FieldMisfit
from gpmc_desktop.sync.plan import CustomerPlan, MemberPlan, OrderPlan, Plan

CUSTOMER_NOT_SYNCED = "customer not synced yet"


@dataclass(frozen=True)
class Decision:
    """The action a record counts as once Mailchimp accepts its writes (UNCHANGED: nothing to write), and why."""

    action: Action
    reason: str = ""
    held: bool = False  # kept back by the failure ledger: nothing is sent (SKIPPED when dismissed, else FAILED)

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATED, Action.UPDATED)


@dataclass(frozen=True)
class CustomerDecision(Decision):
    put_customer: bool = False  # the e-commerce customer is new or changed (else only its member may be written)
    replaced_email: str = ""  # the address it was synced under, when the e-mail changed and it must be replaced


@dataclass(frozen=True)
class MemberGroup:
    """One audience member and the decisions for the GP customers sharing its e-mail, primary first."""

    member: MemberPlan
    member_decision: Decision
    customers: list[tuple[CustomerPlan, CustomerDecision]]

    @property
    def to_send(self) -> list[tuple[CustomerPlan, CustomerDecision]]:
        """The customers the ledger does not hold; the first carries the member's write."""
        return [(cp, d) for cp, d in self.customers if not d.held]

    @property
    def adds_contact(self) -> bool:
        """The member is new to the audience (a member with no customer to send is not written)."""
        return self.member_decision.action == Action.CREATED and bool(self.to_send)

    @property
    def fields_left_out(self) -> list[FieldMisfit]:
        """The merge values this run's member write leaves out (none when the member is not written)."""
        if not (self.member_decision.writes and self.to_send):
            return []
        return [item.key for item in self.member.left_out]


def ledger_hash(member: MemberPlan, customer: CustomerPlan) -> str:
    """A customer's content as the failure ledger knows it: its member's and its own (either write may fail)."""
    return mapping.content_hash([member.hash, customer.hash])


def ledger_hold(failure: LedgerEntry | None, content_hash: str, now: dt.datetime) -> Decision | None:
    """Why the failure ledger keeps a record back this run, or None when it may be sent."""
    if failure is None or failure.is_due(now, content_hash):
        return None
    if failure.dismissed:
        return Decision(Action.SKIPPED, "failure dismissed by a person", held=True)
    title = failure.last_error_title or ""
    if failure.next_retry_at is None:
        return Decision(Action.FAILED, f"waiting for a change in GP or a replay ({title})", held=True)
    return Decision(Action.FAILED, f"retry after {failure.next_retry_at.isoformat(timespec='minutes')} ({title})",
                    held=True)


def decide_member(member: MemberPlan, prior: SyncedState | None, *, full: bool) -> Decision:
    if prior is None:
        return Decision(Action.CREATED)
    if full or prior.content_hash != member.hash:
        return Decision(Action.UPDATED)
    return Decision(Action.UNCHANGED)


def decide_customer(
    customer: CustomerPlan,
    member: MemberPlan,
    prior: SyncedState | None,
    failure: LedgerEntry | None,
    *,
    carries_member_write: bool,
    full: bool,
    now: dt.datetime,
) -> CustomerDecision:
    """A customer counts as updated when its member is written on its behalf, even if it did not change itself."""
    held = ledger_hold(failure, ledger_hash(member, customer), now)
    if held:
        return CustomerDecision(held.action, held.reason, held=True)
    number = customer.customer.number
    changed = full or prior is None or prior.content_hash != customer.hash
    reason = _shared_member_reason(member, number)
    replaced_email = ""
    if changed and prior is not None and prior.remote_email and prior.remote_email != customer.customer.email:
        # Mailchimp never changes an e-commerce customer's e-mail: it is replaced, and its orders re-sent.
        replaced_email = prior.remote_email
        reason = f"e-mail changed from {replaced_email}; e-commerce customer replaced"
    if prior is None:
        action = Action.CREATED
    elif changed or carries_member_write:
        action = Action.UPDATED
    else:
        action = Action.UNCHANGED
    return CustomerDecision(action, reason, put_customer=changed, replaced_email=replaced_email)


def _shared_member_reason(member: MemberPlan, number: str) -> str:
    others = [n for n in member.customers if n != number]
    return f"shares member {member.email} with {', '.join(others)}" if others else ""


def decide_member_group(
    member: MemberPlan,
    customers: Mapping[str, CustomerPlan],
    prior_member: SyncedState | None,
    synced_customers: Mapping[str, SyncedState],
    ledger: Mapping[str, LedgerEntry],
    *,
    full: bool,
    now: dt.datetime,
) -> MemberGroup:
    member_decision = decide_member(member, prior_member, full=full)
    carrier_pending = member_decision.writes  # the first customer the ledger does not hold carries the member
    decisions: list[tuple[CustomerPlan, CustomerDecision]] = []
    for number in member.customers:
        cp = customers[number]
        decision = decide_customer(cp, member, synced_customers.get(number), ledger.get(number),
                                   carries_member_write=carrier_pending, full=full, now=now)
        if carrier_pending and not decision.held and member.left_out:
            # The member's audit row is its carrier's: it says which merge values were left out, and why.
            left_out = "; ".join(item.reason for item in member.left_out)
            decision = replace(decision, reason="; ".join(r for r in (decision.reason, left_out) if r))
        carrier_pending = carrier_pending and decision.held
        decisions.append((cp, decision))
    return MemberGroup(member, member_decision, decisions)


def decide_order(
    order: OrderPlan,
    prior: SyncedState | None,
    failure: LedgerEntry | None,
    *,
    customer_synced: bool,
    customer_replaced: bool,
    full: bool,
    now: dt.datetime,
) -> Decision:
    """*customer_synced*: the order's customer is in Mailchimp once the customers are done; *customer_replaced*:
    that customer was replaced this run (a new e-mail), so its orders must be sent again to hang off it."""
    if not customer_synced:
        return Decision(Action.SKIPPED, CUSTOMER_NOT_SYNCED)
    if not (full or customer_replaced) and prior is not None and prior.content_hash == order.hash:
        return Decision(Action.UNCHANGED)
    held = ledger_hold(failure, order.hash, now)
    if held:
        return held
    return Decision(Action.CREATED if prior is None else Action.UPDATED)


def decide_orders(
    plan: Plan,
    synced_orders: Mapping[str, SyncedState],
    ledger: Mapping[str, LedgerEntry],
    *,
    synced_customers: Container[str],
    replaced_customers: Container[str],
    full: bool,
    now: dt.datetime,
) -> list[tuple[OrderPlan, Decision]]:
    return [
        (op, decide_order(op, synced_orders.get(number), ledger.get(number),
                          customer_synced=op.doc.customer_number in synced_customers,
                          customer_replaced=op.doc.customer_number in replaced_customers, full=full, now=now))
        for number, op in plan.orders.items()
    ]
