"""The one reconciliation of a run's counts, on hand-built plans: shared e-mails explained, skips with their
reasons, failures, money totals, and the stored form read back."""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal

from gpmc_desktop.profile import SyncFilters
from gpmc_desktop.store import Action, SyncedState
from gpmc_desktop.sync.decide import GONE_ORDER_HASH, forecast, ledger_hash, waiting_reason
from gpmc_desktop.sync.money import format_money
from gpmc_desktop.sync.plan import Plan, build_plan
from gpmc_desktop.sync.reconciliation import Holdings, Reconciliation, RecordOutcomes, holdings, reconcile
from gpmc_desktop.sync.report import RunReport
from tests.sync.test_decide import NOW, customer, failure, invoice

# Seven GP customers: two left out (no e-mail, inactive), five to sync on three addresses (two shared).
GP = (
    customer("A1", "ap@contoso.com"), customer("A2", "ap@contoso.com"),
    customer("B1", "office@fabrikam.com"), customer("B2", "office@fabrikam.com"),
    customer("C1", "c1@example.com"),
    dataclasses.replace(customer("N1", ""), email=None, email_note="no e-mail in GP"),
    dataclasses.replace(customer("I1", "i1@example.com"), is_active=False),
)
DOCS = (invoice("INV1", "A1", "1000.50"), invoice("INV2", "B2", "3319.65"), invoice("INV3", "C1", "20.00"),
        invoice("INV4", "I1", "5.00"), dataclasses.replace(invoice("INV5", "C1", "99.00"), is_voided=True))


def plan() -> Plan:
    return build_plan(GP, DOCS, SyncFilters(skip_inactive=True), "transactional")


def first_load(p: Plan, ledger: dict | None = None) -> RunReport:
    """What the dry run counts for *p* with nothing synced before (the engine's own counting, in small)."""
    fc = forecast(p, synced_members={}, synced_buyers={}, synced_customers={}, synced_orders={},
                  customer_ledger=ledger or {}, order_ledger={}, now=NOW)
    report = RunReport(dry_run=True)
    for _c, why in p.skipped_customers.values():
        report.count_skip("customer", why)
    for g in fc.groups:
        report.outcomes.count_group(g)
        for _cp, d in g.customers:
            report.customers[d.action] += 1
    for _d, why in p.skipped_orders.values():
        report.count_skip("order", why)
    for op, d in fc.orders:
        report.outcomes.orders[op.doc.number] = d.action
        if d.action == Action.SKIPPED and not d.held:
            report.count_skip("order", d.reason)
        else:
            report.orders[d.action] += 1
    return report


def reconciled(p: Plan, report: RunReport, holds: Holdings | None = None) -> Reconciliation:
    return reconcile(p, report.outcomes, customers=report.customers, orders=report.orders,
                     skip_reasons=report.skip_reasons, dry_run=report.dry_run, holds=holds)


def test_the_chain_adds_up_from_gp_customers_to_contacts_and_from_invoices_to_orders() -> None:
    p = plan()
    rec = reconciled(p, first_load(p))

    assert rec.gp_customers == 7 and rec.left_out == {"inactive in GP": 1, "no e-mail in GP": 1}
    assert rec.eligible == 5 == sum(rec.customers.values()) and rec.customers[Action.CREATED] == 5
    assert rec.addresses == 3 == sum(rec.members.values()) == sum(rec.ecommerce_customers.values())
    assert rec.new_contacts == 3 and rec.shared == {2: 2}
    assert rec.gp_invoices == 5 and rec.invoices_left_out == {"customer not synced: inactive in GP": 1}
    assert rec.invoices_to_send == 4 == sum(rec.orders.values()) and rec.orders[Action.CREATED] == 4
    # The voided invoice is an order (it cancels one) but adds nothing to the money.
    assert rec.order_totals[Action.CREATED] == Decimal("4340.15") == rec.money_sent
    assert rec.needs_attention == 0


def test_shared_e_mails_are_explained_in_one_sentence() -> None:
    p = plan()
    rec = reconciled(p, first_load(p))
    assert rec.shared_text() == ("5 customers share 3 e-mail addresses; 2 addresses are used by 2 customers each, "
                                 "who become one contact")
    mixed = dataclasses.replace(rec, shared={2: 3, 4: 1})
    assert mixed.shared_text().endswith("3 addresses are used by 2 customers each and 1 address is used by 4 "
                                        "customers; the customers of one address become one contact")
    alone = dataclasses.replace(rec, shared={}, addresses=5)
    assert alone.shared_text() == "5 customers, 5 e-mail addresses (none shared)"


def test_the_preview_lines_say_what_would_happen_and_what_is_left_out_and_why() -> None:
    p = plan()
    lines = reconciled(p, first_load(p)).lines()
    assert lines[0] == "GP customers: 7"
    assert "  left out: 2 (1 inactive in GP; 1 no e-mail in GP)" in lines
    assert "  to sync: 5 (5 to create)" in lines
    assert "  audience members: 3 to create" in lines
    assert "  orders: 4 to create ($4,340.15)" in lines
    assert "  left out: 1 (1 customer not synced: inactive in GP)" in lines


