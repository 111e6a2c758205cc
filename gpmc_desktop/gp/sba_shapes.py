"""Everything that knows the JSON shape of GP's Service Based Architecture answers.

No public capture of a real SBA customer or receivables answer exists (see docs and the reference contract), so
this is the one module to correct when a capture from a real GP server disagrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.gp.normalize import (
    choose_email,
    clean_phone,
    join_lines,
    money,
    parse_gp_date,
    split_contact,
    trim,
)


def unwrap(body: Any) -> Any:
    """SBA wraps answers in ``{"Payload": ...}``; accept a bare object or list too."""
    if isinstance(body, Mapping) and "Payload" in body:
        return body["Payload"]
    return body


def _addresses_in_priority(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    addresses = [a for a in raw.get("Addresses") or [] if isinstance(a, Mapping)]
    primary = trim(raw.get("PrimaryAddressId"))
    # Primary address first, the others after it in GP's order.
    return sorted(addresses, key=lambda a: trim(a.get("AddressId")) != primary)


def customer_from_sba(raw: Mapping[str, Any]) -> Customer:
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
        modified_date=parse_gp_date(raw.get("ModifiedDate")),
        rejected_emails=rejected,
    )


def document_from_sba(raw: Mapping[str, Any]) -> Document:
    try:
        doc_type = DocumentType(int(raw.get("DocumentType", -1)))
    except ValueError as exc:
        raise ValueError(f"unknown receivables document type {raw.get('DocumentType')!r}") from exc
    original = raw.get("OriginalAmount")
    currency = ""
    if isinstance(original, Mapping):
        currency = trim(original.get("Currency"))
    return Document(
        number=trim(raw.get("DocumentNumber")),
        type=doc_type,
        customer_number=trim(raw.get("CustomerNumber")),
        date=parse_gp_date(raw.get("DocumentDate")),
        amount=money(original),
        balance=money(raw.get("CurrentAmount")),
        currency=currency,
        is_voided=bool(raw.get("IsVoided", False)),
        void_date=parse_gp_date(raw.get("VoidDate")),
        modified_date=parse_gp_date(raw.get("ModifiedDate") or raw.get("LastEditDate")),
    )


def company_label(raw: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """(database name, display name, company id) of one entry of ``Companies.json``."""
    ident = raw.get("Id")
    return trim(raw.get("DatabaseName")), trim(raw.get("Name")), ident if isinstance(ident, int) else None
