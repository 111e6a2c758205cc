"""Audience rules: e-mail checks, merge-field validation and status transitions (reference §4.3 items 18-23).

Kept apart from the routes because three writers share them: the member endpoints, batch subscribe and the
e-commerce customer side effect.
"""

from __future__ import annotations

import re
from typing import Any

from .config import SimConfig
from .errors import (
    DETAIL_MERGE_INVALID,
    DETAIL_VALIDATION,
    MSG_ANYOF,
    ApiError,
    detail_compliance,
    detail_fake,
    detail_forgotten,
    invalid_resource,
)
from .state import (
    COMPLIANCE_STATUSES,
    AccountState,
    AudienceList,
    Member,
    SimClock,
    normalise_email,
    subscriber_hash,
)

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
_ADDRESS_REQUIRED_PARTS = ("addr1", "city", "state", "zip")
_DATE_FORMATS = (
    re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    re.compile(r"^\d{4}/\d{2}/\d{2}$"),
    re.compile(r"^\d{2}-\d{2}-\d{4}$"),
    re.compile(r"^\d{2}/\d{2}/\d{4}$"),
)
TEXT_LIMIT_BYTES = 255
# A phone field set to US format takes only NPA-NXX-LINE; any other phone field takes any text (the API docs, as
# quoted in EvanHerman/yikes-inc-easy-mailchimp-extender#431: "If not, we assume an International number").
_US_PHONE = re.compile(r"\d{3}-\d{3}-\d{4}")
# The form-builder width of a text field ("the default length of the text field"), not a limit: a new audience's
# FNAME reports 25 and keeps longer names.
DEFAULT_TEXT_SIZE = 25

# The fields a new audience starts with (reference §2.5, DOCS merge-fields.mdx).
DEFAULT_MERGE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("FNAME", "First Name", "text"),
    ("LNAME", "Last Name", "text"),
    ("ADDRESS", "Address", "address"),
    ("PHONE", "Phone Number", "phone"),
)


def is_valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email.strip())) and ".." not in email


def looks_fake(email: str, config: SimConfig) -> bool:
    domain = normalise_email(email).rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in config.fake_email_domains)


def check_new_address(audience: AudienceList, email: str, config: SimConfig) -> None:
    """The checks a not-yet-listed e-mail must pass: syntax, the forgotten set, the fake-domain list."""
    if not is_valid_email(email):
        message = "Please provide a valid email address."
        raise invalid_resource([{"field": "email_address", "message": message}], detail=message)
    if subscriber_hash(email) in audience.forgotten:
        raise ApiError(400, "Forgotten Email Not Subscribed", detail_forgotten(email))
    if looks_fake(email, config):
        raise ApiError(400, "Invalid Resource", detail_fake(email))


def change_status(member: Member, new_status: str, state: AccountState, clock: SimClock) -> None:
    """Apply an explicit ``status``, refusing to re-subscribe a contact in a compliance state."""
    previous = member.status_before_archive if member.status == "archived" else member.status
    if new_status == "subscribed" and (previous in COMPLIANCE_STATUSES or member.compliance_hold):
        raise ApiError(400, "Member In Compliance State", detail_compliance(member.email_address))
    if new_status == member.status:
        return
    if new_status == "pending":
        # Double opt-in: Mailchimp e-mails the contact; tests check the sync never triggers this by accident.
        state.member_events.append(
            {"event": "confirmation_email", "list_id": member.list_id, "email": member.email_address,
             "at": clock.iso()}
        )
    if new_status == "subscribed":
        member.timestamp_opt = clock.iso()
    note_status_change(state, member, new_status, clock)
    member.status = new_status
    member.status_before_archive = None
    member.last_changed = clock.iso()


def note_status_change(state: AccountState, member: Member, new_status: str, clock: SimClock) -> None:
    """Every change of an existing contact's status through the API, for the consent checks (never cleared)."""
    if not member.status:  # a new contact's first status is not a change
        return
    state.status_changes.append({"list_id": member.list_id, "email": member.email_address,
                                 "from": member.status, "to": new_status, "at": clock.iso()})


def _truncate(text: str) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= TEXT_LIMIT_BYTES:
        return text
    return raw[:TEXT_LIMIT_BYTES].decode("utf-8", errors="ignore")  # never split a character


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return not any(str(v).strip() for v in value.values())
    return value is None or (isinstance(value, str) and not value.strip())


