"""Routes for the account root, audiences (lists), merge fields, members and member tags."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, detail_member_exists, invalid_resource, not_found
from .member_rules import new_merge_field, note_status_change
from .members import (
    create_member,
    hash_from_path,
    lookup,
    member_json,
    update_member,
    update_member_and_email,
    upsert_member,
)
from .routing import ApiRequest, Reply, Router, SimContext, collection, self_link
from .state import AudienceList, Member, subscriber_hash

_MERGE_FIELD_EDITABLE = ("name", "tag", "required", "default_value", "public", "display_order", "options",
                         "help_text")


def register(router: Router) -> None:
    router.add("GET", "/", get_root)
    router.add("GET", "/ping", ping)
    router.add("GET", "/lists", get_lists)
    router.add("GET", "/lists/{list_id}", get_list)
    router.add("POST", "/lists/{list_id}", batch_subscribe)
    router.add("GET", "/lists/{list_id}/merge-fields", get_merge_fields)
    router.add("POST", "/lists/{list_id}/merge-fields", post_merge_field)
    router.add("GET", "/lists/{list_id}/merge-fields/{merge_id}", get_merge_field)
    router.add("PATCH", "/lists/{list_id}/merge-fields/{merge_id}", patch_merge_field)
    router.add("DELETE", "/lists/{list_id}/merge-fields/{merge_id}", delete_merge_field)
    router.add("GET", "/lists/{list_id}/members", get_members)
    router.add("POST", "/lists/{list_id}/members", post_member)
    members = "/lists/{list_id}/members/{subscriber_hash}"
    router.add("GET", members, get_member)
    router.add("PUT", members, put_member)
    router.add("PATCH", members, patch_member)
    router.add("DELETE", members, archive_member)
    router.add("GET", members + "/tags", get_tags)
    router.add("POST", members + "/tags", post_tags)
    router.add("POST", members + "/actions/delete-permanent", delete_permanent)


def audience_of(ctx: SimContext, list_id: str) -> AudienceList:
    audience = ctx.state.lists.get(list_id)
    if audience is None:
        raise not_found()
    return audience


# --- account and audiences ------------------------------------------------------------------------------------


def ping(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, {"health_status": "Everything's Chimpy!"})


def get_root(ctx: SimContext, req: ApiRequest) -> Reply:
    state = ctx.state
    subscribers = sum(
        1 for audience in state.lists.values() for m in audience.members.values() if m.status == "subscribed"
    )
    return Reply(200, {
        "account_id": state.account_id,
        "login_id": "48271",
        "account_name": state.account_name,
        "email": state.email,
        "first_name": "Demo",
        "last_name": "User",
        "username": "fabrikam-demo",
        "avatar_url": "",
        "role": "owner",
        "member_since": "2020-01-01T00:00:00+00:00",
        "pricing_plan_type": "monthly",
        "account_timezone": "UTC",
        "account_industry": "Manufacturing",
        "contact": {"company": state.account_name, "addr1": "1 Demo Way", "city": "Redmond", "state": "WA",
                    "zip": "98052", "country": "US"},
        "pro_enabled": False,
        "last_login": ctx.clock.iso(),
        "total_subscribers": subscribers,
        "_links": self_link("/"),
    })


def audience_json(ctx: SimContext, audience: AudienceList) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for member in audience.members.values():
        counts[member.status] = counts.get(member.status, 0) + 1
    return {
        "id": audience.id,
        "web_id": audience.web_id,
        "name": audience.name,
        "contact": {"company": ctx.state.account_name, "address1": "1 Demo Way", "city": "Redmond",
                    "state": "WA", "zip": "98052", "country": "US"},
        "permission_reminder": "You are receiving this e-mail because you bought from us.",
        "use_archive_bar": False,
        "campaign_defaults": {"from_name": ctx.state.account_name, "from_email": ctx.state.email,
                              "subject": "", "language": "en"},
        "notify_on_subscribe": "",
        "notify_on_unsubscribe": "",
        "date_created": audience.date_created,
        "list_rating": 3,
        "email_type_option": False,
        "visibility": "prv",
        "double_optin": audience.double_optin,
        "has_welcome": False,
        "marketing_permissions": False,
        "modules": [],
        "stats": {
            "member_count": counts.get("subscribed", 0),
            "total_contacts": len(audience.members),
            "unsubscribe_count": counts.get("unsubscribed", 0),
            "cleaned_count": counts.get("cleaned", 0),
            "member_count_since_send": counts.get("subscribed", 0),
            "unsubscribe_count_since_send": counts.get("unsubscribed", 0),
            "cleaned_count_since_send": counts.get("cleaned", 0),
            "campaign_count": 0,
            "merge_field_count": len(audience.merge_fields),
            "avg_sub_rate": 0,
            "avg_unsub_rate": 0,
            "target_sub_rate": 0,
            "open_rate": 0,
            "click_rate": 0,
        },
        "_links": self_link(f"/lists/{audience.id}"),
    }


def get_lists(ctx: SimContext, req: ApiRequest) -> Reply:
    audiences = [audience_json(ctx, a) for a in ctx.state.lists.values()]
    return collection(req, "lists", audiences, constraints={"may_create": True, "max_instances": 100})


def get_list(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, audience_json(ctx, audience_of(ctx, req.params["list_id"])))


def batch_subscribe(ctx: SimContext, req: ApiRequest) -> Reply:
    """``POST /lists/{id}``: up to 500 contacts, answered synchronously (reference §4.3 item 33)."""
    audience = audience_of(ctx, req.params["list_id"])
    entries = req.json.get("members") or []
    if len(entries) > ctx.config.batch_subscribe_max:
        raise invalid_resource([{
            "field": "members",
            "message": f"A maximum of {ctx.config.batch_subscribe_max} members can be sent per request.",
        }])
    update_existing = bool(req.json.get("update_existing"))
    sync_tags = bool(req.json.get("sync_tags"))
    skip = req.flag("skip_merge_validation")
    created: list[Member] = []
    updated: list[Member] = []
    errors: list[dict[str, Any]] = []
    for entry in entries:
        email = str(entry.get("email_address") or "")
        existing = audience.members.get(subscriber_hash(email)) if email else None
        try:
            if existing is not None and existing.status != "archived":
                if not update_existing:
                    errors.append({
                        "email_address": email, "error_code": "ERROR_CONTACT_EXISTS", "field": "", "field_message": "",
                        "error": f"{email} is already a list member, do you want to update? "
                                 "please provide update_existing:true in the request body",
                    })
                    continue
                update_member(ctx, audience, existing, entry, skip_required=skip)
                updated.append(existing)
                member = existing
            else:
                member, _ = upsert_member(ctx, audience, subscriber_hash(email), entry, skip_required=skip)
                created.append(member)
        except ApiError as exc:
            first = (exc.errors or [{}])[0]
            errors.append({"email_address": email, "error": exc.detail, "error_code": "ERROR_GENERIC",
                           "field": first.get("field", ""), "field_message": first.get("message", "")})
            continue
        if isinstance(entry.get("tags"), list):
            if sync_tags:
                member.tags = {}
            for name in entry["tags"]:
                audience.add_tag(member, str(name), ctx.clock.iso())
    return Reply(200, {
        "new_members": [member_json(m) for m in created],
        "updated_members": [member_json(m) for m in updated],
        "errors": errors,
        "total_created": len(created),
        "total_updated": len(updated),
        "error_count": len(errors),
        "_links": self_link(f"/lists/{audience.id}"),
    })


# --- merge fields ---------------------------------------------------------------------------------------------


def _merge_field(audience: AudienceList, raw_id: str) -> dict[str, Any]:
    definition = audience.merge_fields.get(int(raw_id)) if raw_id.isdigit() else None
    if definition is None:
        raise not_found()
    return definition


def _tag_taken(audience: AudienceList, tag: str, merge_id: int | None = None) -> None:
    other = audience.merge_field_by_tag(tag.upper())
    if other is not None and other["merge_id"] != merge_id:
        raise invalid_resource(
            [{"field": "tag", "message": f'A Merge Field with the tag "{tag.upper()}" already exists for this list.'}],
            detail=f'A Merge Field with the tag "{tag.upper()}" already exists for this list.',
        )


def get_merge_fields(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    fields = list(audience.merge_fields.values())
    if req.arg("type"):
        fields = [f for f in fields if f["type"] == req.arg("type")]
    if req.arg("required") is not None:
        fields = [f for f in fields if f["required"] == req.flag("required")]
    return collection(req, "merge_fields", fields, list_id=audience.id)


def post_merge_field(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    body = req.json
    if body.get("tag"):
        _tag_taken(audience, str(body["tag"]))
    limit = ctx.config.merge_field_limit
    if limit and len(audience.merge_fields) + 1 >= limit:  # the e-mail address is a field too, never listed
        raise ApiError(400, "Bad Request", f"This audience already has {limit} audience fields, the most its plan "
                                           "allows. Delete a field you no longer use to add another.")
    extra = {k: body.get(k) for k in _MERGE_FIELD_EDITABLE if k not in ("name", "tag")}
    definition = new_merge_field(audience, str(body["name"]), str(body["type"]), body.get("tag"), **extra)
    return Reply(200, definition)


def get_merge_field(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, _merge_field(audience_of(ctx, req.params["list_id"]), req.params["merge_id"]))


def patch_merge_field(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    definition = _merge_field(audience, req.params["merge_id"])
    body = req.json
    if body.get("tag"):
        _tag_taken(audience, str(body["tag"]), definition["merge_id"])
        body = {**body, "tag": str(body["tag"]).upper()}
    definition.update({k: body[k] for k in _MERGE_FIELD_EDITABLE if k in body})
    return Reply(200, definition)


def delete_merge_field(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    definition = _merge_field(audience, req.params["merge_id"])
    del audience.merge_fields[definition["merge_id"]]
    for member in audience.members.values():
        member.merge_fields.pop(definition["tag"], None)
    return Reply(204)


# --- members --------------------------------------------------------------------------------------------------


def get_members(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    members = list(audience.members.values())
    if req.arg("status"):
        members = [m for m in members if m.status == req.arg("status")]
    return collection(req, "members", [member_json(m) for m in members], list_id=audience.id)


def post_member(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    body = req.json
    email = str(body.get("email_address") or "")
    existing = audience.members.get(subscriber_hash(email))
    if existing is not None and existing.status != "archived":
        raise ApiError(400, "Member Exists", detail_member_exists(email))
    member = create_member(
        ctx, audience, email, str(body.get("status") or ""), body, skip_required=req.flag("skip_merge_validation")
    )
    for name in body.get("tags") or []:
        audience.add_tag(member, str(name), ctx.clock.iso())
    return Reply(200, member_json(member))


def get_member(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, member_json(lookup(audience_of(ctx, req.params["list_id"]), req.params["subscriber_hash"])))


def put_member(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    member, _created = upsert_member(
        ctx, audience, hash_from_path(req.params["subscriber_hash"]), req.json,
        skip_required=req.flag("skip_merge_validation"),
    )
    return Reply(200, member_json(member))


def patch_member(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    member = lookup(audience, req.params["subscriber_hash"])
    update_member_and_email(ctx, audience, member, req.json, skip_required=req.flag("skip_merge_validation"))
    return Reply(200, member_json(member))


def archive_member(ctx: SimContext, req: ApiRequest) -> Reply:
    member = lookup(audience_of(ctx, req.params["list_id"]), req.params["subscriber_hash"])
    if member.status != "archived":
        note_status_change(ctx.state, member, "archived", ctx.clock)
        member.status_before_archive = member.status
        member.status = "archived"
        member.last_changed = ctx.clock.iso()
    return Reply(204)


def delete_permanent(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    member = lookup(audience, req.params["subscriber_hash"])
    del audience.members[member.id]
    audience.forgotten[member.id] = member.email_address
    return Reply(204)


def get_tags(ctx: SimContext, req: ApiRequest) -> Reply:
    member = lookup(audience_of(ctx, req.params["list_id"]), req.params["subscriber_hash"])
    tags = [{"id": i + 1, "name": name, "date_added": added} for i, (name, added) in enumerate(member.tags.items())]
    return collection(req, "tags", tags)


def post_tags(ctx: SimContext, req: ApiRequest) -> Reply:
    audience = audience_of(ctx, req.params["list_id"])
    member = lookup(audience, req.params["subscriber_hash"])
    tags = req.json.get("tags") or []
    for tag in tags:
        name = str(tag.get("name", ""))
        if tag.get("status") == "inactive":
            audience.remove_tag(member, name)
        elif name:
            audience.add_tag(member, name, ctx.clock.iso())
    # is_syncing on a tag post stops tag-triggered automations: record it so tests can check the sync sets it.
    ctx.state.tag_requests.append({
        "list_id": member.list_id, "email": member.email_address, "tags": tags,
        "is_syncing": req.json.get("is_syncing"), "at": ctx.clock.iso(),
    })
    return Reply(204)
