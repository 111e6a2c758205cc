"""GP rows as Web Services for Microsoft Dynamics GP objects, and the service's criteria evaluated against rows.

Values are plain dicts that zeep serialises with the types of ``DynamicsGP.wsdl`` (so a member the contract
does not have, or a required one left out, fails here rather than on the client).  Summaries carry only what
the WSDL's summary types carry: no e-mail, no address lines, no balance, no void flag, no lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    FUNCTIONAL_CURRENCY,
    AddressRow,
    CompanyData,
    CompanyRow,
    CustomerRow,
    DocType,
    DocumentRow,
    InternetRow,
    ItemRow,
    ItemType,
    SalesHeaderRow,
    SalesLineRow,
    doc_key,
)

DOC_TYPE_NAMES = {
    DocType.BALANCE_FORWARD: "Balance Brought Forward", DocType.INVOICE: "Invoice",
    DocType.SCHEDULED_PAYMENT: "Scheduled Payment", DocType.DEBIT_MEMO: "Debit Memo",
    DocType.FINANCE_CHARGE: "Finance Charge", DocType.SERVICE_REPAIR: "Service Repair",
    DocType.WARRANTY: "Warranty", DocType.CREDIT_MEMO: "Credit Memo", DocType.RETURN: "Return",
    DocType.PAYMENT: "Cash Receipt",
}


SALES_INVOICE_TYPE = "Invoice"  # SalesDocumentType of SOPTYPE 3
SALES_POSTED_STATE = "History"  # SalesTransactionState of SOP30200 rows (the unposted Work tables are not modelled)
# Item is abstract in the WSDL: each ITEMTYPE goes out as a concrete subtype (xsi:type) with its ItemType value.
ITEM_TYPES: dict[int, tuple[str, str]] = {
    ItemType.SALES_INVENTORY: ("SalesItem", "Sales Item"), ItemType.DISCONTINUED: ("SalesItem", "Sales Item"),
    ItemType.KIT: ("Kit", "Kit"), ItemType.MISC_CHARGES: ("Fee", "Miscellaneous Charges"),
    ItemType.SERVICES: ("Service", "Service"), ItemType.FLAT_FEE: ("Fee", "Flat Fee"),
}
DECIMAL_PLACES = ("Zero", "One", "Two", "Three", "Four", "Five")  # QuantityDecimalPlaces


@dataclass(frozen=True)
class Shape:
    trim_strings: bool = False  # GP pads char columns; whether the service trims them is unconfirmed
    local_currency: bool = False  # Context.CurrencyType "Local": functional amounts instead of the document's own


def midnight(day: dt.date) -> dt.datetime:
    """GP date-only columns go out as ``xs:dateTime`` at midnight, without an offset."""
    return dt.datetime.combine(day, dt.time())


def _s(shape: Shape) -> Callable[[str], str]:
    return str.rstrip if shape.trim_strings else str


def money_amount(cents: int, currency_id: str) -> dict[str, Any]:
    iso, digits = CURRENCIES.get(currency_id.rstrip(), (currency_id.rstrip() or "USD", 2))
    value = Decimal(cents).scaleb(-2).quantize(Decimal(1).scaleb(-digits)) if digits else Decimal(cents // 100)
    return {"Currency": iso, "Value": value, "DecimalDigits": digits}


def _phone(value: str, shape: Shape) -> dict[str, Any] | None:
    return {"Value": _s(shape)(value)} if value.strip() else None


def _key(value: str, shape: Shape) -> dict[str, Any] | None:
    return {"Id": _s(shape)(value)} if value.strip() else None


def company_object(row: CompanyRow, shape: Shape) -> dict[str, Any]:
    return {"Key": {"Id": row.cmpanyid}, "Name": _s(shape)(row.cmpnynam)}


# -------------------------------------------------------------------------------------------------- customers
def customer_summary(cust: CustomerRow, shape: Shape) -> dict[str, Any]:
    s = _s(shape)
    phone = _phone(cust.phone1, shape)
    return {
        "Key": {"Id": s(cust.custnmbr)},
        "Name": s(cust.custname),
        "IsActive": not cust.inactive,
        "IsOnHold": bool(cust.hold),
        "CustomerClassKey": _key(cust.custclas, shape),
        "CorporateAccountKey": _key(cust.cprcstnm, shape),
        "State": s(cust.state),
        "PhoneNumbers": {"PhoneNumber": [phone]} if phone else None,
        "CreatedDate": midnight(cust.creatddt),
        "ModifiedDate": midnight(cust.modifdt),
        "LastModifiedDate": cust.dex_row_ts,  # DEX_ROW_TS: UTC with milliseconds
    }


def _internet(inet: InternetRow | None, shape: Shape) -> dict[str, Any] | None:
    if inet is None:
        return None
    s = _s(shape)
    # SY01200's e-mail columns are text (never padded); INET1/INET2 are char(201).
    return {
        "EmailToAddress": inet.email_to_address,
        "EmailCcAddress": inet.email_cc_address,
        "EmailBccAddress": inet.email_bcc_address,
        "InternetField1": s(inet.inet1),
        "InternetField2": s(inet.inet2),
    }


def customer_address(addr: AddressRow, inet: InternetRow | None, shape: Shape) -> dict[str, Any]:
    s = _s(shape)
    return {
        "Line1": s(addr.address1),
        "Line2": s(addr.address2),
        "Line3": s(addr.address3),
        "City": s(addr.city),
        "State": s(addr.state),
        "PostalCode": s(addr.zip),
        "CountryRegion": s(addr.country),
        "Phone1": _phone(addr.phone1, shape),
        "Phone2": _phone(addr.phone2, shape),
        "Phone3": _phone(addr.phone3, shape),
        "Fax": _phone(addr.fax, shape),
        "CountryRegionCodeKey": _key(addr.ccode, shape),
        "ContactPerson": s(addr.cntcprsn),
        "ShippingMethodKey": _key(addr.shipmthd, shape),
        "SalespersonKey": _key(addr.slprsnid, shape),
        "SalesTerritoryKey": _key(addr.salsterr, shape),
        "UserDefined1": s(addr.userdef1),
        "UserDefined2": s(addr.userdef2),
        "CreatedDate": midnight(addr.creatddt),
        "ModifiedDate": midnight(addr.modifdt),
        "LastModifiedDate": addr.dex_row_ts,
        "InternetAddresses": _internet(inet, shape),
        "Key": {"CustomerKey": {"Id": s(addr.custnmbr)}, "Id": s(addr.adrscode)},
    }


def customer_object(data: CompanyData, cust: CustomerRow, shape: Shape) -> dict[str, Any]:
    s = _s(shape)
    number = cust.custnmbr

    def address_key(code: str) -> dict[str, Any] | None:
        return {"CustomerKey": {"Id": s(number)}, "Id": s(code)} if code.strip() else None

    addresses = [customer_address(a, data.internet_of(number, a.adrscode), shape) for a in data.addresses_of(number)]
    iso = CURRENCIES.get(cust.curncyid.rstrip(), (cust.curncyid.rstrip(), 2))[0]
    return {
        "Key": {"Id": s(number)},
        "IsOnHold": bool(cust.hold),
        "IsActive": not cust.inactive,
        "Name": s(cust.custname),
        "Shortname": s(cust.shrtname),
        "StatementName": s(cust.stmtname),
        "ClassKey": _key(cust.custclas, shape),
        "DefaultAddressKey": address_key(cust.adrscode),
        "ShipToAddressKey": address_key(cust.prstadcd),
        "BillToAddressKey": address_key(cust.prbtadcd),
        "StatementToAddressKey": address_key(cust.staddrcd),
        "PaymentTermsKey": _key(cust.pymtrmid, shape),
        "PriceLevelKey": _key(cust.prclevel, shape),
        "PostResultsTo": "Receivables/Discount Account",  # required by the contract; GP's default
        "CurrencyKey": {"ISOCode": iso} if iso else None,
        "CreatedDate": midnight(cust.creatddt),
        "ModifiedDate": midnight(cust.modifdt),
        "LastModifiedDate": cust.dex_row_ts,
        "CorporateAccountKey": _key(cust.cprcstnm, shape),
        "Addresses": {"CustomerAddress": addresses} if addresses else None,
    }


# -------------------------------------------------------------------------------------------------- invoices
def _amounts(data: CompanyData, row: DocumentRow, shape: Shape) -> tuple[dict[str, Any], dict[str, Any]]:
    mc = None if shape.local_currency else data.multicurrency.get(doc_key(row.rmdtypal, row.docnumbr))
    if mc is not None:  # the document's own currency (MC020102)
        return money_amount(mc.ororgtrx, row.curncyid), money_amount(mc.orctrxam, row.curncyid)
    return money_amount(row.ortrxamt, FUNCTIONAL_CURRENCY), money_amount(row.curtrxam, FUNCTIONAL_CURRENCY)


def _batch_key(row: DocumentRow, shape: Shape) -> dict[str, Any] | None:
    if not row.bachnumb.strip():
        return None
    # BatchKey requires its creation time; the posting date is the closest thing the rows keep.
    return {"Source": "RM_Sales", "Id": _s(shape)(row.bachnumb), "CreatedDateTime": midnight(row.postdate)}


def _customer_name(data: CompanyData, row: DocumentRow) -> str:
    cust = data.customer(row.custnmbr)
    return cust.custname if cust else ""


def invoice_summary(data: CompanyData, row: DocumentRow, state: str, shape: Shape) -> dict[str, Any]:
    s = _s(shape)
    original, _ = _amounts(data, row, shape)
    return {
        "Key": {"Id": s(row.docnumbr)},
        "CustomerKey": {"Id": s(row.custnmbr)},
        "CustomerPONumber": s(row.cspornbr),
        "CustomerName": s(_customer_name(data, row)),
        "Date": midnight(row.docdate),
        "CurrencyKey": {"ISOCode": original["Currency"]},
        "BatchKey": _batch_key(row, shape),
        "DocumentAmount": original,
        "ModifiedDate": midnight(row.lstedtdt),
        "TransactionState": state,
    }


def document_summary(data: CompanyData, row: DocumentRow, state: str, shape: Shape) -> dict[str, Any]:
    """A ReceivablesDocumentSummary: an invoice summary of any document type, plus the type."""
    return {**invoice_summary(data, row, state, shape), "Type": DOC_TYPE_NAMES[DocType(row.rmdtypal)]}


def invoice_object(data: CompanyData, row: DocumentRow, state: str, shape: Shape) -> dict[str, Any]:
    s = _s(shape)
    original, current = _amounts(data, row, shape)
    return {
        "Key": {"Id": s(row.docnumbr)},
        "Type": DOC_TYPE_NAMES[DocType(row.rmdtypal)],
        "Date": midnight(row.docdate),
        "DocumentAmount": original,
        "Description": s(row.trxdscrn),
        "CustomerPONumber": s(row.cspornbr),
        "CustomerName": s(_customer_name(data, row)),
        "TransactionState": state,
        "GeneralLedgerPostingDate": midnight(row.postdate),
        "PostedDate": midnight(row.postdate),
        "CurrentDocumentAmount": current,  # CURTRXAM: the remaining balance
        "InvoicePaidOffDate": midnight(row.dinvpdof),
        "IsDeleted": False,
        "IsVoided": bool(row.voidstts),
        "VoidDate": midnight(row.voiddate),
        "ModifiedDate": midnight(row.lstedtdt),
        "BatchKey": _batch_key(row, shape),
        "CustomerKey": {"Id": s(row.custnmbr)},
        "CurrencyKey": {"ISOCode": original["Currency"]},
        "Terms": {"DueDate": midnight(row.duedate)},
    }


# ---------------------------------------------------------------------------------------------- sales (SOP)
def _sales_money(header: SalesHeaderRow, shape: Shape) -> tuple[str, bool]:
    """(currency id, originating?): the document's own currency unless the context asks for Local amounts."""
    if shape.local_currency or not header.curncyid.strip() or header.curncyid.rstrip() == FUNCTIONAL_CURRENCY:
        return FUNCTIONAL_CURRENCY, False
    return header.curncyid, True


