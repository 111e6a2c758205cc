"""A sales invoice's lines as plain JSON lists and back: how the SOAP snapshot and a big run's scratch database
keep them (amounts and quantities as text, so a Decimal comes back to the digit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gpmc_desktop.gp.model import SalesLine, SalesLines


def sales_out(s: SalesLines) -> list[Any]:
    lines = [[ln.sequence, ln.item_number, ln.description, ln.item_class, str(ln.quantity), str(ln.total)]
             for ln in s.lines]
    return [lines, str(s.discount), str(s.freight), str(s.misc), str(s.tax), str(s.total)]


def sales_in(row: list[Any]) -> SalesLines:
    lines, discount, freight, misc, tax, total = row
    return SalesLines(tuple(SalesLine(int(seq), str(item), str(text), str(cls), Decimal(qty), Decimal(amount))
                            for seq, item, text, cls, qty, amount in lines),
                      Decimal(discount), Decimal(freight), Decimal(misc), Decimal(tax), Decimal(total))
