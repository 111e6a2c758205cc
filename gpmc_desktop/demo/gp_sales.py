"""Posted SOP sales invoices (SOP30200 headers, SOP30300 lines) behind the RM invoices, and the item catalog
(IV00101) their lines name.

Posting a SOP invoice makes the RM invoice (RMDTYPAL 1) of the same number and customer, so a sales invoice's
DOCAMNT is its RM invoice's ORTRXAMT, DOCAMNT = SUBTOTAL - TRDISAMT + FRTAMNT + MISCAMNT + TAXAMNT, and SUBTOTAL is
the sum of the lines' XTNDPRCE (quantity x unit price - markdown).  About 70 % of the RM invoices have one; the
others were keyed in Receivables.  Every draw comes from a stream of its own (per company for the catalog and for
where the dirty cases go, per document for its lines), so a seed's other values stay what they were before
these tables existed.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from gpmc_desktop.demo import gp_names as names
from gpmc_desktop.demo.gp_factory import CompanyFactory
from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    SOP_INVOICE,
    SOP_LINE_STEP,
    W_DOCID,
    W_ITEMDESC,
    W_ITEMNMBR,
    W_ITMCLSCD,
    W_ITMSHNAM,
    CompanyData,
    DocType,
    DocumentRow,
    ItemRow,
    ItemType,
    SalesHeaderRow,
    SalesLineRow,
    doc_key,
    key_of,
    pad_shared,
    sales_key,
)

SOP_SHARE = 0.7  # RM invoices posted from SOP; the rest were keyed in Receivables
DOCID = "STDINV"  # GP's default SOP invoice type id
CATALOG_SIZE = 40
BLANK_CLASS_RATE = 0.12
# Dirty cases each company gets at least once (when it has enough invoices), each on an invoice of its own.
GUARANTEED_SALES_TRAITS = ("deleted_item", "zero_quantity", "fractional", "markdown", "freight", "misc", "tax",
                           "trade_discount")
MANY_LINES = (100, 130)  # the company's biggest invoice gets this many lines
MIN_FORCED_CENTS = 15_000  # traits go on invoices of $150 or more: room for 2.5 hours and every part
MISMATCH_MIN_CUSTOMERS = 200
HOURS = tuple(Decimal(h) for h in ("0.5", "0.75", "1", "1.5", "2", "2.5", "3", "4", "6", "7.5", "8"))
TAX_RATES = (0.05, 0.0625, 0.07, 0.0725, 0.08, 0.0925)
_Q5 = Decimal("0.00001")
_FEES = (ItemType.MISC_CHARGES, ItemType.FLAT_FEE)
_TRAITS_NEEDING_TWO_LINES = frozenset({"zero_quantity", "fractional"})  # the cents must fit on another line
_SEQUENCES = tuple(SOP_LINE_STEP * (i + 1) for i in range(MANY_LINES[1]))  # shared ints, as dates are shared


@lru_cache(maxsize=1024)
def quantity(value: Decimal | int | str) -> Decimal:
    """A QUANTITY as GP keeps it: 5 decimal places (one shared object per value)."""
    return Decimal(value).quantize(_Q5)


def _sequence(i: int) -> int:
    return _SEQUENCES[i] if i < len(_SEQUENCES) else SOP_LINE_STEP * (i + 1)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


@dataclass
class _Line:
    item: ItemRow
    qty: Decimal
    list_units: int  # the item's usual price in the document's currency units
    price: int = 0
    markdown_pct: float = 0.0
    markdown: int = 0
    xtnd: int = 0
    tax: int = 0

    @property
    def priced(self) -> bool:
        return self.qty > 0

    def extend(self) -> None:
        gross = _whole(self.qty * self.price)
        self.markdown = min(gross, max(1, round(gross * self.markdown_pct))) if self.markdown_pct and gross else 0
        self.xtnd = gross - self.markdown


@dataclass
class _Parts:
    """A header's amounts, in the document's currency units (cents, or whole yen)."""

    subtotal: int = 0
    discount: int = 0
    freight: int = 0
    misc: int = 0
    tax: int = 0


@dataclass(frozen=True)
class _Money:
    """How a document's amounts are drawn: in units of ``unit`` cents, ``rate`` functional per originating."""

    total: int  # the invoice total in units
    unit: int
    rate: float
    foreign: bool

    @property
    def per_dollar(self) -> float:
        return 100 / self.rate / self.unit


