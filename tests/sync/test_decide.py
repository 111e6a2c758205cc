"""The decision rules the real run performs and the dry run counts, on hand-built plans (no GP, no Mailchimp)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.profile import SyncFilters
from gpmc_desktop.store import Action, LedgerEntry, SyncedState
from gpmc_desktop.sync.decide import (
    CUSTOMER_NOT_SYNCED,
    GONE_ORDER_HASH,
    Forecast,
    MemberGroup,
    buyer_carriers,
    decide_member_group,
    decide_order,
    decide_orders,
    forecast,
    ledger_hash,
    ledger_hold,
    legacy_buyers,
    predicted_sendable,
    sendable_customers,
    shared_by,
    surplus_buyers,
)
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from gpmc_desktop.sync.merge_fields import AudienceFields, FieldMisfit, Misfit
from gpmc_desktop.sync.plan import Plan, build_plan, fit_members
from tests.sync.test_mapping import DEFAULT_AUDIENCE

NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
SHARED = "buyers@contoso.com"


def customer(number: str, email: str, *, class_id: str = "RETAIL", line1: str = "1 Main Street") -> Customer:
    return Customer(number, f"{number} Ltd", "Ann", "Lee", email, "", PostalAddress(line1, "", "Leeds", "", "LS1",
                    "GB"), "", class_id, "Z-US$", True, False, dt.date(2025, 2, 1))


def invoice(number: str, customer_number: str, amount: str = "10.00") -> Document:
    return Document(number, DocumentType.INVOICE, customer_number, dt.date(2025, 2, 1), Decimal(amount),
                    Decimal(amount), "USD", False, None, dt.date(2025, 2, 1))


def plan_of(*customers: Customer, docs: tuple[Document, ...] = ()) -> Plan:
    return build_plan(customers, docs, SyncFilters(), "transactional")


GP = (customer("C1", SHARED), customer("C2", SHARED, class_id="TRADE"), customer("C3", "c3@contoso.com"))
DOCS = (invoice("INV1", "C1"), invoice("INV2", "C2"), invoice("INV3", "C3"), invoice("INV4", "C2"))


class Synced:
    """The synced state of *plan* as a run that sent all of it leaves it."""

    def __init__(self, plan: Plan) -> None:
        self.members = {e: SyncedState(m.hash, f"id-{e}", e) for e, m in plan.members.items()}
        self.buyers = {m.buyer.id: SyncedState(m.buyer.hash, m.buyer.id, e) for e, m in plan.members.items()}
        self.customers = {n: SyncedState(c.hash, c.buyer_id, c.customer.email) for n, c in plan.customers.items()}
        self.orders = {n: SyncedState(o.hash, n, o.email) for n, o in plan.orders.items()}


class LegacySynced(Synced):
    """What the build with one e-commerce customer per GP customer (id = GP number) left."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan)
        self.buyers = {}
        self.customers = {n: SyncedState("its own payload", n, c.customer.email) for n, c in plan.customers.items()}
        self.orders = {n: SyncedState("an order on its GP number", n) for n in plan.orders}


def failure(key: str, content_hash: str, *, retry_at: dt.datetime | None = None,
            dismissed: bool = False) -> LedgerEntry:
    return LedgerEntry(1, "customer", key, 1, "transient" if retry_at else "permanent", retry_at, "Invalid Resource",
                       "", 400, NOW, NOW, content_hash, dismissed)


def group(
    plan: Plan, email: str, synced: Synced | None = None, ledger: dict[str, LedgerEntry] | None = None
) -> MemberGroup:
    member = plan.members[email]
    return decide_member_group(member, plan.customers, synced.members.get(email) if synced else None,
                               synced.buyers.get(member.buyer.id) if synced else None,
                               synced.customers if synced else {}, ledger or {}, now=NOW)


def groups(plan: Plan, synced: Synced | None = None) -> list[MemberGroup]:
    return [group(plan, email, synced) for email in plan.members]


def repoints(plan: Plan, synced: Synced) -> int:
    """The orders a run from *synced* deletes and creates again on their buyer."""
    return forecast(plan, synced_members=synced.members, synced_buyers=synced.buyers,
                    synced_customers=synced.customers, synced_orders=synced.orders, customer_ledger={},
                    order_ledger={}, now=NOW).repoints


def actions(g: MemberGroup) -> dict[str, Action]:
    return {cp.customer.number: d.action for cp, d in g.customers}


