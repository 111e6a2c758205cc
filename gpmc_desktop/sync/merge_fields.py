"""Which of a member's merge values the audience can take, read from its merge-field definitions.

Mailchimp refuses the whole member write ("Your merge fields were invalid.") when one value does not fit its
field, so a customer with a London phone number on a US-format audience would never sync.  Here each value is
checked against its field's type and options, reshaped where the meaning is unambiguous (a US number into
NPA-NXX-LINE), and otherwise left out with a reason in plain words; the member itself always goes.

Pure: the audience's definitions (one GET per run) and the values in, the values to send and what was left out.

What Mailchimp does, from the project's reference (mailchimp-api.md §2.5, §2.9):
- a phone field with ``options.phone_format`` "US" takes only ``NPA-NXX-LINE``; any other format is free text;
- text is cut at 255 bytes.  A cut value is not what GP holds, so it is left out instead.  ``options.size`` is
  not a limit: it is "the default length of the text field" on the signup form (a new audience's FNAME has size
  25, and longer names are kept);
- an ADDRESS needs addr1, city, state and zip: an incomplete one is refused or silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

TEXT_LIMIT_BYTES = 255
ADDRESS_PARTS = (("addr1", "street"), ("city", "city"), ("state", "state"), ("zip", "zip"))
# Countries of the North American Numbering Plan: their numbers are "US numbers" to Mailchimp's US format.
NANP_COUNTRIES = frozenset({
    "US", "USA", "CA", "CAN", "PR", "VI", "GU", "AS", "MP", "UM", "AG", "AI", "BB", "BM", "BS", "DM", "DO", "GD",
    "JM", "KN", "KY", "LC", "MS", "SX", "TC", "TT", "VC", "VG",
})

_EXTENSION = re.compile(r"^(?P<number>.*?)\s*(?:x|ext\.?|extension|#)\s*(?P<ext>\d+)\s*$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_DATE_FORMATS = (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{2}/\d{2}", r"\d{2}-\d{2}-\d{4}", r"\d{2}/\d{2}/\d{4}")


class Misfit(StrEnum):
    """Why a value (or part of one) was not sent as GP holds it; the words the summaries count under."""

    NOT_US_PHONE = "not a US phone number"
    EXTENSION = "phone extension dropped"  # the number itself is sent
    TOO_LONG = "longer than 255 bytes"
    INCOMPLETE_ADDRESS = "incomplete address"
    NO_FIELD = "no such field in the audience"
    WRONG_TYPE = "does not fit the field's type"

    @property
    def drops_value(self) -> bool:
        return self is not Misfit.EXTENSION


class FieldMisfit(NamedTuple):
    """What a run's report counts: a tag and why its value did not go as GP holds it."""

    tag: str
    misfit: Misfit


@dataclass(frozen=True)
class LeftOut:
    tag: str
    misfit: Misfit
    reason: str  # the audit's words, naming the value

    @property
    def key(self) -> FieldMisfit:
        return FieldMisfit(self.tag, self.misfit)


@dataclass(frozen=True)
class FieldDef:
    """One merge field of the audience, as far as fitting values is concerned."""

    tag: str
    type: str
    phone_format: str = ""
    choices: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> FieldDef:
        options = raw.get("options") or {}
        return cls(
            tag=str(raw.get("tag", "")).upper(),
            type=str(raw.get("type", "text")),
            phone_format=str(options.get("phone_format") or ""),
            choices=tuple(str(c) for c in options.get("choices") or ()),
        )

    @property
    def takes_us_phones_only(self) -> bool:
        return self.type == "phone" and self.phone_format.upper() == "US"


@dataclass(frozen=True)
class AudienceFields:
    by_tag: Mapping[str, FieldDef]

    @classmethod
    def from_api(cls, raws: Iterable[Mapping[str, Any]]) -> AudienceFields:
        defs = (FieldDef.from_api(raw) for raw in raws)
        return cls({d.tag: d for d in defs if d.tag})

    def with_missing(self, raws: Iterable[Mapping[str, Any]]) -> AudienceFields:
        """These fields as the audience will hold them once the missing ones among *raws* are created: what a
        dry run fits values to, before the real run creates them."""
        added = {d.tag: d for d in (FieldDef.from_api(raw) for raw in raws) if d.tag not in self.by_tag}
        return AudienceFields({**self.by_tag, **added})


