"""Everything that knows the JSON shape of GP's Service Based Architecture answers.

No public capture of a real SBA customer or receivables answer exists (see docs and the reference contract), so
this is the one module to correct when a capture from a real GP server disagrees.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from gpmc_desktop.gp import answer_fields, data_check
from gpmc_desktop.gp.answer_fields import LIST_KEYS, Field, Kind, needed, readers
from gpmc_desktop.gp.customer_fields import CUSTOMER_FIELDS
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer, Document, PostalAddress, SalesLine, SalesLines
from gpmc_desktop.gp.normalize import (
    choose_email,
    clean_phone,
    join_lines,
    money,
    read_number,
    split_contact,
    trim,
)

T = TypeVar("T")

CUSTOMER_KEYS = needed(answer_fields.CUSTOMER)
_CUSTOMER_KEYS_JOINED = needed(answer_fields.CUSTOMER, without="Addresses")  # its addresses come on their own
ADDRESS_KEYS = needed(answer_fields.ADDRESS)
# An entry of Sales/CustomerAddresses, for servers whose customers come without their addresses.
CUSTOMER_ADDRESS_KEYS = needed(answer_fields.ADDRESS_ENTRY)
DOCUMENT_KEYS = needed(answer_fields.DOCUMENT)


def shape_error(what: str, problem: str) -> GPError:
    return GPError(
        Stage.DATA, f"GP's answer for {what} is not in a shape gpmc knows: {problem}.",
        "Send this message to support: the GP client reads SBA answers in one place and can be taught this shape.",
    )


def require(raw: Any, keys: Iterable[str], what: str) -> Mapping[str, Any]:
    """*raw* as a mapping holding every key in *keys*, or a shape error naming what it saw and what is needed."""
    if not isinstance(raw, Mapping):
        raise shape_error(what, f"expected an object, got {type(raw).__name__}")
    needed = list(keys)
    missing = [k for k in needed if k not in raw]
    if missing:
        raise shape_error(what, f"it lacks {', '.join(missing)} (it holds {', '.join(sorted(raw)) or 'no keys'}; "
                                f"the sync needs {', '.join(needed)})")
    return raw


def _read(read: Callable[[Any], T], raw: Mapping[str, Any], key: str, what: str) -> T:
    try:
        return read(raw.get(key))
    except ValueError as exc:
        raise shape_error(what, f"{key} {raw.get(key)!r} is {exc}") from exc


def unwrap(body: Any) -> Any:
    """SBA wraps answers in ``{"Payload": ...}``; accept a bare object or list too."""
    if isinstance(body, Mapping) and "Payload" in body:
        return body["Payload"]
    return body


def collection(payload: Any, what: str) -> list[Any]:
    """The list of a collection answer: ``Payload`` itself, or a list under a known key of a ``Payload`` object.

    Anything else is a shape error: a collection that silently reads as empty would look like "no customers"."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, Mapping):
        for key in LIST_KEYS:
            if isinstance(payload.get(key), list):
                return list(payload[key])
        raise shape_error(what, f"expected a list, got an object holding {', '.join(sorted(payload)) or 'no keys'}")
    raise shape_error(what, f"expected a list, got {type(payload).__name__}")


def _addresses_in_priority(addresses: list[Mapping[str, Any]], primary_id: str) -> list[Mapping[str, Any]]:
    primary = customer_key(primary_id)
    # Primary address first, the others after it in GP's order.
    return sorted(addresses, key=lambda a: customer_key(a.get("AddressId")) != primary)


def has_addresses(raw: Any) -> bool:
    """Whether a customer answer embeds its addresses (else they come from Sales/CustomerAddresses)."""
    return isinstance(raw, Mapping) and "Addresses" in raw


def customer_key(number: object) -> str:
    """GP's keys compare without case or padding (SQL's default collation)."""
    return trim(number).upper()


def addresses_by_customer(rows: list[Any]) -> dict[str, list[Any]]:
    """Sales/CustomerAddresses entries grouped by customer number, in GP's order.  Nothing is refused here: the
    data check holds the whole answer against the fields it needs (an entry that is no object stays under "")."""
    grouped: dict[str, list[Any]] = {}
    for entry in rows:
        number = entry.get("CustomerNumber") if isinstance(entry, Mapping) else None
        grouped.setdefault(customer_key(number), []).append(entry)
    return grouped


def missing_addresses_error(customers: data_check.AnswerCheck, path: str = "Sales/CustomerAddresses") -> GPError:
    """Customers without ``Addresses`` (*customers*: their answer's check) on a server without the addresses
    resource at *path*: the e-mails are nowhere."""
    try:
        customers.finish()
    except GPError as err:
        return GPError(err.stage, f"{err.message} Nor does this server offer {path}, where the "
                                  "addresses and e-mails may be kept instead (404).", err.hint)
    raise AssertionError("customers without Addresses passed the check for Addresses")


