"""The first sync of a dirty GP company into an empty Mailchimp store, and the no-change run after it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.gp_model import key_of
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from gpmc_desktop.sync.report import ExitCode, RunReport
from tests.sync.engine_support import (
    CAP,
    CUSTOMER_PUT,
    ORDER_POST,
    PRODUCT_PUT,
    Demo,
    Expected,
    assert_matches_expectation,
    expected_state,
    set_sync_keys,
    start_demo,
    stop_demo,
    two_decimals,
)


@dataclass
class FirstSync:
    demo: Demo
    expected: Expected
    first: RunReport
    first_requests: Counter[tuple[str, str]]
    first_writes: int
    peak: int
    rejected_for_concurrency: int
    violations: list[Any]
    order_puts: list[Any]
    second: RunReport
    second_writes: int


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # A little latency, so the five workers really overlap and the connection cap is put to the test.
    demo = start_demo(tmp_path_factory, 200, mailchimp_latency=0.005)
    set_sync_keys(demo, batch_threshold=0)  # this module counts the per-record path's requests (batches: test_batch_*)
    try:
        expected = expected_state(demo)
        first = demo.run()
        first_requests = Counter(demo.sim.request_counts())
        sim = demo.sim
        first_writes, peak, rejected = sim.writes, sim.peak_concurrency, sim.rejected_for_concurrency
        violations, order_puts = sim.contract_violations, sim.order_put_attempts
        sim.reset_counters()
        second = demo.run()
        yield FirstSync(demo, expected, first, first_requests, first_writes, peak, rejected, violations,
                        order_puts, second, sim.writes)
    finally:
        stop_demo(demo)


def test_the_demo_data_has_the_dirt_this_file_relies_on(synced: FirstSync) -> None:
    exp = synced.expected
    assert len(exp.synced) > 100
    assert exp.shared_emails(), "no shared e-mail"
    assert exp.rejected, "no address Mailchimp refuses"
    assert any(r == "no valid e-mail" for r in exp.skipped.values())
    assert any(r == "inactive" for r in exp.skipped.values())
    assert {o.status for o in exp.orders.values()} == {"paid", "pending", "cancelled"}
    assert exp.other_documents and exp.unsynced_invoices


def test_report_counts_match_what_gp_holds(synced: FirstSync) -> None:
    exp, report = synced.expected, synced.first
    assert report.outcome == "partial"  # the addresses Mailchimp calls fake fail; everything else syncs
    assert report.exit_code is ExitCode.PARTIAL
    assert report.backfill
    assert report.customers == {"created": len(exp.synced), "updated": 0, "unchanged": 0,
                                "skipped": len(exp.skipped), "failed": len(exp.rejected)}
    assert report.orders == {"created": len(exp.orders), "updated": 0, "unchanged": 0,
                             "skipped": len(exp.unsynced_invoices), "failed": 0}


def test_members_customers_and_orders_are_exactly_what_gp_says(synced: FirstSync) -> None:
    assert_matches_expectation(synced.demo, synced.expected)


def test_members_carry_the_primary_customers_data(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    for email, number in exp.members.items():
        member = demo.sim.member(demo.list_id, email)
        assert member is not None
        assert member["status"] == "transactional"  # status_if_new; the sync never sends a status
        assert member["merge_fields"]["GPCUSTNO"] == number


def test_mailto_prefix_is_stripped(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    with demo.env.dataset.lock:
        rows = [r for rows in demo.company.internet.values() for r in rows]
        prefixed = {key_of(r.master_id): r.email_to_address for r in rows
                    if r.email_to_address.strip().lower().startswith("mailto:")}
    # Customers whose chosen address is the one written after "mailto:" (some have only a bare "Mailto:").
    cases = {n: raw for n, raw in prefixed.items() if n in exp.synced and exp.synced[n] in raw.lower()}
    assert cases, "the demo data has no synced customer with a mailto: address"
    customers = demo.sim.customers(demo.store_id)
    for number in cases:
        email = exp.synced[number]
        assert not email.startswith("mailto:")
        assert demo.sim.member(demo.list_id, email) is not None
        assert customers[exp.buyer_of(number)]["email_address"] == email
    assert not [m for m in demo.sim.members(demo.list_id) if "mailto" in m["email_address"]]


def test_padded_gp_names_arrive_trimmed(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    customers = demo.sim.customers(demo.store_id)
    with demo.env.dataset.lock:
        names = {key_of(c.custnmbr): c.custname for c in demo.company.customers.values()}
    padded = [n for n in exp.synced if names[n] != names[n].strip()]
    assert len(padded) > len(exp.synced) / 2  # GP pads char columns to their width
    for number in padded:
        if exp.members[exp.synced[number]] != number:
            continue  # the member and the buyer of a shared e-mail carry the primary's name
        assert customers[exp.buyer_of(number)]["company"] == names[number].strip()
        member = demo.sim.member(demo.list_id, exp.synced[number])
        assert member["merge_fields"][mapping.TAG_COMPANY] == names[number].strip()
    for member in demo.sim.members(demo.list_id):
        for tag, value in member["merge_fields"].items():
            if isinstance(value, str):
                assert value == value.strip(), (member["email_address"], tag)
    for ecom in customers.values():
        for key in ("company", "first_name", "last_name"):
            assert ecom[key] == ecom[key].strip()


def test_shared_email_becomes_one_member_and_one_buyer_with_every_invoice(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    shared = exp.shared_emails()
    assert max(len(numbers) for numbers in shared.values()) >= 4  # one accounts-payable mailbox, four accounts
    customers = demo.sim.customers(demo.store_id)
    orders = demo.sim.orders(demo.store_id)
    emails = [m["email_address"] for m in demo.sim.members(demo.list_id)]
    with demo.env.dataset.lock:
        names = {key_of(c.custnmbr): c.custname.strip() for c in demo.company.customers.values()}
    for email, numbers in shared.items():
        assert emails.count(email) == 1
        member = demo.sim.member(demo.list_id, email)
        assert member["merge_fields"]["GPCUSTNO"] == numbers[0]  # lowest number
        buyer_id = exp.buyer_of(numbers[0])
        assert [cid for cid, c in customers.items() if c["email_address"] == email] == [buyer_id]
        assert buyer_id == member["id"]  # the buyer's id is the contact's own (the subscriber hash)
        assert customers[buyer_id]["company"] == names[numbers[0]]  # the primary's data, as on the member
        invoices = sorted(o for number in numbers for o in exp.orders_of(number))
        assert sorted(o for o, x in orders.items() if x["customer_id"] == buyer_id) == invoices
        assert customers[buyer_id]["orders_count"] == len(invoices)
    biggest = max(shared.values(), key=len)
    assert sum(len(exp.orders_of(n)) for n in biggest) > 1, "the group of four has too few invoices to prove much"

    def first_audit(profile_id: int) -> list[store.AuditEventRow]:
        return store.audit_page(store.AuditFilter(profile_id=profile_id, run_id=synced.first.run_id),
                                limit=5000).rows

    rows = demo.with_store(first_audit)
    by_key = {(r.entity, r.gp_key): r for r in rows}
    for email, numbers in shared.items():
        for number in numbers:  # each GP customer's row says who shares the member and the buyer
            others = ", ".join(n for n in numbers if n != number)
            row = by_key["customer", number]
            # (the member's carrier also says which merge values did not fit the audience, after a "; ")
            assert row.reason.split("; ")[0] == f"shares the member and e-commerce customer of {email} with {others}"
            assert row.mailchimp_id == exp.buyer_of(number) and row.email == email
            for invoice in exp.orders_of(number):  # each order's row names the GP customer it came from
                assert by_key["order", invoice].reason.startswith(f"invoice of GP customer {number}")
                assert by_key["order", invoice].email == email


def test_customer_without_email_is_skipped_with_no_member_and_no_orders(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    without = [n for n, why in exp.skipped.items() if why == "no valid e-mail"]
    customers = demo.sim.customers(demo.store_id)
    orders = demo.sim.orders(demo.store_id)
    for number in without:
        assert number not in customers
        assert not [o for o in orders.values() if o["customer_id"] == number]
    members = {m["merge_fields"].get("GPCUSTNO") for m in demo.sim.members(demo.list_id)}
    assert not members & set(without)

    def skipped_in_audit(profile_id: int) -> set[str]:
        page = store.audit_page(store.AuditFilter(profile_id=profile_id, entity="customer", action="skipped"),
                                limit=1000)
        return {row.gp_key for row in page.rows}

    assert set(without) <= demo.with_store(skipped_in_audit)


def test_address_mailchimp_refuses_is_a_ledgered_permanent_failure(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    ledger = demo.failures("customer")
    assert set(ledger) == set(exp.rejected)
    for number, email in exp.rejected.items():
        assert ledger[number].category == "permanent" and ledger[number].next_retry_at is None
        assert demo.sim.member(demo.list_id, email) is None
        assert ecommerce_customer_id(email) not in demo.sim.customers(demo.store_id)


def test_orders_have_two_decimal_totals_and_gp_status(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    orders = demo.sim.orders(demo.store_id)
    for number, want in exp.orders.items():
        order = orders[number]
        assert float(order["order_total"]) == float(want.total)
        assert order["order_total"] == round(order["order_total"], 2)
        assert [(x["quantity"], two_decimals(x["price"])) for x in order["lines"]] == [(1, want.total)]
        assert order["financial_status"] == want.status
        if want.status == "cancelled":
            assert order["cancelled_at_foreign"].startswith(want.cancelled_at)
        else:
            assert order["cancelled_at_foreign"] == ""


def test_no_other_document_type_became_an_order(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    orders = set(demo.sim.orders(demo.store_id))
    assert not orders & exp.other_documents  # credit memos, returns, payments, ... never become orders
    assert not orders & exp.unsynced_invoices
    ignored = synced.first.ignored_documents
    assert {"credit_memo", "return", "payment"} <= set(ignored)
    assert sum(ignored.values()) == len(exp.other_documents)


def test_backfill_is_framed_by_is_syncing(synced: FirstSync) -> None:
    demo = synced.demo
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]
    assert demo.sim.store(demo.store_id)["is_syncing"] is False
    assert all(e["suppressed"] for e in demo.sim.notification_events(demo.store_id))


def test_requests_keep_the_contract_and_the_connection_cap(synced: FirstSync) -> None:
    demo = synced.demo
    assert demo.profile().mailchimp.max_connections == CAP
    assert 1 < synced.peak <= CAP
    assert synced.rejected_for_concurrency == 0
    assert synced.violations == []
    assert synced.order_puts == []


def test_product_exists_before_the_first_order(synced: FirstSync) -> None:
    demo, exp = synced.demo, synced.expected
    assert set(demo.sim.products(demo.store_id)) == {mapping.PRODUCT_ID}
    assert synced.first_requests[PRODUCT_PUT] == 1
    # Every order POST was accepted first time: an order sent before its product is refused with a 400.
    assert synced.first_requests[ORDER_POST] == len(exp.orders)

    def first_events(profile_id: int) -> tuple[int, int]:
        page = store.audit_page(store.AuditFilter(profile_id=profile_id, run_id=synced.first.run_id),
                                limit=5000)
        product = min(r.id for r in page.rows if r.entity == "product")
        order = min(r.id for r in page.rows if r.entity == "order" and r.action == "created")
        return product, order

    product_event, order_event = demo.with_store(first_events)
    assert product_event < order_event


def test_each_customer_with_an_invoice_goes_in_its_first_orders_post(synced: FirstSync) -> None:
    exp, requests = synced.expected, synced.first_requests
    with_orders = {exp.buyer_of(o.customer) for o in exp.orders.values()}
    assert len(with_orders) > len(exp.buyers) / 2
    # One write fewer per customer with an invoice: only customers with no order to create are PUT on their own
    # (scripts/bench_customer_writes.py counts both ways).
    assert requests[CUSTOMER_PUT] == len(exp.buyers) - len(with_orders)
    assert requests[ORDER_POST] == len(exp.orders)
    assert set(synced.demo.sim.customers(synced.demo.store_id)) == set(exp.buyers)


def test_second_run_sends_zero_writes(synced: FirstSync) -> None:
    exp, report = synced.expected, synced.second
    assert synced.first_writes > 0
    assert synced.second_writes == 0
    assert report.customers == {"created": 0, "updated": 0, "unchanged": len(exp.synced),
                                "skipped": len(exp.skipped), "failed": len(exp.rejected)}
    assert report.orders == {"created": 0, "updated": 0, "unchanged": len(exp.orders),
                             "skipped": len(exp.unsynced_invoices), "failed": 0}
    assert not report.backfill
    assert synced.demo.sim.is_syncing_history(synced.demo.store_id) == [True, False]
