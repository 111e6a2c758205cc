"""GP rows rendered as the SBA JSON/XML shapes of gp-sba-contract.md.

Kept apart from the transport so the shapes can be corrected in one place once a capture from a real GP
server exists.  Collections are encoded item by item, so 100,000 customers never exist as one big list of
dicts in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    FUNCTIONAL_CURRENCY,
    AddressRow,
    CompanyData,
    CompanyRow,
    CustomerRow,
    DocumentRow,
    InternetRow,
    ItemRow,
    SalesHeaderRow,
    SalesLineRow,
    doc_key,
)

# The plausible variants of a real server's answers (gp-sba-contract.md, "What a real server may do differently").
DATE_SHAPES = ("iso", "iso_offset", "wcf", "wcf_offset")
AMOUNT_SHAPES = ("object", "number", "string")
TYPE_NAMES = ("Balance Forward", "Invoice", "Scheduled Payment", "Debit Memo", "Finance Charge", "Service / Repair",
              "Warranty", "Credit Memo", "Return", "Payment")  # by RMDTYPAL


@dataclass(frozen=True)
class ShapeOptions:
    trim_strings: bool = False  # GP pads char columns; whether SBA trims them is unconfirmed, padding is the default
    amounts: str = "transactional"  # "transactional": the document's currency (MC020102); "functional": RM20101
    dates: str = "iso"  # "iso" (no offset), "iso_offset", "wcf" (/Date(ms)/), "wcf_offset" (/Date(ms+hhmm)/)
    server_offset_minutes: int = -300  # the server's UTC offset that "iso_offset" and "wcf_offset" state
    amount_shape: str = "object"  # {"Value": n, ...}, a plain number, or a numeric string
    document_type_names: bool = False  # DocumentType as GP's name ("Credit Memo") instead of RMDTYPAL
    list_key: str = ""  # "": Payload is the list; else Payload is an object holding the list under this key
    omit_fields: tuple[str, ...] = ()  # keys left out of every customer, address, document, sales line and item
    separate_addresses: bool = False  # customers without "Addresses"; they are served by Sales/CustomerAddresses


def gp_date(value: dt.date, opts: ShapeOptions = ShapeOptions()) -> str:
    """GP's midnight (no zone) of *value* in the date shape *opts* asks for."""
    offset = dt.timedelta(minutes=opts.server_offset_minutes)
    sign = "-" if opts.server_offset_minutes < 0 else "+"
    hhmm = f"{abs(opts.server_offset_minutes) // 60:02d}{abs(opts.server_offset_minutes) % 60:02d}"
    midnight = dt.datetime.combine(value, dt.time())
    if opts.dates == "iso_offset":
        return f"{midnight.isoformat()}{sign}{hhmm[:2]}:{hhmm[2:]}"
    if opts.dates in ("wcf", "wcf_offset"):
        # WCF writes UTC milliseconds; a local (offset) midnight is that many ms after the UTC instant it is.
        local = opts.dates == "wcf_offset"
        millis = (midnight - (offset if local else dt.timedelta()) - dt.datetime(1970, 1, 1)) // dt.timedelta(
            milliseconds=1)
        return f"/Date({millis}{sign + hhmm if local else ''})/"
    return f"{value.isoformat()}T00:00:00"


def _money(cents: int, currency_id: str, opts: ShapeOptions = ShapeOptions()) -> Any:
    iso, digits = CURRENCIES.get(currency_id, (currency_id or "USD", 2))
    value = round(cents / 100, digits) if digits else cents // 100
    if opts.amount_shape == "number":
        return value
    if opts.amount_shape == "string":
        return f"{cents / 100:.{digits}f}" if digits else str(value)
    return {"Value": value, "Currency": iso, "DecimalDigits": digits}


def _omit(payload: dict[str, Any], opts: ShapeOptions) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in opts.omit_fields} if opts.omit_fields else payload


