"""Edits a simulated GP install between two polls, the way GP users and GP's triggers would.

What moves on each edit follows GP's tables (gp-api.md 4.2): an e-mail edit changes SY01200 and only SY01200's
DEX_ROW_TS (the customer's ModifiedDate and DEX_ROW_TS stay); an address edit changes RM00102, bumps the
customer's DEX_ROW_TS through the RM00102 trigger and, for the primary address (edited in Customer
Maintenance), sets both MODIFDT columns to today.  A new invoice comes, by default, with the posted SOP invoice
that made it (SOP30200/SOP30300); Item Maintenance edits and deletes IV00101 rows, which posted lines outlive.
Every method returns a :class:`Change` saying what it did.
"""

from __future__ import annotations

import contextlib
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_factory import CompanyFactory
from gpmc_desktop.demo.gp_generate import company_rng
from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    FUNCTIONAL_CURRENCY,
    W_ADDRESS,
    W_CITY,
    W_ITEMDESC,
    W_ITMCLSCD,
    W_PRCLEVEL,
    W_PYMTRMID,
    W_SALSTERR,
    W_SLPRSNID,
    W_USERDEF,
    CompanyData,
    CustomerRow,
    DocType,
    DocumentRow,
    GPDataset,
    InternetRow,
    ItemRow,
    doc_key,
    key_of,
    pad,
    pad_shared,
    row_dict,
)
from gpmc_desktop.demo.gp_profile import DEFAULT_COMPANIES, DataProfile
from gpmc_desktop.demo.gp_sales import SalesFactory


class GPRuleError(ValueError):
    """GP would refuse this edit (e.g. deleting a customer that has transactions)."""


@dataclass(frozen=True)
class Change:
    kind: str  # email, address, status, customer_added, customer_deleted, invoice_added, invoice_voided,
    #            payment_applied, moved_to_history, item_changed, item_deleted
    company: str  # INTERID
    key: str  # trimmed CUSTNMBR, "<RMDTYPAL>;<DOCNUMBR>" for documents, trimmed ITEMNMBR for items
    tables: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)


def _cents(amount: Decimal | float | int | str) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1)))


# The customer-card fields a profile may map (gp/customer_fields.py): RM00101 column, width, copied to addresses.
SEGMENT_COLUMNS = {
    "salesperson": ("slprsnid", W_SLPRSNID, True), "sales_territory": ("salsterr", W_SALSTERR, True),
    "price_level": ("prclevel", W_PRCLEVEL, False), "payment_terms": ("pymtrmid", W_PYMTRMID, False),
    "user_defined_1": ("userdef1", W_USERDEF, True), "user_defined_2": ("userdef2", W_USERDEF, True),
}


