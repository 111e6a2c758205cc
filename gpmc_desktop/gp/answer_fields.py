"""The fields of GP's answers the sync reads, each with the kind of value it must hold.

One table per record serves both the readers (:mod:`gpmc_desktop.gp.sba_shapes`, :mod:`gpmc_desktop.gp.soap_shapes`)
and the whole-answer check (:mod:`gpmc_desktop.gp.data_check`), so what the check proves is exactly what the
readers rely on.  The SBA tables are here; the SOAP ones live with the SOAP shapes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from gpmc_desktop.gp.customer_fields import SBA_ADDRESS_NAMES, SBA_NAMES
from gpmc_desktop.gp.model import DocumentType
from gpmc_desktop.gp.normalize import GP_EMPTY_DATE, read_amount, read_gp_date, trim

# Keys a list may sit under when ``Payload`` (or ``Addresses``) is an object rather than the list itself (none
# is confirmed).
LIST_KEYS = ("Items", "Results", "Value", "value", "Values", "Data", "Companies", "Customers", "Receivables",
             "ReceivablesDocuments", "Documents", "Transactions", "CustomerAddresses", "Addresses", "CustomerAddress")
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
_FLAG_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def read_text(value: object) -> str | None:
    """GP's char columns: text, or a number a serializer wrote without quotes; an object is not text."""
    if type(value) is str:  # nearly every value: the quick way
        return value
    if value is None or (isinstance(value, str | int | float | Decimal) and not isinstance(value, bool)):
        return None if value is None else str(value)
    raise ValueError(f"not text but {type(value).__name__}")


def read_flag(value: object) -> bool | None:
    """A yes/no: true/false, 0/1 or their words (``"false"`` must never read as true); None when empty."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
        return _FLAG_WORDS[value.strip().lower()]
    raise ValueError(f"not true/false: {value!r}")


def address_list(value: object) -> list[Mapping[str, Any]]:
    """A customer's ``Addresses``: a list, null (none), an object holding the list under a known key, or one
    address object on its own.  Anything else (text, a number) is a shape nobody has described."""
    if value is None:
        return []
    if isinstance(value, list):
        if not all(isinstance(a, Mapping) for a in value):
            raise ValueError("a list holding something other than address objects")
        return value
    if isinstance(value, Mapping):
        for key in LIST_KEYS:
            if isinstance(value.get(key), list):
                return address_list(value[key])
        return [value]
    raise ValueError(f"neither a list nor an object but {type(value).__name__}")


def document_type(value: object) -> DocumentType:
    """RMDTYPAL from a number, a numeric string or a type name ("Invoice", "Credit Memo", "Sales / Invoice")."""
    if isinstance(value, bool):
        raise ValueError("not a receivables document type")
    if isinstance(value, int):
        number = value
    else:
        key = re.sub(r"[^a-z0-9]", "", trim(value).lower())
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


def read_day(value: object) -> dt.date | None:
    """A date as zeep gives ``xs:dateTime`` (a datetime), or any text date :func:`read_gp_date` knows."""
    if type(value) is str:
        return read_gp_date(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return None if value == GP_EMPTY_DATE else value
    return read_gp_date(value)


class Kind(Enum):
    """What a field must hold; ``value`` is (how it is read, what it is called in a message)."""

    TEXT = (read_text, "text")
    FLAG = (read_flag, "true/false")
    AMOUNT = (read_amount, "an amount")
    DATE = (read_day, "a date (ISO or /Date(ms)/)")
    DOCUMENT_TYPE = (document_type, "a receivables document type (a number or a name such as Invoice)")
    ADDRESSES = (address_list, "a list of addresses")

    @property
    def read(self) -> Callable[[Any], Any]:
        return self.value[0]  # type: ignore[no-any-return]

    @property
    def words(self) -> str:
        return str(self.value[1])


@dataclass(frozen=True)
class Field:
    name: str  # a key, or a dotted path into nested objects (SOAP's "Key.Id")
    kind: Kind
    needed: bool = True  # a missing key stops the sync; an optional one reads as empty
    # What the sync would do wrong if the field were empty in every record: then the check stops it.
    if_all_empty: str = ""


CUSTOMER = (
    Field("CustomerNumber", Kind.TEXT),
    Field("CustomerName", Kind.TEXT),
    Field("ClassId", Kind.TEXT),
    Field("IsActive", Kind.FLAG),
    Field("IsOnHold", Kind.FLAG),
    Field("Addresses", Kind.ADDRESSES),
    Field("PrimaryAddressId", Kind.TEXT, needed=False),
    Field("CurrencyId", Kind.TEXT, needed=False),
    Field("ModifiedDate", Kind.DATE, needed=False),
    # The fields a profile may map (gp/customer_fields.py): none is known to be in every server's answer.
    *(Field(name, Kind.TEXT, needed=False) for name in SBA_NAMES),
)
ADDRESS = (
    *(Field(name, Kind.TEXT) for name in ("AddressId", "ContactPerson", "Line1", "Line2", "City", "State",
                                          "PostalCode", "CountryCode", "Phone1", "EmailToAddress")),
    # Read when present (a second phone, a third line, more e-mail fields); a server without them loses nothing.
    *(Field(name, Kind.TEXT, needed=False) for name in ("Line3", "Phone2", "EmailCcAddress", "EmailBccAddress")),
    *(Field(name, Kind.TEXT, needed=False) for name in SBA_ADDRESS_NAMES),  # GP copies these onto each address
)
# An entry of Sales/CustomerAddresses, for servers whose customers come without their addresses.
ADDRESS_ENTRY = (Field("CustomerNumber", Kind.TEXT), *ADDRESS)
DOCUMENT = (
    Field("DocumentNumber", Kind.TEXT),
    Field("DocumentType", Kind.DOCUMENT_TYPE),
    Field("CustomerNumber", Kind.TEXT),
    Field("DocumentDate", Kind.DATE, if_all_empty="every order would go out undated"),
    Field("OriginalAmount", Kind.AMOUNT, if_all_empty="every order would go out without an amount"),
    Field("CurrentAmount", Kind.AMOUNT, if_all_empty="every invoice would be marked paid for want of a balance"),
    Field("IsVoided", Kind.FLAG),
    Field("CurrencyId", Kind.TEXT, needed=False),
    Field("VoidDate", Kind.DATE, needed=False),
    Field("ModifiedDate", Kind.DATE, needed=False),
    Field("LastEditDate", Kind.DATE, needed=False),
)


def needed(fields: tuple[Field, ...], *, without: str = "") -> tuple[str, ...]:
    """The names of the fields a record must hold (all but *without*)."""
    return tuple(f.name for f in fields if f.needed and f.name != without)


def readers(fields: tuple[Field, ...]) -> dict[str, Callable[[Any], Any]]:
    """How each field of a table is read, by name (looked up once per table, not once per value)."""
    return {f.name: f.kind.read for f in fields}