# ------------------------------------------------------------------------------------------------ customers
def test_one_buyer_per_email_with_an_id_derived_from_it_and_the_primarys_data() -> None:
    plan = plan_of(*GP, docs=DOCS)
    buyer = plan.members[SHARED].buyer
    assert buyer.id == ecommerce_customer_id(" Buyers@Contoso.com ") == ecommerce_customer_id(SHARED)
    assert buyer.payload["id"] == buyer.id and buyer.payload["email_address"] == SHARED
    assert buyer.payload["company"] == "C1 Ltd"  # the primary's (lowest number), as on the member
    assert plan.customers["C1"].buyer_id == plan.customers["C2"].buyer_id == buyer.id
    assert {n: o.payload["customer"]["id"] for n, o in plan.orders.items()} == {
        "INV1": buyer.id, "INV2": buyer.id, "INV4": buyer.id, "INV3": ecommerce_customer_id("c3@contoso.com")}


def test_first_sync_creates_every_member_buyer_and_customer() -> None:
    plan = plan_of(*GP)
    shared = group(plan, SHARED)
    assert shared.member_decision.action == Action.CREATED and shared.adds_contact
    assert shared.buyer_decision.action == Action.CREATED and shared.writes_buyer
    assert actions(shared) == {"C1": Action.CREATED, "C2": Action.CREATED}
    assert [d.reason for _cp, d in shared.customers] == [
        f"shares the member and e-commerce customer of {SHARED} with C2",
        f"shares the member and e-commerce customer of {SHARED} with C1"]


def test_a_long_shared_address_names_a_few_customers_and_counts_the_rest() -> None:
    """An accounts office's address on hundreds of GP customers: each customer's row names five of the others
    (naming all grew as the square of the group, 4 KB a row at 350) and says how many more share it."""
    numbers = [f"C{n:03}" for n in range(1, 351)]
    plan = plan_of(*(customer(n, SHARED) for n in numbers))
    reasons = {cp.customer.number: d.reason for cp, d in group(plan, SHARED).customers}
    shares = f"shares the member and e-commerce customer of {SHARED} with"
    assert reasons["C001"] == f"{shares} C002, C003, C004, C005, C006 and 344 more GP customers"
    assert reasons["C004"] == f"{shares} C001, C002, C003, C005, C006 and 344 more GP customers"
    assert max(len(r) for r in reasons.values()) < 200
    six = plan_of(*(customer(n, SHARED) for n in numbers[:6]))  # five others: all named
    assert {d.reason for _cp, d in group(six, SHARED).customers} >= {f"{shares} C002, C003, C004, C005, C006"}
    assert shared_by(plan.members[SHARED]) == " (shared by C001, C002, C003, C004, C005 and 345 more GP customers)"
    assert shared_by(six.members[SHARED]) == " (shared by C001, C002, C003, C004, C005 and 1 more GP customer)"


def test_nothing_changed_writes_nothing() -> None:
    plan = plan_of(*GP)
    synced = Synced(plan)
    quiet = group(plan, SHARED, synced)
    assert quiet.member_decision.action == quiet.buyer_decision.action == Action.UNCHANGED
    assert not quiet.adds_contact and not quiet.writes_buyer
    assert actions(quiet) == {"C1": Action.UNCHANGED, "C2": Action.UNCHANGED}


def test_member_only_change_counts_once_on_the_first_customer_sent() -> None:
    synced = Synced(plan_of(*GP))
    # C2's class is a tag on the shared member only: the buyer does not change.
    plan = plan_of(GP[0], dataclasses.replace(GP[1], class_id="WHOLESALE"), GP[2])
    g = group(plan, SHARED, synced)
    assert g.member_decision.action == Action.UPDATED and g.buyer_decision.action == Action.UNCHANGED
    assert actions(g) == {"C1": Action.UPDATED, "C2": Action.UNCHANGED}


def test_a_non_primarys_own_address_is_in_neither_the_member_nor_the_buyer() -> None:
    synced = Synced(plan_of(*GP))
    plan = plan_of(GP[0], customer("C2", SHARED, class_id="TRADE", line1="8 Other Street"), GP[2])
    g = group(plan, SHARED, synced)
    assert g.member_decision.action == g.buyer_decision.action == Action.UNCHANGED
    assert actions(g) == {"C1": Action.UNCHANGED, "C2": Action.UNCHANGED}