@dataclass(frozen=True)
class Fitted:
    values: dict[str, Any]  # the merge fields to send
    left_out: tuple[LeftOut, ...] = ()  # including a value sent changed (a phone without its extension)


def fit(fields: AudienceFields, values: Mapping[str, Any], *, country: str = "") -> Fitted:
    """The *values* the audience's *fields* take, and what was left out (or changed) and why.

    *country* is the member's address country, when known: a number in a US shape from a customer in Germany is
    not a US number.  A string value left out is sent as "" so that Mailchimp does not keep an older value GP no
    longer holds; an ADDRESS left out is not sent at all (a partial address is never sent)."""
    kept: dict[str, Any] = {}
    left_out: list[LeftOut] = []
    for tag, value in values.items():
        field = fields.by_tag.get(tag.upper())
        if field is None:  # not sent: what Mailchimp does with an unknown tag is not known
            if not _blank_value(value):
                left_out.append(LeftOut(tag, Misfit.NO_FIELD, f"{tag} left out: the audience has no {tag} field"))
            continue
        if isinstance(value, Mapping):
            sent, notes = _fit_address(field, value)
        elif _blank(value):
            sent, notes = ("" if field.type != "address" else None), []
        else:
            sent, notes = _fit_text(field, str(value), country)
        if sent is not None:
            kept[tag] = sent
        left_out.extend(notes)
    return Fitted(kept, tuple(left_out))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_value(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    return _blank(value)


def _fit_address(field: FieldDef, value: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[LeftOut]]:
    tag = field.tag
    if field.type != "address":
        return None, [LeftOut(tag, Misfit.WRONG_TYPE,
                              f"{tag} left out: an address, and the audience's {tag} field is a {field.type} field")]
    missing = [name for part, name in ADDRESS_PARTS if _blank(value.get(part))]
    if missing:
        return None, [LeftOut(tag, Misfit.INCOMPLETE_ADDRESS,
                              f"{tag} left out: it has no {_words(missing)}, and Mailchimp takes an address only "
                              "with street, city, state and zip")]
    too_long = [part for part, text in value.items() if _too_long(str(text))]
    if too_long:
        return None, [LeftOut(tag, Misfit.TOO_LONG,
                              f"{tag} left out: its {_words(too_long)} is longer than the {TEXT_LIMIT_BYTES} bytes "
                              "Mailchimp keeps")]
    return dict(value), []


def _fit_text(field: FieldDef, text: str, country: str) -> tuple[str, list[LeftOut]]:
    """A string value for *field*: the text to send ("" when it is left out) and the notes."""
    tag = field.tag
    if field.takes_us_phones_only:
        return _fit_us_phone(tag, text, country)
    problem = _type_problem(field, text)
    if problem:
        return "", [LeftOut(tag, Misfit.WRONG_TYPE, f"{tag} left out: {problem}")]
    if _too_long(text):
        size = len(text.encode("utf-8"))
        return "", [LeftOut(tag, Misfit.TOO_LONG, f"{tag} left out: {size} bytes, longer than the "
                                                  f"{TEXT_LIMIT_BYTES} bytes Mailchimp keeps in a field")]
    return text, []


def _fit_us_phone(tag: str, text: str, country: str) -> tuple[str, list[LeftOut]]:
    rule = "and the audience's phone field takes US numbers only"
    number, extension = _split_extension(text.strip())
    if not _PHONE_CHARS.match(number):
        return "", [LeftOut(tag, Misfit.NOT_US_PHONE, f"{tag} left out: {text} is not a phone number, {rule}")]
    digits = re.sub(r"\D", "", number)
    dialled = number.startswith("+")  # an explicit country code outweighs the address
    code = country.strip().upper()
    if not dialled and code and code not in NANP_COUNTRIES:
        return "", [LeftOut(tag, Misfit.NOT_US_PHONE,
                            f"{tag} left out: {text} is not a US number (the customer's address is in {code}), "
                            f"{rule}")]
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    elif dialled:
        digits = ""  # +44…: another country
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        # NANP: ten digits, and neither the area code nor the exchange starts with 0 or 1.
        return "", [LeftOut(tag, Misfit.NOT_US_PHONE, f"{tag} left out: {text} is not a US number, {rule}")]
    formatted = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if extension:
        return formatted, [LeftOut(tag, Misfit.EXTENSION,
                                   f"{tag} sent as {formatted} without its extension {extension}: the audience's "
                                   "US phone format has no room for one")]
    return formatted, []


def _split_extension(text: str) -> tuple[str, str]:
    match = _EXTENSION.match(text)
    if match and match.group("number"):
        return match.group("number"), f"x{match.group('ext')}"
    return text, ""


def _type_problem(field: FieldDef, text: str) -> str:
    """Why *text* cannot go into a field of another type than text or phone (the audience's owner may have
    changed a field's type), or ""."""
    kind, tag = field.type, field.tag
    if kind in ("text", "phone"):
        return ""
    if kind == "number":
        try:
            float(text)
        except ValueError:
            return f"{text} is not a number, and the audience's {tag} field holds numbers"
        return ""
    if kind in ("dropdown", "radio"):
        return "" if text in field.choices else f"{text} is not one of the choices of the audience's {tag} field"
    if kind == "zip" and not re.fullmatch(r"\d{5}", text):
        return f"{text} is not a 5-digit ZIP code, and the audience's {tag} field holds those"
    if kind == "date" and not any(re.fullmatch(p, text) for p in _DATE_FORMATS):
        return f"{text} is not a date, and the audience's {tag} field holds dates"
    if kind == "birthday" and not re.fullmatch(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])", text):
        return f"{text} is not a birthday (MM/DD), and the audience's {tag} field holds those"
    if kind in ("url", "imageurl") and not re.fullmatch(r"https?://\S+", text):
        return f"{text} is not a web address, and the audience's {tag} field holds those"
    if kind == "address":
        return f"{text} is not an address, and the audience's {tag} field holds addresses"
    return ""


