"""The sync engine against GP SBA answers in each plausible shape (gp-sba-contract.md, "What a real server may do
differently"): with the simulator's knob on, a first sync leaves Mailchimp exactly as the default shape does; an
answer missing a field the sync needs stops the run (exit 2) before one Mailchimp write, and says which keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo import gp_sba, gp_sba_shapes
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.sync.report import ExitCode
from tests.gp.sba_support import SHAPE_VARIANTS, variant_id
from tests.sync.engine_support import (
    Demo,
    address_for,
    assert_matches_expectation,
    expected_state,
    snapshot,
    start_demo,
    stop_demo,
    writes_of,
)

CUSTOMERS = 40


@pytest.fixture(scope="module")
def default_outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What a first sync of the default shape leaves in Mailchimp."""
    demo = start_demo(tmp_path_factory, CUSTOMERS)
    try:
        report = demo.run()
        assert report.exit_code is ExitCode.OK, report.error
        return snapshot(demo)
    finally:
        stop_demo(demo)


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    made = start_demo(tmp_path_factory, CUSTOMERS)
    try:
        yield made
    finally:
        stop_demo(made)


def without_currency(outcome: dict[str, Any]) -> dict[str, Any]:
    return {**outcome, "orders": {k: {**o, "currency": None} for k, o in outcome["orders"].items()}}


@pytest.mark.parametrize("knobs", SHAPE_VARIANTS, ids=variant_id)
def test_a_first_sync_of_each_shape_leaves_mailchimp_as_the_default_shape(
    demo: Demo, default_outcome: dict[str, Any], knobs: dict[str, Any]
) -> None:
    demo.env.gp.set_options(**knobs)
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    assert_matches_expectation(demo, expected_state(demo))
    got = snapshot(demo)
    assert got["orders"] and all(o["processed_at"] for o in got["orders"].values())
    assert got == default_outcome


@pytest.mark.parametrize("amount_shape", ["number", "string"])
def test_amounts_as_numbers_or_strings_give_the_same_orders(
    demo: Demo, default_outcome: dict[str, Any], amount_shape: str
) -> None:
    demo.env.gp.set_options(amount_shape=amount_shape)
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    assert_matches_expectation(demo, expected_state(demo))
    got = snapshot(demo)
    statuses = {o["status"] for o in got["orders"].values()}
    assert {"paid", "pending"} <= statuses
    # A plain amount carries no ISO currency: orders take the store's (GP's currency id is not ISO).
    assert without_currency(got) == without_currency(default_outcome)


@pytest.mark.parametrize(("missing", "resource"), [
    ("CurrentAmount", "receivables documents"), ("DocumentType", "receivables documents"),
    ("Addresses", "customers"), ("EmailToAddress", "customer addresses"),
])
def test_a_missing_field_stops_the_run_before_any_mailchimp_write(demo: Demo, missing: str, resource: str) -> None:
    demo.env.gp.set_options(omit_fields=(missing,))
    demo.sim.reset_counters()
    result = demo.cli()
    assert result.code == ExitCode.FAILED == 2, result.stderr
    assert writes_of(demo.sim) == {}
    error = result.json["error"]
    assert error.startswith(f"GP: GP's {resource} lack {missing} (they hold ")
    assert "; the sync needs " in error and missing in error.split("the sync needs ")[1]
    assert "Nothing was sent to Mailchimp. Send a GP sample to support" in error
    if missing == "Addresses":
        assert "Nor does this server offer Sales/CustomerAddresses" in error
    assert demo.sim.members(demo.list_id) == []


ALL_VARIANTS = {"dates": "wcf_offset", "server_offset_minutes": 600, "amount_shape": "string",
                "document_type_names": True, "list_key": "Items", "separate_addresses": True}


