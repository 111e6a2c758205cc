"""Orders with their real lines, end to end over GP Web Services: the demo's sales invoices read through the SOAP
simulator, products made from GP's items before the orders, a store switched from the one placeholder line to the
items (each PATCH followed by a DELETE of the placeholder line), totals that keep Mailchimp's revenue equal to GP's,
item changes reaching their products, invoices without a sales invoice keeping the placeholder, and a first load
with lines by batch operations."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator, shared_validator
from gpmc_desktop.gp.model import Document
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import Profile, load_profile
from gpmc_desktop.sync import mapping, order_lines
from gpmc_desktop.sync.report import Outcome, RunReport
from gpmc_desktop.sync.runner import make_source, run_profile

COMPANY = "TWO"
PRINCIPAL = "CORP\\svc-gp"
PRODUCT_PUT = ("PUT", "/ecommerce/stores/{store_id}/products/{product_id}")
ORDER_PATCH = ("PATCH", "/ecommerce/stores/{store_id}/orders/{order_id}")
ORDER_POST = ("POST", "/ecommerce/stores/{store_id}/orders")
LINE_DELETE = ("DELETE", "/ecommerce/stores/{store_id}/orders/{order_id}/lines/{line_id}")


@dataclass
class LinesDemo:
    env: DemoEnvironment
    profile: Profile
    db: Path

    @property
    def mc(self) -> MailchimpSimulator:
        return self.env.mailchimp

    @property
    def store_id(self) -> str:
        return self.env.profile_store_id

    def set_profile(self, section: str, **values: Any) -> None:
        held = getattr(self.profile, section)
        self.profile = dataclasses.replace(self.profile, **{section: dataclasses.replace(held, **values)})

    def run(self, **kw: Any) -> tuple[RunReport, Counter[tuple[str, str]]]:
        """One run, and the writes it sent to Mailchimp (by method and path)."""
        before = Counter(self.mc.request_counts())
        with store.open_store(self.db):
            report = run_profile(self.profile, self.env.secrets, **kw)
        after = Counter(self.mc.request_counts())
        return report, Counter({k: n for k, n in (after - before).items() if k[0] not in ("GET", "HEAD")})

    def gp(self) -> dict[str, Document]:
        """Every GP receivables invoice with its sales invoice's lines, read afresh as the sync reads them."""
        source = make_source(self.profile, self.env.secrets.gp_password)
        if isinstance(source, SbaSource):
            return {d.number: d for d in source.documents()}
        assert isinstance(source, SoapSource)
        docs = source.invoices_by_key([s["Key"]["Id"] for s in source.invoice_summaries()])
        return {d.number: d for d in source.with_sales_lines(docs, source.sales_summaries())}


def start(factory: pytest.TempPathFactory, customers: int, gp_api: str = "soap") -> LinesDemo:
    base = factory.getbasetemp()
    shared_validator(None, (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
                     / "mailchimp-contract-cache")
    workdir = factory.mktemp("lines-demo")
    env = DemoEnvironment(customers=customers, seed=7, workdir=workdir / "sims", gp_api=gp_api).start()
    env.mailchimp.config.fake_email_domains.clear()  # every GP address is deliverable: every invoice is an order
    db = workdir / "data" / "state.sqlite"
    return LinesDemo(env, load_profile(env.write_profile(database=str(db))), db)


def stop(demo: LinesDemo) -> None:
    problems = demo.mc.internal_errors
    demo.env.stop()
    assert problems == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinesDemo]:
    demo = start(tmp_path_factory, 100)
    try:
        yield demo
    finally:
        stop(demo)


def assert_orders_match_gp(demo: LinesDemo, gp: dict[str, Document]) -> tuple[int, int]:
    """Every order in Mailchimp holds what GP says: its items where the sales invoice adds up (and no other line
    left behind, every product there, typed by its item class), else the one placeholder line; its lines and
    charges make its total, which is GP's.  Returns (orders with items, orders with the placeholder)."""
    orders, products = demo.mc.orders(demo.store_id), demo.mc.products(demo.store_id)
    counted = Counter[bool]()
    for number, order in orders.items():
        doc = gp[number]
        assert Decimal(str(order["order_total"])) == doc.amount, number
        held = {str(ln["id"]): ln for ln in order["lines"]}
        uses = order_lines.uses_lines(doc)
        counted[uses] += 1
        if not uses:
            assert [ln["product_id"] for ln in held.values()] == [mapping.PRODUCT_ID], number
            continue
        want = {ln["id"]: ln for ln in order_lines.order_lines(doc)}
        assert set(held) == set(want), number  # the placeholder line, or a line GP no longer has, is gone
        for line_id, line in held.items():
            assert (line["product_id"], line["quantity"]) == (want[line_id]["product_id"], want[line_id]["quantity"])
        for product_id, body in order_lines.products(doc).items():
            assert products[product_id]["title"] == body["title"]
            assert products[product_id].get("type", "") == body.get("type", "")
        money = sum(Decimal(str(ln["price"])) * ln["quantity"] for ln in held.values())
        money += Decimal(str(order["shipping_total"])) + Decimal(str(order["tax_total"]))
        money -= Decimal(str(order["discount_total"]))
        assert abs(money - doc.amount) < Decimal("0.01"), number
    return counted[True], counted[False]


