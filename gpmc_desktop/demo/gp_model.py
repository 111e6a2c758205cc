"""Rows shaped like the Dynamics GP tables both GP simulators serve from.

One class per table (RM00101 customers, RM00102 addresses, SY01200 internet addresses, RM20101/RM30101
receivables, MC020102 multicurrency amounts, IV00101 items, SOP30200/SOP30300 posted sales invoices and their
lines, SY01500 companies), attributes named after the GP columns in lower case.  Char columns hold their values
padded with trailing spaces to the column width, as SQL Server returns ``char(n)``; text columns (the e-mail
lists) are not padded.  Money is kept as integer cents (GP stores numeric(19,5), the data only ever has 2
decimals), quantities as ``Decimal`` with GP's 5 places, and dates as ``date``/naive ``datetime`` objects;
everything uses ``__slots__`` so that 100,000 customers and 500,000 documents fit comfortably in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gpmc_desktop.demo.gp_clock import SimClock

EMPTY_DATE = dt.date(1900, 1, 1)  # GP writes this instead of NULL into date columns
FUNCTIONAL_CURRENCY = "Z-US$"

# Column widths of the char columns the generator fills (GP DDL).
W_CUSTNMBR = 15
W_CUSTNAME = 65
W_SHRTNAME = 15
W_CUSTCLAS = 15
W_CNTCPRSN = 61
W_ADRSCODE = 15
W_ADDRESS = 61
W_CITY = 35
W_STATE = 29
W_ZIP = 11
W_COUNTRY = 61
W_CCODE = 7
W_PHONE = 21
W_CURNCYID = 15
W_SHIPMTHD = 15
W_SLPRSNID = 15
W_SALSTERR = 15
W_PRCLEVEL = 11
W_PYMTRMID = 21
W_USERDEF = 21
W_INET = 201
W_DOCNUMBR = 21
W_BACHNUMB = 15
W_TRXDSCRN = 31
W_CSPORNBR = 21
W_INTERID = 5
W_CMPNYNAM = 65
W_ITEMNMBR = 31
W_ITEMDESC = 101
W_ITMSHNAM = 15
W_ITMCLSCD = 11
W_SOPNUMBE = 21
W_DOCID = 15

# ISO code and decimal places per GP currency id (Currency Setup).
CURRENCIES: dict[str, tuple[str, int]] = {
    "Z-US$": ("USD", 2),
    "Z-C$": ("CAD", 2),
    "Z-EURO": ("EUR", 2),
    "Z-UK": ("GBP", 2),
    "Z-MXN": ("MXN", 2),
    "Z-YEN": ("JPY", 0),
}


class DocType(enum.IntEnum):
    """RMDTYPAL: the receivables document type."""

    BALANCE_FORWARD = 0
    INVOICE = 1
    SCHEDULED_PAYMENT = 2
    DEBIT_MEMO = 3
    FINANCE_CHARGE = 4
    SERVICE_REPAIR = 5
    WARRANTY = 6
    CREDIT_MEMO = 7
    RETURN = 8
    PAYMENT = 9


DOC_TYPE_NAMES = {
    DocType.BALANCE_FORWARD: "Balance Brought Forward",
    DocType.INVOICE: "Sales/Invoices",
    DocType.SCHEDULED_PAYMENT: "Scheduled Payments",
    DocType.DEBIT_MEMO: "Debit Memos",
    DocType.FINANCE_CHARGE: "Finance Charges",
    DocType.SERVICE_REPAIR: "Service/Repairs",
    DocType.WARRANTY: "Warranty",
    DocType.CREDIT_MEMO: "Credit Memos",
    DocType.RETURN: "Returns",
    DocType.PAYMENT: "Payments",
}


class ItemType(enum.IntEnum):
    """IV00101 ITEMTYPE."""

    SALES_INVENTORY = 1
    DISCONTINUED = 2
    KIT = 3
    MISC_CHARGES = 4
    SERVICES = 5
    FLAT_FEE = 6


SOP_INVOICE = 3  # SOPTYPE: 1 quote, 2 order, 3 invoice, 4 return, 5 back order, 6 fulfillment order
SOP_LINE_STEP = 16384  # LNITMSEQ of the first line, and the gap GP leaves between lines

_shared: dict[tuple[str, int], str] = {}


def pad(value: str, width: int) -> str:
    """Truncate/pad *value* to a ``char(width)`` column."""
    return value[:width].ljust(width)


def pad_shared(value: str, width: int) -> str:
    """:func:`pad` for low-cardinality values (blanks, states, cities): one string object shared by all rows."""
    key = (value, width)
    hit = _shared.get(key)
    if hit is None:
        hit = _shared[key] = pad(value, width)
    return hit


def key_of(value: str) -> str:
    """Lookup key of a padded GP char value: SQL Server's default GP collation is case-insensitive."""
    return value.rstrip().upper()