def test_a_new_primary_rewrites_the_member_and_the_buyer_under_the_same_id() -> None:
    before = plan_of(*GP)
    synced = Synced(before)
    plan = plan_of(customer("C0", SHARED), *GP)  # a lower number joins: it is the primary now
    g = group(plan, SHARED, synced)
    assert g.member.primary == "C0" and g.member.buyer.id == before.members[SHARED].buyer.id
    assert g.member_decision.action == g.buyer_decision.action == Action.UPDATED
    assert g.member.buyer.payload["company"] == "C0 Ltd"
    assert actions(g) == {"C0": Action.CREATED, "C1": Action.UNCHANGED, "C2": Action.UNCHANGED}
    # ... and when it leaves again, the buyer (same id) carries C1's data once more.
    back = group(before, SHARED, Synced(plan))
    assert back.buyer_decision.action == Action.UPDATED and back.member.buyer.payload["company"] == "C1 Ltd"


def test_member_and_buyer_writes_move_to_the_next_customer_when_the_ledger_holds_the_primary() -> None:
    synced = Synced(plan_of(*GP))
    plan = plan_of(GP[0], dataclasses.replace(GP[1], class_id="WHOLESALE"), GP[2])
    held = {"C1": failure("C1", ledger_hash(plan.members[SHARED], plan.customers["C1"]))}
    g = group(plan, SHARED, synced, held)
    assert actions(g) == {"C1": Action.FAILED, "C2": Action.UPDATED}
    assert [cp.customer.number for cp, _d in g.to_send] == ["C2"]
    primary = g.customers[0][1]
    assert primary.held and primary.reason == "waiting for a change in GP or a replay (Invalid Resource)"


def test_the_customer_carrying_the_member_write_says_which_merge_values_were_left_out() -> None:
    plan = plan_of(*GP)
    fit_members(plan, AudienceFields.from_api(DEFAULT_AUDIENCE))  # GP's Leeds address has no state
    address = "ADDRESS left out: it has no state, and Mailchimp takes an address only with street, city, state and zip"
    first = group(plan, SHARED)
    shares = f"shares the member and e-commerce customer of {SHARED} with"
    assert [d.reason for _cp, d in first.customers] == [f"{shares} C2; {address}", f"{shares} C1"]
    assert first.fields_left_out == [FieldMisfit("ADDRESS", Misfit.INCOMPLETE_ADDRESS)]

    held = {"C1": failure("C1", ledger_hash(plan.members[SHARED], plan.customers["C1"]))}
    moved = group(plan, SHARED, None, held)  # the write, and what it says, move to the next customer sent
    assert [d.reason for _cp, d in moved.customers][1] == f"{shares} C1; {address}"

    unchanged = group(plan, SHARED, Synced(plan))  # no member write: nothing left out this run
    assert unchanged.fields_left_out == [] and all(d.reason.startswith("shares") for _cp, d in unchanged.customers)


def test_the_ledger_holds_dismissed_and_not_yet_due_failures_until_the_gp_record_changes() -> None:
    plan = plan_of(*GP)
    c3 = plan.customers["C3"]
    content = ledger_hash(plan.members["c3@contoso.com"], c3)
    dismissed = ledger_hold(failure("C3", content, dismissed=True), content, NOW)
    assert dismissed is not None and dismissed.action == Action.SKIPPED and dismissed.held
    later = ledger_hold(failure("C3", content, retry_at=NOW + dt.timedelta(minutes=5)), content, NOW)
    assert later is not None and later.action == Action.FAILED
    assert later.reason == "retry after 2025-03-01T12:05+00:00 (Invalid Resource)"
    assert ledger_hold(failure("C3", content, retry_at=NOW), content, NOW) is None  # due now
    assert ledger_hold(failure("C3", "an older content", dismissed=True), content, NOW) is None  # GP changed

    all_held = group(plan, "c3@contoso.com", None, {"C3": failure("C3", content, dismissed=True)})
    assert actions(all_held) == {"C3": Action.SKIPPED}
    assert all_held.to_send == [] and not all_held.adds_contact  # a member with nobody to send is not written
    assert not all_held.writes_buyer