def test_a_store_switched_to_lines_gets_its_items_and_nothing_counted_twice(demo: LinesDemo) -> None:
    first, _ = demo.run()
    assert first.outcome is Outcome.OK and first.orders["created"] > 150
    placeholder_only = {ln["product_id"] for o in demo.mc.orders(demo.store_id).values() for ln in o["lines"]}
    assert placeholder_only == {mapping.PRODUCT_ID}

    demo.set_profile("gp", order_lines="sales_invoices")
    gp = demo.gp()
    synced = set(demo.mc.orders(demo.store_id))
    with_items = [gp[n] for n in synced if order_lines.uses_lines(gp[n])]
    products = {pid for d in with_items for pid in order_lines.products(d)}
    assert len(with_items) > 100 and len(products) > 20
    assert any(d.sales is None for d in (gp[n] for n in synced))  # some were keyed in Receivables

    preview, writes = demo.run(dry_run=True)
    assert writes == Counter() and preview.order_lines is not None
    assert (preview.order_lines.with_items, len(preview.order_lines.products)) == (len(with_items), len(products))
    assert preview.orders["updated"] == len(with_items)
    asked, writes = demo.run()
    assert asked.waits_for_decision and writes == Counter()  # most orders change: a person confirms first

    report, writes = demo.run(confirm_mass_change=True)
    assert report.outcome is Outcome.OK and report.orders["updated"] == len(with_items)
    # The products first, then each order patched to its items and its placeholder line deleted.
    assert writes == Counter({PRODUCT_PUT: len(products), ORDER_PATCH: len(with_items),
                              LINE_DELETE: len(with_items)})
    assert assert_orders_match_gp(demo, gp) == (len(with_items), len(synced) - len(with_items))
    quiet, writes = demo.run()
    assert writes == Counter() and quiet.orders["updated"] == 0

    # The steps after, on the store this one left (one test: pytest-xdist may run a module's tests apart).
    a_sales_invoice_gp_cannot_return_once_keeps_the_lines_last_read(demo)
    an_item_changed_in_gp_reaches_its_product(demo)
    a_new_invoice_posted_from_sales_arrives_with_its_items(demo)


def a_sales_invoice_gp_cannot_return_once_keeps_the_lines_last_read(demo: LinesDemo) -> None:
    demo.set_profile("gp", order_lines="sales_invoices", soap_workers=1)  # one reader: the first call is known
    gp, orders = demo.gp(), demo.mc.orders(demo.store_id)
    asked = sorted(n for n, d in gp.items() if d.sales is not None)  # the order a full read asks for them in
    held = next(i for i, n in enumerate(asked) if n in orders and len(orders[n]["lines"]) > 1)
    assert held < 10  # GP faults on every one up to it (fewer than the ten in a row that stop a read)
    # GP faults on those sales invoices (as it does on a control character in a note): each record is skipped.
    assert demo.env.gp_soap is not None
    demo.env.gp_soap.fail_next(held + 1, operation="GetSalesInvoiceByKey", message="Invalid character in a note.")
    report, writes = demo.run(full=True)
    assert report.outcome is Outcome.OK
    assert writes == Counter({PRODUCT_PUT: 1})  # the placeholder a full comparison puts back; no order patched
    assert_orders_match_gp(demo, gp)
    demo.set_profile("gp", soap_workers=4)