def _header_amounts(header: SalesHeaderRow, originating: bool) -> tuple[int, int, int, int, int, int]:
    if originating:
        return (header.orsubtot, header.ortdisam, header.orfrtamt, header.ormiscamt, header.ortaxamt,
                header.ordocamt)
    return header.subtotal, header.trdisamt, header.frtamnt, header.miscamnt, header.taxamnt, header.docamnt


def _sales_customer_name(data: CompanyData, header: SalesHeaderRow) -> str:
    cust = data.customer(header.custnmbr)
    return cust.custname if cust else ""


def sales_summary(data: CompanyData, header: SalesHeaderRow, shape: Shape) -> dict[str, Any]:
    """A SalesInvoiceSummary: the header's amounts, no lines and no void flag (the summary type has neither)."""
    s = _s(shape)
    currency, originating = _sales_money(header, shape)
    subtotal, discount, freight, misc, tax, total = _header_amounts(header, originating)
    total_amount = money_amount(total, currency)
    return {
        "DocumentTypeKey": {"Type": SALES_INVOICE_TYPE, "Id": s(header.docid)},
        "Key": {"Id": s(header.sopnumbe)},
        "CustomerKey": {"Id": s(header.custnmbr)},
        "CustomerPONumber": s(header.cstponbr),
        "CustomerName": s(_sales_customer_name(data, header)),
        "Date": midnight(header.docdate),
        "CurrencyKey": {"ISOCode": total_amount["Currency"]},
        "LineTotalAmount": money_amount(subtotal, currency),
        "TradeDiscountAmount": money_amount(discount, currency),
        "FreightAmount": money_amount(freight, currency),
        "MiscellaneousAmount": money_amount(misc, currency),
        "TaxAmount": money_amount(tax, currency),
        "TotalAmount": total_amount,
        "CreatedDate": midnight(header.creatddt),
        "ModifiedDate": midnight(header.modifdt),
        "LastModifiedDate": header.dex_row_ts,  # DEX_ROW_TS, as on customers
        "TransactionState": SALES_POSTED_STATE,
    }