def test_a_customer_held_by_its_failure_holds_its_contact_and_its_invoices_say_what_they_wait_for() -> None:
    p = plan()
    c1 = p.customers["C1"]
    held = failure("C1", ledger_hash(p.members[c1.customer.email or ""], c1))
    report = first_load(p, {"C1": held})
    rec = reconciled(p, report)

    assert rec.customers[Action.FAILED] == 1 and rec.members[Action.FAILED] == 1 and rec.new_contacts == 2
    reason = "waiting for customer C1 (failed: Invalid Resource)"
    assert waiting_reason("C1", held) == reason
    assert rec.invoices_left_out[reason] == 2  # the customer's invoice and its voided one, named with the failure
    assert rec.needs_attention == 1
    assert any(reason in line for line in rec.lines())
    # Dismissed: the invoices still say whose failure they wait on.
    dismissed = dataclasses.replace(held, dismissed=True)
    assert waiting_reason("C1", dismissed) == "waiting for customer C1 (its failure was dismissed)"


def test_a_refused_write_counts_as_failed_and_a_stopped_run_says_what_it_did_not_reach() -> None:
    p = plan()
    fc = forecast(p, synced_members={}, synced_buyers={}, synced_customers={}, synced_orders={},
                  customer_ledger={}, order_ledger={}, now=NOW)
    outcomes = RecordOutcomes()
    first, second, _third = fc.groups
    outcomes.count_group(first, member_written=True, buyer_written=False)
    outcomes.count_group(second, member_written=False, buyer_written=False)
    outcomes.orders["INV1"] = Action.CREATED
    outcomes.orders["INV2"] = Action.FAILED
    customers = {"created": 2, "updated": 0, "unchanged": 0, "skipped": 2, "failed": 2}
    orders = {"created": 1, "updated": 0, "unchanged": 0, "skipped": 1, "failed": 1}
    skips = Counter({"customer: inactive in GP": 1, "customer: no e-mail in GP": 1,
                     "order: customer not synced: inactive in GP": 1})
    rec = reconcile(p, outcomes, customers=customers, orders=orders, skip_reasons=skips)

    assert rec.members == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    assert rec.ecommerce_customers[Action.FAILED] == 2
    assert rec.order_totals[Action.CREATED] == Decimal("1000.50")
    assert rec.order_totals[Action.FAILED] == Decimal("3319.65")
    assert rec.needs_attention == 3
    lines = rec.lines()
    assert "  audience members: 1 new, 1 failed, 1 not reached before the run stopped" in lines
    assert "  orders: 1 new ($1,000.50), 1 failed, 2 not reached before the run stopped" in lines


def test_holdings_come_from_the_synced_state_and_count_only_live_orders_in_the_company_currency() -> None:
    p = plan()
    members = {e: SyncedState("h", None, e) for e in p.members}
    orders = {"INV1": SyncedState("h", "INV1"), "INV2": SyncedState("h", "INV2"), "INV5": SyncedState("h", "INV5"),
              "GONE": SyncedState(GONE_ORDER_HASH, "GONE"), "OLD9": SyncedState("h", "OLD9")}
    holds = holdings(p, members, {"b": SyncedState("h", "b")}, orders)
    assert holds == Holdings(members=3, ecommerce_customers=1, orders=4, money=Decimal("4320.15"))
    assert "Mailchimp now holds from GP: 3 audience members, 1 e-commerce customer, 4 orders ($4,320.15)" in (
        reconciled(p, first_load(p), holds).lines())


def test_the_stored_form_reads_back_the_same() -> None:
    p = plan()
    rec = reconciled(p, first_load(p), Holdings(3, 3, 4, Decimal("4320.15")))
    back = Reconciliation.from_json(rec.as_json())
    assert back == rec
    assert rec.as_json()["order_totals"]["created"] == "4340.15"  # money as text: exact, no float


def test_money_in_the_company_currency_with_thousands_separators() -> None:
    assert format_money(Decimal("4320.15"), "USD") == "$4,320.15"
    assert format_money(Decimal("1234567.005"), "GBP") == "£1,234,567.01"
    assert format_money(Decimal("-12"), "EUR") == "-€12.00"
    assert format_money("1200", "CHF") == "1,200.00 CHF"


def test_the_json_line_gains_the_reconciliation_and_keeps_its_keys() -> None:
    p = plan()
    report = first_load(p)
    report.reconciliation = reconciled(p, report)
    line = report.json_line()
    assert {"run_id", "customers", "orders", "outcome", "exit_code", "dry_run"} <= set(line)
    assert line["reconciliation"]["email_addresses"] == 3 and line["reconciliation"]["gp_customers"] == 7
