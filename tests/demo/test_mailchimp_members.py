"""Mailchimp simulator: audiences, merge fields, member upsert semantics, compliance states and tags."""

from __future__ import annotations

import pytest

from gpmc_desktop.demo.mailchimp_sim import subscriber_hash
from gpmc_desktop.demo.mailchimp_sim.errors import (
    MSG_ANYOF,
    detail_compliance,
    detail_fake,
    detail_forgotten,
    detail_member_exists,
)
from tests.demo.mailchimp_support import LIST, assert_problem, member_body

EMAIL = "ann.lee@fabrikam.org"
MEMBERS = f"/lists/{LIST}/members"
MEMBER = f"{MEMBERS}/{subscriber_hash(EMAIL)}"


# --- audiences ------------------------------------------------------------------------------------------------


def test_demo_audience_with_default_merge_fields(sim, api):
    audience = api.get(f"/lists/{LIST}").json()
    assert (audience["name"], audience["double_optin"]) == ("Fabrikam customers", False)
    assert audience["stats"]["member_count"] == 0
    fields = api.get(f"/lists/{LIST}/merge-fields").json()["merge_fields"]
    assert [(f["tag"], f["type"]) for f in fields] == [
        ("FNAME", "text"), ("LNAME", "text"), ("ADDRESS", "address"), ("PHONE", "phone")
    ]
    assert api.get("/").json()["account_name"] == "Fabrikam, Inc."


def test_list_stats_follow_member_statuses(sim, api):
    sim.set_member_status(LIST, "gone@fabrikam.org", "unsubscribed")
    api.put(MEMBER, member_body(EMAIL))
    stats = api.get(f"/lists/{LIST}").json()["stats"]
    assert (stats["member_count"], stats["unsubscribe_count"], stats["total_contacts"]) == (1, 1, 2)


# --- merge fields ---------------------------------------------------------------------------------------------


def test_merge_field_crud_with_auto_tag_and_duplicate_tag(api):
    created = api.post(f"/lists/{LIST}/merge-fields", {"name": "Customer number", "type": "text"}).json()
    assert created["tag"] == "MMERGE5"
    assert_problem(api.post(f"/lists/{LIST}/merge-fields", {"name": "Again", "type": "text", "tag": "fname"}),
                   400, "Invalid Resource")
    path = f"/lists/{LIST}/merge-fields/{created['merge_id']}"
    assert api.get(path).json()["name"] == "Customer number"
    assert api.patch(path, {"name": "GP customer", "tag": "CUSTNMBR"}).json()["tag"] == "CUSTNMBR"
    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "Resource Not Found")


def test_merge_field_type_is_checked_against_the_enum(sim, api):
    body = assert_problem(api.post(f"/lists/{LIST}/merge-fields", {"name": "X", "type": "colour"}),
                          400, "Invalid Resource")
    assert body["errors"][0]["field"] == "type"


# --- upsert ---------------------------------------------------------------------------------------------------


def test_put_creates_with_status_if_new_and_accepts_the_raw_email(sim, api):
    created = api.put(f"{MEMBERS}/Ann.Lee@Fabrikam.org", member_body(" Ann.Lee@Fabrikam.org "))
    assert created.status_code == 200
    assert created.json()["id"] == subscriber_hash(EMAIL)  # md5 of the stripped, lower-cased address
    assert created.json()["status"] == "subscribed"
    assert api.get(MEMBER).json()["status"] == "subscribed"


def test_status_if_new_is_ignored_for_an_existing_member(sim, api):
    assert api.put(MEMBER, member_body(EMAIL, "transactional")).json()["status"] == "transactional"
    again = api.put(MEMBER, member_body(EMAIL, "subscribed", merge_fields={"FNAME": "Ann"}))
    assert again.json()["status"] == "transactional"
    assert sim.member(LIST, EMAIL)["merge_fields"] == {"FNAME": "Ann"}