@dataclass(slots=True)
class CompanyRow:
    """DYNAMICS..SY01500."""

    cmpanyid: int
    interid: str  # char(5), the SQL database name
    cmpnynam: str  # char(65), the display name SBA URLs use


@dataclass(slots=True)
class CustomerRow:
    """RM00101 customer master (keeps a copy of the primary address, as GP does)."""

    custnmbr: str
    custname: str
    shrtname: str
    stmtname: str
    custclas: str
    cprcstnm: str  # parent (national account) customer
    cntcprsn: str
    adrscode: str  # primary address code
    prbtadcd: str  # bill-to address code
    prstadcd: str  # ship-to address code
    staddrcd: str  # statement-to address code
    address1: str
    address2: str
    address3: str
    city: str
    state: str
    zip: str
    country: str
    ccode: str
    phone1: str
    phone2: str
    phone3: str
    fax: str
    curncyid: str
    crlmtamt: int  # credit limit, cents
    inactive: int
    hold: int
    creatddt: dt.date
    modifdt: dt.date
    dex_row_ts: dt.datetime  # UTC; bumped by every RM00101 update and by RM00102 inserts/updates/deletes
    # What marketing segments by (gp/customer_fields.py); blank in older data sets.
    slprsnid: str = ""
    salsterr: str = ""
    prclevel: str = ""
    pymtrmid: str = ""
    userdef1: str = ""
    userdef2: str = ""


@dataclass(slots=True)
class AddressRow:
    """RM00102 customer address."""

    custnmbr: str
    adrscode: str
    cntcprsn: str
    address1: str
    address2: str
    address3: str
    city: str
    state: str
    zip: str
    country: str
    ccode: str
    phone1: str
    phone2: str
    phone3: str
    fax: str
    shipmthd: str
    creatddt: dt.date
    modifdt: dt.date
    dex_row_ts: dt.datetime
    # GP copies these from the customer onto each new address.
    slprsnid: str = ""
    salsterr: str = ""
    userdef1: str = ""
    userdef2: str = ""


@dataclass(slots=True)
class InternetRow:
    """SY01200 internet addresses (Master_Type 'CUS'); its trigger bumps only its own DEX_ROW_TS."""

    master_type: str
    master_id: str
    adrscode: str
    inet1: str  # char(201); old installs kept the e-mail here
    inet2: str
    email_to_address: str  # text columns: not padded, ';'-separated lists
    email_cc_address: str
    email_bcc_address: str
    dex_row_ts: dt.datetime


@dataclass(slots=True)
class DocumentRow:
    """RM20101 (open) / RM30101 (history) receivables document; amounts are functional-currency cents."""

    custnmbr: str
    rmdtypal: int
    docnumbr: str
    docdate: dt.date
    duedate: dt.date
    postdate: dt.date
    lstedtdt: dt.date
    ortrxamt: int
    curtrxam: int
    voidstts: int
    voiddate: dt.date
    dinvpdof: dt.date  # date invoice paid off
    curncyid: str
    bachnumb: str
    trxdscrn: str
    cspornbr: str  # customer PO number
    dex_row_ts: dt.datetime


@dataclass(slots=True)
class MultiCurrencyRow:
    """MC020102: originating-currency amounts of a document whose currency is not the functional one."""

    rmdtypal: int
    docnumbr: str
    curncyid: str
    xchgrate: float  # functional per originating unit
    ororgtrx: int  # originating original amount, cents
    orctrxam: int  # originating current amount, cents


@dataclass(slots=True)
class ItemRow:
    """IV00101 item master (Item Maintenance)."""

    itemnmbr: str  # char(31)
    itemdesc: str  # char(101)
    itmshnam: str  # char(15)
    itmclscd: str  # char(11), blank for items nobody put in a class
    itemtype: int  # ItemType
    decplqty: int  # quantity decimals + 1 (1: whole units, 3: two places), GP's DECPLQTY
    currcost: int  # current cost, cents
    creatddt: dt.date
    modifdt: dt.date
    dex_row_ts: dt.datetime