# How each field is read, by table: found once here, not per value (a table of frozen Fields is slow to hash).
_CUSTOMER = readers(answer_fields.CUSTOMER)
_ADDRESS = readers(answer_fields.ADDRESS)
_DOCUMENT = readers(answer_fields.DOCUMENT)
Readers = dict[str, Callable[[Any], Any]]


def _value(fields: Readers, raw: Mapping[str, Any], key: str, what: str) -> Any:
    """*key* of *raw* read as the field table says (a missing optional key reads as empty)."""
    return _read(fields[key], raw, key, what)


def _text(fields: Readers, raw: Mapping[str, Any], key: str, what: str) -> str:
    return trim(_value(fields, raw, key, what))


def customer_from_sba(raw: Any, addresses: list[Mapping[str, Any]] | None = None) -> Customer:
    """One customer; *addresses* are its Sales/CustomerAddresses entries when the answer has no ``Addresses``."""
    fields = _CUSTOMER
    raw = require(raw, CUSTOMER_KEYS if addresses is None else _CUSTOMER_KEYS_JOINED, "a customer")
    what = f"customer {trim(raw.get('CustomerNumber'))}"
    listed = _value(fields, raw, "Addresses", what) if addresses is None else addresses
    checked = [require(a, ADDRESS_KEYS, f"an address of {what}") for a in listed]
    ordered = _addresses_in_priority(checked, _text(fields, raw, "PrimaryAddressId", what))
    at = _ADDRESS
    email_fields: list[str] = []
    for addr in ordered:
        email_fields += [_text(at, addr, key, what) for key in ("EmailToAddress", "EmailCcAddress", "EmailBccAddress")]
    email, rejected, note = choose_email(email_fields)
    primary = ordered[0] if ordered else {}
    company = _text(fields, raw, "CustomerName", what)
    first, last = split_contact(_text(at, primary, "ContactPerson", what), company)
    active, on_hold = _value(fields, raw, "IsActive", what), _value(fields, raw, "IsOnHold", what)
    return Customer(
        number=_text(fields, raw, "CustomerNumber", what),
        company_name=company,
        first_name=first,
        last_name=last,
        email=email,
        email_note=sys.intern(note),
        address=PostalAddress(
            line1=_text(at, primary, "Line1", what),
            line2=join_lines(_text(at, primary, "Line2", what), _text(at, primary, "Line3", what)),
            city=sys.intern(_text(at, primary, "City", what)),
            state=sys.intern(_text(at, primary, "State", what)),
            postal_code=_text(at, primary, "PostalCode", what),
            country_code=sys.intern(_text(at, primary, "CountryCode", what)),
        ),
        phone=clean_phone(_text(at, primary, "Phone1", what)) or clean_phone(_text(at, primary, "Phone2", what)),
        class_id=sys.intern(_text(fields, raw, "ClassId", what)),  # few distinct values: shared, not 100,000 copies
        currency_id=sys.intern(_text(fields, raw, "CurrencyId", what)),
        is_active=True if active is None else active,
        is_on_hold=bool(on_hold),
        modified_date=_value(fields, raw, "ModifiedDate", what),
        rejected_emails=rejected,
        fields=_mappable(fields, raw, primary, what),
    )


def _mappable(
    fields: Readers, raw: Mapping[str, Any], primary: Mapping[str, Any], what: str
) -> tuple[tuple[str, str], ...]:
    """The customer fields a profile may map: on the customer, else on its primary address (GP copies them)."""
    found = []
    for f in CUSTOMER_FIELDS:
        value = _text(fields, raw, f.sba, what) or (_text(_ADDRESS, primary, f.sba, what) if f.on_address else "")
        if value:
            found.append((f.key, sys.intern(value)))  # few distinct values: shared
    return tuple(found)


def customers_from_sba(raws: list[Any], joined: dict[str, list[Any]] | None) -> list[Customer]:
    """Every customer of an answer; *joined*: Sales/CustomerAddresses by customer number when the customers do
    not embed their addresses (None when they do)."""
    return [customer_from_sba(raw) if joined is None or has_addresses(raw)
            else customer_from_sba(raw, joined.get(customer_key(raw.get("CustomerNumber")), []))
            for raw in raws]


