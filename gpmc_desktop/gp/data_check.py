"""The "GP data" check: a whole GP answer against the fields the sync reads, before any record is turned into the
sync's model and long before anything goes to Mailchimp.

Per-record reading stops at the first record it cannot read; this check looks at every record of the answer
first, so its message is the complete one: which resource, which field, in how many records, the keys GP sent
and the keys the sync needs.  It also stops the answers that every record could read but that would quietly
do the wrong thing to all of them: no customer with an e-mail, no document with a balance or a date.
``gpmc check``, the setup wizard and every run use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gpmc_desktop.gp import answer_fields
from gpmc_desktop.gp.answer_fields import Field, address_list, needed
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.gp.normalize import trim

HINT = ("Nothing was sent to Mailchimp. Send a GP sample to support (gpmc capture --config FILE --out sample.zip, "
        "or \"Save a GP sample for support…\" in the tray menu) so gpmc can be taught this shape.")
_EXAMPLES = 3
_WCF = re.compile(r"^/Date\(-?\d+([+-]\d{4})?\)/$")


def data_error(message: str) -> GPError:
    return GPError(Stage.DATA, message, HINT)


@dataclass(frozen=True)
class Checked:
    """One resource that passed: how many records were read and how many of their fields were checked."""

    what: str
    read: int
    fields: int
    dates: str = ""  # the date format the answer uses, when it has dates

    def words(self) -> str:
        return f"{self.what}: {self.read} read, {self.fields} fields checked"


def summary(checked: Iterable[Checked]) -> str:
    """E.g. ``customers: 40 read, 11 fields checked; receivables documents: 120 read, 8 fields checked; dates
    WCF /Date()/``."""
    done = list(checked)
    dates = sorted({c.dates for c in done if c.dates})
    return "; ".join([*(c.words() for c in done), *([f"dates {' and '.join(dates)}"] if dates else [])])


def _lookup(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """(present, value) of a key or a dotted path."""
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _is_empty(value: Any) -> bool:
    # {"Value": null, "Currency": …} is an amount object without its amount
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, Mapping) and "Value" in value and _is_empty(value["Value"]))


def _examples(labels: list[str], total: int) -> str:
    shown = ", ".join(labels[:_EXAMPLES])
    more = len(labels) - _EXAMPLES
    return f"{len(labels)} of {total}: {shown}{f' and {more} more' if more > 0 else ''}"


def _date_format(text: str) -> str:
    match = _WCF.match(text)
    if match:
        return "WCF /Date(ms±hhmm)/" if match.group(1) else "WCF /Date()/"
    if "T" in text and re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        return "ISO with an offset"
    return "ISO"


def check_records(records: list[Any], fields: tuple[Field, ...], what: str, label: str, *,
                  without: str = "") -> Checked:
    """Every record of one answer against *fields* (all but *without*): a :class:`GPError` (``Stage.DATA``) naming
    the first field that is missing, unreadable, or empty in every record where that matters; else what was
    checked.  *label* is the key that names a record in a message (``CustomerNumber``)."""
    fields = tuple(f for f in fields if f.name != without)
    if not records:
        return Checked(what, 0, 0)
    odd = [r for r in records if not isinstance(r, Mapping)]
    if odd:
        raise data_error(f"GP's {what} are not all objects: {len(odd)} of {len(records)} are "
                         f"{type(odd[0]).__name__}.")
    names = [trim(_lookup(r, label)[1]) or f"#{i + 1}" for i, r in enumerate(records)]
    held = ", ".join(sorted({k for r in records for k in r})) or "no keys"
    need = needed(fields)
    missing = [n for n in need if any(not _lookup(r, n)[0] for r in records)]
    if missing:
        lacking = [names[i] for i, r in enumerate(records) if any(not _lookup(r, n)[0] for n in missing)]
        some = "" if len(lacking) == len(records) else f" ({_examples(lacking, len(records))})"
        raise data_error(f"GP's {what} lack {', '.join(missing)}{some} (they hold {held}; the sync needs "
                         f"{', '.join(need)}).")
    checked, dates = 0, ""
    for field in fields:
        present = [(i, value) for i, r in enumerate(records) for found, value in [_lookup(r, field.name)] if found
                   and (field.needed or value is not None)]  # an optional field may be null: the readers skip it
        if not present:
            continue
        checked += 1
        if field.if_all_empty and all(_is_empty(v) for _, v in present):
            raise data_error(f"GP's {what} hold {field.name}, but it is empty in all {len(present)} of them: "
                             f"{field.if_all_empty}.")
        bad: list[tuple[int, Any, str]] = []
        for i, value in present:
            try:
                field.kind.read(value)
            except ValueError as exc:
                bad.append((i, value, str(exc)))
        if bad:
            _, first, _ = bad[0]
            shown = "empty" if _is_empty(first) else f"{first!r}"
            raise data_error(f"GP's {what} hold {field.name} in a form gpmc cannot read ({shown} in "
                             f"{_examples([names[i] for i, _, _ in bad], len(records))}); the sync needs "
                             f"{field.kind.words}.")
        if field.kind is answer_fields.Kind.DATE and not dates:
            dates = next((_date_format(v.strip()) for _, v in present if isinstance(v, str) and v.strip()), "")
    return Checked(what, len(records), checked, dates)


# -- SBA ------------------------------------------------------------------------------------------------------
def check_sba_customers(raws: list[Any], joined: Mapping[str, list[Any]] | None) -> list[Checked]:
    """Customers (and their addresses, embedded or from Sales/CustomerAddresses: *joined*, by customer)."""
    separate = joined is not None
    customers = check_records(raws, answer_fields.CUSTOMER, "customers", "CustomerNumber",
                              without="Addresses" if separate else "")
    if separate:
        entries = [entry for rows in joined.values() for entry in rows]
        addresses = check_sba_address_entries(entries)
    else:
        embedded = [a for raw in raws for a in address_list(raw.get("Addresses"))]
        addresses = check_records(embedded, answer_fields.ADDRESS, "customer addresses", "AddressId")
    return [customers, addresses]


def check_sba_address_entries(rows: list[Any]) -> Checked:
    """The entries of Sales/CustomerAddresses."""
    return check_records(rows, answer_fields.ADDRESS_ENTRY, "customer addresses (Sales/CustomerAddresses)",
                         "CustomerNumber")


def check_sba_documents(raws: list[Any]) -> Checked:
    return check_records(raws, answer_fields.DOCUMENT, "receivables documents", "DocumentNumber")


# -- read records, either API -----------------------------------------------------------------------------------
def check_emails(customers: list[Customer]) -> None:
    """Customers every one of which has no e-mail would all be skipped for "no e-mail": GP's e-mails are where
    gpmc does not look (or the answer leaves them out), which must stop the sync rather than empty it."""
    if customers and not any(c.email for c in customers):
        raise data_error(f"None of the {len(customers)} customers GP returned has an e-mail address, so every one "
                         "would be skipped for \"no e-mail\". If GP does hold e-mail addresses for them, its "
                         "answers keep them where gpmc does not look.")
