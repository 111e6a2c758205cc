"""End to end, on the built-in demo: the preview (dry run), the real run's ``--json`` line, its summary on stderr
and the run stored in the state database tell one and the same reconciliation, and it matches GP's data and
what the Mailchimp simulator holds."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from gpmc_desktop import store
from gpmc_desktop.sync.reconciliation import Reconciliation
from tests.sync.engine_support import Demo, demo_fixture, expected_state

demo = demo_fixture("demo", 120)

CHAIN = ("currency", "gp_customers", "left_out", "addresses", "shared", "customers", "members",
         "ecommerce_customers", "gp_invoices", "invoices_left_out", "orders", "order_totals", "not_orders")


def test_preview_run_json_line_and_stored_run_agree_and_match_gp_and_mailchimp(demo: Demo) -> None:
    demo.sim.config.fake_email_domains = set()  # nothing refused: the preview can predict every record
    exp = expected_state(demo)

    preview = demo.run(dry_run=True)
    result = demo.cli()
    assert result.code == 0, result.stderr
    line = result.json
    real = Reconciliation.from_json(line["reconciliation"])
    stored = demo.with_store(lambda pid: store.get_run(line["run_id"]))

    assert stored.counts["reconciliation"] == line["reconciliation"]
    assert preview.reconciliation is not None and preview.reconciliation.dry_run and not real.dry_run
    for name in CHAIN:
        assert getattr(preview.reconciliation, name) == getattr(real, name), name
    assert preview.new_contacts == real.new_contacts == len(exp.members)

    # The figures are GP's and Mailchimp's own.
    assert real.gp_customers == len(exp.synced) + len(exp.skipped)
    assert real.eligible == len(exp.synced) == real.customers["created"] == line["customers"]["created"]
    assert real.addresses == len(exp.members) == len(demo.sim.members(demo.list_id))
    sizes = Counter(len(ns) for ns in exp.shared_emails().values() if len(ns) > 1)
    assert real.shared == dict(sizes) and sizes
    assert real.gp_invoices == len(exp.orders) + len(exp.unsynced_invoices)
    assert real.orders["created"] == len(exp.orders) == line["orders"]["created"]
    assert sum(real.invoices_left_out.values()) == len(exp.unsynced_invoices) == line["orders"]["skipped"]
    # The company's currency only (a few demo invoices are in another), voided ones not counted.
    orders = demo.sim.orders(demo.store_id)
    money = sum((Decimal(str(o["order_total"])).quantize(Decimal("0.01")) for o in orders.values()
                 if not o["cancelled"] and o["currency_code"] == real.currency), Decimal(0))
    assert any(o["currency_code"] != real.currency for o in orders.values())
    assert real.money_sent == money
    assert real.holds is not None
    assert real.holds.members == len(demo.sim.members(demo.list_id))
    assert real.holds.ecommerce_customers == len(demo.sim.customers(demo.store_id))
    assert real.holds.orders == len(demo.sim.orders(demo.store_id)) and real.holds.money == money

    # The summary on stderr is the same chain in words.
    assert real.shared_text() in result.stderr
    assert f"Mailchimp now holds from GP: {real.holds.members:,} audience members" in result.stderr


def test_invoices_of_a_customer_mailchimp_refused_say_which_customer_they_wait_for_and_why(demo: Demo) -> None:
    exp = expected_state(demo)
    refused = [n for n in sorted(exp.rejected) if any(True for _ in _invoices_of(demo, n))]
    assert refused, "the demo has a refused customer with invoices"

    report = demo.run()

    rec = report.reconciliation
    assert rec is not None
    assert rec.customers["failed"] == len(exp.rejected) == report.customers["failed"]
    assert rec.members["failed"] == len(set(exp.rejected.values()))
    for number in refused:
        waits = [why for why in rec.invoices_left_out if why.startswith(f"waiting for customer {number} (failed: ")]
        assert waits, rec.invoices_left_out
    assert not any("customer not synced yet" in why for why in rec.invoices_left_out)
    # The next run reads the failure from the ledger, and says the same.
    again = demo.run().reconciliation
    assert again is not None and again.invoices_left_out == rec.invoices_left_out


def _invoices_of(demo: Demo, number: str) -> list[str]:
    with demo.env.dataset.lock:
        return [row.docnumbr for row, _state in demo.company.documents()
                if row.custnmbr.strip() == number and row.rmdtypal == 1]