@pytest.mark.parametrize("held", ["unsubscribed", "cleaned"])
def test_contact_in_compliance_state_stays_put(sim, api, held):
    sim.set_member_status(LIST, EMAIL, held)
    upsert = api.put(MEMBER, member_body(EMAIL, "subscribed", merge_fields={"LNAME": "Lee"}))
    assert upsert.status_code == 200
    assert upsert.json()["status"] == held  # merge fields change, the status does not
    assert sim.member(LIST, EMAIL)["merge_fields"] == {"LNAME": "Lee"}
    detail = detail_compliance(EMAIL)
    resubscribe = member_body(EMAIL, status="subscribed", merge_fields={"FNAME": "Ann"})
    assert_problem(api.put(MEMBER, resubscribe), 400, "Member In Compliance State", detail)
    assert_problem(api.patch(MEMBER, {"status": "subscribed"}), 400, "Member In Compliance State", detail)
    after = sim.member(LIST, EMAIL)
    assert (after["status"], after["merge_fields"]) == (held, {"LNAME": "Lee"})  # a refused call writes nothing


def test_compliance_hold_blocks_subscribing_whatever_the_status(sim, api):
    sim.set_member_status(LIST, EMAIL, "pending", compliance_hold=True)
    assert_problem(api.patch(MEMBER, {"status": "subscribed"}), 400, "Member In Compliance State")


def test_pending_is_allowed_from_unsubscribed_and_sends_a_confirmation(sim, api):
    sim.set_member_status(LIST, EMAIL, "unsubscribed")
    assert api.patch(MEMBER, {"status": "pending"}).json()["status"] == "pending"
    assert [e["event"] for e in sim.member_events()] == ["confirmation_email"]


def test_post_of_existing_member_is_member_exists(api):
    assert api.post(MEMBERS, {"email_address": EMAIL, "status": "subscribed", "tags": ["GP"]}).status_code == 200
    assert_problem(api.post(MEMBERS, {"email_address": EMAIL, "status": "subscribed"}), 400, "Member Exists",
                   detail_member_exists(EMAIL))


def test_put_with_hash_of_another_address_changes_the_email(sim, api):
    api.put(MEMBER, member_body(EMAIL))
    api.put(f"{MEMBERS}/{subscriber_hash('bob@fabrikam.org')}", member_body("bob@fabrikam.org"))
    clash = api.put(MEMBER, member_body("bob@fabrikam.org"))
    assert_problem(clash, 400, "Member Exists", detail_member_exists("bob@fabrikam.org"))
    moved = api.put(MEMBER, member_body("ann.new@fabrikam.org"))
    assert moved.json()["id"] == subscriber_hash("ann.new@fabrikam.org")
    assert sim.member(LIST, EMAIL) is None


def test_archive_then_re_add(sim, api):
    api.put(MEMBER, member_body(EMAIL))
    assert api.delete(MEMBER).status_code == 204
    assert api.get(MEMBER).json()["status"] == "archived"
    assert api.put(MEMBER, member_body(EMAIL, "subscribed")).json()["status"] == "subscribed"


def test_unknown_member_is_404(api):
    assert_problem(api.get(MEMBER), 404, "Resource Not Found")
    assert_problem(api.patch(MEMBER, {"vip": True}), 404, "Resource Not Found")


# --- forgotten, fake and invalid addresses --------------------------------------------------------------------


def test_forgotten_email_cannot_come_back(sim, api):
    api.put(MEMBER, member_body(EMAIL))
    assert api.post(f"{MEMBER}/actions/delete-permanent").status_code == 204
    assert sim.is_forgotten(LIST, EMAIL)
    assert_problem(api.get(MEMBER), 404, "Resource Not Found")
    detail = detail_forgotten(EMAIL)
    assert_problem(api.put(MEMBER, member_body(EMAIL)), 400, "Forgotten Email Not Subscribed", detail)
    assert_problem(api.post(MEMBERS, {"email_address": EMAIL, "status": "transactional"}), 400,
                   "Forgotten Email Not Subscribed", detail)


def test_preset_forgotten_contact(sim, api):
    sim.set_member_status(LIST, EMAIL, "forgotten")
    assert_problem(api.get(MEMBER), 404, "Resource Not Found")
    assert_problem(api.put(MEMBER, member_body(EMAIL)), 400, "Forgotten Email Not Subscribed")