def _quantity(line: SalesLineRow) -> dict[str, Any]:
    places = max(0, line.decplqty - 1)
    return {"Value": line.quantity.quantize(Decimal(1).scaleb(-places)), "DecimalDigits": places}


def sales_line(line: SalesLineRow, currency: str, originating: bool, shape: Shape) -> dict[str, Any]:
    """A SalesInvoiceLine: TotalAmount is the extended price (XTNDPRCE); Discount only where there is a
    markdown."""
    s = _s(shape)
    price, extended, markdown, tax = ((line.oruntprc, line.oxtndprc, line.ormrkdam, line.ortaxamt) if originating
                                      else (line.unitprce, line.xtndprce, line.mrkdnamt, line.taxamnt))
    return {
        "Key": {"SalesDocumentKey": {"Id": s(line.sopnumbe)}, "LineSequenceNumber": line.lnitmseq},
        "UnitPrice": money_amount(price, currency),
        "TotalAmount": money_amount(extended, currency),
        "Quantity": _quantity(line),
        "Discount": {"Amount": money_amount(markdown, currency)} if markdown else None,
        "ItemDescription": s(line.itemdesc),
        "TaxAmount": money_amount(tax, currency),
        "ItemKey": {"Id": s(line.itemnmbr)},
    }


def sales_invoice_object(data: CompanyData, header: SalesHeaderRow, shape: Shape) -> dict[str, Any]:
    """A SalesInvoice with its lines.  TradeDiscount (a MoneyPercentChoice) and DiscountAmount both carry
    TRDISAMT; IsVoided is VOIDSTTS."""
    s = _s(shape)
    currency, originating = _sales_money(header, shape)
    subtotal, discount, freight, misc, tax, total = _header_amounts(header, originating)
    summary = sales_summary(data, header, shape)
    lines = [sales_line(line, currency, originating, shape) for line in data.lines_of(header)]
    return {
        "Key": summary["Key"],
        "Type": SALES_INVOICE_TYPE,
        "Date": midnight(header.docdate),
        "FreightAmount": money_amount(freight, currency),
        "MiscellaneousAmount": money_amount(misc, currency),
        "TaxAmount": money_amount(tax, currency),
        "TradeDiscount": {"Amount": money_amount(discount, currency)},
        "DiscountAmount": money_amount(discount, currency),
        "CustomerName": summary["CustomerName"],
        "CustomerPONumber": summary["CustomerPONumber"],
        "ExchangeRate": Decimal(repr(header.xchgrate)) if header.curncyid.rstrip() not in ("", FUNCTIONAL_CURRENCY)
        else None,
        "TransactionState": SALES_POSTED_STATE,
        "LineTotalAmount": money_amount(subtotal, currency),
        "TotalAmount": money_amount(total, currency),
        "CreatedDate": summary["CreatedDate"],
        "ModifiedDate": summary["ModifiedDate"],
        "LastModifiedDate": header.dex_row_ts,
        "IsVoided": bool(header.voidstts),
        "InvoiceDate": midnight(header.docdate),
        "DocumentTypeKey": summary["DocumentTypeKey"],
        "CustomerKey": {"Id": s(header.custnmbr)},
        "CurrencyKey": summary["CurrencyKey"],
        "GeneralLedgerPostingDate": midnight(header.glpostdt),
        "PostedDate": midnight(header.glpostdt),
        "Lines": {"SalesInvoiceLine": lines} if lines else None,
    }