class SalesFactory:
    """Items and posted sales invoices for one company; *seed* names the per-record random streams."""

    def __init__(self, factory: CompanyFactory, seed: object) -> None:
        self.factory = factory
        self.data: CompanyData = factory.data
        self.seed = seed
        self.retired: list[ItemRow] = []  # deleted from IV00101 before today; old lines still name them
        self._pool_key: tuple[str, ...] = ()
        self._goods: list[ItemRow] = []  # by usual price, cheapest first
        self._goods_prices: list[float] = []  # their usual prices, in cents of the functional currency
        self._services: list[ItemRow] = []
        self._fees: list[ItemRow] = []

    def stream(self, purpose: str, name: str = "") -> random.Random:
        # A string seed is hashed with SHA-512: stable across runs and platforms.
        return random.Random(f"{purpose} {self.seed}/{self.data.interid}/{name.strip()}")

    # ------------------------------------------------------------------------------------------------ items
    def add_catalog(self) -> None:
        """IV00101: about 40 items of the office-supply catalog (every service, fee, kit and discontinued one, and
        a draw of the goods), some without a class; plus the retired items old lines name."""
        rng = self.stream("items")
        always = [c for c in names.ITEM_CATALOG if c.item_type != ItemType.SALES_INVENTORY]
        goods = [c for c in names.ITEM_CATALOG if c.item_type == ItemType.SALES_INVENTORY]
        kept = {c.number for c in rng.sample(goods, CATALOG_SIZE - len(always))} | {c.number for c in always}
        for entry in names.ITEM_CATALOG:
            if entry.number in kept:
                row = self._item_row(entry, rng)
                self.data.items[key_of(row.itemnmbr)] = row
        self.retired = [self._item_row(entry, rng) for entry in names.RETIRED_ITEMS]

    def _item_row(self, entry: names.CatalogItem, rng: random.Random) -> ItemRow:
        f = self.factory
        today = f.today().toordinal()
        created = f.day(today - rng.randrange(4 * 365, 9 * 365))  # before the oldest document
        modified = created if rng.random() < 0.3 else f.day(rng.randint(created.toordinal(), today))
        blank = rng.random() < BLANK_CLASS_RATE
        return ItemRow(
            itemnmbr=pad_shared(entry.number, W_ITEMNMBR),
            itemdesc=pad_shared(entry.description, W_ITEMDESC),
            itmshnam=pad_shared(entry.description[:W_ITMSHNAM].upper(), W_ITMSHNAM),
            itmclscd=pad_shared("" if blank else entry.class_id, W_ITMCLSCD),
            itemtype=entry.item_type,
            decplqty=3 if entry.item_type == ItemType.SERVICES else 1,
            currcost=entry.cost_cents,
            creatddt=created,
            modifdt=modified,
            dex_row_ts=f.stamp(modified, rng=rng),
        )

    def _pools(self) -> None:
        """The live items by kind (re-read when an item was added or deleted)."""
        key = tuple(self.data.items)
        if key == self._pool_key:
            return
        self._pool_key = key
        live = list(self.data.items.values())
        self._services = [i for i in live if i.itemtype == ItemType.SERVICES]
        self._fees = [i for i in live if i.itemtype in _FEES]
        goods = [i for i in live if i.itemtype not in _FEES and i.itemtype != ItemType.SERVICES]
        self._goods = sorted(goods, key=lambda i: (usual_cents(i), key_of(i.itemnmbr)))
        self._goods_prices = [usual_cents(i) for i in self._goods]

    # --------------------------------------------------------------------------------------------- invoices
    def document_stream(self, doc: DocumentRow) -> random.Random:
        return self.stream("sales lines", doc.docnumbr)

    def add_invoice(
        self,
        doc: DocumentRow,
        traits: Iterable[str] = (),
        *,
        rng: random.Random | None = None,
        mismatch_cents: int = 0,
    ) -> SalesHeaderRow:
        """Make and insert the posted SOP invoice (SOP30200 and its SOP30300 lines) behind RM invoice *doc*.

        *rng* is the document's stream with its first draw (whether SOP posted it) already taken; without it the
        stream starts afresh and skips that draw, so a document gets the same lines whoever makes them.
        *mismatch_cents* makes DOCAMNT differ from the RM invoice's ORTRXAMT (a functional-currency document).
        """
        if rng is None:
            rng = self.document_stream(doc)
            rng.random()
        self._pools()
        wanted = frozenset(traits)
        money = self._money(doc, mismatch_cents)
        parts = _draw_parts(rng, money.total, wanted)
        lines = self._lines(rng, doc, parts.subtotal, money, wanted)
        _spread_tax(lines, parts.tax)
        header, rows = self._rows(doc, parts, lines, money, rng)
        key = sales_key(SOP_INVOICE, doc.docnumbr)
        self.data.sales_headers[key] = header
        self.data.sales_lines[key] = rows
        return header

    def _money(self, doc: DocumentRow, mismatch_cents: int) -> _Money:
        mc = self.data.multicurrency.get(doc_key(doc.rmdtypal, doc.docnumbr))
        if mc is None:
            return _Money(max(0, doc.ortrxamt + mismatch_cents), 1, 1.0, False)
        digits = CURRENCIES.get(mc.curncyid.rstrip(), ("", 2))[1]
        unit = 10 ** (2 - digits)
        return _Money(mc.ororgtrx // unit, unit, mc.xchgrate, True)

    def _lines(self, rng: random.Random, doc: DocumentRow, subtotal: int, money: _Money,
               traits: frozenset[str]) -> list[_Line]:
        old = (self.factory.today() - doc.docdate).days > 365
        count = _line_count(rng, traits, subtotal, money.per_dollar)
        least = 2 if traits & _TRAITS_NEEDING_TWO_LINES else 1
        for attempt in range(20):
            budget = subtotal / count  # what a line is worth: items and quantities that fit keep prices near list
            lines = [self._line(rng, money, old, budget) for _ in range(count)]
            self._force_traits(rng, lines, traits, money)
            if _price(lines, subtotal):
                return lines
            # The cents would not fit without a negative price: fewer lines (at last one, whatever the traits).
            count = max(least if attempt < 10 else 1, count // 2)
        lines = [self._line(rng, money, old, subtotal)]
        lines[0].qty, lines[0].markdown_pct = lines[0].qty or quantity(1), 0.0
        _price(lines, subtotal)  # one shipped line without a markdown always fits
        return lines

    def _line(self, rng: random.Random, money: _Money, old: bool, budget: float) -> _Line:
        item = self._pick(rng, old, budget * money.unit * money.rate)
        list_units = self.list_units(item, money)
        line = _Line(item, _quantity(rng, item, budget / list_units), list_units)
        if line.qty and item.itemtype not in _FEES:
            roll = rng.random()
            if roll < 0.01:
                line.qty = quantity(0)  # nothing shipped: the line was posted with quantity 0
            elif roll < 0.05:
                line.markdown_pct = rng.choice((0.05, 0.1, 0.15, 0.2))
        return line

    def _force_traits(self, rng: random.Random, lines: list[_Line], traits: frozenset[str], money: _Money) -> None:
        """Put each wanted dirty case on a line of its own, from the first line on (the last line of a longer
        invoice stays an ordinary one, to take the cents)."""
        slot = iter(range(len(lines)))
        for trait in ("deleted_item", "fractional", "markdown", "zero_quantity"):
            if trait not in traits:
                continue
            i = next(slot, None)
            if i is None or (i == len(lines) - 1 and len(lines) > 1):
                return
            if trait == "deleted_item" and self.retired:
                item = rng.choice(self.retired)
                lines[i] = _Line(item, quantity(rng.randint(1, 4)), self.list_units(item, money))
            elif trait == "fractional" and self._services:
                item = rng.choice(self._services)
                lines[i] = _Line(item, quantity("2.5"), self.list_units(item, money))
            elif trait == "markdown":
                lines[i].qty = lines[i].qty or quantity(1)
                lines[i].markdown_pct = 0.1
            elif trait == "zero_quantity":
                lines[i].qty, lines[i].markdown_pct = quantity(0), 0.0

    def _pick(self, rng: random.Random, old: bool, budget_cents: float) -> ItemRow:
        """An item a line worth *budget_cents* (functional) could plausibly hold, so that prices stay near the
        usual ones: no $700 table on a $40 invoice, no rush fee as the only line of a $5,000 one."""
        roll = rng.random()
        if old and roll < 0.03:
            retired = [i for i in self.retired if usual_cents(i) <= budget_cents * 1.5]
            if retired:
                return rng.choice(retired)
        elif roll < 0.09:
            services = [i for i in self._services if usual_cents(i) <= budget_cents * 1.5]
            if services:
                return rng.choice(services)
        elif roll < 0.11:
            fees = [i for i in self._fees if budget_cents / 3 <= usual_cents(i) <= budget_cents * 1.5]
            if fees:
                return rng.choice(fees)
        if not self._goods:
            return rng.choice(self._services or self._fees or self.retired)
        affordable = bisect(self._goods_prices, budget_cents * 1.5) or 1
        item = rng.choice(self._goods[:affordable])
        if budget_cents / usual_cents(item) > 250:  # more than a line would hold of it: one of the dearer ones
            item = rng.choice(self._goods[affordable * 2 // 3:affordable])
        return item

    def list_units(self, item: ItemRow, money: _Money) -> int:
        return max(1, round(usual_cents(item) / money.rate / money.unit))

    def _rows(self, doc: DocumentRow, parts: _Parts, lines: list[_Line], money: _Money,
              rng: random.Random) -> tuple[SalesHeaderRow, list[SalesLineRow]]:
        unit = money.unit
        orig = [p * unit for p in (parts.subtotal, parts.discount, parts.freight, parts.misc, parts.tax)]
        ordocamt = orig[0] - orig[1] + orig[2] + orig[3] + orig[4]
        rows = [
            SalesLineRow(SOP_INVOICE, doc.docnumbr, _sequence(i), line.item.itemnmbr, line.item.itemdesc,
                         line.qty, line.item.decplqty, line.price * unit, line.xtnd * unit, line.markdown * unit,
                         line.tax * unit, 0, 0, 0, 0)
            for i, line in enumerate(lines)
        ]
        functional = orig
        docamnt = ordocamt
        if money.foreign:
            functional, docamnt = _to_functional(orig, doc.ortrxamt, rows, money.rate)
        else:
            for row in rows:  # the functional currency: GP's originating columns hold the same amounts
                row.oruntprc, row.oxtndprc, row.ormrkdam, row.ortaxamt = (row.unitprce, row.xtndprce, row.mrkdnamt,
                                                                          row.taxamnt)
        modified = doc.voiddate if doc.voidstts else doc.postdate
        header = SalesHeaderRow(
            soptype=SOP_INVOICE, sopnumbe=doc.docnumbr, docid=pad_shared(DOCID, W_DOCID), custnmbr=doc.custnmbr,
            cstponbr=doc.cspornbr, docdate=doc.docdate, glpostdt=doc.postdate, curncyid=doc.curncyid,
            xchgrate=money.rate, subtotal=functional[0], trdisamt=functional[1], frtamnt=functional[2],
            miscamnt=functional[3], taxamnt=functional[4], docamnt=docamnt, orsubtot=orig[0], ortdisam=orig[1],
            orfrtamt=orig[2], ormiscamt=orig[3], ortaxamt=orig[4], ordocamt=ordocamt, voidstts=doc.voidstts,
            creatddt=doc.docdate, modifdt=modified, dex_row_ts=self.factory.stamp(modified, rng=rng),
        )
        return header, rows


# ------------------------------------------------------------------------------------------------ amounts
def _draw_parts(rng: random.Random, total: int, traits: frozenset[str]) -> _Parts:
    """Freight, miscellaneous charges, trade discount and tax as small shares of *total*, and the subtotal that
    makes SUBTOTAL - discount + freight + misc + tax come out at *total* exactly."""
    if total <= 0:
        return _Parts()
    freight = round(total * rng.uniform(0.02, 0.07)) if rng.random() < 0.3 or "freight" in traits else 0
    misc = round(total * rng.uniform(0.01, 0.04)) if rng.random() < 0.08 or "misc" in traits else 0
    discount_rate = rng.choice((0.02, 0.05, 0.1)) if rng.random() < 0.12 or "trade_discount" in traits else 0.0
    tax_rate = rng.choice(TAX_RATES) if rng.random() < 0.35 or "tax" in traits else 0.0
    base = total - freight - misc
    if base <= 0:
        freight = misc = 0
        base = total
    subtotal = round(base / ((1 - discount_rate) * (1 + tax_rate)))
    discount = round(subtotal * discount_rate)
    tax = base - subtotal + discount
    if tax_rate == 0.0 or tax < 0:  # untaxed (or too small to tax): the rounding stays in the discount
        subtotal = round(base / (1 - discount_rate))
        discount, tax = subtotal - base, 0
    return _Parts(subtotal, discount, freight, misc, tax)


def _line_count(rng: random.Random, traits: frozenset[str], subtotal: int, per_dollar: float) -> int:
    if "many_lines" in traits:
        return min(rng.randint(*MANY_LINES), max(1, subtotal))
    roll = rng.random()
    count = (1 if roll < 0.35 else 2 if roll < 0.6 else 3 if roll < 0.75 else rng.randint(4, 6) if roll < 0.92
             else rng.randint(7, 15) if roll < 0.99 else rng.randint(16, 30))
    count = min(count, max(1, int(subtotal / (5 * per_dollar))))  # about five dollars a line at least
    return max(count, 2) if traits & _TRAITS_NEEDING_TWO_LINES else count


def usual_cents(item: ItemRow) -> float:
    """An item's usual price: its current cost with its class's markup (classless items: 50 %)."""
    return item.currcost * names.CLASS_MARKUPS.get(item.itmclscd.strip(), 1.5)


def _quantity(rng: random.Random, item: ItemRow, fit: float) -> Decimal:
    """About as many as the line's worth buys (*fit*): hours of a service (often fractional), one of a fee."""
    if item.itemtype == ItemType.SERVICES:
        if fit <= 8:
            near = [h for h in HOURS if fit * 0.5 <= h <= fit * 1.3]
            return quantity(rng.choice(near) if near else min(HOURS, key=lambda h: abs(h - Decimal(fit))))
        return quantity(max(8, min(200, round(fit * rng.uniform(0.5, 1.3)))))
    if item.itemtype in _FEES or fit < 1.5:
        return quantity(1)
    return quantity(max(1, min(250, round(fit * rng.uniform(0.5, 1.3)))))


def _price(lines: list[_Line], subtotal: int) -> bool:
    """Unit prices in proportion to the items' usual prices, scaled so the extended prices add up to *subtotal*
    exactly; the cents left over go on the last priced line that can take them.  False when no line shipped
    anything or the cents would need a negative price."""
    if subtotal == 0:  # a no-charge replacement
        for line in lines:
            line.price, line.markdown_pct = 0, 0.0
            line.extend()
        return True
    priced = [line for line in lines if line.priced]
    if not priced:
        return False
    natural = sum(line.qty * line.list_units for line in priced)
    scale = Decimal(subtotal) / natural
    for line in lines:
        line.price = max(1, _whole(line.list_units * scale))
        line.extend()
    left = subtotal - sum(line.xtnd for line in lines)
    return _absorb(lines, left)


def _absorb(lines: list[_Line], left: int) -> bool:
    """Move *left* units onto the last priced line that can take them: one whose whole quantity divides its new
    amount (a line of quantity 1 always does).  Failing that, the last line of more than one unit is split in two
    of the same item, the odd cents on a unit of its own (rather than one unit at the whole amount); and failing
    that, the last priced line becomes one unit at its whole amount."""
    if left == 0:
        return True
    priced = [line for line in lines if line.priced]
    whole = [line for line in priced if line.qty == line.qty.to_integral_value()]
    for line in reversed(whole):
        need = line.xtnd + left + line.markdown
        if line.xtnd + left >= 0 and need % int(line.qty) == 0:
            line.price = need // int(line.qty)
            line.xtnd += left
            return True
    for line in reversed([line for line in priced if line.qty > 1]):
        need, rest = line.xtnd + left, line.qty - 1
        price = math.floor((need + line.markdown) / line.qty)
        kept = _whole(rest * price) - line.markdown  # the markdown stays on this part
        if need < 0 or kept < 0 or kept > need:
            continue
        line.qty, line.price, line.xtnd = quantity(rest), price, kept
        extra = _Line(line.item, quantity(1), line.list_units, price=need - kept)
        extra.xtnd = extra.price
        lines.insert(lines.index(line) + 1, extra)
        return True
    target = priced[-1]
    if target.xtnd + left < 0:
        return False
    target.qty, target.price = quantity(1), target.xtnd + left + target.markdown
    target.xtnd += left
    return True


def _spread_tax(lines: list[_Line], tax: int) -> None:
    """The header's tax over the taxable lines (goods; services too when there are no goods) by extended price,
    the remainder cent by cent to the biggest lines, so the lines' TAXAMNT add up to the header's."""
    if tax <= 0:
        return
    priced = [line for line in lines if line.xtnd > 0]
    taxable = [line for line in priced if line.item.itemtype != ItemType.SERVICES] or priced
    for line, share in zip(taxable, _allocate(tax, [line.xtnd for line in taxable]), strict=True):
        line.tax = share


def _allocate(total: int, weights: Sequence[int]) -> list[int]:
    """*total* split in proportion to *weights*, whole units, largest remainders first."""
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), -weights[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _to_functional(orig: list[int], docamnt: int, rows: list[SalesLineRow],
                   rate: float) -> tuple[list[int], int]:
    """A foreign-currency invoice's functional columns: each amount at the exchange rate, DOCAMNT the RM
    invoice's, the subtotal what is left of it, and the lines' rounding difference on the biggest line, as GP's
    functional amounts never quite multiply out."""
    for row in rows:
        row.oruntprc, row.oxtndprc, row.ormrkdam, row.ortaxamt = row.unitprce, row.xtndprce, row.mrkdnamt, row.taxamnt
        row.unitprce, row.xtndprce = round(row.oruntprc * rate), round(row.oxtndprc * rate)
        row.mrkdnamt = round(row.ormrkdam * rate)
    discount, freight, misc, tax = (round(v * rate) for v in orig[1:])
    subtotal = docamnt + discount - freight - misc - tax
    if rows:
        biggest = max(rows, key=lambda r: r.xtndprce)
        biggest.xtndprce += subtotal - sum(r.xtndprce for r in rows)
    taxed = [r for r in rows if r.ortaxamt > 0]
    for row, share in zip(taxed, _allocate(tax, [r.xtndprce for r in taxed]), strict=True):
        row.taxamnt = share
    for row in rows:
        if row.ortaxamt == 0:
            row.taxamnt = 0
    return [subtotal, discount, freight, misc, tax], docamnt


# ---------------------------------------------------------------------------------------------- generation
def fill_sales(factory: CompanyFactory, seed: object, *, mismatch: bool = False) -> SalesFactory:
    """The catalog, and the posted SOP invoices behind about 70 % of the company's RM invoices (open and history),
    with the guaranteed dirty cases placed.  *mismatch*: one invoice's DOCAMNT differs from its RM invoice's."""
    sales = SalesFactory(factory, seed)
    sales.add_catalog()
    invoices = sorted((r for r, _ in factory.data.documents() if r.rmdtypal == DocType.INVOICE),
                      key=lambda r: key_of(r.docnumbr))
    forced, odd = _place_traits(sales, invoices, mismatch)
    for doc in invoices:
        rng = sales.document_stream(doc)
        key = key_of(doc.docnumbr)
        posted = rng.random() < SOP_SHARE
        if posted or key in forced:
            # Dirty data on purpose: as if the RM invoice had been adjusted after posting, by a few dollars.
            delta = _mismatch_cents(sales) if key == odd else 0
            sales.add_invoice(doc, forced.get(key, ()), rng=rng, mismatch_cents=delta)
    return sales


def _place_traits(sales: SalesFactory, invoices: list[DocumentRow],
                  mismatch: bool) -> tuple[dict[str, set[str]], str | None]:
    """Which invoices carry the guaranteed cases (drawn from the company's own plan stream): a voided one, the
    biggest with 100+ lines, one invoice per other case, and the mismatched one."""
    plan = sales.stream("sales plan")
    forced: dict[str, set[str]] = {}
    voided = [d for d in invoices if d.voidstts]
    if voided:
        forced[key_of(plan.choice(voided).docnumbr)] = set()
    eligible = [d for d in invoices if not d.voidstts and d.ortrxamt >= MIN_FORCED_CENTS]
    if not eligible:
        return forced, None
    biggest = max(eligible, key=lambda d: (d.ortrxamt, key_of(d.docnumbr)))
    forced[key_of(biggest.docnumbr)] = {"many_lines"}
    rest = [d for d in eligible if d is not biggest]
    picked = plan.sample(rest, min(len(rest), len(GUARANTEED_SALES_TRAITS)))
    for doc, trait in zip(picked, GUARANTEED_SALES_TRAITS, strict=False):
        forced[key_of(doc.docnumbr)] = {trait}
    taken = {id(d) for d in picked}
    functional = [d for d in rest if id(d) not in taken and doc_key(d.rmdtypal, d.docnumbr)
                  not in sales.data.multicurrency]
    odd = key_of(plan.choice(functional).docnumbr) if mismatch and functional else None
    if odd is not None:
        forced[odd] = set()
    return forced, odd


def _mismatch_cents(sales: SalesFactory) -> int:
    rng = sales.stream("sales mismatch")
    return rng.choice((-1, 1)) * rng.randrange(200, 900)
