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
from dataclasses import field as dataclass_field
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


def _examples(labels: list[str], total: int, count: int) -> str:
    """*count* of *total* records, the first few named (*labels*)."""
    shown = ", ".join(labels[:_EXAMPLES])
    more = count - _EXAMPLES
    return f"{count} of {total}: {shown}{f' and {more} more' if more > 0 else ''}"


def _date_format(text: str) -> str:
    match = _WCF.match(text)
    if match:
        return "WCF /Date(ms±hhmm)/" if match.group(1) else "WCF /Date()/"
    if "T" in text and re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        return "ISO with an offset"
    return "ISO"


@dataclass
class _FieldTally:
    """What one field held across the records seen so far."""

    present: int = 0  # records holding it (an optional field holding null does not count)
    all_empty: bool = True
    bad: int = 0
    bad_names: list[str] = dataclass_field(default_factory=list)  # the first few records it was unreadable in
    first_bad: Any = None
    first_text: str = ""  # its first non-empty text value (a date's format)


class AnswerCheck:
    """The check of one answer fed record by record (:meth:`add`), so a collection read from the socket is
    checked without being held; :meth:`finish` decides as :func:`check_records` does on the whole list."""

    def __init__(self, fields: tuple[Field, ...], what: str, label: str) -> None:
        self.fields, self.what, self.label = fields, what, label
        self.count = 0
        self._odd = 0
        self._odd_type = ""
        self._held: set[str] = set()
        # By the needed fields a record lacks: how many records lack exactly those, and the first few by index.
        self._lacking: dict[frozenset[str], tuple[int, list[tuple[int, str]]]] = {}
        self._tally = {f.name: _FieldTally() for f in fields}
        self._needed = needed(fields)
        self._plain_needed = tuple(n for n in self._needed if "." not in n)
        self._dotted_needed = any("." in n for n in self._needed)
        # (name, whether it is a dotted path, needed, how it is read, its tally): looked up once, not per value.
        self._specs = tuple((f.name, "." in f.name, f.needed, f.kind.read, self._tally[f.name]) for f in fields)

    def add(self, record: Any) -> dict[str, Any] | None:
        """Count *record* in; its fields as read (those it holds), or None when one could not be read (or it is
        no object), so a reader need not read them again."""
        index = self.count
        self.count += 1
        if type(record) is not dict and not isinstance(record, Mapping):
            self._odd += 1
            self._odd_type = self._odd_type or type(record).__name__
            return None
        self._held.update(record)
        values: dict[str, Any] | None = {}
        name: str | None = None
        if not all(n in record for n in self._plain_needed) or self._dotted_needed:
            lacks = frozenset(n for n in self._needed if not _lookup(record, n)[0])
            if lacks:
                name = self._name(record, index)
                count, first = self._lacking.get(lacks, (0, []))
                if len(first) < _EXAMPLES:
                    first.append((index, name))
                self._lacking[lacks] = (count + 1, first)
        for key, dotted, needed_, read, tally in self._specs:
            if dotted:
                found, value = _lookup(record, key)
                if not found:
                    continue
            elif key in record:
                value = record[key]
            else:
                continue
            if value is None and not needed_:
                continue
            tally.present += 1
            if tally.all_empty and not _is_empty(value):
                tally.all_empty = False
            if not tally.first_text and type(value) is str and value.strip():
                tally.first_text = value.strip()
            try:
                if values is not None:
                    values[key] = read(value)
                else:
                    read(value)
            except ValueError:
                values = None
                if not tally.bad:
                    tally.first_bad = value
                tally.bad += 1
                if len(tally.bad_names) < _EXAMPLES:
                    tally.bad_names.append(name or self._name(record, index))
        return values

    def _name(self, record: Mapping[str, Any], index: int) -> str:
        return trim(_lookup(record, self.label)[1]) or f"#{index + 1}"

    def finish(self, *, without: str = "") -> Checked:
        """A :class:`GPError` (``Stage.DATA``) naming the first field, in the table's order, that is missing,
        unreadable, or empty in every record where that matters; else what was checked.  *without*: a field
        left out of the check (``Addresses`` when they come from their own resource)."""
        what, total = self.what, self.count
        fields = tuple(f for f in self.fields if f.name != without)
        if not total:
            return Checked(what, 0, 0)
        if self._odd:
            raise data_error(f"GP's {what} are not all objects: {self._odd} of {total} are {self._odd_type}.")
        need = needed(fields)
        missing = [n for n in need if any(n in lacks for lacks in self._lacking)]
        if missing:
            groups = [(count, first) for lacks, (count, first) in self._lacking.items() if lacks & set(need)]
            lacking = sum(count for count, _ in groups)
            first = [name for _, name in sorted(item for _, items in groups for item in items)]
            held = ", ".join(sorted(self._held)) or "no keys"
            some = "" if lacking == total else f" ({_examples(first, total, lacking)})"
            raise data_error(f"GP's {what} lack {', '.join(missing)}{some} (they hold {held}; the sync needs "
                             f"{', '.join(need)}).")
        checked, dates = 0, ""
        for field in fields:
            tally = self._tally[field.name]
            if not tally.present:
                continue
            checked += 1
            if field.if_all_empty and tally.all_empty:
                raise data_error(f"GP's {what} hold {field.name}, but it is empty in all {tally.present} of them: "
                                 f"{field.if_all_empty}.")
            if tally.bad:
                shown = "empty" if _is_empty(tally.first_bad) else f"{tally.first_bad!r}"
                raise data_error(f"GP's {what} hold {field.name} in a form gpmc cannot read ({shown} in "
                                 f"{_examples(tally.bad_names, total, tally.bad)}); the sync needs "
                                 f"{field.kind.words}.")
            if field.kind is answer_fields.Kind.DATE and not dates and tally.first_text:
                dates = _date_format(tally.first_text)
        return Checked(what, total, checked, dates)


def check_records(records: list[Any], fields: tuple[Field, ...], what: str, label: str, *,
                  without: str = "") -> Checked:
    """Every record of one answer against *fields* (all but *without*): a :class:`GPError` (``Stage.DATA``) naming
    the first field that is missing, unreadable, or empty in every record where that matters; else what was
    checked.  *label* is the key that names a record in a message (``CustomerNumber``)."""
    check = AnswerCheck(fields, what, label)
    for record in records:
        check.add(record)
    return check.finish(without=without)


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
    check_email_counts(len(customers), int(any(c.email for c in customers)))


def check_email_counts(customers: int, with_email: int) -> None:
    """:func:`check_emails` from counts, for a reader that does not hold the customers."""
    if customers and not with_email:
        raise data_error(f"None of the {customers} customers GP returned has an e-mail address, so every one "
                         "would be skipped for \"no e-mail\". If GP does hold e-mail addresses for them, its "
                         "answers keep them where gpmc does not look.")