def test_email_change_moves_the_orders_to_the_new_addresss_buyer_and_retires_the_old_one() -> None:
    before = plan_of(*GP, docs=DOCS)
    synced = Synced(before)
    plan = plan_of(GP[0], GP[1], dataclasses.replace(GP[2], email="new@contoso.com"), docs=DOCS)
    g = group(plan, "new@contoso.com", synced)
    (_cp, decision), = g.customers
    assert g.adds_contact and g.buyer_decision.action == Action.CREATED
    assert decision.action == Action.UPDATED
    assert decision.reason == ("e-mail changed from c3@contoso.com; orders moved to the e-commerce customer of "
                               "new@contoso.com")
    assert repoints(plan, synced) == 1
    orders = {op.doc.number: d for op, d in decide_orders(plan, synced.orders, {}, sendable=predicted_sendable(
        plan, groups(plan, synced), synced.customers.keys(), synced.buyers.keys()), now=NOW)}
    moved = orders["INV3"]
    assert moved.action == Action.UPDATED and moved.repoint and moved.posts
    assert moved.reason == "invoice of GP customer C3; moved to the e-commerce customer of new@contoso.com"
    # The old address's buyer is deleted only once no order hangs on it.
    old, new = ecommerce_customer_id("c3@contoso.com"), ecommerce_customer_id("new@contoso.com")
    buyers = {**synced.buyers, new: SyncedState(g.member.buyer.hash, new, "new@contoso.com")}
    assert surplus_buyers(plan, buyers, synced.orders) == []
    after = {**synced.orders, "INV3": SyncedState(plan.orders["INV3"].hash, "INV3", "new@contoso.com")}
    assert [bid for bid, _s in surplus_buyers(plan, buyers, after)] == [old]
    synced.orders = after
    assert repoints(plan, synced) == 0


# ------------------------------------------------------------------------------------------------ upgrade
def legacy_forecast(plan: Plan, synced: Synced) -> Forecast:
    return forecast(plan, synced_members=synced.members, synced_buyers=synced.buyers,
                    synced_customers=synced.customers, synced_orders=synced.orders, customer_ledger={},
                    order_ledger={}, now=NOW)


def test_a_store_synced_with_one_customer_per_gp_number_converges_to_one_per_email() -> None:
    plan = plan_of(*GP, docs=DOCS)
    legacy = LegacySynced(plan)
    fc = legacy_forecast(plan, legacy)
    shared, alone = fc.groups  # SHARED first: C1 is the first GP customer
    assert shared.member_decision.action == Action.UNCHANGED and shared.buyer_decision.action == Action.CREATED
    assert actions(shared) == {"C1": Action.UPDATED, "C2": Action.UPDATED}
    assert [d.reason for _cp, d in shared.customers] == [
        f"merged into the e-commerce customer of {SHARED} (shared by C1, C2)"] * 2
    assert alone.customers[0][1].reason == "merged into the e-commerce customer of c3@contoso.com"
    # Mailchimp refuses a second customer with an e-mail one has: the old customers go first, their orders
    # before them, and every order is created again on its e-mail's buyer (the first carrying the buyer).
    assert [(lb.id, lb.email, lb.orders) for lb in shared.legacy] == [("C1", SHARED, ("INV1",)),
                                                                      ("C2", SHARED, ("INV2", "INV4"))]
    assert [(lb.id, lb.orders) for lb in alone.legacy] == [("C3", ("INV3",))]
    assert fc.repoints == len(DOCS)
    assert all(d.repoint and not d.gone and d.action == Action.UPDATED for _op, d in fc.orders)
    assert {e: op.doc.number for e, (op, _d) in fc.carriers().items()} == {SHARED: "INV1", "c3@contoso.com": "INV3"}
    # Deleted before a kill: the orders are only created again, and there is nothing left to delete.
    legacy.orders = {n: SyncedState(GONE_ORDER_HASH, n) for n in plan.orders}
    again = legacy_forecast(plan, legacy)
    assert all(d.repoint and d.gone for _op, d in again.orders)
    assert [lb.orders for g in again.groups for lb in g.legacy] == [(), (), ()]


def test_an_old_customer_holding_an_email_its_gp_customer_no_longer_has_goes_before_that_emails_buyer() -> None:
    plan = plan_of(*GP, docs=DOCS)
    legacy = LegacySynced(plan)
    legacy.customers["C3"] = SyncedState("its own payload", "C3", SHARED)  # C3 had the shared address then
    found = legacy_buyers(plan, legacy.customers, legacy.orders)
    assert [lb.id for lb in found[SHARED]] == ["C1", "C2", "C3"]  # in the way of the shared address's buyer
    assert [lb.id for lb in found["c3@contoso.com"]] == ["C3"]  # and deleted with C3's own group
    inactive = plan_of(GP[0], GP[1], dataclasses.replace(GP[2], is_active=False), docs=DOCS)
    assert "C3" not in [lb.id for lbs in legacy_buyers(inactive, legacy.customers, legacy.orders).values()
                        for lb in lbs]  # a skipped customer's records are left alone


