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
    MemberGroup,
    decide_member_group,
    decide_order,
    decide_orders,
    ledger_hash,
    ledger_hold,
)
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
DOCS = (invoice("INV1", "C1"), invoice("INV2", "C2"), invoice("INV3", "C3"))


class Synced:
    """The synced state of *plan* as a run that sent all of it leaves it."""

    def __init__(self, plan: Plan) -> None:
        self.members = {e: SyncedState(m.hash, f"id-{e}", e) for e, m in plan.members.items()}
        self.customers = {n: SyncedState(c.hash, n, c.customer.email) for n, c in plan.customers.items()}
        self.orders = {n: SyncedState(o.hash, n) for n, o in plan.orders.items()}


def failure(key: str, content_hash: str, *, retry_at: dt.datetime | None = None,
            dismissed: bool = False) -> LedgerEntry:
    return LedgerEntry(1, "customer", key, 1, "transient" if retry_at else "permanent", retry_at, "Invalid Resource",
                       "", 400, NOW, NOW, content_hash, dismissed)


def group(plan: Plan, email: str, synced: Synced | None = None, ledger: dict[str, LedgerEntry] | None = None,
          *, full: bool = False) -> MemberGroup:
    return decide_member_group(plan.members[email], plan.customers,
                               synced.members.get(email) if synced else None, synced.customers if synced else {},
                               ledger or {}, full=full, now=NOW)


def actions(g: MemberGroup) -> dict[str, Action]:
    return {cp.customer.number: d.action for cp, d in g.customers}


# ------------------------------------------------------------------------------------------------ customers
def test_first_sync_creates_every_member_and_customer() -> None:
    plan = plan_of(*GP)
    shared = group(plan, SHARED)
    assert shared.member_decision.action == Action.CREATED and shared.adds_contact
    assert actions(shared) == {"C1": Action.CREATED, "C2": Action.CREATED}
    assert all(d.put_customer for _cp, d in shared.customers)
    assert [d.reason for _cp, d in shared.customers] == [f"shares member {SHARED} with C2",
                                                        f"shares member {SHARED} with C1"]


def test_nothing_changed_writes_nothing_and_full_updates_everything() -> None:
    plan = plan_of(*GP)
    synced = Synced(plan)
    quiet = group(plan, SHARED, synced)
    assert quiet.member_decision.action == Action.UNCHANGED and not quiet.adds_contact
    assert actions(quiet) == {"C1": Action.UNCHANGED, "C2": Action.UNCHANGED}
    again = group(plan, SHARED, synced, full=True)
    assert again.member_decision.action == Action.UPDATED
    assert actions(again) == {"C1": Action.UPDATED, "C2": Action.UPDATED}
    assert all(d.put_customer for _cp, d in again.customers)


def test_member_only_change_counts_once_on_the_first_customer_sent() -> None:
    synced = Synced(plan_of(*GP))
    # C2's class is a tag on the shared member only: no e-commerce customer changes.
    plan = plan_of(GP[0], dataclasses.replace(GP[1], class_id="WHOLESALE"), GP[2])
    g = group(plan, SHARED, synced)
    assert g.member_decision.action == Action.UPDATED
    assert actions(g) == {"C1": Action.UPDATED, "C2": Action.UNCHANGED}
    assert not any(d.put_customer for _cp, d in g.customers)


def test_member_write_moves_to_the_next_customer_when_the_ledger_holds_the_primary() -> None:
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
    assert [d.reason for _cp, d in first.customers] == [f"shares member {SHARED} with C2; {address}",
                                                        f"shares member {SHARED} with C1"]
    assert first.fields_left_out == [FieldMisfit("ADDRESS", Misfit.INCOMPLETE_ADDRESS)]

    held = {"C1": failure("C1", ledger_hash(plan.members[SHARED], plan.customers["C1"]))}
    moved = group(plan, SHARED, None, held)  # the write, and what it says, move to the next customer sent
    assert [d.reason for _cp, d in moved.customers][1] == f"shares member {SHARED} with C1; {address}"

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


def test_email_change_replaces_the_ecommerce_customer() -> None:
    synced = Synced(plan_of(*GP))
    plan = plan_of(GP[0], GP[1], dataclasses.replace(GP[2], email="new@contoso.com"))
    g = group(plan, "new@contoso.com", synced)
    (_cp, decision), = g.customers
    assert g.adds_contact and decision.action == Action.UPDATED and decision.put_customer
    assert decision.replaced_email == "c3@contoso.com"
    assert decision.reason == "e-mail changed from c3@contoso.com; e-commerce customer replaced"


# ------------------------------------------------------------------------------------------------ orders
def test_order_rules() -> None:
    plan = plan_of(*GP, docs=DOCS)
    synced = Synced(plan)
    op = plan.orders["INV3"]
    prior = synced.orders["INV3"]

    def decide(prior: SyncedState | None = prior, failure: LedgerEntry | None = None, *, synced: bool = True,
               replaced: bool = False, full: bool = False) -> Action:
        return decide_order(op, prior, failure, customer_synced=synced, customer_replaced=replaced, full=full,
                            now=NOW).action

    assert decide() == Action.UNCHANGED
    assert decide(full=True) == Action.UPDATED
    assert decide(replaced=True) == Action.UPDATED  # re-sent to hang off the new customer
    assert decide(prior=None) == Action.CREATED
    assert decide(prior=SyncedState("an older content", "INV3")) == Action.UPDATED
    assert decide(synced=False) == Action.SKIPPED
    held = failure("INV3", op.hash)
    assert decide(prior=None, failure=held) == Action.FAILED
    assert decide(prior=None, failure=dataclasses.replace(held, dismissed=True)) == Action.SKIPPED


def test_orders_wait_for_their_customer() -> None:
    plan = plan_of(*GP, docs=DOCS)
    decisions = decide_orders(plan, {}, {}, synced_customers={"C1", "C3"}, replaced_customers=(), full=False, now=NOW)
    by_number = {op.doc.number: d for op, d in decisions}
    assert by_number["INV2"].action == Action.SKIPPED and by_number["INV2"].reason == CUSTOMER_NOT_SYNCED
    assert not by_number["INV2"].held
    assert (by_number["INV1"].action, by_number["INV3"].action) == (Action.CREATED, Action.CREATED)
