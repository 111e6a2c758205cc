"""GP Web Services business objects (as zeep reads them) turned into the sync's model.

The choices mirror :mod:`gpmc_desktop.gp.sba_shapes` on purpose, so switching a profile from SBA to SOAP does not
change who is synced or what is sent: the primary address first, e-mail from EmailTo/Cc/Bcc of each address in
that order, the contact split into first/last name, Line2 and Line3 joined, Phone1 before Phone2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from zeep.helpers import serialize_object

from gpmc_desktop.gp import data_check
from gpmc_desktop.gp.answer_fields import Field, Kind
from gpmc_desktop.gp.customer_fields import CUSTOMER_FIELDS as MAPPABLE
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress, SalesLine, SalesLines
from gpmc_desktop.gp.normalize import (
    GP_EMPTY_DATE,
    choose_email,
    clean_phone,
    join_lines,
    money,
    parse_gp_date,
    read_number,
    split_contact,
    trim,
)

# ReceivablesDocumentType enumeration of the WSDL, in RMDTYPAL order.
DOCUMENT_TYPES = {
    "Balance Brought Forward": DocumentType.BALANCE_FORWARD,
    "Invoice": DocumentType.INVOICE,
    "Scheduled Payment": DocumentType.SCHEDULED_PAYMENT,
    "Debit Memo": DocumentType.DEBIT_MEMO,
    "Finance Charge": DocumentType.FINANCE_CHARGE,
    "Service Repair": DocumentType.SERVICE_REPAIR,
    "Warranty": DocumentType.WARRANTY,
    "Credit Memo": DocumentType.CREDIT_MEMO,
    "Return": DocumentType.RETURN,
    "Cash Receipt": DocumentType.PAYMENT,
}


# What the readers below take from GetCustomerByKey / GetReceivablesInvoiceByKey, by path: the "GP data" check
# (gp/data_check.py) holds every answer against these before a record is read.  zeep gives every element of the
# WSDL's types (null when GP sent none), so "needed" here means the nested keys and the values that must be there.
CUSTOMER_FIELDS = (
    Field("Key.Id", Kind.TEXT),
    Field("Name", Kind.TEXT),
    Field("Addresses", Kind.ADDRESSES),
    Field("DefaultAddressKey.Id", Kind.TEXT, needed=False),
    Field("ClassKey.Id", Kind.TEXT, needed=False),
    Field("CurrencyKey.ISOCode", Kind.TEXT, needed=False),
    Field("IsActive", Kind.FLAG, needed=False),
    Field("IsOnHold", Kind.FLAG, needed=False),
    Field("ModifiedDate", Kind.DATE, needed=False),
    *(Field(".".join(f.soap), Kind.TEXT, needed=False) for f in MAPPABLE if not f.on_address),
)
ADDRESS_FIELDS = (
    Field("Key.Id", Kind.TEXT),
    *(Field(name, Kind.TEXT, needed=False) for name in (
        "ContactPerson", "Line1", "Line2", "Line3", "City", "State", "PostalCode", "CountryRegionCodeKey.Id",
        "Phone1.Value", "Phone1.Extension", "Phone2.Value", "Phone2.Extension", "InternetAddresses.EmailToAddress",
        "InternetAddresses.EmailCcAddress", "InternetAddresses.EmailBccAddress")),
    *(Field(".".join(f.soap), Kind.TEXT, needed=False) for f in MAPPABLE if f.on_address),
)
INVOICE_FIELDS = (
    Field("Key.Id", Kind.TEXT),
    Field("CustomerKey.Id", Kind.TEXT),
    Field("Type", Kind.DOCUMENT_TYPE, needed=False),
    Field("Date", Kind.DATE, if_all_empty="every order would go out undated"),
    Field("DocumentAmount", Kind.AMOUNT),
    Field("CurrentDocumentAmount", Kind.AMOUNT,
          if_all_empty="every invoice would be marked paid for want of a balance"),
    Field("IsVoided", Kind.FLAG, needed=False),
    Field("VoidDate", Kind.DATE, needed=False),
    Field("ModifiedDate", Kind.DATE, needed=False),
    Field("CurrencyKey.ISOCode", Kind.TEXT, needed=False),
)


def plain(value: Any) -> Any:
    """zeep's objects as nested dicts and lists (``None`` stays ``None``)."""
    return serialize_object(value, target_cls=dict)