def company_payload(row: CompanyRow, opts: ShapeOptions) -> dict[str, Any]:
    s = str.rstrip if opts.trim_strings else str
    return {"Id": row.cmpanyid, "DatabaseName": s(row.interid), "Name": s(row.cmpnynam)}


def address_payload(addr: AddressRow, inet: InternetRow | None, opts: ShapeOptions) -> dict[str, Any]:
    s = str.rstrip if opts.trim_strings else str
    return _omit({
        "AddressId": s(addr.adrscode),
        "ContactPerson": s(addr.cntcprsn),
        "Line1": s(addr.address1),
        "Line2": s(addr.address2),
        "Line3": s(addr.address3),
        "City": s(addr.city),
        "State": s(addr.state),
        "PostalCode": s(addr.zip),
        "CountryRegion": s(addr.country),
        "CountryCode": s(addr.ccode),
        "Phone1": s(addr.phone1),
        "Phone2": s(addr.phone2),
        "Phone3": s(addr.phone3),
        "Fax": s(addr.fax),
        # text columns in SY01200: never padded, served as stored
        "EmailToAddress": inet.email_to_address if inet else "",
        "EmailCcAddress": inet.email_cc_address if inet else "",
        "EmailBccAddress": inet.email_bcc_address if inet else "",
        "SalespersonId": s(addr.slprsnid),  # GP's copies of the customer's (gp/customer_fields.py)
        "SalesTerritoryId": s(addr.salsterr),
        "UserDefined1": s(addr.userdef1),
        "UserDefined2": s(addr.userdef2),
        "ModifiedDate": gp_date(addr.modifdt, opts),
    }, opts)


def _customer_addresses(data: CompanyData, cust: CustomerRow, opts: ShapeOptions) -> list[dict[str, Any]]:
    inet = {r.adrscode.rstrip().upper(): r for r in data.internet.get(cust.custnmbr.rstrip().upper(), [])}
    return [
        address_payload(a, inet.get(a.adrscode.rstrip().upper()), opts)
        for a in data.addresses.get(cust.custnmbr.rstrip().upper(), [])
    ]


def customer_payload(data: CompanyData, cust: CustomerRow, opts: ShapeOptions) -> dict[str, Any]:
    s = str.rstrip if opts.trim_strings else str
    payload = {
        "CustomerNumber": s(cust.custnmbr),
        "CustomerName": s(cust.custname),
        "ShortName": s(cust.shrtname),
        "ClassId": s(cust.custclas),
        "IsActive": not cust.inactive,
        "IsOnHold": bool(cust.hold),
        "CurrencyId": s(cust.curncyid),
        "PrimaryAddressId": s(cust.adrscode),
        # The segmentation fields under our reading of GP's column names (gp/customer_fields.py: unconfirmed).
        "SalespersonId": s(cust.slprsnid),
        "SalesTerritoryId": s(cust.salsterr),
        "PriceLevelId": s(cust.prclevel),
        "PaymentTermsId": s(cust.pymtrmid),
        "UserDefined1": s(cust.userdef1),
        "UserDefined2": s(cust.userdef2),
        "CreatedDate": gp_date(cust.creatddt, opts),
        "ModifiedDate": gp_date(cust.modifdt, opts),
    }
    if not opts.separate_addresses:
        payload["Addresses"] = _customer_addresses(data, cust, opts)
    return _omit(payload, opts)


def customer_address_payloads(data: CompanyData, cust: CustomerRow, opts: ShapeOptions) -> list[dict[str, Any]]:
    """One customer's entries of ``Sales/CustomerAddresses``: its addresses, each naming the customer."""
    s = str.rstrip if opts.trim_strings else str
    return [{"CustomerNumber": s(cust.custnmbr), **a} for a in _customer_addresses(data, cust, opts)]


