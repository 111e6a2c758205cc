"""Everything that knows the JSON shape of GP's Service Based Architecture answers.

No public capture of a real SBA customer or receivables answer exists (see docs and the reference contract), so
this is the one module to correct when a capture from a real GP server disagrees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.gp.normalize import (
    choose_email,
    clean_phone,
    join_lines,
    read_amount,
    read_gp_date,
    split_contact,
    trim,
)

T = TypeVar("T")

CUSTOMER_KEYS = ("CustomerNumber", "CustomerName", "IsActive", "Addresses")
# An entry of Sales/CustomerAddresses, for servers whose customers come without their addresses.
CUSTOMER_ADDRESS_KEYS = ("CustomerNumber", "AddressId")
DOCUMENT_KEYS = ("DocumentNumber", "DocumentType", "CustomerNumber", "DocumentDate", "OriginalAmount",
                 "CurrentAmount", "IsVoided")
# Keys a list may sit under when ``Payload`` is an object rather than the list itself (none is confirmed).
LIST_KEYS = ("Items", "Results", "Value", "value", "Values", "Data", "Companies", "Customers", "Receivables",
             "ReceivablesDocuments", "Documents", "Transactions", "CustomerAddresses", "Addresses")
# RMDTYPAL by the names GP (and the SOAP WSDL) gives the types, compared without case, spaces or punctuation.
_TYPE_NAMES = {
    "balanceforward": 0, "balancebroughtforward": 0,
    "salesinvoice": 1, "salesinvoices": 1, "invoice": 1,
    "scheduledpayment": 2, "scheduledpayments": 2,
    "debitmemo": 3, "debitmemos": 3,
    "financecharge": 4, "financecharges": 4,
    "servicerepair": 5, "servicerepairs": 5,
    "warranty": 6, "warranties": 6,
    "creditmemo": 7, "creditmemos": 7,
    "return": 8, "returns": 8,
    "payment": 9, "payments": 9, "cashreceipt": 9,
}


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


def document_type(value: Any) -> DocumentType:
    """RMDTYPAL from a number, a numeric string or a type name ("Invoice", "Credit Memo", "Sales / Invoice")."""
    if isinstance(value, bool):
        raise ValueError("not a receivables document type")
    if isinstance(value, int):
        number = value
    else:
        text = trim(value)
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        if key.isdigit():
            number = int(key)
        elif key in _TYPE_NAMES:
            number = _TYPE_NAMES[key]
        else:
            raise ValueError("not a receivables document type")
    try:
        return DocumentType(number)
    except ValueError as exc:
        raise ValueError("not a receivables document type") from exc


def _addresses_in_priority(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    addresses = [a for a in raw.get("Addresses") or [] if isinstance(a, Mapping)]
    primary = customer_key(raw.get("PrimaryAddressId"))
    # Primary address first, the others after it in GP's order.
    return sorted(addresses, key=lambda a: customer_key(a.get("AddressId")) != primary)


def has_addresses(raw: Any) -> bool:
    """Whether a customer answer embeds its addresses (else they come from Sales/CustomerAddresses)."""
    return isinstance(raw, Mapping) and "Addresses" in raw


def customer_key(number: object) -> str:
    """GP's keys compare without case or padding (SQL's default collation)."""
    return trim(number).upper()


def addresses_by_customer(rows: list[Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Sales/CustomerAddresses entries grouped by customer number, in GP's order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for raw in rows:
        entry = require(raw, CUSTOMER_ADDRESS_KEYS, "a customer address")
        grouped.setdefault(customer_key(entry["CustomerNumber"]), []).append(entry)
    return grouped


def missing_addresses_error(raws: list[Any]) -> GPError:
    """Customers without ``Addresses`` on a server without Sales/CustomerAddresses: the e-mails are nowhere."""
    lacking = next(raw for raw in raws if not has_addresses(raw))
    try:
        require(lacking, CUSTOMER_KEYS, "a customer")
    except GPError as err:
        return GPError(err.stage, f"{err.message} Nor does this server offer Sales/CustomerAddresses, where the "
                                  "addresses and e-mails may be kept instead (404).", err.hint)
    raise AssertionError("a customer without Addresses passed the check for Addresses")


def customer_from_sba(raw: Any, addresses: list[Mapping[str, Any]] | None = None) -> Customer:
    """One customer; *addresses* are its Sales/CustomerAddresses entries when the answer has no ``Addresses``."""
    needed = CUSTOMER_KEYS if addresses is None else tuple(k for k in CUSTOMER_KEYS if k != "Addresses")
    raw = require(raw, needed, "a customer")
    what = f"customer {trim(raw.get('CustomerNumber'))}"
    if addresses is not None:
        raw = {**raw, "Addresses": addresses}
    # null is an explicit "no addresses"; a missing key was refused above, an object or text is a shape we don't know.
    if not isinstance(raw.get("Addresses"), list | None):
        raise shape_error(what, f"Addresses is {type(raw.get('Addresses')).__name__}, not a list")
    addresses = _addresses_in_priority(raw)
    email_fields: list[str] = []
    for addr in addresses:
        email_fields += [addr.get("EmailToAddress") or "", addr.get("EmailCcAddress") or "",
                         addr.get("EmailBccAddress") or ""]
    email, rejected, note = choose_email(email_fields)
    primary = addresses[0] if addresses else {}
    company = trim(raw.get("CustomerName"))
    first, last = split_contact(trim(primary.get("ContactPerson")), company)
    line2 = join_lines(primary.get("Line2"), primary.get("Line3"))
    return Customer(
        number=trim(raw.get("CustomerNumber")),
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
            country_code=trim(primary.get("CountryCode")),
        ),
        phone=clean_phone(primary.get("Phone1")) or clean_phone(primary.get("Phone2")),
        class_id=trim(raw.get("ClassId")),
        currency_id=trim(raw.get("CurrencyId")),
        is_active=bool(raw.get("IsActive", True)),
        is_on_hold=bool(raw.get("IsOnHold", False)),
        modified_date=_read(read_gp_date, raw, "ModifiedDate", what),
        rejected_emails=rejected,
    )


def document_from_sba(raw: Any) -> Document:
    raw = require(raw, DOCUMENT_KEYS, "a receivables document")
    what = f"receivables document {trim(raw.get('DocumentNumber'))}"
    original = raw.get("OriginalAmount")
    # {"Value", "Currency"} carries an ISO code; a plain amount leaves GP's currency id (mapping keeps ISO only).
    currency = trim(original.get("Currency")) if isinstance(original, Mapping) else trim(raw.get("CurrencyId"))
    return Document(
        number=trim(raw.get("DocumentNumber")),
        type=_read(document_type, raw, "DocumentType", what),
        customer_number=trim(raw.get("CustomerNumber")),
        date=_read(read_gp_date, raw, "DocumentDate", what),
        amount=_read(read_amount, raw, "OriginalAmount", what),
        balance=_read(read_amount, raw, "CurrentAmount", what),
        currency=currency,
        is_voided=bool(raw.get("IsVoided", False)),
        void_date=_read(read_gp_date, raw, "VoidDate", what),
        modified_date=_read(read_gp_date, raw, "ModifiedDate" if raw.get("ModifiedDate") else "LastEditDate", what),
    )


def company_label(raw: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """(database name, display name, company id) of one entry of ``Companies.json``."""
    ident = raw.get("Id")
    return trim(raw.get("DatabaseName")), trim(raw.get("Name")), ident if isinstance(ident, int) else None
