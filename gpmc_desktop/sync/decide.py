"""What each planned record becomes this run: the rules the real run performs and the dry run counts.

Pure functions of the plan, what was last synced, the failure ledger and the clock: no Mailchimp, no database.
Both runs call them, so a preview cannot disagree with the sync it previews (except where Mailchimp refuses a
write, which no preview can know).  A full comparison decides like any other run: what it adds is the read
(SOAP re-reads all of GP, so e-mail-only edits are seen), not a re-send of records whose content is what
Mailchimp was last sent, which would be counted and audited as "updated" though nothing changed.

One e-mail is one audience member and one e-commerce customer (the "buyer"), whose id is derived from the
e-mail; every GP customer with that e-mail is counted, audited and ledgered on its own, and its invoices become
orders of that buyer.  A GP customer synced under another buyer (an older build's one per GP customer, or an
e-mail it no longer has) *moves*: its orders are re-pointed, and the buyer left without orders is retired.
Mailchimp refuses a second customer with an e-mail a customer of the store has, so an older build's customer is
deleted (its orders first) before the e-mail's buyer is created; its orders are created again on the buyer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import islice

from gpmc_desktop.store.ledger import LedgerEntry
from gpmc_desktop.store.synced import SyncedState
from gpmc_desktop.store.vocab import Action
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.merge_fields import FieldMisfit
from gpmc_desktop.sync.plan import BuyerPlan, CustomerPlan, MemberPlan, OrderPlan, Plan

CUSTOMER_NOT_SYNCED = "customer not synced yet"
WAITING_FOR = "waiting for customer "  # an invoice whose customer failed: the reason names it (and why)
# The synced hash of an order deleted from Mailchimp to be created again on its buyer (never a content hash).
GONE_ORDER_HASH = "deleted, to be created again"


@dataclass(frozen=True, slots=True)
class Decision:
    """The action a record counts as once Mailchimp accepts its writes (UNCHANGED: nothing to write), and why."""

    action: Action
    reason: str = ""
    held: bool = False  # kept back by the failure ledger: nothing is sent (SKIPPED when dismissed, else FAILED)

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATED, Action.UPDATED)


@dataclass(frozen=True, slots=True)
class CustomerDecision(Decision):
    """A GP customer's own decision (its member's and buyer's writes are the group's)."""


@dataclass(frozen=True, slots=True)
class OrderDecision(Decision):
    # The order hangs on another buyer in Mailchimp.  PATCH cannot move it (SPEC90's PATCH ``customer`` has no
    # id), so it is deleted and created again on its buyer.
    repoint: bool = False
    gone: bool = False  # deleted already (with an older build's customer): only created again

    @property
    def posts(self) -> bool:
        """Sent with a POST (new, or re-created on its buyer): such an order can carry its buyer's data."""
        return self.writes and not self.held and (self.action == Action.CREATED or self.repoint)


# The decision of nearly every record of a poll, made once: a poll of 400,000 unchanged invoices holds one.
UNCHANGED = Decision(Action.UNCHANGED)
UNCHANGED_CUSTOMER = CustomerDecision(Action.UNCHANGED)
UNCHANGED_ORDER = OrderDecision(Action.UNCHANGED)


@dataclass(frozen=True)
class LegacyBuyer:
    """An older build's e-commerce customer of one GP customer (its id is the GP number), with the orders known
    to hang on it: deleted, orders first, before the buyer of the e-mail it holds is created."""

    id: str
    email: str  # the address it holds
    orders: tuple[str, ...]


@dataclass(frozen=True, slots=True)  # one per member: a poll of 100,000 holds no __dict__ each
class MemberGroup:
    """One audience member, its buyer and the decisions for the GP customers sharing its e-mail, primary first."""

    member: MemberPlan
    member_decision: Decision
    buyer_decision: Decision
    customers: list[tuple[CustomerPlan, CustomerDecision]]
    # Older builds' customers holding this e-mail or belonging to one of these GP customers: deleted first.
    legacy: tuple[LegacyBuyer, ...] = ()

    @property
    def to_send(self) -> list[tuple[CustomerPlan, CustomerDecision]]:
        """The customers the ledger does not hold; the first carries the member's and the buyer's writes."""
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

    @property
    def writes_buyer(self) -> bool:
        return self.buyer_decision.writes and bool(self.to_send)


def ledger_hash(member: MemberPlan, customer: CustomerPlan) -> str:
    """A customer's content as the failure ledger knows it: its member's, its buyer's and its own (any of their
    writes may fail)."""
    return mapping.content_hash([member.hash, member.buyer.hash, customer.hash])


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