@pytest.mark.parametrize("domain", ["example.com", "test.com", "yopmail.com", "trash-mail.com", "mx.test.com"])
def test_fake_looking_addresses_are_refused(api, domain):
    email = f"someone@{domain}"
    answer = api.put(f"{MEMBERS}/{subscriber_hash(email)}", member_body(email))
    body = assert_problem(answer, 400, "Invalid Resource", detail_fake(email))
    assert "errors" not in body


def test_fake_domain_list_is_configurable(sim, api):
    sim.config.fake_email_domains.add("fabrikam.org")
    assert_problem(api.put(MEMBER, member_body(EMAIL)), 400, "Invalid Resource", detail_fake(EMAIL))


@pytest.mark.parametrize("email", ["no-at-sign.fabrikam.org", "two@@fabrikam.org", "dots..x@fabrikam.org",
                                   "ann@localhost"])
def test_syntactically_invalid_address(api, email):
    body = assert_problem(api.put(f"{MEMBERS}/{subscriber_hash(email)}", member_body(email)), 400,
                          "Invalid Resource")
    assert body["errors"][0]["field"] == "email_address"


# --- merge-field validation -----------------------------------------------------------------------------------


def _require(api, tag):
    fields = api.get(f"/lists/{LIST}/merge-fields").json()["merge_fields"]
    merge_id = next(f["merge_id"] for f in fields if f["tag"] == tag)
    assert api.patch(f"/lists/{LIST}/merge-fields/{merge_id}", {"name": tag, "required": True}).status_code == 200


def test_incomplete_required_address_is_rejected(api):
    _require(api, "ADDRESS")
    partial = {"addr1": "1 Main St", "city": "Fargo", "state": "", "zip": "58102"}
    body = assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields={"ADDRESS": partial})), 400,
                          "Invalid Resource", "Your merge fields were invalid.")
    assert body["errors"] == [{"field": "ADDRESS", "message": "Please enter a complete address"}]
    missing = assert_problem(api.put(MEMBER, member_body(EMAIL)), 400, "Invalid Resource")
    assert missing["errors"] == [{"field": "ADDRESS", "message": "Please enter a complete address"}]


def test_incomplete_optional_address_is_dropped_or_rejected_by_knob(sim, api):
    partial = {"addr1": "1 Main St", "city": "Fargo"}
    kept = api.put(MEMBER, member_body(EMAIL, merge_fields={"FNAME": "Ann", "ADDRESS": partial}))
    assert kept.status_code == 200
    assert kept.json()["merge_fields"] == {"FNAME": "Ann"}
    sim.config.optional_address = "reject"
    body = assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields={"ADDRESS": partial})), 400,
                          "Invalid Resource")
    assert body["errors"] == [{"field": "ADDRESS", "message": "Please enter a complete address"}]


def test_complete_address_is_stored(sim, api):
    address = {"addr1": "1 Main St", "city": "Fargo", "state": "ND", "zip": "58102", "country": "US"}
    api.put(MEMBER, member_body(EMAIL, merge_fields={"ADDRESS": address}))
    assert sim.member(LIST, EMAIL)["merge_fields"]["ADDRESS"]["city"] == "Fargo"


def test_missing_required_field_and_skip_merge_validation(sim, api):
    _require(api, "FNAME")
    body = assert_problem(api.put(MEMBER, member_body(EMAIL)), 400, "Invalid Resource",
                          "Your merge fields were invalid.")
    assert body["errors"] == [{"field": "FNAME", "message": "Please enter a value"}]
    skipped = api.put(MEMBER, member_body(EMAIL), params={"skip_merge_validation": "true"})
    assert skipped.status_code == 200


@pytest.mark.parametrize("value", [None, ["Ann"], {"first": "Ann"}, True])
def test_wrong_json_type_for_a_merge_field(api, value):
    body = assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields={"FNAME": value})), 400,
                          "Invalid Resource")
    assert body["errors"] == [{"field": "merge_fields.FNAME", "message": MSG_ANYOF}]


