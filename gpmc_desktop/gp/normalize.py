"""Turn GP's raw, padded, dirty values into clean ones.

The e-mail choice mirrors Microsoft's own GP migration logic: the primary address first, then To, Cc and Bcc,
split on ``;``, strip ``mailto:``, lower-case, validate, first valid wins.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

GP_EMPTY_DATE = dt.date(1900, 1, 1)

# Deliberately conservative: Mailchimp rejects far more than RFC 5322 allows, and a skipped record with a
# clear reason is better than a 400 from Mailchimp on every run.
_EMAIL_RE = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_SPLIT_RE = re.compile(r"[;,\s]+")


def trim(value: object) -> str:
    """GP pads char columns with spaces to their width; every consumer must trim."""
    if value is None:
        return ""
    return str(value).strip()


def is_valid_email(address: str) -> bool:
    return len(address) <= 254 and _EMAIL_RE.match(address) is not None


def email_candidates(field_value: str) -> list[str]:
    """Split one GP e-mail field (``a@x.com;mailto:b@y.com``) into lower-cased candidates."""
    out = []
    for raw in _SPLIT_RE.split(field_value or ""):
        item = raw.strip().strip("<>\"'")
        if item.lower().startswith("mailto:"):
            item = item[len("mailto:"):]
        item = item.strip().lower()
        if item:
            out.append(item)
    return out


def pick_email(fields_in_order: Iterable[str]) -> tuple[str | None, tuple[str, ...]]:
    """First valid address across the fields in priority order, and every invalid one seen before it."""
    rejected: list[str] = []
    for field_value in fields_in_order:
        for candidate in email_candidates(field_value):
            if is_valid_email(candidate):
                return candidate, tuple(rejected)
            rejected.append(candidate)
    return None, tuple(rejected)


def choose_email(fields_in_order: Iterable[str]) -> tuple[str | None, tuple[str, ...], str]:
    """:func:`pick_email` plus the note the audit shows: why this address, or why there is none."""
    email, rejected = pick_email(fields_in_order)
    if email:
        note = "" if not rejected else f"skipped invalid: {', '.join(rejected)}"
    elif rejected:
        note = f"no valid e-mail (invalid: {', '.join(rejected)})"
    else:
        note = "no e-mail in GP"
    return email, rejected, note


def join_lines(*parts: object) -> str:
    """GP's Line2 and Line3 become one trimmed line (Mailchimp addresses have two lines)."""
    return " ".join(t for t in (trim(p) for p in parts) if t)


def clean_phone(value: object) -> str:
    """GP keeps phones as digit strings: 3+3+4 digits plus a 4-digit extension.

    All zeros means "no phone"; ``E+`` means someone round-tripped the column through Excel and the digits are
    gone.  Both become empty, as in Microsoft's migration.
    """
    text = trim(value)
    if not text or "E+" in text.upper():
        return ""
    digits = re.sub(r"\D", "", text)
    if not digits or set(digits) == {"0"}:
        return ""
    if len(digits) in (10, 14) and digits == text:
        number = f"{digits[0:3]}-{digits[3:6]}-{digits[6:10]}"
        extension = digits[10:].lstrip("0")
        return f"{number} x{extension}" if extension else number
    return text


def split_contact(contact_person: str, company_name: str) -> tuple[str, str]:
    """First and last name from GP's single ContactPerson field; the company name when there is no contact."""
    contact = " ".join(contact_person.split())
    if not contact:
        return company_name, ""
    first, _, last = contact.partition(" ")
    return first, last


_WCF_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$")


def read_gp_date(value: object) -> dt.date | None:
    """GP's business date from any date shape SBA may send, or None for empty / GP's empty date 1900-01-01.

    ``/Date(ms)/`` (WCF, UTC) and ``/Date(ms+hhmm)/`` (WCF: ms are UTC, the offset is the server's; GP's day is
    the local day at that offset), ISO with or without an offset (the day as written: it is already local).
    Raises ValueError on anything else, so an unknown shape stops the run instead of dropping the date.
    """
    return _day(trim(value))


@functools.lru_cache(maxsize=8192)
def _day(text: str) -> dt.date | None:
    """:func:`read_gp_date` of trimmed text: 400,000 documents hold a few thousand distinct dates, each parsed
    once (and the same date object shared by all of them)."""
    if not text:
        return None
    wcf = _WCF_DATE.match(text)
    if wcf:
        millis, sign, hours, minutes = wcf.groups()
        offset = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0)) * (-1 if sign == "-" else 1)
        day = (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(millis)) + offset).date()
    else:
        try:
            day = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text \
                else dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not a date: {text!r}") from exc
    return None if day == GP_EMPTY_DATE else day


def parse_gp_date(value: object) -> dt.date | None:
    """:func:`read_gp_date`, with an unreadable date as None (for sources whose dates are known to be ISO)."""
    try:
        return read_gp_date(value)
    except ValueError:
        return None


def read_amount(value: object) -> Decimal:
    """An amount sent as a number, a numeric string or ``{"Value": n, ...}``, to 2 decimals.

    Raises ValueError on anything else (None included): a missing balance must never read as "paid".
    """
    if isinstance(value, dict):
        value = value.get("Value")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"not an amount: {value!r}")
    amount = _cents(str(value).strip())
    if amount is None:
        raise ValueError(f"not an amount: {value!r}")
    return amount


@functools.lru_cache(maxsize=8192)
def _cents(text: str) -> Decimal | None:
    """*text* as an amount to 2 decimals, None when it is none; amounts repeat, so each text is read once."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def read_number(value: object) -> Decimal:
    """A quantity or a sequence number with all the decimals GP sent (2.5 hours, 0.33333 of a box), from a number,
    a numeric string or ``{"Value": n}``; ValueError on anything else."""
    if isinstance(value, dict):
        value = value.get("Value")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def money(value: object) -> Decimal:
    """:func:`read_amount`, with a missing or unreadable amount as 0.00 (for sources whose amounts are known to be
    numbers: SOAP's decimals).  GP keeps numeric(19,5); Mailchimp wants 2 decimals (float noise like 93.98999 is
    a known bug)."""
    try:
        return read_amount(value)
    except ValueError:
        return Decimal("0.00")