def test_every_variant_at_once_follows_an_email_edit_and_a_payment(demo: Demo) -> None:
    demo.env.gp.set_options(**ALL_VARIANTS)
    first = demo.run()
    assert first.exit_code is ExitCode.OK, first.error
    expected = expected_state(demo)
    assert_matches_expectation(demo, expected)

    # An e-mail edited in SY01200 alone (served only by Sales/CustomerAddresses here) and an invoice paid off.
    shared = {n for numbers in expected.shared_emails().values() for n in numbers}
    number, open_invoice = next(
        (n, o) for n in sorted(set(expected.synced) - shared) for o in expected.orders_of(n)
        if expected.orders[o].status == "pending")
    mutator = GPMutator(demo.env.dataset, seed=3)
    new_email = address_for(number, "shapes-moved.example")
    mutator.change_email(number, new_email)
    mutator.apply_payment(open_invoice)
    second = demo.run()
    assert second.exit_code is ExitCode.OK, second.error
    after = expected_state(demo)
    assert after.synced[number] == new_email
    member = demo.sim.member(demo.list_id, new_email)
    assert member is not None and member["merge_fields"]["GPCUSTNO"] == number
    # Mailchimp's contact under the old address is not ours to delete; everything else is exactly what GP says.
    old_email = expected.synced[number]
    assert {m["email_address"] for m in demo.sim.members(demo.list_id)} == {*after.members, old_email}
    assert {cid: c["email_address"] for cid, c in demo.sim.customers(demo.store_id).items()} == after.buyers
    orders = demo.sim.orders(demo.store_id)
    assert set(orders) == set(after.orders)
    for order_no, want in after.orders.items():
        assert orders[order_no]["customer_id"] == after.buyer_of(want.customer), order_no
        assert orders[order_no]["financial_status"] == want.status, order_no
    assert after.orders[open_invoice].status == orders[open_invoice]["financial_status"] == "paid"


def test_an_unknown_document_type_name_stops_the_run_naming_it(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server naming credit memos in words the client does not know: neither a crash nor an invoice.
    names = list(gp_sba_shapes.TYPE_NAMES)
    names[7] = "Credit Note"
    monkeypatch.setattr(gp_sba_shapes, "TYPE_NAMES", tuple(names))
    demo.env.gp.set_options(document_type_names=True)
    report, writes = demo.traffic(demo.run)
    assert report.exit_code is ExitCode.FAILED
    assert writes == {}
    assert report.error.startswith("GP: GP's receivables documents hold DocumentType in a form gpmc cannot read "
                                   "('Credit Note' in 3 of ")
    assert "the sync needs a receivables document type" in report.error


def test_customers_without_a_single_email_stop_the_run_before_any_mailchimp_write(demo: Demo) -> None:
    # Every e-mail gone from the answers (SY01200 empty): "skipped for no e-mail" 40 times must not be a good run.
    with demo.env.dataset.lock:
        demo.company.internet.clear()
        demo.env.dataset.touch()
    demo.sim.reset_counters()
    result = demo.cli()
    assert result.code == ExitCode.FAILED == 2, result.stderr
    assert writes_of(demo.sim) == {} and demo.sim.batch_operation_counts() == {}  # the simulator's request log
    everyone = len(demo.company.customers)
    assert result.json["error"].startswith(f"GP: None of the {everyone} customers GP returned has an e-mail address, "
                                           "so every one would be skipped for \"no e-mail\".")
    assert "Nothing was sent to Mailchimp." in result.json["error"]
    assert demo.sim.members(demo.list_id) == []


def test_balances_empty_in_every_document_stop_the_run_instead_of_marking_every_invoice_paid(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_balance(*args: Any) -> dict[str, Any]:
        return {**document_payload(*args), "CurrentAmount": None}

    document_payload = gp_sba.document_payload
    monkeypatch.setattr(gp_sba, "document_payload", without_balance)
    report, writes = demo.traffic(demo.run)
    assert report.exit_code is ExitCode.FAILED and report.outcome == "failed"  # failed, never "crashed"
    assert writes == {} and demo.sim.batch_operation_counts() == {}
    assert report.error.startswith("GP: GP's receivables documents hold CurrentAmount, but it is empty in all ")
    assert "every invoice would be marked paid for want of a balance." in report.error
    assert demo.with_store(lambda pid: store.list_runs(pid, limit=1)[0].outcome) == "failed"


def test_a_date_format_no_reader_knows_stops_the_run_naming_the_field(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gp_sba_shapes, "gp_date", lambda value, opts=None: value.strftime("%B %d, %Y"))
    report, writes = demo.traffic(demo.run)
    assert report.exit_code is ExitCode.FAILED
    assert writes == {}
    assert report.error.startswith("GP: GP's customers hold ModifiedDate in a form gpmc cannot read (")
    assert "the sync needs a date (ISO or /Date(ms)/)." in report.error