def document_payload(data: CompanyData, row: DocumentRow, state: str, opts: ShapeOptions) -> dict[str, Any]:
    s = str.rstrip if opts.trim_strings else str
    mc = data.multicurrency.get(doc_key(row.rmdtypal, row.docnumbr)) if opts.amounts == "transactional" else None
    if mc is not None:  # amounts in the document's own currency (MC020102)
        original, current, money_currency = mc.ororgtrx, mc.orctrxam, row.curncyid.rstrip()
    else:  # RM20101/RM30101 amounts are functional-currency amounts
        original, current, money_currency = row.ortrxamt, row.curtrxam, FUNCTIONAL_CURRENCY
    return _omit({
        "DocumentNumber": s(row.docnumbr),
        "DocumentType": TYPE_NAMES[row.rmdtypal] if opts.document_type_names else row.rmdtypal,
        "CustomerNumber": s(row.custnmbr),
        "DocumentDate": gp_date(row.docdate, opts),
        "PostedDate": gp_date(row.postdate, opts),
        "CurrencyId": s(row.curncyid),
        "OriginalAmount": _money(original, money_currency, opts),
        "CurrentAmount": _money(current, money_currency, opts),
        "IsVoided": bool(row.voidstts),
        "VoidDate": gp_date(row.voiddate, opts),
        "TransactionState": state,
        "ModifiedDate": gp_date(row.lstedtdt, opts),
    }, opts)


# ------------------------------------------------------------------------------------------ sales and items
# OUR ASSUMPTION: no public sample shows GP SBA's sales-document or item JSON.  These shapes borrow the names the
# Web Services contract uses (LineTotalAmount, TradeDiscountAmount, ..., ItemDescription) and this module's
# conventions (flat ids instead of keys, money as _money, dates as gp_date); correct them here once a capture
# from a real server exists.
SALES_POSTED_STATE = "History"  # SOP30200 rows are posted documents; the unposted Work tables are not modelled


def _sales_currency(header: SalesHeaderRow, opts: ShapeOptions) -> tuple[str, bool]:
    """(the currency id the amounts are in, whether they are the OR* columns): the document's own currency, as
    for receivables (MC020102), unless the server answers in the functional currency."""
    own = header.curncyid.rstrip()
    if opts.amounts != "transactional" or not own or own == FUNCTIONAL_CURRENCY:
        return FUNCTIONAL_CURRENCY, False
    return own, True


def _header_amounts(header: SalesHeaderRow, originating: bool) -> tuple[int, int, int, int, int, int]:
    """SUBTOTAL, TRDISAMT, FRTAMNT, MISCAMNT, TAXAMNT, DOCAMNT (or their OR* twins), in cents."""
    if originating:
        return (header.orsubtot, header.ortdisam, header.orfrtamt, header.ormiscamt, header.ortaxamt,
                header.ordocamt)
    return header.subtotal, header.trdisamt, header.frtamnt, header.miscamnt, header.taxamnt, header.docamnt


def sales_line_payload(line: SalesLineRow, currency: str, originating: bool, opts: ShapeOptions) -> dict[str, Any]:
    """One SOP30300 line.  Quantity is a plain number carrying every decimal GP keeps (2.5 hours stays 2.5, not
    rounded to the item's quantity places), so a client sees what was posted."""
    s = str.rstrip if opts.trim_strings else str
    price, extended, markdown, tax = ((line.oruntprc, line.oxtndprc, line.ormrkdam, line.ortaxamt) if originating
                                      else (line.unitprce, line.xtndprce, line.mrkdnamt, line.taxamnt))
    return _omit({
        "LineSequenceNumber": line.lnitmseq,
        "ItemNumber": s(line.itemnmbr),  # may name an item since deleted from IV00101
        "ItemDescription": s(line.itemdesc),  # copied onto the line when it was entered
        "Quantity": float(line.quantity),
        "UnitPrice": _money(price, currency, opts),
        "MarkdownAmount": _money(markdown, currency, opts),
        "ExtendedPrice": _money(extended, currency, opts),  # quantity x unit price - markdown
        "TaxAmount": _money(tax, currency, opts),
    }, opts)