def _too_long(text: str) -> bool:
    return len(text.encode("utf-8")) > TEXT_LIMIT_BYTES


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# -------------------------------------------------------------------------------------------- in plain words
_PLURALS = {"PHONE": ("phone number", "phone numbers"), "ADDRESS": ("address", "addresses")}


def summary_line(key: FieldMisfit, count: int, *, done: bool) -> str:
    """One line of a run's summary (*done*) or of the wizard's preview: how many values of a tag were (or will
    be) left out or changed, and why."""
    tag, misfit = key
    one, many = _PLURALS.get(tag, (f"{tag} value", f"{tag} values"))
    noun = one if count == 1 else many
    do, be = ("does", "is") if count == 1 else ("do", "are")
    if done:
        do, be = ("did", "was") if count == 1 else ("did", "were")
    left_out = f"{be} left out" if done else "will be left out"
    if misfit is Misfit.NOT_US_PHONE:
        return f"{count:,} {noun} {do} not fit the audience's US phone format and {left_out}"
    if misfit is Misfit.EXTENSION:
        their = "its" if count == 1 else "their"
        return (f"{count:,} {noun} {'went' if done else 'will go'} without {their} extension: the audience's US "
                "phone format has no room for one")
    if misfit is Misfit.INCOMPLETE_ADDRESS:
        return f"{count:,} {noun} {be} incomplete (Mailchimp needs street, city, state and zip) and {left_out}"
    if misfit is Misfit.TOO_LONG:
        return f"{count:,} {noun} {be} longer than the {TEXT_LIMIT_BYTES} bytes Mailchimp keeps and {left_out}"
    if misfit is Misfit.NO_FIELD:
        return f"{count:,} {noun} {left_out}: the audience has no {tag} field"
    return f"{count:,} {noun} {do} not fit the audience's {tag} field and {left_out}"