def _format_error(kind: str, value: str, definition: dict[str, Any]) -> str | None:
    """The message for a string value in the wrong format for its merge-field type, or None when fine."""
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return "Please enter a number"
    elif kind == "zip" and not re.fullmatch(r"\d{5}", value):
        return "Please enter a valid zip code (5 digits)"
    elif kind == "birthday" and not re.fullmatch(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])", value):
        return "Please enter a valid birthday (MM/DD)"
    elif kind == "phone" and is_us_phone_field(definition) and not _US_PHONE.fullmatch(value):
        return "Please enter a valid US phone number (NPA-NXX-LINE)"  # the wording is an assumption
    elif kind == "date" and not any(p.match(value) for p in _DATE_FORMATS):
        return "Please enter a valid date"
    elif kind in ("url", "imageurl") and not re.match(r"^https?://\S+$", value):
        return "Please enter a valid URL"
    elif kind in ("dropdown", "radio"):
        choices = (definition.get("options") or {}).get("choices") or []
        if value not in choices:
            return "Value must be one of: " + ", ".join(str(c) for c in choices)
    return None


def is_us_phone_field(definition: dict[str, Any]) -> bool:
    return str((definition.get("options") or {}).get("phone_format") or "").upper() == "US"


def validate_merge_fields(
    audience: AudienceList,
    incoming: Any,
    existing: dict[str, Any],
    config: SimConfig,
    *,
    skip_required: bool,
) -> dict[str, Any]:
    """Merge *incoming* into *existing* by the audience's field definitions; raise the documented 400s."""
    if incoming is None:
        incoming = {}
    if not isinstance(incoming, dict):
        raise invalid_resource([{"field": "merge_fields", "message": MSG_ANYOF}])
    type_errors: list[dict[str, str]] = []
    value_errors: list[dict[str, str]] = []
    result = dict(existing)
    for raw_tag, value in incoming.items():
        tag = str(raw_tag).upper()
        definition = audience.merge_field_by_tag(tag)
        if definition is None:
            if config.unknown_merge_tags == "reject":
                value_errors.append({"field": tag, "message": "This merge field does not exist."})
            continue
        kind = definition["type"]
        if kind == "address":
            if isinstance(value, str) and not value.strip():
                result.pop(tag, None)
                continue
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                type_errors.append({"field": f"merge_fields.{tag}", "message": MSG_ANYOF})
                continue
            if _is_empty(value):
                result.pop(tag, None)
                continue
            if not all(str(value.get(part, "")).strip() for part in _ADDRESS_REQUIRED_PARTS):
                if definition["required"] or config.optional_address == "reject":
                    value_errors.append({"field": tag, "message": "Please enter a complete address"})
                continue  # an optional incomplete address is dropped, as Mailchimp does (R gibbon#272)
            result[tag] = {k: value.get(k, "") for k in ("addr1", "addr2", "city", "state", "zip", "country")}
            continue
        # Every other type is a string on the wire; numbers are tolerated, null/bool/list/object are not.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            type_errors.append({"field": f"merge_fields.{tag}", "message": MSG_ANYOF})
            continue
        if kind == "number" and not isinstance(value, str):
            result[tag] = value
            continue
        text = str(value)
        if text.strip():
            problem = _format_error(kind, text, definition)
            if problem:
                value_errors.append({"field": tag, "message": problem})
                continue
        result[tag] = _truncate(text) if kind in ("text", "phone") else text
    if not skip_required:
        for definition in audience.merge_fields.values():
            tag = definition["tag"]
            if definition["required"] and _is_empty(result.get(tag)) and not _has_error(value_errors, tag):
                message = "Please enter a complete address" if definition["type"] == "address" else (
                    "Please enter a value"
                )
                value_errors.append({"field": tag, "message": message})
    if type_errors or value_errors:
        detail = DETAIL_MERGE_INVALID if value_errors else DETAIL_VALIDATION
        raise invalid_resource(type_errors + value_errors, detail=detail)
    return result


def _has_error(errors: list[dict[str, str]], tag: str) -> bool:
    return any(e["field"] == tag for e in errors)


def new_merge_field(
    audience: AudienceList, name: str, kind: str, tag: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Define a merge field; an omitted tag becomes ``MMERGE<n>`` as in Mailchimp's own audiences."""
    merge_id = audience.next_merge_id
    audience.next_merge_id += 1
    definition = {
        "merge_id": merge_id,
        "tag": (tag or f"MMERGE{merge_id}").upper(),
        "name": name,
        "type": kind,
        "required": False,
        "default_value": "",
        "public": False,
        "display_order": merge_id + 1,
        "options": default_options(kind),
        "help_text": "",
        "list_id": audience.id,
    }
    options = extra.pop("options", None)
    definition.update({k: v for k, v in extra.items() if v is not None})
    if options:
        definition["options"] = {**definition["options"], **options}
    audience.merge_fields[merge_id] = definition
    return definition


def default_options(kind: str) -> dict[str, Any]:
    """The options Mailchimp reports for a new field of *kind*: US format for a phone field (this simulator's
    audiences are a US account's), the form width for a text field."""
    if kind == "phone":
        return {"phone_format": "US"}
    if kind == "text":
        return {"size": DEFAULT_TEXT_SIZE}
    return {}