def test_text_is_truncated_to_255_bytes(sim, api):
    long_name = "é" * 200  # 400 bytes in UTF-8
    api.put(MEMBER, member_body(EMAIL, merge_fields={"LNAME": long_name}))
    stored = sim.member(LIST, EMAIL)["merge_fields"]["LNAME"]
    assert len(stored.encode("utf-8")) <= 255
    assert stored == "é" * 127


def _merge_field(api, tag):
    fields = api.get(f"/lists/{LIST}/merge-fields").json()["merge_fields"]
    return next(f for f in fields if f["tag"] == tag)


@pytest.mark.parametrize("phone", ["(404) 555-1212", "404.555.1212", "4045551212", "+1 404-555-1212",
                                   "404-555-1212 x12", "44 20 7946 0958"])
def test_a_us_format_phone_field_refuses_the_whole_member_for_any_other_shape(sim, api, phone):
    assert _merge_field(api, "PHONE")["options"] == {"phone_format": "US"}  # the demo audience's
    body = assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields={"FNAME": "Ann", "PHONE": phone})), 400,
                          "Invalid Resource", "Your merge fields were invalid.")
    assert [e["field"] for e in body["errors"]] == ["PHONE"]
    assert sim.member(LIST, EMAIL) is None  # nothing of the member was kept, not even FNAME


def test_a_us_format_phone_field_takes_npa_nxx_line_or_nothing(sim, api):
    assert api.put(MEMBER, member_body(EMAIL, merge_fields={"PHONE": "404-555-1212"})).status_code == 200
    assert sim.member(LIST, EMAIL)["merge_fields"]["PHONE"] == "404-555-1212"
    assert api.put(MEMBER, member_body(EMAIL, merge_fields={"PHONE": ""})).status_code == 200


def test_an_international_phone_field_takes_any_number(sim, api):
    phone_field = _merge_field(api, "PHONE")
    patched = api.patch(f"/lists/{LIST}/merge-fields/{phone_field['merge_id']}",
                        {"name": "Phone Number", "options": {"phone_format": "International"}})
    assert patched.json()["options"]["phone_format"] == "International"
    assert api.put(MEMBER, member_body(EMAIL, merge_fields={"PHONE": "+44 20 7946 0958 ext. 4"})).status_code == 200
    assert sim.member(LIST, EMAIL)["merge_fields"]["PHONE"] == "+44 20 7946 0958 ext. 4"


def test_a_text_fields_size_is_its_form_width_not_a_limit(sim, api):
    assert _merge_field(api, "FNAME")["options"] == {"size": 25}
    created = api.post(f"/lists/{LIST}/merge-fields", {"name": "Company", "type": "text", "tag": "COMPANY"}).json()
    assert created["options"] == {"size": 25}
    name = "Bartholomew-Alexander Fitzgerald"  # 32 characters
    assert api.put(MEMBER, member_body(EMAIL, merge_fields={"FNAME": name})).status_code == 200
    assert sim.member(LIST, EMAIL)["merge_fields"]["FNAME"] == name


def test_unknown_merge_tags_ignored_or_rejected_by_knob(sim, api):
    assert api.put(MEMBER, member_body(EMAIL, merge_fields={"NOPE": "x"})).status_code == 200
    assert "NOPE" not in sim.member(LIST, EMAIL)["merge_fields"]
    sim.config.unknown_merge_tags = "reject"
    assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields={"NOPE": "x"})), 400, "Invalid Resource")


def test_dropdown_zip_and_birthday_formats(api):
    for body in ({"name": "Region", "type": "dropdown", "tag": "REGION", "options": {"choices": ["East", "West"]}},
                 {"name": "Zip", "type": "zip", "tag": "ZIP"},
                 {"name": "Birthday", "type": "birthday", "tag": "BDAY"}):
        assert api.post(f"/lists/{LIST}/merge-fields", body).status_code == 200
    bad = {"REGION": "North", "ZIP": "ABCDE", "BDAY": "31/12"}
    errors = assert_problem(api.put(MEMBER, member_body(EMAIL, merge_fields=bad)), 400, "Invalid Resource")["errors"]
    assert sorted(e["field"] for e in errors) == ["BDAY", "REGION", "ZIP"]
    good = {"REGION": "East", "ZIP": "58102", "BDAY": "12/31"}
    assert api.put(MEMBER, member_body(EMAIL, merge_fields=good)).status_code == 200