def legacy_buyer_of(number: str, prior: SyncedState) -> str:
    """The e-commerce customer an older build made for GP customer *number* alone (its id was the GP number),
    or "" when *prior* was written by this build (its buyer id is derived from its e-mail)."""
    buyer = prior.remote_id or number
    if prior.remote_email and buyer == mapping.ecommerce_customer_id(prior.remote_email):
        return ""
    return buyer


def decide_content(content_hash: str, prior: SyncedState | None) -> Decision:
    """Created when never synced, updated when its content changed, else unchanged."""
    if prior is None:
        return Decision(Action.CREATED)
    if prior.content_hash != content_hash:
        return Decision(Action.UPDATED)
    return UNCHANGED


def decide_member(member: MemberPlan, prior: SyncedState | None) -> Decision:
    return decide_content(member.hash, prior)


def decide_buyer(buyer: BuyerPlan, prior: SyncedState | None) -> Decision:
    """The e-commerce customer of one e-mail, by its id (an older build's per-GP-customer ones never match)."""
    return decide_content(buyer.hash, prior)


def decide_customer(
    customer: CustomerPlan,
    member: MemberPlan,
    prior: SyncedState | None,
    failure: LedgerEntry | None,
    *,
    carries_group_write: bool,
    now: dt.datetime,
) -> CustomerDecision:
    """A customer counts as updated when its member or buyer is written on its behalf, or when it moves to its
    e-mail's buyer, even if nothing of its own changed."""
    # The ledger's hash only when the ledger holds the customer: hashing every customer's would cost a poll
    # of 100,000 more than everything else it decides.
    held = None if failure is None else ledger_hold(failure, ledger_hash(member, customer), now)
    if held:
        return CustomerDecision(held.action, held.reason, held=True)
    number, email = customer.customer.number, member.email
    reason = shared_reason(member, number)
    if prior is None:
        return CustomerDecision(Action.CREATED, reason)
    if legacy_buyer_of(number, prior):
        reason = f"merged into the e-commerce customer of {email}{shared_by(member)}"
        return CustomerDecision(Action.UPDATED, reason)
    if prior.remote_email != email:
        # Mailchimp never changes a customer's e-mail: the orders move to the new address's buyer.
        reason = f"e-mail changed from {prior.remote_email}; orders moved to the e-commerce customer of {email}"
        return CustomerDecision(Action.UPDATED, reason + shared_by(member))
    if carries_group_write:
        return CustomerDecision(Action.UPDATED, reason)
    return CustomerDecision(Action.UNCHANGED, reason) if reason else UNCHANGED_CUSTOMER


# GP customers a shared address's audit rows name.  Every customer of the address gets a row, so naming them all
# grew as the square of the group: an accounts office's address on 350 customers made each row 4 KB (the audit
# and the batch backfill's records in flight, 1.7 MB for the group); the e-mail finds them all in the audit.
SHARED_NAMED = 5


def shared_reason(member: MemberPlan, number: str) -> str:
    if len(member.customers) == 1:  # nearly every member: no list made per customer of a poll
        return ""
    others = (n for n in member.customers if n != number)
    count = len(member.customers) - (number in member.customers)
    return f"shares the member and e-commerce customer of {member.email} with {_named(others, count)}" if count else ""


def shared_by(member: MemberPlan) -> str:
    customers = member.customers
    return f" (shared by {_named(customers, len(customers))})" if len(customers) > 1 else ""


def _named(numbers: Iterable[str], count: int) -> str:
    """The first few of *count* *numbers*, and how many more."""
    named = ", ".join(islice(numbers, SHARED_NAMED))
    more = count - SHARED_NAMED
    return named if more <= 0 else f"{named} and {more:,} more GP customer{'s' if more > 1 else ''}"


def decide_member_group(
    member: MemberPlan,
    customers: Mapping[str, CustomerPlan],
    prior_member: SyncedState | None,
    prior_buyer: SyncedState | None,
    synced_customers: Mapping[str, SyncedState],
    ledger: Mapping[str, LedgerEntry],
    *,
    now: dt.datetime,
    legacy: Iterable[LegacyBuyer] = (),
) -> MemberGroup:
    member_decision = decide_member(member, prior_member)
    buyer_decision = decide_buyer(member.buyer, prior_buyer)
    # The first customer the ledger does not hold carries the member's and the buyer's writes.
    carrier_pending = member_decision.writes or buyer_decision.writes
    decisions: list[tuple[CustomerPlan, CustomerDecision]] = []
    for number in member.customers:
        cp = customers[number]
        decision = decide_customer(cp, member, synced_customers.get(number), ledger.get(number),
                                   carries_group_write=carrier_pending, now=now)
        if carrier_pending and member_decision.writes and not decision.held and member.left_out:
            # The member's audit row is its carrier's: it says which merge values were left out, and why.
            left_out = "; ".join(item.reason for item in member.left_out)
            decision = replace(decision, reason="; ".join(r for r in (decision.reason, left_out) if r))
        carrier_pending = carrier_pending and decision.held
        decisions.append((cp, decision))
    return MemberGroup(member, member_decision, buyer_decision, decisions, tuple(legacy))