def test_a_skipped_customers_buyer_and_its_orders_are_left_alone() -> None:
    inactive = dataclasses.replace(GP[2], is_active=False)
    plan = plan_of(GP[0], GP[1], inactive, docs=DOCS)
    synced = Synced(plan_of(*GP, docs=DOCS))
    assert surplus_buyers(plan, synced.buyers, synced.orders) == []
    assert surplus_buyers(plan, synced.buyers, {}) == []  # its e-mail is still a GP customer's


# ------------------------------------------------------------------------------------------------ orders
def test_order_rules() -> None:
    plan = plan_of(*GP, docs=DOCS)
    synced = Synced(plan)
    op = plan.orders["INV3"]
    prior = synced.orders["INV3"]

    def decide(prior: SyncedState | None = prior, failure: LedgerEntry | None = None, *, synced: bool = True
               ) -> Action:
        return decide_order(op, prior, failure, customer_synced=synced, now=NOW).action

    assert decide() == Action.UNCHANGED
    assert decide(prior=SyncedState(op.hash, "INV3")) == Action.UPDATED  # on its GP number's customer: moved
    assert decide(prior=SyncedState(op.hash, "INV3", "old@contoso.com")) == Action.UPDATED  # on another e-mail's
    assert decide(prior=None) == Action.CREATED
    assert decide(prior=SyncedState("an older content", "INV3", "c3@contoso.com")) == Action.UPDATED
    assert decide(synced=False) == Action.SKIPPED
    held = failure("INV3", op.hash)
    assert decide(prior=None, failure=held) == Action.FAILED
    assert decide(prior=None, failure=dataclasses.replace(held, dismissed=True)) == Action.SKIPPED
    patched = decide_order(op, SyncedState("an older content", "INV3", "c3@contoso.com"), None,
                           customer_synced=True, now=NOW)
    assert not patched.repoint and not patched.posts  # a PATCH cannot carry a customer


def test_orders_wait_for_their_customer_and_its_buyer() -> None:
    plan = plan_of(*GP, docs=DOCS)
    decisions = decide_orders(plan, {}, {}, sendable={"C1", "C3"}, now=NOW)
    by_number = {op.doc.number: d for op, d in decisions}
    assert by_number["INV2"].action == Action.SKIPPED and by_number["INV2"].reason == CUSTOMER_NOT_SYNCED
    assert not by_number["INV2"].held
    assert (by_number["INV1"].action, by_number["INV3"].action) == (Action.CREATED, Action.CREATED)
    assert by_number["INV1"].reason == "invoice of GP customer C1"
    # A synced GP customer whose e-mail's buyer is not in Mailchimp (yet) cannot have orders.
    shared_buyer = plan.members[SHARED].buyer.id
    assert sendable_customers(plan, {"C1", "C2", "C3"}, {shared_buyer}) == {"C1", "C2"}


def test_a_buyer_to_write_rides_on_its_first_new_order_and_otherwise_is_put() -> None:
    plan = plan_of(*GP, docs=DOCS[:3])  # C2's INV4 not yet
    synced = Synced(plan)
    after = plan_of(GP[0], GP[1], customer("C3", "c3@contoso.com", line1="9 New Road"), docs=DOCS)
    all_groups = groups(after, synced)
    orders = decide_orders(after, synced.orders, {}, sendable=predicted_sendable(
        after, all_groups, synced.customers.keys(), synced.buyers.keys()), now=NOW)
    # C3's buyer changed but has no new order: it is PUT; the shared buyer is unchanged: INV4 carries nothing.
    assert buyer_carriers(all_groups, orders) == {}
    first = plan_of(*GP, docs=DOCS)
    new_groups = groups(first)
    new_orders = decide_orders(first, {}, {}, sendable=predicted_sendable(first, new_groups, (), ()), now=NOW)
    assert {e: op.doc.number for e, (op, _d) in buyer_carriers(new_groups, new_orders).items()} == {
        SHARED: "INV1", "c3@contoso.com": "INV3"}
