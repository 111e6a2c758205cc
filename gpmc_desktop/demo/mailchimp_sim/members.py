"""Member (contact) operations shared by the member routes, batch subscribe and e-commerce customers."""

from __future__ import annotations

import contextlib
import ipaddress
import zlib
from typing import Any

from .errors import ApiError, detail_member_exists, invalid_resource, not_found
from .member_rules import change_status, check_new_address, note_status_change, validate_merge_fields
from .routing import SimContext, self_link
from .state import AudienceList, Member, subscriber_hash

# Body fields copied onto the member as they are (the contract has checked their types).
_PLAIN_FIELDS = ("email_type", "language", "vip", "ip_signup", "ip_opt", "timestamp_signup", "timestamp_opt")


def hash_from_path(segment: str) -> str:
    """The member path takes the MD5 hash or, per SPEC90, the raw e-mail address."""
    return subscriber_hash(segment) if "@" in segment else segment.strip().lower()


def lookup(audience: AudienceList, segment: str) -> Member:
    member = audience.members.get(hash_from_path(segment))
    if member is None:  # forgotten contacts are gone from members, so they 404 too (R nztim/mailchimp#31)
        raise not_found()
    return member


def member_json(member: Member) -> dict[str, Any]:
    merge = member.merge_fields
    full_name = " ".join(str(merge.get(t, "")).strip() for t in ("FNAME", "LNAME")).strip()
    return {
        "id": member.id,
        "email_address": member.email_address,
        "unique_email_id": member.unique_email_id,
        "contact_id": member.contact_id,
        "full_name": full_name,
        "web_id": member.web_id,
        "email_type": member.email_type,
        "status": member.status,
        "merge_fields": dict(merge),
        "interests": dict(member.interests),
        "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
        "ip_signup": member.ip_signup,
        "timestamp_signup": member.timestamp_signup,
        "ip_opt": member.ip_opt,
        "timestamp_opt": member.timestamp_opt,
        "member_rating": 2,
        "last_changed": member.last_changed,
        "language": member.language,
        "vip": member.vip,
        "email_client": "",
        "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "", "timezone": ""},
        "source": member.source,
        "tags_count": len(member.tags),
        "tags": [{"id": zlib.crc32(name.encode()) % 100000, "name": name} for name in sorted(member.tags)],
        "list_id": member.list_id,
        "_links": self_link(f"/lists/{member.list_id}/members/{member.id}"),
    }


def _check_ips(body: dict[str, Any]) -> None:
    """``ip_signup`` / ``ip_opt`` must be IPv4 or IPv6 addresses (CHG 2022-09-01)."""
    errors = []
    for name in ("ip_signup", "ip_opt"):
        if body.get(name):
            try:
                ipaddress.ip_address(str(body[name]))
            except ValueError:
                errors.append({"field": name, "message": "This value is not a valid IP address."})
    if errors:
        raise invalid_resource(errors)


def _copy_plain_fields(member: Member, body: dict[str, Any]) -> None:
    for name in _PLAIN_FIELDS:
        if name in body and body[name] is not None:
            setattr(member, name, body[name])
    if isinstance(body.get("interests"), dict):
        member.interests.update(body["interests"])


def create_member(
    ctx: SimContext,
    audience: AudienceList,
    email: str,
    status: str,
    body: dict[str, Any],
    *,
    skip_required: bool,
    source: str = "API - Generic",
) -> Member:
    """Add a contact that is not on the audience (or is archived): every new-address rule applies."""
    key = subscriber_hash(email)
    archived = audience.members.get(key)
    if archived is None:
        check_new_address(audience, email, ctx.config)
    _check_ips(body)
    merge = validate_merge_fields(
        audience, body.get("merge_fields"), archived.merge_fields if archived else {}, ctx.config,
        skip_required=skip_required,
    )
    if archived is not None:  # re-adding an archived contact: its old status still counts for compliance
        change_status(archived, status, ctx.state, ctx.clock)
        archived.merge_fields = merge
        _copy_plain_fields(archived, body)
        return archived
    now = ctx.clock.iso()
    member = Member(
        list_id=audience.id, email_address=email.strip(), status="", merge_fields=merge, created_at=now,
        last_changed=now, web_id=ctx.state.new_web_id(), source=source,
    )
    change_status(member, status, ctx.state, ctx.clock)
    _copy_plain_fields(member, body)
    audience.members[key] = member
    return member