def item_object(item: ItemRow, shape: Shape) -> tuple[str, dict[str, Any]]:
    """(the WSDL's concrete Item subtype, its values); a blank class leaves ClassKey out, as other blank keys."""
    s = _s(shape)
    type_name, item_type = ITEM_TYPES.get(item.itemtype, ITEM_TYPES[ItemType.SALES_INVENTORY])
    return type_name, {
        "Key": {"Id": s(item.itemnmbr)},
        "Description": s(item.itemdesc),
        "ShortDescription": s(item.itmshnam),
        "ClassKey": _key(item.itmclscd, shape),
        "Type": item_type,
        "QuantityDecimalPlaces": DECIMAL_PLACES[max(0, item.decplqty - 1)],
        "CurrentCost": money_amount(item.currcost, FUNCTIONAL_CURRENCY),
        "ModifiedDate": midnight(item.modifdt),
        "LastModifiedDate": item.dex_row_ts,
        "CreatedDate": midnight(item.creatddt),
        "IsDiscontinued": item.itemtype == ItemType.DISCONTINUED,
    }


# -------------------------------------------------------------------------------------------------- criteria
def _like(pattern: str) -> re.Pattern[str]:
    """T-SQL LIKE: % any run, _ one character, [...] a set; case-insensitive like GP's collation."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[^" + re.escape(body[1:]) + "]" if body.startswith("^") else "[" + re.escape(body) + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.I)


def _norm(value: Any) -> Any:
    """Comparable form: char values trimmed and upper-cased (SQL ignores trailing blanks; GP's collation is
    case-insensitive), dates as naive datetimes."""
    if isinstance(value, str):
        return value.rstrip().upper()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return midnight(value)
    return value


def items_of(restriction: Mapping[str, Any]) -> list[Any] | None:
    return _items(restriction.get("Items"))


def _items(value: Any) -> list[Any] | None:
    """``Items`` is an ArrayOfX: one member holding the list."""
    if not isinstance(value, Mapping):
        return None
    for inner in value.values():
        if isinstance(inner, list):
            return inner
    return []


def restriction_matches(restriction: Mapping[str, Any] | None, value: Any) -> bool:
    """Every member that is set must hold: EqualValue, NotEqualValue, Items, From/To (inclusive),
    GreaterThan/LessThan (strict), Like."""
    if not restriction:
        return True
    have = _norm(value)
    checks: list[tuple[str, Callable[[Any, Any], bool]]] = [
        ("EqualValue", lambda a, b: a == b), ("NotEqualValue", lambda a, b: a != b),
        ("From", lambda a, b: a >= b), ("To", lambda a, b: a <= b),
        ("GreaterThan", lambda a, b: a > b), ("LessThan", lambda a, b: a < b),
    ]
    for name, holds in checks:
        bound = restriction.get(name)
        if bound is not None and (have is None or not holds(have, _norm(bound))):
            return False
    items = _items(restriction.get("Items"))
    if items is not None and items and have not in [_norm(i) for i in items]:
        return False
    like = restriction.get("Like")
    return not (like is not None and not _like(str(like)).fullmatch(str(value or "").rstrip()))


def customer_matches(criteria: Mapping[str, Any], cust: CustomerRow) -> bool:
    fields = {
        "Id": cust.custnmbr, "Name": cust.custname, "IsActive": not cust.inactive, "IsOnHold": bool(cust.hold),
        "SalespersonId": "", "ClassId": cust.custclas, "CorporateAccountId": cust.cprcstnm, "State": cust.state,
        "PhoneNumber": cust.phone1, "CreatedDate": cust.creatddt, "ModifiedDate": cust.modifdt,
        "LastModifiedDate": cust.dex_row_ts,
    }
    return all(restriction_matches(criteria.get(name), value) for name, value in fields.items())


def invoice_matches(criteria: Mapping[str, Any], row: DocumentRow, state: str) -> bool:
    fields = {
        "TransactionState": state, "DocumentId": row.docnumbr, "Date": row.docdate, "CustomerId": row.custnmbr,
        "BatchId": row.bachnumb, "SalespersonId": "", "ModifiedDate": row.lstedtdt,
    }
    return all(restriction_matches(criteria.get(name), value) for name, value in fields.items())


def document_matches(criteria: Mapping[str, Any], row: DocumentRow, state: str) -> bool:
    return invoice_matches(criteria, row, state) and restriction_matches(
        criteria.get("Type"), DOC_TYPE_NAMES[DocType(row.rmdtypal)])


def sales_invoice_matches(criteria: Mapping[str, Any], data: CompanyData, header: SalesHeaderRow) -> bool:
    """SalesInvoiceCriteria against a posted invoice (no master numbers, batches or salespeople are kept: a
    restriction on them matches nothing)."""
    fields: dict[str, Any] = {
        "TransactionState": SALES_POSTED_STATE, "DocumentId": header.sopnumbe, "Date": header.docdate,
        "CustomerId": header.custnmbr, "CustomerPONumber": header.cstponbr, "BatchId": "",
        "DocumentTypeId": header.docid, "SalespersonId": "", "MasterNumber": None, "ModifiedDate": header.modifdt,
        "LastModifiedDate": header.dex_row_ts, "CreatedDate": header.creatddt,
    }
    if not all(restriction_matches(criteria.get(name), value) for name, value in fields.items()):
        return False
    return restriction_matches(criteria.get("CustomerName"), _sales_customer_name(data, header))