@dataclass(slots=True)
class SalesHeaderRow:
    """SOP30200 posted sales document (only invoices, SOPTYPE 3, are generated).

    Posting the invoice made the RM invoice of the same number and customer, so DOCAMNT is that document's
    ORTRXAMT.  Amounts are functional-currency cents; the ``or*`` columns hold the document's own currency, as
    GP keeps both (the same values when the document is in the functional currency).
    """

    soptype: int
    sopnumbe: str  # char(21), the RM document's DOCNUMBR
    docid: str  # char(15), the SOP document type id (STDINV)
    custnmbr: str
    cstponbr: str  # char(21) customer PO number
    docdate: dt.date
    glpostdt: dt.date
    curncyid: str
    xchgrate: float  # functional per originating unit; 1.0 in the functional currency
    subtotal: int  # sum of the lines' XTNDPRCE
    trdisamt: int  # trade discount
    frtamnt: int
    miscamnt: int
    taxamnt: int
    docamnt: int  # SUBTOTAL - TRDISAMT + FRTAMNT + MISCAMNT + TAXAMNT
    orsubtot: int
    ortdisam: int
    orfrtamt: int
    ormiscamt: int
    ortaxamt: int
    ordocamt: int
    voidstts: int
    creatddt: dt.date
    modifdt: dt.date
    dex_row_ts: dt.datetime


@dataclass(slots=True)
class SalesLineRow:
    """SOP30300 line of a posted sales document."""

    soptype: int
    sopnumbe: str
    lnitmseq: int  # 16384, 32768, ...
    itemnmbr: str  # may name an item since deleted from IV00101
    itemdesc: str  # copied onto the line when it was entered
    quantity: Decimal  # GP keeps 5 places
    decplqty: int  # the item's DECPLQTY when the line was entered
    unitprce: int  # cents
    xtndprce: int  # quantity * unit price - markdown, rounded to cents
    mrkdnamt: int  # line markdown
    taxamnt: int
    oruntprc: int  # the same four in the document's currency
    oxtndprc: int
    ormrkdam: int
    ortaxamt: int


DocKey = tuple[int, str]


def doc_key(rmdtypal: int, docnumbr: str) -> DocKey:
    return (int(rmdtypal), key_of(docnumbr))


def sales_key(soptype: int, sopnumbe: str) -> DocKey:
    return (int(soptype), key_of(sopnumbe))


@dataclass(slots=True)
class CompanyData:
    """One company database: its tables, indexed by the trimmed upper-case keys GP would match on."""

    company: CompanyRow
    customers: dict[str, CustomerRow] = field(default_factory=dict)  # RM00101
    addresses: dict[str, list[AddressRow]] = field(default_factory=dict)  # RM00102 by customer
    internet: dict[str, list[InternetRow]] = field(default_factory=dict)  # SY01200 by customer
    open_docs: dict[DocKey, DocumentRow] = field(default_factory=dict)  # RM20101
    history_docs: dict[DocKey, DocumentRow] = field(default_factory=dict)  # RM30101
    multicurrency: dict[DocKey, MultiCurrencyRow] = field(default_factory=dict)  # MC020102
    items: dict[str, ItemRow] = field(default_factory=dict)  # IV00101
    sales_headers: dict[DocKey, SalesHeaderRow] = field(default_factory=dict)  # SOP30200 by (SOPTYPE, SOPNUMBE)
    sales_lines: dict[DocKey, list[SalesLineRow]] = field(default_factory=dict)  # SOP30300, in LNITMSEQ order
    sequences: dict[str, int] = field(default_factory=dict)  # next document / customer numbers
    locales: tuple[tuple[str, float], ...] = ()  # where its customers are (the mutator makes more alike)

    @property
    def interid(self) -> str:
        return self.company.interid.rstrip()

    @property
    def name(self) -> str:
        return self.company.cmpnynam.rstrip()

    def customer(self, custnmbr: str) -> CustomerRow | None:
        return self.customers.get(key_of(custnmbr))

    def addresses_of(self, custnmbr: str) -> list[AddressRow]:
        return self.addresses.get(key_of(custnmbr), [])

    def address(self, custnmbr: str, adrscode: str) -> AddressRow | None:
        code = key_of(adrscode)
        return next((a for a in self.addresses_of(custnmbr) if key_of(a.adrscode) == code), None)

    def internet_of(self, custnmbr: str, adrscode: str) -> InternetRow | None:
        code = key_of(adrscode)
        return next((r for r in self.internet.get(key_of(custnmbr), []) if key_of(r.adrscode) == code), None)

    def document(self, rmdtypal: int, docnumbr: str) -> tuple[DocumentRow, str] | None:
        """The document and the table it lives in: ``"Open"`` (RM20101) or ``"History"`` (RM30101)."""
        key = doc_key(rmdtypal, docnumbr)
        row = self.open_docs.get(key)
        if row is not None:
            return row, "Open"
        row = self.history_docs.get(key)
        return (row, "History") if row is not None else None

    def documents(self) -> Iterator[tuple[DocumentRow, str]]:
        for row in self.open_docs.values():
            yield row, "Open"
        for row in self.history_docs.values():
            yield row, "History"

    def item(self, itemnmbr: str) -> ItemRow | None:
        return self.items.get(key_of(itemnmbr))

    def sales_invoice(self, sopnumbe: str) -> SalesHeaderRow | None:
        return self.sales_headers.get(sales_key(SOP_INVOICE, sopnumbe))

    def lines_of(self, header: SalesHeaderRow) -> list[SalesLineRow]:
        return self.sales_lines.get(sales_key(header.soptype, header.sopnumbe), [])

    def next_number(self, series: str, start: int = 1) -> int:
        n = self.sequences.get(series, start)
        self.sequences[series] = n + 1
        return n