def check_email_change(ctx: SimContext, audience: AudienceList, member: Member, new_email: str) -> bool:
    """Whether *new_email* moves the contact; raises (changing nothing) when the new address is not allowed."""
    new_key = subscriber_hash(new_email)
    if new_key == member.id:
        return False
    if new_key in audience.members:
        raise ApiError(400, "Member Exists", detail_member_exists(new_email))
    check_new_address(audience, new_email, ctx.config)
    return True


def move_member(audience: AudienceList, member: Member, new_email: str) -> None:
    del audience.members[member.id]
    member.email_address = new_email.strip()
    audience.members[member.id] = member


def update_member_and_email(
    ctx: SimContext, audience: AudienceList, member: Member, body: dict[str, Any], *, skip_required: bool
) -> None:
    """PATCH/PUT on an existing contact, all or nothing: every check runs before anything is written."""
    email = str(body.get("email_address") or "")
    moving = bool(email) and check_email_change(ctx, audience, member, email)
    update_member(ctx, audience, member, body, skip_required=skip_required)
    if moving:
        move_member(audience, member, email)


def upsert_member(
    ctx: SimContext, audience: AudienceList, path_hash: str, body: dict[str, Any], *, skip_required: bool
) -> tuple[Member, bool]:
    """PUT semantics: create with ``status_if_new`` (or ``status``); otherwise update and apply ``status`` only."""
    email = str(body.get("email_address") or "")
    member = audience.members.get(path_hash)
    if member is not None and member.status != "archived":
        # A body e-mail that differs from the hashed one is an address change (R APIv3-examples#49).
        update_member_and_email(ctx, audience, member, body, skip_required=skip_required)
        return member, False
    if member is None and email:
        member = audience.members.get(subscriber_hash(email))
    if member is None or member.status == "archived":
        if not email:
            raise invalid_resource([{"field": "email_address", "message": "This value should not be blank."}])
        status = body.get("status") or body.get("status_if_new")
        if not status:
            raise invalid_resource(
                [{"field": "status_if_new", "message": "Required fields were not provided: status_if_new"}]
            )
        return create_member(ctx, audience, email, str(status), body, skip_required=skip_required), True
    update_member(ctx, audience, member, body, skip_required=skip_required)
    return member, False


def update_member(
    ctx: SimContext, audience: AudienceList, member: Member, body: dict[str, Any], *, skip_required: bool
) -> None:
    """Existing contact: ``status_if_new`` is ignored, merge fields merge, ``status`` obeys compliance."""
    _check_ips(body)
    merged = validate_merge_fields(
        audience, body.get("merge_fields"), member.merge_fields, ctx.config, skip_required=skip_required
    )
    if body.get("status"):
        change_status(member, str(body["status"]), ctx.state, ctx.clock)  # raises before it changes anything
    member.merge_fields = merged
    _copy_plain_fields(member, body)
    member.last_changed = ctx.clock.iso()


def unarchive_on_store_activity(ctx: SimContext, audience: AudienceList, email: str) -> None:
    """An archived contact who "interacts with your connected online store" is unarchived (Mailchimp's help on
    archiving; mailchimp/mc-magento2#1381): an e-commerce customer write or an order for the address brings it back
    with the status it had before it was archived."""
    member = audience.members.get(subscriber_hash(email))
    if member is None or member.status != "archived":
        return
    previous = member.status_before_archive or "transactional"
    note_status_change(ctx.state, member, previous, ctx.clock)
    member.status, member.status_before_archive = previous, None
    member.last_changed = ctx.clock.iso()


def contact_for_customer(ctx: SimContext, audience: AudienceList, email: str, opt_in: bool | None) -> None:
    """E-commerce side effect (reference §4.3 item 28): never downgrade or resubscribe an existing contact."""
    key = subscriber_hash(email)
    member = audience.members.get(key)
    if member is None:
        if key in audience.forgotten or opt_in is None:
            return
        # A fake-looking address stays a customer without becoming a contact.
        with contextlib.suppress(ApiError):
            create_member(
                ctx, audience, email, "subscribed" if opt_in else "transactional", {}, skip_required=True,
                source="E-Commerce",
            )
        return
    if opt_in and member.status == "transactional":
        change_status(member, "subscribed", ctx.state, ctx.clock)
