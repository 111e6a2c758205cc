"""The GP records the sync works with, after normalisation.

Both GP sources (SBA REST and the legacy SOAP service) produce these, so the engine, the mapping to Mailchimp
and the audit never see a transport's field names or GP's padding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum


class DocumentType(IntEnum):
    """GP's RMDTYPAL: the receivables document types."""

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


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = ""

    @property
    def is_complete(self) -> bool:
        """Mailchimp's ADDRESS merge field needs all four of these, or it rejects (or drops) the address."""
        return all((self.line1, self.city, self.state, self.postal_code))


@dataclass(frozen=True, slots=True)
class Customer:
    number: str
    company_name: str
    first_name: str
    last_name: str
    email: str | None
    email_note: str  # why this e-mail was chosen, or why there is none: shown in the audit
    address: PostalAddress
    phone: str
    class_id: str
    currency_id: str
    is_active: bool
    is_on_hold: bool
    modified_date: dt.date | None
    rejected_emails: tuple[str, ...] = field(default=())
    # The other fields GP sent that a profile may map (gp/customer_fields.py), by key, the empty ones left out.
    fields: tuple[tuple[str, str], ...] = field(default=())

    def value_of(self, key: str) -> str:
        """The value of one of `fields` ("" when GP sent none)."""
        return next((value for name, value in self.fields if name == key), "")

    @property
    def display_name(self) -> str:
        """The name a person knows the customer by: the company, else the contact's name."""
        return self.company_name.strip() or f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class SalesLine:
    """One item line of the sales (SOP) invoice behind a receivables invoice."""

    sequence: int  # GP's line sequence number: the line's id in the order
    item_number: str  # "" for a line without an item
    description: str  # the item's description as GP holds it now (the line's own when the item is gone)
    item_class: str  # "" when the item has none, or is gone
    quantity: Decimal
    total: Decimal  # the extended price, after the line's markdown


@dataclass(frozen=True, slots=True)
class SalesLines:
    """The item lines of a sales invoice and the charges beside them, as GP totals them:
    ``total = sum(line totals) - discount + freight + misc + tax``."""

    lines: tuple[SalesLine, ...]
    discount: Decimal  # the trade discount
    freight: Decimal
    misc: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Document:
    number: str
    type: DocumentType
    customer_number: str
    date: dt.date | None
    amount: Decimal
    balance: Decimal
    currency: str
    is_voided: bool
    void_date: dt.date | None
    modified_date: dt.date | None
    # The sales invoice's lines behind this invoice, when the profile reads them and GP has them (a posted SOP
    # invoice becomes a receivables invoice of the same number); None: the order carries the placeholder line.
    sales: SalesLines | None = None

    @property
    def is_invoice(self) -> bool:
        return self.type is DocumentType.INVOICE

    @property
    def is_paid(self) -> bool:
        """GP's CURTRXAM is the remaining balance: zero means fully applied."""
        return self.balance == 0
