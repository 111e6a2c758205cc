"""Orders from GP sales invoices: the item lines, their products, and totals that keep Mailchimp's revenue equal
to GP's (sync/order_lines.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from gpmc_desktop.gp.model import Document, DocumentType, SalesLine, SalesLines
from gpmc_desktop.sync import mapping, order_lines

D = Decimal


def invoice(amount: str = "1000.00", sales: SalesLines | None = None) -> Document:
    return Document("SLS1001", DocumentType.INVOICE, "AARONFIT0001", dt.date(2024, 5, 1), D(amount), D("0"),
                    "USD", False, None, dt.date(2024, 5, 2), sales)


def line(seq: int, item: str, qty: str, total: str, *, cls: str = "PAPER", desc: str = "") -> SalesLine:
    return SalesLine(seq, item, desc or f"Item {item}", cls, D(qty), D(total))


# 3 boxes of paper extended at 90.00, 2.5 hours of service, a line of quantity 0, a deleted item's line (no class),
# misc 12.50, freight 25.00, tax 61.30 and a trade discount of 20.00:  790.00 - 20.00 + 25.00 + 12.50 + 61.30.
SALES = SalesLines(
    lines=(line(16384, "PAPER-A4", "3", "90.00"), line(32768, "SVC-HOUR", "2.5", "200.00", cls="SERVICE"),
           line(49152, "TONER-9", "0", "0.00"), line(65536, "OLD-DESK", "1", "500.00", cls="", desc="Oak desk")),
    discount=D("20.00"), freight=D("25.00"), misc=D("12.50"), tax=D("61.30"), total=D("868.80"))


def test_an_invoice_without_a_sales_invoice_keeps_the_one_line_at_its_total() -> None:
    body = mapping.order_payload(invoice(), "buyer", "USD", dt.UTC)
    assert body["lines"] == [{"id": "1", "product_id": mapping.PRODUCT_ID, "product_variant_id": mapping.PRODUCT_ID,
                              "quantity": 1, "price": 1000.0}]
    assert "tax_total" not in body and order_lines.products(invoice()) == {}


def test_item_lines_carry_what_was_sold_and_the_totals_keep_gps_revenue() -> None:
    doc = invoice("868.80", SALES)
    body = mapping.order_payload(doc, "buyer", "USD", dt.UTC)
    assert body["order_total"] == 868.80
    assert body["lines"] == [
        {"id": "16384", "product_id": "gp-item-PAPER-A4", "product_variant_id": "gp-item-PAPER-A4", "quantity": 3,
         "price": 30.0},
        # Mailchimp's quantities are whole: 2.5 hours go as one line at the extended price.
        {"id": "32768", "product_id": "gp-item-SVC-HOUR", "product_variant_id": "gp-item-SVC-HOUR", "quantity": 1,
         "price": 200.0},
        {"id": "65536", "product_id": "gp-item-OLD-DESK", "product_variant_id": "gp-item-OLD-DESK", "quantity": 1,
         "price": 500.0},
        {"id": "misc", "product_id": order_lines.MISC_ID, "product_variant_id": order_lines.MISC_ID, "quantity": 1,
         "price": 12.5},
    ]
    assert (body["discount_total"], body["shipping_total"], body["tax_total"]) == (20.0, 25.0, 61.3)
    lines = sum(D(str(ln["price"])) * ln["quantity"] for ln in body["lines"])
    assert lines - D("20.00") + D("25.00") + D("61.30") == D("868.80")  # the lines and charges make the total


def test_products_come_from_the_items_class_as_type_and_a_gone_items_own_description() -> None:
    products = order_lines.products(invoice("868.80", SALES))
    assert set(products) == {"gp-item-PAPER-A4", "gp-item-SVC-HOUR", "gp-item-OLD-DESK", order_lines.MISC_ID}
    assert products["gp-item-PAPER-A4"] == {
        "id": "gp-item-PAPER-A4", "title": "Item PAPER-A4", "type": "PAPER",
        "variants": [{"id": "gp-item-PAPER-A4", "title": "Item PAPER-A4", "sku": "PAPER-A4"}]}
    assert "type" not in products["gp-item-OLD-DESK"] and products["gp-item-OLD-DESK"]["title"] == "Oak desk"
    assert "gp-item-TONER-9" not in products  # its only line had no quantity


def test_lines_that_do_not_add_up_keep_the_one_line_and_say_why() -> None:
    adjusted = invoice("900.00", SALES)  # the receivables invoice was adjusted after posting
    assert "differs from the receivables amount 900.00" in order_lines.lines_problem(adjusted)
    assert mapping.order_payload(adjusted, "buyer", "USD", dt.UTC)["lines"][0]["product_id"] == mapping.PRODUCT_ID
    broken = invoice("868.80", dataclasses.replace(SALES, tax=D("0.00")))
    assert "add up to 807.50, not the sales invoice's 868.80" in order_lines.lines_problem(broken)
    empty = invoice("0.00", SalesLines((line(1, "X", "0", "0.00"),), D(0), D(0), D(0), D(0), D(0)))
    assert order_lines.lines_problem(empty) == "the sales invoice has no line with a quantity"
    assert order_lines.lines_problem(invoice()) == ""


def test_item_numbers_become_ids_safe_in_a_url_and_never_shared() -> None:
    ids = {n: order_lines.item_product_id(n) for n in ("PAPER-A4", "PEN/BLU-12", "DSK 60X30", "DSK_60X30", "Café.1",
                                                         "X" * 31, "Y" * 30 + "/")}
    assert ids["PAPER-A4"] == "gp-item-PAPER-A4" and ids["PEN/BLU-12"] == "gp-item-PEN_2FBLU-12"
    assert ids["DSK 60X30"] == "gp-item-DSK_2060X30" and ids["DSK_60X30"] == "gp-item-DSK_5F60X30"
    assert ids["Café.1"] == "gp-item-Caf_C3_A9.1"
    assert len(set(ids.values())) == len(ids)
    assert all(len(i) <= 50 and re.fullmatch(r"[A-Za-z0-9._-]+", i) for i in ids.values())
    body = order_lines.product(line(1, "PEN/BLU-12", "1", "3.00"))
    assert body["id"] == body["variants"][0]["id"] == "gp-item-PEN_2FBLU-12"
    assert body["variants"][0]["sku"] == "PEN/BLU-12"  # GP's own number, as people read it


def test_an_order_changes_its_hash_only_when_its_lines_do() -> None:
    zone = dt.UTC
    before = mapping.order_hash(mapping.order_payload(invoice("868.80", SALES), "b", "USD", zone), zone)
    again = mapping.order_hash(mapping.order_payload(invoice("868.80", SALES), "b", "USD", zone), zone)
    renamed = dataclasses.replace(SALES, lines=(dataclasses.replace(SALES.lines[0], description="A4 paper"),
                                                *SALES.lines[1:]))
    # An item's new description changes its product, not the order (the order points at the product's id).
    after = mapping.order_hash(mapping.order_payload(invoice("868.80", renamed), "b", "USD", zone), zone)
    assert before == again == after
    assert order_lines.products(invoice("868.80", renamed))["gp-item-PAPER-A4"]["title"] == "A4 paper"


def test_the_preview_counts_orders_with_items_and_those_that_keep_one_line() -> None:
    counts = order_lines.LineCounts()
    for doc in (invoice("868.80", SALES), invoice("868.80", SALES), invoice(), invoice("900.00", SALES)):
        counts.add(doc)
    assert counts.lines() == [
        "2 orders carry the items of their GP sales invoice (4 products)",
        "1 order keeps one line at the invoice total: no sales invoice in GP (entered in Receivables)",
        "1 order keeps one line at the invoice total: its sales invoice does not add up to the receivables invoice",
    ]
