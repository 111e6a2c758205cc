"""Mailchimp simulator: transport, keys, error format, contract validation, paging and fault knobs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import ssl

import pytest
import requests

from gpmc_desktop.demo.mailchimp_sim import load_fixed_document
from gpmc_desktop.demo.mailchimp_sim.errors import DETAIL_KEY_INVALID, DETAIL_KEY_MISSING, DETAIL_NOT_FOUND
from gpmc_desktop.demo.tls import make_ca
from gpmc_desktop.resources import contract_path
from tests.demo.mailchimp_support import (
    KEY,
    LIST,
    Api,
    assert_problem,
    contract_cache,
    member_body,
    running,
    wait_until,
)

MEMBER = f"/lists/{LIST}/members/ann%40fabrikam.org"


# --- keys and data centre -------------------------------------------------------------------------------------


def test_ping_with_basic_and_bearer_auth(sim, api):
    answer = api.get("/ping")
    assert answer.status_code == 200
    assert answer.json() == {"health_status": "Everything's Chimpy!"}
    assert answer.headers["X-Request-Id"]
    bearer = requests.get(sim.api_base + "/ping", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert bearer.status_code == 200


def test_missing_key_is_401_api_key_missing(sim):
    answer = requests.get(sim.api_base + "/ping", timeout=10)
    assert_problem(answer, 401, "API Key Missing", DETAIL_KEY_MISSING)
    assert "ProblemDetailDocument" in answer.headers["Link"]


@pytest.mark.parametrize(
    "key",
    [
        "fedcba9876543210fedcba9876543210-us6",  # well-formed but not one of the account's keys
        "not-a-key",  # wrong format
        "0123456789ABCDEF0123456789ABCDEF-us6",  # upper-case hex is not the format
    ],
)
def test_wrong_key_is_401_api_key_invalid(sim, key):
    assert_problem(Api(sim, key).get("/ping"), 401, "API Key Invalid", DETAIL_KEY_INVALID)


def test_key_of_another_data_centre_is_refused(tmp_path_factory):
    # Both keys belong to the account, but the simulator plays us6: the us19 key is for another data centre.
    other_dc = "0123456789abcdef0123456789abcdef-us19"
    with running(tmp_path_factory) as sim:
        sim.api_keys.add(other_dc)
        assert_problem(Api(sim, other_dc).get("/ping"), 401, "API Key Invalid", DETAIL_KEY_INVALID)
        assert Api(sim).get("/ping").status_code == 200


def test_host_header_data_centre_must_match_the_key(api):
    wrong = api.get("/ping", headers={"Host": "us7.api.mailchimp.com"})
    assert_problem(wrong, 401, "API Key Invalid", DETAIL_KEY_INVALID)
    assert api.get("/ping", headers={"Host": "us6.api.mailchimp.com"}).status_code == 200


def test_simulator_serves_tls_when_given_a_context(tmp_path_factory, tmp_path):
    files = make_ca(tmp_path / "ca")
    from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator

    sim = MailchimpSimulator(api_keys=[KEY], cache_dir=contract_cache(tmp_path_factory), tls=files.server_context())
    with sim:
        assert sim.api_base.startswith("https://127.0.0.1:")
        answer = requests.get(sim.api_base + "/ping", auth=("x", KEY), verify=str(files.ca_path), timeout=10)
        assert answer.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sim.api_base + "/ping", auth=("x", KEY), timeout=10)
    assert isinstance(files.server_context(), ssl.SSLContext)


# --- generic errors -------------------------------------------------------------------------------------------


def test_unknown_path_is_404_and_recorded_as_off_contract(sim, api):
    assert_problem(api.get("/no/such/thing"), 404, "Resource Not Found", DETAIL_NOT_FOUND)
    assert_problem(api.get("/lists/nope"), 404, "Resource Not Found", DETAIL_NOT_FOUND)
    assert [(v.method, v.path) for v in sim.contract_violations] == [("GET", "/no/such/thing")]


def test_unsupported_method_is_405_with_allow(api):
    answer = api.put(f"/lists/{LIST}/members", {"email_address": "a@fabrikam.org"})
    assert_problem(answer, 405, "Method Not Allowed")
    assert answer.headers["Allow"] == "GET, POST"


def test_malformed_json_is_json_parse_exception(api):
    answer = api.request("PUT", MEMBER, data=b'{"email_address": ', headers={"Content-Type": "application/json"})
    assert_problem(answer, 400, "JSON Parse Exception")


def test_method_override_only_on_post(sim, api):
    assert api.put(MEMBER, member_body("ann@fabrikam.org")).status_code == 200
    refused = api.get(MEMBER, headers={"X-HTTP-Method-Override": "DELETE"})
    assert_problem(refused, 422, "InvalidMethodOverride")
    patched = api.post(MEMBER, {"merge_fields": {"FNAME": "Ann"}}, headers={"X-HTTP-Method-Override": "PATCH"})
    assert patched.status_code == 200
    assert sim.member(LIST, "ann@fabrikam.org")["merge_fields"]["FNAME"] == "Ann"


@pytest.mark.parametrize(
    ("name", "status", "title"),
    [
        ("APIKeyMissing", 401, "API Key Missing"),
        ("APIKeyInvalid", 401, "API Key Invalid"),
        ("Forbidden", 403, "Forbidden"),
        ("ResourceNotFound", 404, "Resource Not Found"),
        ("TooManyRequests", 429, "Too Many Requests"),
        ("InternalServerError", 500, "Internal Server Error"),
    ],
)
def test_x_trigger_error_forces_the_named_error(api, name, status, title):
    assert_problem(api.get("/ping", headers={"X-Trigger-Error": name}), status, title)


def test_delete_answers_204_without_body(api):
    assert api.put(MEMBER, member_body("ann@fabrikam.org")).status_code == 200
    answer = api.delete(MEMBER)
    assert answer.status_code == 204
    assert answer.content == b""
    assert answer.headers["X-Request-Id"]


# --- contract validation --------------------------------------------------------------------------------------


def test_spec_violating_request_is_rejected_and_recorded(sim, api):
    answer = api.put(MEMBER, {"email_address": "ann@fabrikam.org", "status_if_new": "subscribed-ish"})
    body = assert_problem(answer, 400, "Invalid Resource")
    assert [e["field"] for e in body["errors"]] == ["status_if_new"]
    assert "is not one of" in body["errors"][0]["message"]
    assert len(sim.contract_violations) == 1
    violation = sim.contract_violations[0]
    assert (violation.method, violation.path, violation.field) == ("PUT", MEMBER, "status_if_new")
    assert "subscribed-ish" in violation.message
    assert sim.member(LIST, "ann@fabrikam.org") is None  # nothing was written


def test_wrong_json_type_names_the_field(sim, api):
    body = assert_problem(api.post("/ecommerce/stores", {"id": "s", "list_id": LIST, "name": 5,
                                                          "currency_code": "USD"}), 400, "Invalid Resource")
    assert body["errors"] == [{"field": "name", "message": "5 is not of type 'string'"}]
    assert [v.field for v in sim.contract_violations] == ["name"]


def test_missing_required_field_uses_mailchimps_wording(api):
    body = assert_problem(api.post("/ecommerce/stores", {"id": "s", "list_id": LIST, "name": "n"}),
                          400, "Invalid Resource")
    assert body["errors"] == [{"field": "", "message": "Required fields were not provided: currency_code"}]


def test_valid_request_records_no_violation(sim, api):
    answer = api.put(MEMBER, member_body("ann@fabrikam.org", merge_fields={"FNAME": "Ann", "LNAME": "Lee"}),
                     params={"skip_merge_validation": "true"})
    assert answer.status_code == 200
    assert sim.contract_violations == []
    assert sim.request_counts() == {("PUT", "/lists/{list_id}/members/{subscriber_hash}"): 1}


def test_contract_cache_is_keyed_by_spec_sha256_and_holds_the_fixed_document(tmp_path_factory, api):
    assert api.get("/ping").status_code == 200  # the spec has been loaded by now
    digest = hashlib.sha256(contract_path("openapi.yaml").read_bytes()).hexdigest()
    cached = list(contract_cache(tmp_path_factory).glob(f"mailchimp-openapi-{digest}-fix*.json"))
    assert len(cached) == 1
    document = load_fixed_document(cache_dir=contract_cache(tmp_path_factory))  # served from the cache
    assert document == json.loads(cached[0].read_text(encoding="utf-8"))
    merge = document["components"]["schemas"]["Add_List_Members_1"]["properties"]["merge_fields"]
    assert "type" not in merge["additionalProperties"]  # the documented spec defect is fixed
    assert "security" not in document


# --- paging and partial responses -----------------------------------------------------------------------------


def test_pagination_count_offset_and_total_items(sim, api):
    for n in range(8):
        assert api.post(f"/lists/{LIST}/merge-fields", {"name": f"Field {n}", "type": "text"}).status_code == 200
    first = api.get(f"/lists/{LIST}/merge-fields").json()
    assert (len(first["merge_fields"]), first["total_items"]) == (10, 12)
    rest = api.get(f"/lists/{LIST}/merge-fields", params={"offset": 10, "count": 5}).json()
    assert [f["tag"] for f in rest["merge_fields"]] == ["MMERGE11", "MMERGE12"]


def test_count_over_1000_is_rejected_by_default_and_clamped_on_request(sim, api):
    body = assert_problem(api.get("/lists", params={"count": 1001}), 400, "Invalid Resource")
    assert body["errors"][0]["field"] == "count"
    assert [v.field for v in sim.contract_violations] == ["count"]
    sim.config.count_over_max = "clamp"
    assert api.get("/lists", params={"count": 1001}).status_code == 200


def test_fields_and_exclude_fields(api):
    only = api.get("/lists", params={"fields": "lists.id,lists.name,total_items"}).json()
    assert only == {"lists": [{"id": LIST, "name": "Fabrikam customers"}], "total_items": 1}
    without = api.get(f"/lists/{LIST}", params={"exclude_fields": "stats,_links,contact"}).json()
    assert "stats" not in without and "contact" not in without and without["double_optin"] is False
    both = api.get("/lists", params={"fields": "lists.id", "exclude_fields": "total_items"})
    assert_problem(both, 400, "Invalid Resource")


# --- fault knobs ----------------------------------------------------------------------------------------------


def test_next_n_errors_then_recovery(sim, api):
    sim.faults.fail_next(2, 429)
    assert_problem(api.get("/ping"), 429, "Too Many Requests")
    assert_problem(api.get("/ping"), 429, "Too Many Requests")
    assert api.get("/ping").status_code == 200


def test_bodyless_403_and_429(sim, api):
    sim.faults.fail_next(1, 403, bodyless=True)
    sim.faults.fail_next(1, 429, bodyless=True)
    for status in (403, 429):
        answer = api.get("/ping")
        assert (answer.status_code, answer.content) == (status, b"")


def test_retry_after_is_sent_only_when_asked_for(sim, api):
    # Mailchimp documents no Retry-After, so none by default; a fault's own value beats the account-wide one.
    sim.faults.fail_next(1, 429)
    assert "Retry-After" not in api.get("/ping").headers
    sim.faults.fail_next(1, 503, retry_after=dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC))
    assert api.get("/ping").headers["Retry-After"] == "Mon, 03 Feb 2031 04:05:06 GMT"
    sim.config.retry_after = 4
    sim.faults.fail_next(1, 429, bodyless=True)
    sim.faults.fail_next(1, 503, retry_after="soon")
    sim.faults.fail_next(1, 500)
    assert [api.get("/ping").headers.get("Retry-After") for _ in range(3)] == ["4", "soon", None]
    sim.config.connection_limit = 0  # every request is over the limit
    over = api.get("/ping")
    assert (over.status_code, over.headers["Retry-After"]) == (429, "4")


def test_5xx_burst_only_on_matching_paths(sim, api):
    sim.faults.fail_next(3, 503, pattern="/lists*")
    assert api.get("/ping").status_code == 200
    assert [api.get("/lists").status_code for _ in range(4)] == [503, 503, 503, 200]


def test_connection_reset(sim, api):
    sim.faults.reset_next(1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/ping")
    assert Api(sim).get("/ping").status_code == 200


def test_random_error_rate_is_seeded(sim, api):
    sim.faults.set_error_rate(0.5)
    statuses = [api.get("/ping").status_code for _ in range(20)]
    assert set(statuses) == {200, 500}


def test_cut_off_answers_502_html_but_the_call_finishes_and_holds_its_slot(sim, api):
    sim.faults.set_cutoff(0.05)
    sim.faults.set_latency(0.3, pattern="/lists/*/members/*")
    answer = api.put(MEMBER, member_body("ann@fabrikam.org"))
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "text/html"
    assert answer.text.startswith("<html>")
    # The request keeps running server-side: the contact appears, then the slot is given back.
    wait_until(lambda: sim.member(LIST, "ann@fabrikam.org"), "the timed-out write to land")
    wait_until(lambda: sim.slots.in_flight == 0, "the slot to be released")


def test_writes_counter_and_reset(sim, api):
    api.get("/ping")
    api.get("/lists")
    assert sim.writes == 0
    api.put(MEMBER, member_body("ann@fabrikam.org"))
    api.delete(MEMBER)
    assert sim.writes == 2
    sim.reset_counters()
    assert (sim.writes, sim.request_counts(), sim.contract_violations) == (0, {}, [])
