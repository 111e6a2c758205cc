"""End to end with the simulators: the audit's order rows carry their GP customer's number and name and the
invoice amount, customer rows the name; the failure ledger names the e-mail and customer of what failed, and
the fix advice reads in GP terms."""

from __future__ import annotations

from decimal import Decimal

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.store import AuditFilter
from gpmc_desktop.sync.fix_advice import advise_entry
from tests.sync.engine_support import Demo, demo_fixture, expected_state

demo = demo_fixture("demo", 60)


def test_order_events_carry_customer_and_amount_and_a_customer_search_finds_them(demo: Demo) -> None:
    before = expected_state(demo)
    fake = next(n for n in sorted(before.synced) if before.orders_of(n))
    GPMutator(demo.env.dataset).change_email(fake, "abrown@example.com")  # Mailchimp calls example.com fake
    exp = expected_state(demo)
    demo.run()

    def read(pid: int) -> tuple[list[store.AuditEventRow], list[store.AuditEventRow]]:
        return (list(store.iter_audit(AuditFilter(profile_id=pid, entity="order", action="created"))),
                list(store.iter_audit(AuditFilter(profile_id=pid, entity="customer"))))

    orders, customers = demo.with_store(read)
    names = {c.gp_key: c.customer_name for c in customers}
    assert set(names) >= set(exp.synced) and all(names[n] for n in exp.synced)
    assert {o.gp_key for o in orders} == set(exp.orders)
    for order in orders:
        expected = exp.orders[order.gp_key]
        assert order.customer_number == expected.customer
        assert order.customer_name == names[expected.customer]
        assert order.amount is not None and order.amount.quantize(Decimal("0.01")) == Decimal(expected.total)
        assert order.currency

    # A customer with invoices: searching its name, number or e-mail finds the customer and every invoice.
    number = next(n for n in sorted(exp.synced) if len(exp.orders_of(n)) >= 2)
    wanted = {number, *exp.orders_of(number)}
    for text in (names[number], number.lower(), exp.synced[number].upper()):
        found = demo.with_store(lambda pid, t=text: {
            r.gp_key for r in store.iter_audit(AuditFilter(profile_id=pid, text=t))})
        assert wanted <= found, text
        total = demo.with_store(lambda pid, t=text: store.count_audit(AuditFilter(profile_id=pid, text=t)))
        assert total >= len(wanted)

    # The fake addresses Mailchimp refuses: ledgered with their e-mail and name, and advice in GP terms.
    ledger = demo.failures("customer")
    assert fake in exp.rejected and set(ledger) == set(exp.rejected)
    for key, entry in ledger.items():
        assert (entry.email, entry.customer_number, entry.customer_name) == (exp.rejected[key], key, names[key])
        advice = advise_entry(entry)
        assert advice.text == (f"Correct the e-mail address of customer {key} in GP: Mailchimp refuses "
                               f"{exp.rejected[key]} as fake")
        assert advice.fix_in_gp