@dataclass
class GPDataset:
    """All company databases of one simulated GP install, plus its clock.

    Readers (the simulators) and writers (:class:`~gpmc_desktop.demo.gp_mutate.GPMutator`) hold :attr:`lock`;
    :attr:`version` grows with every mutation so a server can tell its cached answers are stale.
    """

    companies: dict[str, CompanyData]  # by upper-case INTERID
    clock: SimClock
    seed: Any = None
    profile: Any = None  # the DataProfile it was generated with (the mutator reuses its knobs)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    version: int = 0

    def company_list(self) -> list[CompanyRow]:
        return [c.company for c in self.companies.values()]

    def find_company(self, ident: str, *, by_id: bool = False, names: str = "both") -> CompanyData | None:
        """Match a company by database name (INTERID) or display name, trimmed and case-insensitive.

        ``names`` narrows which name matches: "both", "display_name" or "database" (which of them a real SBA
        server takes in its URLs is unconfirmed).  ``by_id`` also accepts the numeric CMPANYID (whether SBA does
        is unconfirmed, so callers opt in).
        """
        wanted = ident.strip().casefold()
        for data in self.companies.values():
            row = data.company
            accepted = (*((row.interid,) if names in ("both", "database") else ()),
                        *((row.cmpnynam,) if names in ("both", "display_name") else ()))
            if wanted in (name.strip().casefold() for name in accepted):
                return data
            if by_id and wanted == str(row.cmpanyid):
                return data
        return None

    def touch(self) -> None:
        self.version += 1

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            interid: {
                "RM00101": len(c.customers),
                "RM00102": sum(len(v) for v in c.addresses.values()),
                "SY01200": sum(len(v) for v in c.internet.values()),
                "RM20101": len(c.open_docs),
                "RM30101": len(c.history_docs),
                "MC020102": len(c.multicurrency),
                "IV00101": len(c.items),
                "SOP30200": len(c.sales_headers),
                "SOP30300": sum(len(v) for v in c.sales_lines.values()),
            }
            for interid, c in self.companies.items()
        }


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_dict(row: Any) -> dict[str, Any]:
    """A row as ``{column: json-able value}`` (for dumps, debugging and determinism checks)."""
    return {f.name: _plain(getattr(row, f.name)) for f in dataclasses.fields(row)}


def dump_tables(dataset: GPDataset) -> dict[str, Any]:
    """Every row of every company as plain data, in table order."""
    out: dict[str, Any] = {}
    for interid, c in dataset.companies.items():
        out[interid] = {
            "SY01500": row_dict(c.company),
            "RM00101": [row_dict(r) for r in c.customers.values()],
            "RM00102": [row_dict(r) for rows in c.addresses.values() for r in rows],
            "SY01200": [row_dict(r) for rows in c.internet.values() for r in rows],
            "RM20101": [row_dict(r) for r in c.open_docs.values()],
            "RM30101": [row_dict(r) for r in c.history_docs.values()],
            "MC020102": [row_dict(r) for r in c.multicurrency.values()],
            "IV00101": [row_dict(r) for r in c.items.values()],
            "SOP30200": [row_dict(r) for r in c.sales_headers.values()],
            "SOP30300": [row_dict(r) for rows in c.sales_lines.values() for r in rows],
        }
    return out