def sales_invoice_payload(data: CompanyData, header: SalesHeaderRow, opts: ShapeOptions) -> dict[str, Any]:
    """A posted sales invoice (SOP30200) with its lines (SOP30300).  TotalAmount is DOCAMNT, which posting made
    the receivables invoice's OriginalAmount."""
    s = str.rstrip if opts.trim_strings else str
    currency, originating = _sales_currency(header, opts)
    subtotal, discount, freight, misc, tax, total = _header_amounts(header, originating)
    return _omit({
        "DocumentNumber": s(header.sopnumbe),
        "CustomerNumber": s(header.custnmbr),
        "DocumentDate": gp_date(header.docdate, opts),
        "CurrencyId": s(header.curncyid),
        "LineTotalAmount": _money(subtotal, currency, opts),
        "TradeDiscountAmount": _money(discount, currency, opts),
        "FreightAmount": _money(freight, currency, opts),
        "MiscellaneousAmount": _money(misc, currency, opts),
        "TaxAmount": _money(tax, currency, opts),
        "TotalAmount": _money(total, currency, opts),
        "IsVoided": bool(header.voidstts),
        "ModifiedDate": gp_date(header.modifdt, opts),
        "TransactionState": SALES_POSTED_STATE,
        "Lines": [sales_line_payload(line, currency, originating, opts) for line in data.lines_of(header)],
    }, opts)


def item_payload(item: ItemRow, opts: ShapeOptions) -> dict[str, Any]:
    """An IV00101 item.  A blank class is served like every other blank char column here (padded, or "" when
    trimmed), not left out; ItemType is GP's ITEMTYPE number (1 sales inventory ... 6 flat fee)."""
    s = str.rstrip if opts.trim_strings else str
    return _omit({
        "ItemNumber": s(item.itemnmbr),
        "Description": s(item.itemdesc),
        "ShortDescription": s(item.itmshnam),
        "ItemClassId": s(item.itmclscd),
        "ItemType": int(item.itemtype),
        "ModifiedDate": gp_date(item.modifdt, opts),
    }, opts)


# ------------------------------------------------------------------------------------------------ encoding
def json_bytes(payload: Any) -> bytes:
    return json.dumps({"Payload": payload}, ensure_ascii=False).encode("utf-8")


def json_list_bytes(items: Iterable[dict[str, Any]], list_key: str = "") -> bytes:
    """``{"Payload": [...]}`` (or ``{"Payload": {list_key: [...]}}``) encoded one item at a time."""
    head = f'{{"Payload": {{{json.dumps(list_key)}: [' if list_key else '{"Payload": ['
    parts: list[bytes] = [head.encode("utf-8")]
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    first = True
    for item in items:
        if not first:
            parts.append(b", ")
        parts.append(dumps(item).encode("utf-8"))
        first = False
    parts.append(b"]}}" if list_key else b"]}")
    return b"".join(parts)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Element names of list members in XML (Sales/CustomerAddresses lists are "CustomerAddress"); anything else "Item".
_ITEM_NAMES = {"Addresses": "Address", "Lines": "SalesInvoiceLine"}


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_XML_BAD.sub("", str(value)))


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, inner in value.items():
            _xml_element(key, inner, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        out.append(f"<{name}>")
        item = _ITEM_NAMES.get(name, "Item")
        for inner in value:
            _xml_element(item, inner, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_xml_value(value)}</{name}>")


XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>'


def xml_bytes(entity: str, payload: dict[str, Any]) -> bytes:
    out = [XML_HEAD, "<Payload>"]
    _xml_element(entity, payload, out)
    out.append("</Payload>")
    return "".join(out).encode("utf-8")


def xml_list_bytes(entity: str, items: Iterable[dict[str, Any]]) -> bytes:
    parts = [(XML_HEAD + "<Payload>").encode("utf-8")]
    for item in items:
        out: list[str] = []
        _xml_element(entity, item, out)
        parts.append("".join(out).encode("utf-8"))
    parts.append(b"</Payload>")
    return b"".join(parts)