def document_from_sba(raw: Any, read: Mapping[str, Any] | None = None) -> Document:
    """One receivables document; *read*: its fields as the data check read them (not read again)."""
    raw = require(raw, DOCUMENT_KEYS, "a receivables document")
    what = f"receivables document {trim(raw.get('DocumentNumber'))}"
    done = read or {}

    def value(key: str) -> Any:
        return done[key] if key in done else _value(_DOCUMENT, raw, key, what)

    original = raw.get("OriginalAmount")
    # {"Value", "Currency"} carries an ISO code; a plain amount leaves GP's currency id (mapping keeps ISO only).
    currency = trim(original.get("Currency")) if isinstance(original, Mapping) else trim(value("CurrencyId"))
    return Document(
        number=trim(value("DocumentNumber")),
        type=value("DocumentType"),
        customer_number=sys.intern(trim(value("CustomerNumber"))),  # one string for all its documents
        date=value("DocumentDate"),
        amount=value("OriginalAmount"),
        balance=value("CurrentAmount"),
        currency=sys.intern(currency),
        is_voided=bool(value("IsVoided")),
        void_date=value("VoidDate"),
        modified_date=value("ModifiedDate" if raw.get("ModifiedDate") else "LastEditDate"),
    )


def company_label(raw: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """(database name, display name, company id) of one entry of ``Companies.json``."""
    ident = raw.get("Id")
    return trim(raw.get("DatabaseName")), trim(raw.get("Name")), ident if isinstance(ident, int) else None


# Sales invoices and items over SBA: no public sample shows them, so the names below are our assumption (the SBA
# simulator serves them so; docs/simulators.md).  Every answer is checked against them before a record is read: a
# server that names them otherwise stops the run before anything is written, naming what it lacks.
SALES_FIELDS = (
    Field("DocumentNumber", Kind.TEXT),
    Field("TotalAmount", Kind.AMOUNT),
    Field("TradeDiscountAmount", Kind.AMOUNT, needed=False),
    Field("FreightAmount", Kind.AMOUNT, needed=False),
    Field("MiscellaneousAmount", Kind.AMOUNT, needed=False),
    Field("TaxAmount", Kind.AMOUNT, needed=False),
)
SALES_LINE_FIELDS = (
    Field("LineSequenceNumber", Kind.AMOUNT),
    Field("ItemNumber", Kind.TEXT, needed=False),
    Field("ItemDescription", Kind.TEXT, needed=False),
    Field("Quantity", Kind.AMOUNT),
    Field("ExtendedPrice", Kind.AMOUNT),
)
ITEM_FIELDS = (
    Field("ItemNumber", Kind.TEXT),
    Field("Description", Kind.TEXT, needed=False),
    Field("ItemClassId", Kind.TEXT, needed=False),
)


def sales_lines_of(raws: list[Any]) -> list[Mapping[str, Any]]:
    lines: list[Mapping[str, Any]] = []
    for raw in raws:
        held = raw.get("Lines") if isinstance(raw, Mapping) else None
        if not isinstance(held, list):
            raise shape_error("sales invoices", f"expected Lines to be a list in sales invoice "
                                                f"{raw.get('DocumentNumber') if isinstance(raw, Mapping) else raw!r}")
        lines += [line for line in held if isinstance(line, Mapping)]
    return lines


def check_sales(raws: list[Any], items: list[Any]) -> list[data_check.Checked]:
    return [data_check.check_records(raws, SALES_FIELDS, "sales invoices", "DocumentNumber"),
            data_check.check_records(sales_lines_of(raws), SALES_LINE_FIELDS, "sales invoice lines",
                                     "LineSequenceNumber"),
            data_check.check_records(items, ITEM_FIELDS, "items", "ItemNumber")]


def sales_from_sba(raw: Mapping[str, Any], items: Mapping[str, Mapping[str, Any]]) -> SalesLines:
    """A sales invoice's lines and charges; each line's item from *items* (by upper-case number; a number not
    there is an item GP no longer has, so the line's own description)."""
    lines = []
    for line in sales_lines_of([raw]):
        number = trim(line.get("ItemNumber"))
        item = items.get(number.upper()) if number else None
        lines.append(SalesLine(
            sequence=int(read_number(line.get("LineSequenceNumber"))),
            item_number=number,
            description=(trim(item.get("Description")) if item else "") or trim(line.get("ItemDescription")),
            item_class=trim(item.get("ItemClassId")) if item else "",
            quantity=read_number(line.get("Quantity")),
            total=money(line.get("ExtendedPrice")),
        ))
    return SalesLines(tuple(sorted(lines, key=lambda ln: ln.sequence)), money(raw.get("TradeDiscountAmount")),
                      money(raw.get("FreightAmount")), money(raw.get("MiscellaneousAmount")),
                      money(raw.get("TaxAmount")), money(raw.get("TotalAmount")))