def dig(value: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def gp_day(value: Any) -> dt.date | None:
    """A GP date-only value (midnight ``xs:dateTime``); GP's 1900-01-01 means "none"."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        return parse_gp_date(value)
    return None if day == GP_EMPTY_DATE else day


def phone(value: Any) -> str:
    """PhoneNumber{Value, Extension}: GP keeps 10 digits plus a 4-digit extension in one column."""
    number, extension = trim(dig(value, "Value")), trim(dig(value, "Extension"))
    if extension.isdigit() and number.isdigit() and len(number) == 10:
        number += extension.zfill(4)[-4:]
    return clean_phone(number)


def key_id(value: Any) -> str:
    """The trimmed ``Key/Id`` of a summary or business object."""
    return trim(dig(value, "Key", "Id"))


def _addresses_in_priority(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    addresses = [a for a in dig(raw, "Addresses", "CustomerAddress") or [] if isinstance(a, Mapping)]
    primary = trim(dig(raw, "DefaultAddressKey", "Id"))
    return sorted(addresses, key=lambda a: trim(dig(a, "Key", "Id")) != primary)


def customer_from_soap(customer: Any) -> Customer:
    """A ``Customer`` answer of GetCustomerByKey."""
    raw = customer if isinstance(customer, Mapping) else plain(customer)
    addresses = _addresses_in_priority(raw)
    email_fields: list[str] = []
    for addr in addresses:
        inet = dig(addr, "InternetAddresses") or {}
        email_fields += [inet.get("EmailToAddress") or "", inet.get("EmailCcAddress") or "",
                         inet.get("EmailBccAddress") or ""]
    email, rejected, note = choose_email(email_fields)
    primary = addresses[0] if addresses else {}
    company = trim(raw.get("Name"))
    first, last = split_contact(trim(primary.get("ContactPerson")), company)
    line2 = join_lines(primary.get("Line2"), primary.get("Line3"))
    active, on_hold = raw.get("IsActive"), raw.get("IsOnHold")
    return Customer(
        number=key_id(raw),
        company_name=company,
        first_name=first,
        last_name=last,
        email=email,
        email_note=note,
        address=PostalAddress(
            line1=trim(primary.get("Line1")),
            line2=line2,
            city=trim(primary.get("City")),
            state=trim(primary.get("State")),
            postal_code=trim(primary.get("PostalCode")),
            country_code=trim(dig(primary, "CountryRegionCodeKey", "Id")),
        ),
        phone=phone(primary.get("Phone1")) or phone(primary.get("Phone2")),
        class_id=trim(dig(raw, "ClassKey", "Id")),
        # The service names currencies by ISO code only; GP's own currency id (Z-US$) is not in the object.
        currency_id=trim(dig(raw, "CurrencyKey", "ISOCode")),
        is_active=True if active is None else bool(active),
        is_on_hold=bool(on_hold),
        modified_date=gp_day(raw.get("ModifiedDate")),
        rejected_emails=rejected,
        fields=tuple((f.key, value) for f in MAPPABLE
                     if (value := trim(dig(primary if f.on_address else raw, *f.soap)))),
    )


def invoice_from_soap(invoice: Any) -> Document:
    """A ``ReceivablesInvoice`` answer of GetReceivablesInvoiceByKey: the balance and void state live only here."""
    raw = invoice if isinstance(invoice, Mapping) else plain(invoice)
    kind = raw.get("Type")
    doc_type = DocumentType.INVOICE if kind is None else DOCUMENT_TYPES.get(str(kind))
    if doc_type is None:  # the data check stops such an answer first; a crash would hide which record it was
        raise GPError(Stage.DATA, f"GP's receivables invoice {key_id(raw)} has the type {kind!r}, which gpmc does "
                                  "not know.", data_check.HINT)
    amount = raw.get("DocumentAmount")
    currency = trim(dig(amount, "Currency")) or trim(dig(raw, "CurrencyKey", "ISOCode"))
    return Document(
        number=key_id(raw),
        type=doc_type,
        customer_number=trim(dig(raw, "CustomerKey", "Id")),
        date=gp_day(raw.get("Date")),
        amount=money(amount),
        balance=money(raw.get("CurrentDocumentAmount")),
        currency=currency,
        is_voided=bool(raw.get("IsVoided")),
        void_date=gp_day(raw.get("VoidDate")),
        modified_date=gp_day(raw.get("ModifiedDate")),
    )


# What the sync reads of a sales invoice (GetSalesInvoiceByKey) and of its lines; the totals come from its summary
# (GetSalesInvoiceList), whose names say plainly which charge is which (TradeDiscountAmount, FreightAmount, ...).
SALES_FIELDS = (
    Field("Key.Id", Kind.TEXT),
    Field("TotalAmount", Kind.AMOUNT, needed=False),
)
SALES_LINE_FIELDS = (
    Field("Key.LineSequenceNumber", Kind.AMOUNT),
    Field("ItemKey.Id", Kind.TEXT, needed=False),
    Field("ItemDescription", Kind.TEXT, needed=False),
    Field("Quantity.Value", Kind.AMOUNT),
    Field("TotalAmount", Kind.AMOUNT),
)
SALES_SUMMARY_FIELDS = tuple(Field(name, Kind.AMOUNT, needed=False) for name in (
    "TradeDiscountAmount", "FreightAmount", "MiscellaneousAmount", "TaxAmount", "TotalAmount"))


def sales_lines(raws: list[Any]) -> list[Mapping[str, Any]]:
    """Every line of these GetSalesInvoiceByKey answers."""
    rows = [r if isinstance(r, Mapping) else plain(r) for r in raws]
    return [line for r in rows for line in dig(r, "Lines", "SalesInvoiceLine") or [] if isinstance(line, Mapping)]


def sales_from_soap(invoice: Any, summary: Mapping[str, Any], items: Mapping[str, Mapping[str, Any] | None]
                    ) -> SalesLines:
    """A sales invoice's lines (GetSalesInvoiceByKey) with the charges of its *summary*; each line's item as
    *items* holds it (by upper-case number; None: GP no longer has the item, so the line's own description)."""
    raw = invoice if isinstance(invoice, Mapping) else plain(invoice)
    lines = []
    for line in sales_lines([raw]):
        number = trim(dig(line, "ItemKey", "Id"))
        item = items.get(number.upper()) if number else None
        description = (trim(item.get("Description")) if item else "") or trim(line.get("ItemDescription"))
        lines.append(SalesLine(
            sequence=int(_number(dig(line, "Key", "LineSequenceNumber"))),
            item_number=number,
            description=description,
            item_class=trim(dig(item, "ClassKey", "Id")) if item else "",
            quantity=_number(dig(line, "Quantity", "Value")),
            total=money(line.get("TotalAmount")),
        ))
    return SalesLines(
        lines=tuple(sorted(lines, key=lambda sl: sl.sequence)),
        discount=money(summary.get("TradeDiscountAmount")),
        freight=money(summary.get("FreightAmount")),
        misc=money(summary.get("MiscellaneousAmount")),
        tax=money(summary.get("TaxAmount")),
        total=money(summary.get("TotalAmount")),
    )


def _number(value: Any) -> Decimal:
    """A quantity or a sequence number as GP sent it (all its decimals: 2.5 hours, 0.33333 of a box)."""
    try:
        return read_number(value)
    except ValueError:  # the data check stops such an answer first
        raise GPError(Stage.DATA, f"GP's sales invoice line holds {value!r} where a number belongs.",
                      data_check.HINT) from None


def check_sales(raws: list[Any], summaries: list[Any]) -> list[data_check.Checked]:
    """Sales invoices, their lines and their summaries against the fields above."""
    rows = [r if isinstance(r, Mapping) else plain(r) for r in raws]
    return [data_check.check_records(rows, SALES_FIELDS, "sales invoices", "Key.Id"),
            data_check.check_records(sales_lines(rows), SALES_LINE_FIELDS, "sales invoice lines", "Key.Id"),
            data_check.check_records([s if isinstance(s, Mapping) else plain(s) for s in summaries],
                                     SALES_SUMMARY_FIELDS, "sales invoice summaries", "Key.Id")]


def check_customers(raws: list[Any]) -> list[data_check.Checked]:
    """Full customer objects and their addresses against :data:`CUSTOMER_FIELDS` / :data:`ADDRESS_FIELDS`."""
    rows = [r if isinstance(r, Mapping) else plain(r) for r in raws]
    customers = data_check.check_records(rows, CUSTOMER_FIELDS, "customers", "Key.Id")
    addresses = [a for r in rows for a in dig(r, "Addresses", "CustomerAddress") or [] if isinstance(a, Mapping)]
    return [customers, data_check.check_records(addresses, ADDRESS_FIELDS, "customer addresses", "Key.Id")]


def check_invoices(raws: list[Any]) -> data_check.Checked:
    rows = [r if isinstance(r, Mapping) else plain(r) for r in raws]
    return data_check.check_records(rows, INVOICE_FIELDS, "receivables invoices", "Key.Id")
