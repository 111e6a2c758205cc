"""An order's lines when GP has the sales invoice behind it: one line per item line, products made from GP's
items, and the charges beside the lines in the order's totals.

What Mailchimp counts, and how it stays equal to GP (see README, "Orders and their lines"):

- ``order_total`` is always the GP receivables invoice's amount, as with the placeholder line;
- each item line with a quantity is a line at its extended price (after the line's markdown): GP's whole
  quantity with the price per unit, or, for a part quantity (2.5 hours), quantity 1 at the extended price, since
  Mailchimp's quantities are whole numbers; lines of quantity 0 are left out;
- misc charges are a line of their own (the "GP miscellaneous charges" product), freight goes in
  ``shipping_total``, tax in ``tax_total`` and the trade discount in ``discount_total``.

The lines are used only when they add up to the invoice: the sales invoice's total, rebuilt from its lines and
charges, must equal the receivables amount to the cent.  Otherwise (the receivables document was adjusted after
posting, or GP answered with lines that do not add up) the order keeps the placeholder line and the reason is
said, rather than sending revenue that disagrees with GP.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gpmc_desktop.gp.model import Document, SalesLine

ITEM_PREFIX = "gp-item-"
NO_ITEM_ID = "gp-item-none"  # a line that names no item
MISC_ID = "gp-misc-charges"
MISC_LINE_ID = "misc"
MISC_PRODUCT = {"id": MISC_ID, "title": "GP miscellaneous charges",
                "description": "The miscellaneous charges of GP sales invoices.",
                "variants": [{"id": MISC_ID, "title": "GP miscellaneous charges"}]}
CENT = Decimal("0.01")
ID_LIMIT = 50  # Mailchimp's e-commerce ids (the reference gives 50 for customers; the stricter reading for all)
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def product_id(line: SalesLine) -> str:
    return item_product_id(line.item_number) if line.item_number else NO_ITEM_ID


def item_product_id(item_number: str) -> str:
    """The product id of a GP item number: its letters, digits, dots and hyphens as they are, anything else (a
    space, a slash) as _XX per UTF-8 byte, so the id is safe in a URL path (a %2F there is refused by many web
    servers) and two items never share one; a number that would make it longer than Mailchimp's 50 characters is
    hashed instead.  The item number itself is the variant's SKU."""
    safe = _UNSAFE.sub(lambda m: "".join(f"_{b:02X}" for b in m.group().encode()), item_number)
    if len(ITEM_PREFIX) + len(safe) <= ID_LIMIT:
        return f"{ITEM_PREFIX}{safe}"
    return f"{ITEM_PREFIX}h{hashlib.sha256(item_number.encode()).hexdigest()[:32]}"


def product(line: SalesLine) -> dict[str, Any]:
    """The product (one variant of the same id) a GP item becomes: its description, its item class as the type."""
    pid = product_id(line)
    title = line.description or line.item_number or "GP line without an item"
    body: dict[str, Any] = {"id": pid, "title": title,
                            "variants": [{"id": pid, "title": title, **({"sku": line.item_number}
                                                                        if line.item_number else {})}]}
    if line.item_class:
        body["type"] = line.item_class
    return body


def lines_problem(doc: Document) -> str:
    """Why *doc*'s sales lines cannot be its order's lines ("" when they can; also "" without lines)."""
    sales = doc.sales
    if sales is None:
        return ""
    if not any(line.quantity > 0 for line in sales.lines):
        return "the sales invoice has no line with a quantity"
    if any(line.total < 0 for line in sales.lines) or min(sales.freight, sales.misc, sales.tax, sales.discount) < 0:
        return "the sales invoice has a negative amount"
    rebuilt = sum((line.total for line in sales.lines), Decimal(0)) - sales.discount + sales.freight + \
        sales.misc + sales.tax
    if rebuilt.quantize(CENT) != sales.total.quantize(CENT):
        return f"its lines and charges add up to {rebuilt:.2f}, not the sales invoice's {sales.total:.2f}"
    if sales.total.quantize(CENT) != doc.amount.quantize(CENT):
        return f"the sales invoice's total {sales.total:.2f} differs from the receivables amount {doc.amount:.2f}"
    return ""


def uses_lines(doc: Document) -> bool:
    return doc.sales is not None and not lines_problem(doc)


def order_lines(doc: Document) -> list[dict[str, Any]]:
    """The order's lines from *doc*'s sales invoice (call only when :func:`uses_lines`)."""
    assert doc.sales is not None
    lines = []
    for line in doc.sales.lines:
        if line.quantity <= 0:
            continue
        whole = line.quantity == line.quantity.to_integral_value()
        quantity = int(line.quantity) if whole else 1
        price = line.total / quantity
        pid = product_id(line)
        lines.append({"id": str(line.sequence), "product_id": pid, "product_variant_id": pid,
                      "quantity": quantity, "price": float(price)})
    if doc.sales.misc > 0:
        lines.append({"id": MISC_LINE_ID, "product_id": MISC_ID, "product_variant_id": MISC_ID, "quantity": 1,
                      "price": float(doc.sales.misc)})
    return lines


def order_totals(doc: Document) -> dict[str, float]:
    """The charges beside the lines, in the order's own fields."""
    assert doc.sales is not None
    return {"discount_total": float(doc.sales.discount), "tax_total": float(doc.sales.tax),
            "shipping_total": float(doc.sales.freight)}


def products(doc: Document) -> dict[str, dict[str, Any]]:
    """The products *doc*'s order lines point at, by id (none for an order with the placeholder line)."""
    if not uses_lines(doc):
        return {}
    assert doc.sales is not None
    found = {product_id(line): product(line) for line in doc.sales.lines if line.quantity > 0}
    if doc.sales.misc > 0:
        found[MISC_ID] = MISC_PRODUCT
    return found


@dataclass
class LineCounts:
    """What a preview says of the orders' lines: how many carry their items, how many keep one line and why."""

    with_items: int = 0
    without_sales_invoice: int = 0
    not_adding_up: int = 0
    products: set[str] = field(default_factory=set)

    def add(self, doc: Document) -> None:
        if doc.sales is None:
            self.without_sales_invoice += 1
        elif lines_problem(doc):
            self.not_adding_up += 1
        else:
            self.with_items += 1
            self.products.update(products(doc))

    def lines(self) -> list[str]:
        def orders(n: int, one: str, many: str) -> str:
            return f"{n:,} order {one}" if n == 1 else f"{n:,} orders {many}"

        out = [f"{orders(self.with_items, 'carries', 'carry')} the items of "
               f"{'its' if self.with_items == 1 else 'their'} GP sales invoice "
               f"({len(self.products):,} product{'s' if len(self.products) != 1 else ''})"]
        if self.without_sales_invoice:
            out.append(f"{orders(self.without_sales_invoice, 'keeps', 'keep')} one line at the invoice total: no "
                       "sales invoice in GP (entered in Receivables)")
        if self.not_adding_up:
            n = self.not_adding_up
            out.append(f"{orders(n, 'keeps', 'keep')} one line at the invoice total: {'its' if n == 1 else 'their'}"
                       " sales invoice does not add up to the receivables invoice")
        return out