def legacy_buyers(
    plan: Plan, synced_customers: Mapping[str, SyncedState], synced_orders: Mapping[str, SyncedState]
) -> dict[str, list[LegacyBuyer]]:
    """By e-mail, the older build's customers each member group deletes before writing its buyer: those of its
    GP customers, and those holding its e-mail (whose GP customer may have another address now).  Only GP
    customers the plan syncs: a skipped customer's records are left alone."""
    on_gp_number: dict[str, list[str]] = defaultdict(list)  # orders synced onto their GP customer's own customer
    for n, op in plan.orders.items():
        state = synced_orders.get(n)
        if state is not None and not state.remote_email and state.content_hash != GONE_ORDER_HASH:
            on_gp_number[op.doc.customer_number].append(n)
    by_email: dict[str, list[LegacyBuyer]] = defaultdict(list)
    for number, cp in plan.customers.items():
        prior = synced_customers.get(number)
        if prior is None or not (buyer := legacy_buyer_of(number, prior)):
            continue
        orders = tuple(sorted(on_gp_number.get(number, ())))
        held = prior.remote_email or ""
        found = LegacyBuyer(buyer, held, orders)
        for email in dict.fromkeys((held, cp.customer.email or "")):
            if email in plan.members:
                by_email[email].append(found)
    return dict(by_email)


# ------------------------------------------------------------------------------------------------ orders
def sendable_customers(plan: Plan, attached: Collection[str], buyers: Collection[str]) -> set[str]:
    """The GP customers whose orders may be sent: the customer is synced (*attached*: GP numbers) and the buyer
    of its e-mail is in Mailchimp (*buyers*: buyer ids)."""
    return {n for n, cp in plan.customers.items() if n in attached and cp.buyer_id in buyers}


def predicted_sendable(
    plan: Plan, groups: Iterable[MemberGroup], synced_customers: Collection[str], synced_buyers: Collection[str]
) -> set[str]:
    """:func:`sendable_customers` once the member groups are sent as decided (what the dry run assumes)."""
    attached, buyers = set(synced_customers), set(synced_buyers)
    for group in groups:
        if group.to_send:
            buyers.add(group.member.buyer.id)
            attached.update(cp.customer.number for cp, _d in group.to_send)
    return sendable_customers(plan, attached, buyers)


def order_reason(order: OrderPlan, *, repoint: bool) -> str:
    """The GP customer the invoice came from (the buyer may be shared), and what happened to it."""
    parts = [f"invoice of GP customer {order.doc.customer_number}"]
    if repoint:
        parts.append(f"moved to the e-commerce customer of {order.email}")
    if order.doc.is_voided:
        parts.append("voided in GP: cancelled")
    return "; ".join(parts)


def waiting_reason(number: str, customer_failure: LedgerEntry | None) -> str:
    """Why an invoice is not sent while its customer is not in Mailchimp: the customer's failure when the ledger
    has one ("waiting for customer X (failed: Invalid Resource)"), so nobody looks for a sync that is late."""
    if customer_failure is None:
        return CUSTOMER_NOT_SYNCED
    why = ("its failure was dismissed" if customer_failure.dismissed else
           f"failed: {customer_failure.last_error_title or 'see Failures'}")
    return f"{WAITING_FOR}{number} ({why})"


def decide_order(
    order: OrderPlan,
    prior: SyncedState | None,
    failure: LedgerEntry | None,
    *,
    customer_synced: bool,
    now: dt.datetime,
    customer_failure: LedgerEntry | None = None,
) -> OrderDecision:
    """*customer_synced*: the order's GP customer and its buyer are in Mailchimp once the customers are done
    (*customer_failure*: the customer's ledger entry, which says why not).  An order synced onto another buyer
    (an older build's per-GP-customer one, or an e-mail its customer no longer has; ``remote_email`` says which)
    is re-pointed."""
    if not customer_synced:
        return OrderDecision(Action.SKIPPED, waiting_reason(order.doc.customer_number, customer_failure))
    repoint = prior is not None and prior.remote_email != order.email
    if not repoint and prior is not None and prior.content_hash == order.hash:
        return UNCHANGED_ORDER
    held = ledger_hold(failure, order.hash, now)
    if held:
        return OrderDecision(held.action, held.reason, held=True)
    action = Action.CREATED if prior is None else Action.UPDATED
    gone = prior is not None and prior.content_hash == GONE_ORDER_HASH
    return OrderDecision(action, order_reason(order, repoint=repoint), repoint=repoint, gone=gone)


