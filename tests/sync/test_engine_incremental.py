"""Edits in GP between two polls: each reaches Mailchimp, and nothing else is written.

The tests share one synced demo; each edits customers or invoices no other test touches, runs one sync, counts
every write that run sent (by method and path) and ends with a run that sends nothing.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.gp_model import W_CUSTCLAS, DocType, key_of, pad_shared
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.gp.sba_shapes import customer_from_sba
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from tests.sync.engine_support import (
    CUSTOMER_DELETE,
    CUSTOMER_PUT,
    MEMBER_POST,
    MEMBER_PUT,
    ORDER_DELETE,
    ORDER_PATCH,
    ORDER_POST,
    STORE_PATCH,
    TAGS_POST,
    Demo,
    Expected,
    address_for,
    expected_state,
    start_demo,
    stop_demo,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = start_demo(tmp_path_factory, 200)
    try:
        report = demo.run()
        assert report.customers["created"] > 100 and report.orders["created"] > 100
        yield demo
    finally:
        stop_demo(demo)


def gp_customer(demo: Demo, number: str) -> Customer:
    with demo.env.dataset.lock:
        row = demo.company.customer(number)
        assert row is not None
        return customer_from_sba(customer_payload(demo.company, row, ShapeOptions()))


def pick_customer(demo: Demo, exp: Expected, *, min_orders: int = 0, open_invoice: bool = False) -> str:
    """A synced customer no other test used, alone on its e-mail, with a complete address (so its member
    carries ADDRESS) and, if asked, orders / an open invoice with a balance."""
    shared = {n for ns in exp.shared_emails().values() for n in ns}
    for number in sorted(exp.synced):
        if number in demo.used or number in shared:
            continue
        if not gp_customer(demo, number).address.is_complete or len(exp.orders_of(number)) < min_orders:
            continue
        if open_invoice and not open_invoices(demo, exp, number):
            continue
        demo.used.add(number)
        return number
    raise AssertionError("no suitable customer left in the demo data")


def open_invoices(demo: Demo, exp: Expected, number: str) -> list[str]:
    """Synced, pending invoices of *number* that are still open in GP (RM20101) with a balance."""
    with demo.env.dataset.lock:
        rows = [r for r in demo.company.open_docs.values()
                if r.rmdtypal == DocType.INVOICE and key_of(r.custnmbr) == number and not r.voidstts
                and r.curtrxam > 0]
    return sorted(d for d in (key_of(r.docnumbr) for r in rows)
                  if d in exp.orders and exp.orders[d].status == "pending")


def sync(demo: Demo) -> tuple[Any, Counter[tuple[str, str]]]:
    return demo.traffic(demo.run)


def assert_quiet_after(demo: Demo) -> None:
    """The run after a converged one sends nothing at all."""
    report, writes = sync(demo)
    assert writes == Counter()
    assert report.customers["created"] == report.customers["updated"] == 0
    assert report.orders["created"] == report.orders["updated"] == 0


def tags_to_add(demo: Demo, number: str) -> int:
    return 1 if gp_customer(demo, number).class_id else 0


# ------------------------------------------------------------------------------------------------ customers
def test_email_only_edit_moves_the_orders_to_the_new_addresss_buyer(demo: Demo) -> None:
    exp = expected_state(demo)
    number = pick_customer(demo, exp, min_orders=2)
    old_email, orders = exp.synced[number], exp.orders_of(number)
    with demo.env.dataset.lock:
        row = demo.company.customer(number)
        assert row is not None
        modified_before = row.modifdt
    new_email = address_for(number, "new-mailbox.com")
    GPMutator(demo.env.dataset).change_email(number, new_email)
    with demo.env.dataset.lock:
        assert row.modifdt == modified_before  # an e-mail edit does not move the customer's ModifiedDate

    report, writes = sync(demo)

    member = demo.sim.member(demo.list_id, new_email)
    assert member is not None and member["merge_fields"]["GPCUSTNO"] == number
    assert demo.sim.member(demo.list_id, old_email) is not None  # Mailchimp's contact is not ours to delete
    customers = demo.sim.customers(demo.store_id)
    new_buyer, old_buyer = ecommerce_customer_id(new_email), ecommerce_customer_id(old_email)
    assert customers[new_buyer]["email_address"] == new_email
    assert old_buyer not in customers  # nobody has the old address any more: its customer is not left behind
    all_orders = demo.sim.orders(demo.store_id)
    for order_no in orders:
        assert all_orders[order_no]["customer_id"] == new_buyer
        assert all_orders[order_no]["financial_status"] == exp.orders[order_no].status
    assert customers[new_buyer]["orders_count"] == len(orders)
    assert report.customers["updated"] == 1 and report.customers["created"] == 0
    assert report.orders["updated"] == len(orders) and report.orders["created"] == 0
    # PATCH cannot move an order to another customer: each is deleted and created again on the new buyer, the
    # first of them carrying the buyer itself (no customer PUT); then the old buyer, now empty, is deleted.
    assert writes == Counter({MEMBER_PUT: 1, TAGS_POST: tags_to_add(demo, number), ORDER_DELETE: len(orders),
                              ORDER_POST: len(orders), CUSTOMER_DELETE: 1, STORE_PATCH: 2}) - Counter()
    assert demo.sim.order_put_attempts == []
    # The re-created orders sent no order e-mail: the store's automations were paused around them.
    assert demo.sim.is_syncing_history(demo.store_id)[-2:] == [True, False]
    assert all(e["suppressed"] for e in demo.sim.notification_events(demo.store_id))
    trail = demo.with_store(lambda pid: store.record_trace(pid, "customer", number))
    assert trail[-1].reason == (f"e-mail changed from {old_email}; orders moved to the e-commerce customer of "
                                f"{new_email}")
    assert_quiet_after(demo)


def test_a_shared_addresss_buyer_keeps_its_id_when_its_primary_leaves_and_a_customer_joins(demo: Demo) -> None:
    exp = expected_state(demo)
    email, group = max(exp.shared_emails().items(), key=lambda item: len(item[1]))
    leaver, stayers = group[0], group[1:]  # the primary leaves: another customer's data goes on the buyer
    assert len(exp.orders_of(leaver)) >= 1
    demo.used.update(group)
    buyer = ecommerce_customer_id(email)
    created_at = demo.sim.customers(demo.store_id)[buyer]["created_at"]
    mutator = GPMutator(demo.env.dataset)
    leaver_email = address_for(leaver, "own-mailbox.com")
    mutator.change_email(leaver, leaver_email)
    joiner = mutator.add_customers(1)[0].key
    demo.used.add(joiner)
    mutator.change_email(joiner, email)
    mutator.set_status(joiner, inactive=False, hold=False)
    joined_invoice = key_of(mutator.add_invoices(1, customer=joiner, amount="42.00")[0].key.split(";", 1)[1])
    moved = exp.orders_of(leaver)

    report, writes = sync(demo)

    after = expected_state(demo)
    primary = min([*stayers, joiner])
    customers = demo.sim.customers(demo.store_id)
    assert customers[buyer]["created_at"] == created_at  # the same customer, not a new one
    assert customers[buyer]["company"] == gp_customer(demo, primary).company_name  # the new primary's data
    assert demo.sim.member(demo.list_id, email)["merge_fields"]["GPCUSTNO"] == primary
    orders = demo.sim.orders(demo.store_id)
    assert {orders[o]["customer_id"] for n in [*stayers, joiner] for o in after.orders_of(n)} == {buyer}
    assert joined_invoice in after.orders_of(joiner)
    assert {orders[o]["customer_id"] for o in moved} == {ecommerce_customer_id(leaver_email)}
    assert customers[buyer]["orders_count"] == sum(len(after.orders_of(n)) for n in [*stayers, joiner])
    assert report.customers["created"] == 1  # the joiner; the leaver and the stayer carrying the writes updated
    assert (report.orders["created"], report.orders["updated"], report.orders["failed"]) == (1, len(moved), 0)
    # The new primary's data goes on the shared buyer in the joiner's first order's POST when the joiner is the
    # primary, else in a PUT; the leaver's new buyer in its first re-created order; nothing is deleted but orders.
    buyer_puts = 0 if primary == joiner else 1
    assert writes - Counter({TAGS_POST: writes[TAGS_POST]}) == Counter({
        MEMBER_PUT: 2, CUSTOMER_PUT: buyer_puts, ORDER_DELETE: len(moved), ORDER_POST: len(moved) + 1,
        STORE_PATCH: 2}) - Counter()
    assert_quiet_after(demo)


def test_address_edit_updates_the_member_address_and_nothing_else(demo: Demo) -> None:
    exp = expected_state(demo)
    number = pick_customer(demo, exp)
    GPMutator(demo.env.dataset).change_address(number, line1="77 Harbour Road", city="Portland")

    report, writes = sync(demo)

    member = demo.sim.member(demo.list_id, exp.synced[number])
    assert member["merge_fields"]["ADDRESS"]["addr1"] == "77 Harbour Road"
    assert member["merge_fields"]["ADDRESS"]["city"] == "Portland"
    # The e-commerce customer says who buys, not where (the contact holds the address): it is not written.
    assert not demo.sim.customers(demo.store_id)[exp.buyer_of(number)].get("address")
    assert report.customers["updated"] == 1 and report.orders["updated"] == report.orders["created"] == 0
    # The member's tags did not change, so no tag request either: one call for the one record.
    assert writes == Counter({MEMBER_PUT: 1})
    assert_quiet_after(demo)


def test_unsubscribed_member_stays_unsubscribed_when_gp_changes(demo: Demo) -> None:
    exp = expected_state(demo)
    number = pick_customer(demo, exp)
    email = exp.synced[number]
    demo.sim.set_member_status(demo.list_id, email, "unsubscribed")
    GPMutator(demo.env.dataset).change_address(number, line1="12 Quiet Lane")

    report, writes = sync(demo)

    member = demo.sim.member(demo.list_id, email)
    assert member["status"] == "unsubscribed"
    assert member["merge_fields"]["ADDRESS"]["addr1"] == "12 Quiet Lane"  # merge fields may update
    assert report.customers["updated"] == 1
    assert writes == Counter({MEMBER_PUT: 1})
    assert_quiet_after(demo)
    assert demo.sim.member(demo.list_id, email)["status"] == "unsubscribed"


def test_class_change_swaps_the_members_class_tag(demo: Demo) -> None:
    exp = expected_state(demo)
    # A customer with a class other than the one it gets (else there is no change to see).
    number = next(n for n in sorted(exp.synced) if n not in demo.used
                  and gp_customer(demo, n).class_id not in ("", "WHOLESALE")
                  and n not in {m for ms in exp.shared_emails().values() for m in ms})
    demo.used.add(number)
    email = exp.synced[number]
    old_tag = mapping.class_tag(gp_customer(demo, number).class_id)
    assert demo.sim.member(demo.list_id, email)["tags"] == [old_tag]
    with demo.env.dataset.lock:
        row = demo.company.customer(number)
        assert row is not None
        row.custclas = pad_shared("WHOLESALE", W_CUSTCLAS)
        demo.env.dataset.touch()

    report, writes = sync(demo)

    assert demo.sim.member(demo.list_id, email)["tags"] == [mapping.class_tag("WHOLESALE")]
    assert report.customers["updated"] == 1
    assert writes == Counter({MEMBER_PUT: 1, TAGS_POST: 1})  # the buyer carries no class: no customer PUT
    tag_post = demo.sim.tag_requests()[-1]
    assert tag_post["email"] == email
    assert {t["name"]: t["status"] for t in tag_post["tags"]} == {old_tag: "inactive",
                                                                 mapping.class_tag("WHOLESALE"): "active"}
    assert_quiet_after(demo)


def test_new_customer_and_new_invoices_are_created(demo: Demo) -> None:
    exp = expected_state(demo)
    mutator = GPMutator(demo.env.dataset)
    added = mutator.add_customers(1)[0].key
    demo.used.add(added)
    new_email = address_for(added, "new-buyer.com")
    mutator.change_email(added, new_email)  # whatever dirt the generator gave it, it now has a valid address
    mutator.set_status(added, inactive=False, hold=False)
    existing = pick_customer(demo, exp)
    new_docs = [key_of(c.key.split(";", 1)[1]) for c in (
        *mutator.add_invoices(1, customer=added, amount="1234.50"),
        *mutator.add_invoices(1, customer=existing, amount=Decimal("99.99")),
    )]

    report, writes = sync(demo)

    assert demo.sim.member(demo.list_id, new_email)["merge_fields"]["GPCUSTNO"] == added
    assert demo.sim.customers(demo.store_id)[ecommerce_customer_id(new_email)]["email_address"] == new_email
    orders = demo.sim.orders(demo.store_id)
    assert orders[new_docs[0]]["customer_id"] == ecommerce_customer_id(new_email)
    assert orders[new_docs[0]]["order_total"] == 1234.5
    assert orders[new_docs[1]]["customer_id"] == exp.buyer_of(existing)
    assert orders[new_docs[1]]["order_total"] == 99.99
    assert orders[new_docs[0]]["financial_status"] == orders[new_docs[1]]["financial_status"] == "pending"
    assert report.customers["created"] == 1 and report.customers["updated"] == 0
    assert report.orders["created"] == 2 and report.orders["updated"] == 0
    # The new member is created with its class tag in one call, and the new buyer goes in its first order's POST:
    # one write per record.
    class_id = gp_customer(demo, added).class_id
    assert writes == Counter({MEMBER_POST if class_id else MEMBER_PUT: 1, ORDER_POST: 2})
    tags = demo.sim.member(demo.list_id, new_email)["tags"]
    assert tags == ([mapping.class_tag(class_id)] if class_id else [])
    # The store's automations stay on: neither a historical load nor re-created orders (no store PATCH above).
    assert demo.sim.store(demo.store_id)["is_syncing"] is False
    assert_quiet_after(demo)


# ------------------------------------------------------------------------------------------------ invoices
def test_void_cancels_the_order_with_one_patch(demo: Demo) -> None:
    exp = expected_state(demo)
    number = pick_customer(demo, exp, open_invoice=True)
    invoice = open_invoices(demo, exp, number)[0]
    GPMutator(demo.env.dataset).void_invoice(invoice)

    report, writes = sync(demo)

    order = demo.sim.orders(demo.store_id)[invoice]
    assert order["financial_status"] == "cancelled" and order["cancelled"]
    assert order["cancelled_at_foreign"].startswith(demo.env.dataset.clock.today().isoformat())
    assert report.orders["updated"] == 1 and report.orders["created"] == 0
    assert writes == Counter({ORDER_PATCH: 1})
    assert_quiet_after(demo)


def test_payment_marks_the_order_paid_and_a_partial_one_changes_nothing(demo: Demo) -> None:
    exp = expected_state(demo)
    paid_customer = pick_customer(demo, exp, open_invoice=True)
    paid = open_invoices(demo, exp, paid_customer)[0]
    partial_customer = pick_customer(demo, exp, open_invoice=True)
    partial = open_invoices(demo, exp, partial_customer)[0]
    mutator = GPMutator(demo.env.dataset)
    payment = mutator.apply_payment(paid).detail["payment"]
    with demo.env.dataset.lock:
        found = demo.company.document(DocType.INVOICE, partial)
        assert found is not None
        balance = Decimal(found[0].curtrxam) / 100
    mutator.apply_payment(partial, amount=min(Decimal("1.00"), balance / 2))

    report, writes = sync(demo)

    orders = demo.sim.orders(demo.store_id)
    assert orders[paid]["financial_status"] == "paid"
    assert orders[partial]["financial_status"] == "pending"
    assert key_of(payment.split(";", 1)[1]) not in orders  # the payment document is not an order
    assert report.orders["updated"] == 1 and report.orders["created"] == 0
    assert writes == Counter({ORDER_PATCH: 1})
    assert_quiet_after(demo)