# --- tags and batch subscribe ---------------------------------------------------------------------------------


def test_tags_post_is_204_and_records_is_syncing(sim, api):
    api.put(MEMBER, member_body(EMAIL))
    tags = {"tags": [{"name": "GP customer", "status": "active"}, {"name": "Old", "status": "inactive"}],
            "is_syncing": True}
    answer = api.post(f"{MEMBER}/tags", tags)
    assert (answer.status_code, answer.content) == (204, b"")
    assert sim.member(LIST, EMAIL)["tags"] == ["GP customer"]
    assert sim.tag_requests()[0]["is_syncing"] is True
    assert [t["name"] for t in api.get(f"{MEMBER}/tags").json()["tags"]] == ["GP customer"]
    unknown = f"{MEMBERS}/{subscriber_hash('nobody@fabrikam.org')}/tags"
    assert_problem(api.post(unknown, tags), 404, "Resource Not Found")


def test_tags_are_one_per_name_whatever_its_case(sim, api):
    """A tag is a static segment, named case-blind: the audience's first spelling is kept for every contact."""
    other = "bo.chen@fabrikam.org"
    api.put(MEMBER, member_body(EMAIL))
    api.put(f"{MEMBERS}/{subscriber_hash(other)}", member_body(other))
    assert api.post(f"{MEMBER}/tags", {"tags": [{"name": "GP terms: Net 30", "status": "active"}]}).status_code == 204
    api.post(f"{MEMBERS}/{subscriber_hash(other)}/tags", {"tags": [{"name": "GP TERMS: NET 30", "status": "active"}]})
    api.post(f"{MEMBER}/tags", {"tags": [{"name": "gp terms: net 30", "status": "active"}]})
    assert sim.member(LIST, EMAIL)["tags"] == sim.member(LIST, other)["tags"] == ["GP terms: Net 30"]
    api.post(f"{MEMBER}/tags", {"tags": [{"name": "GP Terms: NET 30", "status": "inactive"}]})
    assert sim.member(LIST, EMAIL)["tags"] == []


def test_an_audience_holds_at_most_30_fields_with_the_email_address(sim, api):
    listed = len(api.get(f"/lists/{LIST}/merge-fields", params={"count": 1000}).json()["merge_fields"])
    for n in range(29 - listed):
        assert api.post(f"/lists/{LIST}/merge-fields", {"name": f"F{n}", "type": "text"}).status_code == 200
    assert_problem(api.post(f"/lists/{LIST}/merge-fields", {"name": "One more", "type": "text"}), 400,
                   "Bad Request")
    sim.config.merge_field_limit = 0
    assert api.post(f"/lists/{LIST}/merge-fields", {"name": "One more", "type": "text"}).status_code == 200


def test_batch_subscribe_reports_existing_contacts(sim, api):
    api.put(MEMBER, member_body(EMAIL))
    body = {"members": [{"email_address": EMAIL, "status": "subscribed"},
                        {"email_address": "new@fabrikam.org", "status": "subscribed"},
                        {"email_address": "fake@example.com", "status": "subscribed"}]}
    result = api.post(f"/lists/{LIST}", body).json()
    assert (result["total_created"], result["total_updated"], result["error_count"]) == (1, 0, 2)
    assert [e["error_code"] for e in result["errors"]] == ["ERROR_CONTACT_EXISTS", "ERROR_GENERIC"]
    updated = api.post(f"/lists/{LIST}", {**body, "update_existing": True}).json()
    assert updated["total_updated"] == 2


def test_ip_addresses_are_validated(api):
    body = assert_problem(api.put(MEMBER, member_body(EMAIL, ip_signup="999.1.1.1")), 400, "Invalid Resource")
    assert body["errors"] == [{"field": "ip_signup", "message": "This value is not a valid IP address."}]
    assert api.put(MEMBER, member_body(EMAIL, ip_signup="2001:db8::1", ip_opt="192.0.2.7")).status_code == 200