class GPMutator:
    """Mutations of a :class:`GPDataset`; thread-safe against a simulator serving the same data set.

    ``company`` arguments take an INTERID or display name and default to the first company.  Customers and
    documents not named are picked with the mutator's own seeded random generator.
    """

    def __init__(self, dataset: GPDataset, seed: object = None) -> None:
        self.dataset = dataset
        self.seed = dataset.seed if seed is None else seed
        self.rng = random.Random(f"{self.seed}/mutate")
        self._factories: dict[str, CompanyFactory] = {}
        self._sales: dict[str, SalesFactory] = {}

    # ------------------------------------------------------------------------------------------- plumbing
    @property
    def clock(self) -> SimClock:
        return self.dataset.clock

    def _company(self, company: str | None) -> CompanyData:
        if company is None:
            return next(iter(self.dataset.companies.values()))
        data = self.dataset.find_company(company)
        if data is None:
            raise KeyError(f"unknown company {company!r}")
        return data

    def _factory(self, data: CompanyData) -> CompanyFactory:
        factory = self._factories.get(data.interid)
        if factory is None:
            locales = data.locales or DEFAULT_COMPANIES[0].locales
            profile = self.dataset.profile or DataProfile()
            factory = CompanyFactory(data, company_rng(self.seed, data.interid, "mutate"), profile, self.clock, locales)
            self._factories[data.interid] = factory
        return factory

    def _sales_factory(self, data: CompanyData) -> SalesFactory:
        """Lines come from each new document's own stream, named with the data set's seed like the generated
        ones, so the mutator's other draws are what they were before SOP existed."""
        sales = self._sales.get(data.interid)
        if sales is None:
            sales = self._sales[data.interid] = SalesFactory(self._factory(data), self.dataset.seed)
        return sales

    def _item(self, data: CompanyData, itemnmbr: str) -> ItemRow:
        row = data.item(itemnmbr)
        if row is None:
            raise KeyError(f"unknown item {itemnmbr!r} in {data.interid}")
        return row

    def _customer(self, data: CompanyData, customer: str | None) -> CustomerRow:
        if customer is None:
            if not data.customers:
                raise GPRuleError(f"company {data.interid} has no customers")
            return self.rng.choice(list(data.customers.values()))
        row = data.customer(customer)
        if row is None:
            raise KeyError(f"unknown customer {customer!r} in {data.interid}")
        return row

    def _open_invoice(self, data: CompanyData, docnumbr: str | None, *, with_balance: bool) -> DocumentRow:
        if docnumbr is not None:
            found = data.document(DocType.INVOICE, docnumbr)
            if found is None:
                raise KeyError(f"unknown invoice {docnumbr!r} in {data.interid}")
            row, state = found
            if state != "Open" or row.voidstts:
                raise GPRuleError(f"invoice {docnumbr!r} is not open")
            if with_balance and row.curtrxam <= 0:
                raise GPRuleError(f"invoice {docnumbr!r} has no remaining balance")
            return row
        candidates = [
            r for r in data.open_docs.values()
            if r.rmdtypal == DocType.INVOICE and not r.voidstts and (r.curtrxam > 0 or not with_balance)
        ]
        if not candidates:
            raise GPRuleError(f"company {data.interid} has no open invoice")
        return self.rng.choice(candidates)

    # ------------------------------------------------------------------------------------------ customers
    def change_email(
        self, customer: str | None = None, new_email: str | None = None, *, company: str | None = None
    ) -> Change:
        """Replace EmailToAddress of the primary address (SY01200 only; inserts the row if missing)."""
        with self.dataset.lock:
            data = self._company(company)
            cust = self._customer(data, customer)
            key = key_of(cust.custnmbr)
            row = data.internet_of(cust.custnmbr, cust.adrscode)
            if new_email is None:
                n = self.rng.randrange(100, 999)
                domain = re.sub(r"[^a-z0-9]", "", key.lower()) or "customer"
                new_email = f"{self.rng.choice(('accounts', 'ap', 'office', 'billing'))}{n}@{domain}-mail.com"
            now = self.clock.utcnow()
            before = row.email_to_address if row else None
            if row is None:
                blank = pad_shared("", 201)
                row = InternetRow("CUS", cust.custnmbr, cust.adrscode, blank, blank, "", "", "", now)
                data.internet.setdefault(key, []).append(row)
            row.email_to_address = new_email
            row.dex_row_ts = now
            self.dataset.touch()
            return Change("email", data.interid, key.rstrip(), ("SY01200",),
                          {"before": before, "after": new_email, "adrscode": cust.adrscode.rstrip()})

    def change_address(
        self,
        customer: str | None = None,
        *,
        address_code: str | None = None,
        line1: str | None = None,
        city: str | None = None,
        company: str | None = None,
    ) -> Change:
        """Edit an RM00102 row (the primary one by default)."""
        with self.dataset.lock:
            data = self._company(company)
            cust = self._customer(data, customer)
            code = address_code or cust.adrscode
            addr = data.address(cust.custnmbr, code)
            if addr is None:
                raise KeyError(f"customer {cust.custnmbr.rstrip()!r} has no address {code.strip()!r}")
            before = {"address1": addr.address1, "city": addr.city}
            if line1 is None:
                line1 = f"{self.rng.randint(1, 9999)} {self.rng.choice(('Commerce Dr', 'Oak St', 'Main St'))}"
            today, now = self.clock.today(), self.clock.utcnow()
            addr.address1 = pad(line1, W_ADDRESS)
            if city is not None:
                addr.city = pad_shared(city, W_CITY)
            addr.modifdt = today
            addr.dex_row_ts = now
            tables = ["RM00102"]
            primary = key_of(code) == key_of(cust.adrscode)
            if primary:  # Customer Maintenance saves the master row too: its copy of the address and MODIFDT
                cust.address1, cust.city, cust.modifdt = addr.address1, addr.city, today
            cust.dex_row_ts = now  # zDT_RM00102U bumps RM00101.DEX_ROW_TS for any address row
            tables.append("RM00101")
            self.dataset.touch()
            return Change("address", data.interid, cust.custnmbr.rstrip(), tuple(tables),
                          {"before": before, "after": {"address1": addr.address1, "city": addr.city},
                           "adrscode": code.strip(), "primary": primary})

    def set_segment_field(self, customer: str, key: str, value: str, *, company: str | None = None) -> Change:
        """Customer Maintenance saving a new salesperson, territory, ... (*key* as gp/customer_fields.py names it;
        "" clears it): the customer row, and the primary address's copy where GP keeps one."""
        column, width, on_address = SEGMENT_COLUMNS[key]
        with self.dataset.lock:
            data = self._company(company)
            cust = self._customer(data, customer)
            before = getattr(cust, column).strip()
            now = self.clock.utcnow()
            setattr(cust, column, pad_shared(value, width))
            tables = ["RM00101"]
            addr = data.address(cust.custnmbr, cust.adrscode)
            if on_address and addr is not None:
                setattr(addr, column, pad_shared(value, width))
                addr.modifdt, addr.dex_row_ts = self.clock.today(), now
                tables.append("RM00102")
            cust.modifdt, cust.dex_row_ts = self.clock.today(), now
            self.dataset.touch()
            return Change("segment field", data.interid, cust.custnmbr.rstrip(), tuple(tables),
                          {"field": key, "before": before, "after": value})

    def set_status(
        self,
        customer: str,
        *,
        inactive: bool | None = None,
        hold: bool | None = None,
        company: str | None = None,
    ) -> Change:
        with self.dataset.lock:
            data = self._company(company)
            cust = self._customer(data, customer)
            before = {"inactive": cust.inactive, "hold": cust.hold}
            if inactive is not None:
                cust.inactive = int(inactive)
            if hold is not None:
                cust.hold = int(hold)
            cust.modifdt = self.clock.today()
            cust.dex_row_ts = self.clock.utcnow()
            self.dataset.touch()
            return Change("status", data.interid, cust.custnmbr.rstrip(), ("RM00101",),
                          {"before": before, "after": {"inactive": cust.inactive, "hold": cust.hold}})

    def add_customers(self, n: int = 1, *, company: str | None = None) -> list[Change]:
        changes = []
        with self.dataset.lock:
            data = self._company(company)
            factory = self._factory(data)
            for _ in range(n):
                today, now = self.clock.today(), self.clock.utcnow()
                cust = factory.add_customer(created=today, modified=today, stamp=now)
                key = key_of(cust.custnmbr)
                for row in [*data.addresses.get(key, []), *data.internet.get(key, [])]:
                    row.dex_row_ts = now  # inserted now: the column default, not a past office hour
                for addr in data.addresses.get(key, []):
                    addr.creatddt = addr.modifdt = today
                changes.append(Change("customer_added", data.interid, key, ("RM00101", "RM00102", "SY01200"),
                                      {"row": row_dict(cust)}))
            self.dataset.touch()
        return changes

    def delete_customer(
        self, customer: str | None = None, *, force: bool = False, company: str | None = None
    ) -> Change:
        """Hard-delete a customer with its addresses and e-mail rows (GP keeps no trace of deletes).

        GP refuses to delete a customer that has documents; so does this unless *force* is set.  Without a
        customer named, one without documents is picked.
        """
        with self.dataset.lock:
            data = self._company(company)
            with_docs = {key_of(r.custnmbr) for r, _ in data.documents()}
            if customer is None:
                candidates = [k for k in data.customers if k not in with_docs]
                if not candidates:
                    raise GPRuleError(f"every customer of {data.interid} has documents")
                key = self.rng.choice(candidates)
            else:
                key = key_of(customer)
                if key not in data.customers:
                    raise KeyError(f"unknown customer {customer!r} in {data.interid}")
                if key in with_docs and not force:
                    raise GPRuleError(f"customer {customer!r} has transactions; GP would not delete it")
            row = data.customers.pop(key)
            data.addresses.pop(key, None)
            data.internet.pop(key, None)
            self.dataset.touch()
            return Change("customer_deleted", data.interid, key, ("RM00101", "RM00102", "SY01200"),
                          {"row": row_dict(row)})

    # ------------------------------------------------------------------------------------------ documents
    def add_invoices(
        self,
        n: int = 1,
        *,
        customer: str | None = None,
        amount: Decimal | float | str | None = None,
        company: str | None = None,
        with_lines: bool = True,
    ) -> list[Change]:
        """Post *n* new open invoices dated today (amount in the document's currency).

        *with_lines*: each is posted from SOP, with its SOP30200 invoice and item lines adding up to the RM
        invoice's amount; without, it was keyed in Receivables and has none.
        """
        changes = []
        with self.dataset.lock:
            data = self._company(company)
            factory = self._factory(data)
            if with_lines and not data.items:
                raise GPRuleError(f"company {data.interid} has no items to put on an invoice's lines")
            for _ in range(n):
                cust = self._customer(data, customer)
                row = factory.add_document(
                    cust, DocType.INVOICE, docdate=self.clock.today(), status="open",
                    amount_cents=None if amount is None else _cents(amount),
                )
                now = self.clock.utcnow()
                row.dex_row_ts = now
                tables, detail = ("RM20101",), {"row": row_dict(row)}
                if with_lines:
                    header = self._sales_factory(data).add_invoice(row)
                    header.modifdt, header.dex_row_ts = self.clock.today(), now
                    tables += ("SOP30200", "SOP30300")
                    detail["lines"] = len(data.lines_of(header))
                changes.append(Change("invoice_added", data.interid, self._doc_id(row), tables, detail))
            self.dataset.touch()
        return changes

    def void_invoice(self, docnumbr: str | None = None, *, move_to_history: bool = True,
                     company: str | None = None) -> Change:
        with self.dataset.lock:
            data = self._company(company)
            row = self._open_invoice(data, docnumbr, with_balance=False)
            today = self.clock.today()
            row.voidstts, row.voiddate, row.lstedtdt = 1, today, today
            profile = self.dataset.profile or DataProfile()
            if profile.void_clears_balance:
                row.curtrxam = 0
                mc = data.multicurrency.get(doc_key(row.rmdtypal, row.docnumbr))
                if mc:
                    mc.orctrxam = 0
            row.dex_row_ts = self.clock.utcnow()
            tables = ["RM20101"]
            if move_to_history:
                self._to_history(data, row)
                tables.append("RM30101")
            sales = data.sales_invoice(row.docnumbr)
            if sales is not None:  # the posted SOP invoice behind it is marked voided too
                sales.voidstts, sales.modifdt, sales.dex_row_ts = 1, today, row.dex_row_ts
                tables.append("SOP30200")
            self.dataset.touch()
            return Change("invoice_voided", data.interid, self._doc_id(row), tuple(tables),
                          {"curtrxam": row.curtrxam})

    def apply_payment(
        self,
        docnumbr: str | None = None,
        amount: Decimal | float | str | None = None,
        *,
        move_to_history: bool = False,
        company: str | None = None,
    ) -> Change:
        """Post a payment (RMDTYPAL 9) and apply it to an open invoice.

        *amount* is in the invoice's currency and defaults to the whole remaining balance.  A fully paid
        invoice gets CURTRXAM 0 and its paid-off date; with *move_to_history* it and its payment move to
        RM30101, as GP's paid transaction removal would.
        """
        with self.dataset.lock:
            data = self._company(company)
            inv = self._open_invoice(data, docnumbr, with_balance=True)
            mc = data.multicurrency.get(doc_key(inv.rmdtypal, inv.docnumbr))
            remaining = mc.orctrxam if mc else inv.curtrxam
            applied = remaining if amount is None else min(remaining, _cents(amount))
            if applied <= 0:
                raise GPRuleError("a payment must be positive")
            today, now = self.clock.today(), self.clock.utcnow()
            cust = data.customer(inv.custnmbr)
            if cust is None:
                raise GPRuleError(f"invoice {inv.docnumbr.strip()!r} has no customer")
            currency = inv.curncyid.rstrip() or FUNCTIONAL_CURRENCY
            payment = self._factory(data).add_document(
                cust, DocType.PAYMENT, docdate=today, status="applied", amount_cents=applied, currency=currency
            )
            payment.dex_row_ts = now
            if mc:
                mc.orctrxam -= applied
                inv.curtrxam = 0 if mc.orctrxam == 0 else round(mc.orctrxam * mc.xchgrate)
            else:
                inv.curtrxam -= applied
            paid = inv.curtrxam == 0
            if paid:
                inv.dinvpdof = today
            inv.lstedtdt = today
            inv.dex_row_ts = now
            tables = ["RM20101"]
            if paid and move_to_history:
                self._to_history(data, inv)
                self._to_history(data, payment)
                tables.append("RM30101")
            self.dataset.touch()
            digits = CURRENCIES.get(currency, ("USD", 2))[1]
            return Change("payment_applied", data.interid, self._doc_id(inv), tuple(tables), {
                "payment": self._doc_id(payment),
                "applied": Decimal(applied).scaleb(-2).quantize(Decimal(1).scaleb(-digits)),
                "remaining_functional_cents": inv.curtrxam,
                "paid_in_full": paid,
            })

    def remove_paid_transactions(self, *, company: str | None = None) -> list[Change]:
        """GP's Paid Transaction Removal: every fully applied open document moves to history."""
        with self.dataset.lock:
            data = self._company(company)
            done = [r for r in data.open_docs.values() if r.curtrxam == 0]
            for row in done:
                self._to_history(data, row)
            if done:
                self.dataset.touch()
            return [Change("moved_to_history", data.interid, self._doc_id(r), ("RM20101", "RM30101")) for r in done]

    # ---------------------------------------------------------------------------------------------- items
    def change_item(self, itemnmbr: str, *, description: str | None = None, class_id: str | None = None,
                    company: str | None = None) -> Change:
        """Item Maintenance saving an item (IV00101): a new description and/or class ("" blanks it; None keeps
        it).  MODIFDT becomes today and DEX_ROW_TS moves even when nothing else does, as any save does; posted
        lines keep the description they were entered with."""
        with self.dataset.lock:
            data = self._company(company)
            item = self._item(data, itemnmbr)
            before = {"description": item.itemdesc.rstrip(), "class_id": item.itmclscd.rstrip()}
            if description is not None:
                item.itemdesc = pad(description, W_ITEMDESC)
            if class_id is not None:
                item.itmclscd = pad_shared(class_id, W_ITMCLSCD)
            item.modifdt, item.dex_row_ts = self.clock.today(), self.clock.utcnow()
            self.dataset.touch()
            return Change("item_changed", data.interid, item.itemnmbr.rstrip(), ("IV00101",), {
                "before": before, "after": {"description": item.itemdesc.rstrip(), "class_id": item.itmclscd.rstrip()},
            })

    def delete_item(self, itemnmbr: str, *, company: str | None = None) -> Change:
        """Delete an item from IV00101.  Posted SOP lines keep its number and description (GP keeps no trace of
        the item itself), so a reader meets lines whose item no longer exists."""
        with self.dataset.lock:
            data = self._company(company)
            row = self._item(data, itemnmbr)
            del data.items[key_of(row.itemnmbr)]
            self.dataset.touch()
            return Change("item_deleted", data.interid, row.itemnmbr.rstrip(), ("IV00101",), {"row": row_dict(row)})

    def random_round(self, size: int = 5, *, company: str | None = None) -> list[Change]:
        """A plausible mix of edits between two polls (for the live demo)."""
        ops = (
            (0.25, lambda: [self.add_invoices(1, company=company)[0]]),
            (0.2, lambda: [self.apply_payment(company=company)]),
            (0.15, lambda: [self.change_email(company=company)]),
            (0.15, lambda: [self.change_address(company=company)]),
            (0.1, lambda: self.add_customers(1, company=company)),
            (0.05, lambda: [self.void_invoice(company=company)]),
            (0.05, lambda: [self.set_status(self._customer(self._company(company), None).custnmbr,
                                            hold=self.rng.random() < 0.5, company=company)]),
            (0.05, lambda: [self.delete_customer(company=company)]),
        )
        changes: list[Change] = []
        with self.dataset.lock:  # the pickers read the tables too
            self._random_ops(ops, size, changes)
        return changes

    def _random_ops(self, ops: tuple[tuple[float, Any], ...], size: int, changes: list[Change]) -> None:
        for _ in range(size):
            roll, acc = self.rng.random(), 0.0
            for weight, op in ops:
                acc += weight
                if roll < acc:
                    with contextlib.suppress(GPRuleError):  # nothing suitable to edit now: skip it
                        changes.extend(op())
                    break

    # ------------------------------------------------------------------------------------------- helpers
    @staticmethod
    def _doc_id(row: DocumentRow) -> str:
        return f"{row.rmdtypal};{row.docnumbr.rstrip()}"

    @staticmethod
    def _to_history(data: CompanyData, row: DocumentRow) -> None:
        key = doc_key(row.rmdtypal, row.docnumbr)
        data.open_docs.pop(key, None)
        data.history_docs[key] = row