def an_item_changed_in_gp_reaches_its_product(demo: LinesDemo) -> None:
    demo.set_profile("gp", order_lines="sales_invoices")
    gp = demo.gp()
    used = sorted({ln.item_number for d in gp.values() if order_lines.uses_lines(d)
                   for ln in d.sales.lines if ln.item_number and ln.item_class and ln.quantity > 0})  # type: ignore[union-attr]
    item = used[0]
    GPMutator(demo.env.dataset).change_item(item, description="Recycled copy paper, 500 sheets", class_id="ECO",
                                            company=COMPANY)

    # A sales invoice is posted once: its lines (and their items) are read again at a full comparison.
    report, writes = demo.run(full=True)

    product = demo.mc.products(demo.store_id)[order_lines.item_product_id(item)]
    assert (product["title"], product["type"]) == ("Recycled copy paper, 500 sheets", "ECO")
    # That product, and the placeholder a full comparison always puts back; no order is sent again.
    assert writes == Counter({PRODUCT_PUT: 2}) and report.orders["updated"] == 0
    _quiet, writes = demo.run()
    assert writes == Counter()


def a_new_invoice_posted_from_sales_arrives_with_its_items(demo: LinesDemo) -> None:
    demo.set_profile("gp", order_lines="sales_invoices")
    gp = demo.gp()
    customer = gp[sorted(demo.mc.orders(demo.store_id))[0]].customer_number  # one that has orders there
    change = GPMutator(demo.env.dataset, seed=3).add_invoices(1, customer=customer, company=COMPANY)[0]
    number = change.key.split(";", 1)[1].strip()

    report, writes = demo.run()

    assert report.orders["created"] == 1 and writes[ORDER_POST] == 1
    gp = demo.gp()
    assert order_lines.uses_lines(gp[number])
    held = demo.mc.orders(demo.store_id)[number]
    assert {str(ln["id"]) for ln in held["lines"]} == {ln["id"] for ln in order_lines.order_lines(gp[number])}


def test_without_the_right_to_read_sales_invoices_the_run_stops_before_writing(demo: LinesDemo) -> None:
    demo.set_profile("gp", order_lines="sales_invoices")
    assert demo.env.gp_soap is not None
    demo.env.gp_soap.deny(PRINCIPAL, "Query Sales Invoices")
    try:
        report, writes = demo.run(full=True)
    finally:
        demo.env.gp_soap.set_roles(PRINCIPAL, None)
    assert report.outcome is Outcome.FAILED and writes == Counter()
    assert "Query Sales Invoices" in report.error


def test_a_first_load_with_lines_by_batches(tmp_path_factory: pytest.TempPathFactory) -> None:
    demo = start(tmp_path_factory, 60)
    try:
        demo.set_profile("gp", order_lines="sales_invoices")
        demo.set_profile("sync", batch_threshold=20)
        report, writes = demo.run()
        assert report.outcome is Outcome.OK and report.batches is not None and report.batches["operations"] > 20
        with_items, placeholder = assert_orders_match_gp(demo, demo.gp())
        assert with_items > 50 and placeholder > 10 and with_items + placeholder == report.orders["created"]
        _quiet, writes = demo.run()
        assert writes == Counter()
    finally:
        stop(demo)


def test_over_sba_the_sales_invoices_its_help_page_lists_give_the_orders_their_items(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    demo = start(tmp_path_factory, 60, gp_api="sba")
    try:
        demo.set_profile("gp", order_lines="sales_invoices")
        # A server that answers in another shape than the client knows: the run stops before any write.
        demo.env.gp.set_options(omit_fields=("Lines",))
        stopped, writes = demo.run()
        assert stopped.outcome is Outcome.FAILED and writes == Counter()
        assert "Lines" in stopped.error and "sales invoices" in stopped.error

        demo.env.gp.set_options(omit_fields=())
        report, writes = demo.run()
        assert report.outcome is Outcome.OK, report.error
        with_items, placeholder = assert_orders_match_gp(demo, demo.gp())
        assert with_items > 50 and placeholder > 10
        _quiet, writes = demo.run()
        assert writes == Counter()
        _quiet, writes = demo.run()  # GP answers as printed: the run ends as the last one did
        assert writes == Counter()

        # An item changed in GP changes the answers the quiet poll compares: the product follows at once.
        gp = demo.gp()
        item = sorted({ln.item_number for d in gp.values() if order_lines.uses_lines(d)
                       for ln in d.sales.lines if ln.item_number and ln.quantity > 0})[0]  # type: ignore[union-attr]
        GPMutator(demo.env.dataset).change_item(item, description="Archive box, 10 pack", company=COMPANY)
        _report, writes = demo.run()
        assert writes == Counter({PRODUCT_PUT: 1})
        assert demo.mc.products(demo.store_id)[order_lines.item_product_id(item)]["title"] == "Archive box, 10 pack"
    finally:
        stop(demo)