def decide_orders(
    plan: Plan,
    synced_orders: Mapping[str, SyncedState],
    ledger: Mapping[str, LedgerEntry],
    *,
    sendable: Collection[str],
    now: dt.datetime,
    customer_ledger: Mapping[str, LedgerEntry] | None = None,
) -> list[tuple[OrderPlan, OrderDecision]]:
    failures = customer_ledger or {}
    return [
        (op, decide_order(op, synced_orders.get(number), ledger.get(number),
                          customer_synced=op.doc.customer_number in sendable, now=now,
                          customer_failure=failures.get(op.doc.customer_number)))
        for number, op in plan.orders.items()
    ]


@dataclass(frozen=True)
class Forecast:
    """Every decision of a run, made before it writes anything: what the dry run counts, and what the real run
    plans with (which orders carry a buyer, whether orders are re-created)."""

    groups: list[MemberGroup]  # every member group, those the ledger holds entirely included
    orders: list[tuple[OrderPlan, OrderDecision]]  # as they will be once the groups are sent as decided

    @property
    def sending(self) -> list[MemberGroup]:
        return [g for g in self.groups if g.to_send]

    @property
    def repoints(self) -> int:
        """Orders this run deletes and creates again on their buyer."""
        return sum(1 for _op, d in self.orders if d.repoint and d.writes)

    def carriers(self) -> dict[str, tuple[OrderPlan, OrderDecision]]:
        return buyer_carriers(self.groups, self.orders)


def forecast(
    plan: Plan,
    *,
    synced_members: Mapping[str, SyncedState],
    synced_buyers: Mapping[str, SyncedState],
    synced_customers: Mapping[str, SyncedState],
    synced_orders: Mapping[str, SyncedState],
    customer_ledger: Mapping[str, LedgerEntry],
    order_ledger: Mapping[str, LedgerEntry],
    now: dt.datetime,
) -> Forecast:
    legacy = legacy_buyers(plan, synced_customers, synced_orders)
    groups = [decide_member_group(member, plan.customers, synced_members.get(email),
                                  synced_buyers.get(member.buyer.id), synced_customers, customer_ledger, now=now,
                                  legacy=legacy.get(email, ()))
              for email, member in plan.members.items()]
    sendable = predicted_sendable(plan, groups, synced_customers.keys(), synced_buyers.keys())
    return Forecast(groups, decide_orders(plan, synced_orders, order_ledger, sendable=sendable, now=now,
                                          customer_ledger=customer_ledger))


def buyer_carriers(
    groups: Iterable[MemberGroup], orders: Iterable[tuple[OrderPlan, OrderDecision]]
) -> dict[str, tuple[OrderPlan, OrderDecision]]:
    """By e-mail, the order whose POST writes the buyer (its ``customer`` object in full) instead of a separate
    customer PUT: the first order (by number) of the e-mail that is POSTed this run, for each buyer to write.
    A buyer with no such order is PUT on its own."""
    wanted = {g.member.email for g in groups if g.writes_buyer}
    carriers: dict[str, tuple[OrderPlan, OrderDecision]] = {}
    for op, decision in sorted(orders, key=lambda item: item[0].doc.number):
        if decision.posts and op.email in wanted and op.email not in carriers:
            carriers[op.email] = (op, decision)
    return carriers


# ------------------------------------------------------------------------------------------------ retiring
def surplus_buyers(
    plan: Plan, synced_buyers: Mapping[str, SyncedState], synced_orders: Mapping[str, SyncedState]
) -> list[tuple[str, SyncedState]]:
    """The store's customers to delete: buyers of an e-mail no GP customer has (skipped customers' too: their
    records are left alone) that no order hangs on any more, so a customer is never left behind holding
    nothing, and never deleted while an order still needs it."""
    wanted = {m.buyer.id for m in plan.members.values()}
    wanted.update(mapping.ecommerce_customer_id(c.email) for c, _why in plan.skipped_customers.values() if c.email)
    wanted.update(mapping.ecommerce_customer_id(s.remote_email) for s in synced_orders.values() if s.remote_email)
    return [(bid, state) for bid, state in sorted(synced_buyers.items()) if bid not in wanted]
