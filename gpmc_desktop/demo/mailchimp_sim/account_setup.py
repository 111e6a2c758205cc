"""Putting the account into a known state from Python: the demo audience and pre-set contacts for tests."""

from __future__ import annotations

from typing import Any

from .member_rules import DEFAULT_MERGE_FIELDS, new_merge_field
from .routing import SimContext
from .state import AudienceList, Member, subscriber_hash

DEMO_LIST_ID = "a1b2c3d4e5"
DEMO_LIST_NAME = "Fabrikam customers"
# States a test may put a contact in; "forgotten" and "archived" are what the two delete actions leave.
PRESET_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived", "forgotten")


def add_list(ctx: SimContext, list_id: str, name: str, *, double_optin: bool = False) -> AudienceList:
    """A new audience with Mailchimp's default merge fields (FNAME, LNAME, ADDRESS, PHONE)."""
    with ctx.state.lock:
        audience = AudienceList(list_id, name, double_optin, ctx.clock.iso(), ctx.state.new_web_id())
        for tag, field_name, kind in DEFAULT_MERGE_FIELDS:
            new_merge_field(audience, field_name, kind, tag)
        ctx.state.lists[list_id] = audience
        return audience


def set_member_status(
    ctx: SimContext,
    list_id: str,
    email: str,
    status: str,
    *,
    merge_fields: dict[str, Any] | None = None,
    compliance_hold: bool = False,
) -> None:
    """Create or overwrite a contact with *status*, bypassing the API rules (it is how the test world began)."""
    if status not in PRESET_STATUSES:
        raise ValueError(f"status must be one of {PRESET_STATUSES}, not {status!r}")
    with ctx.state.lock:
        audience = ctx.state.lists[list_id]
        key = subscriber_hash(email)
        audience.forgotten.pop(key, None)
        member = audience.members.get(key)
        if member is None:
            now = ctx.clock.iso()
            member = Member(list_id, email.strip(), status, {}, now, now, web_id=ctx.state.new_web_id())
            audience.members[key] = member
        if merge_fields:
            member.merge_fields.update(merge_fields)
        member.compliance_hold = compliance_hold
        if status == "forgotten":
            del audience.members[key]
            audience.forgotten[key] = member.email_address
        elif status == "archived":
            member.status_before_archive, member.status = member.status, "archived"
        else:
            member.status = status


def find_member(ctx: SimContext, list_id: str, email: str) -> Member | None:
    audience = ctx.state.lists.get(list_id)
    return audience.members.get(subscriber_hash(email)) if audience else None
