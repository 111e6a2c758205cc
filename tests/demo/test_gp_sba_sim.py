"""The GP SBA simulator over real sockets: verified TLS, real NTLM/Negotiate, routes, encodings and faults."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import re
import ssl
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
import spnego
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop.demo.gp_auth import NtlmUserConflict
from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_sba import GPSimulator, SBAOptions
from tests.simulators import GPSim

PW = "Gp:Sync-Pa55!"  # a ':' on purpose: the NTLM user file must cope with it
PW_TWO = "Only-Two-1"
TRICKY = "Compañía de Papelería (Bermuda), Ltd."
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"TWO", TRICKY}), ("CORP", "two-only", PW_TWO, {"two"})],
               customers=120, seed=11)


def session(sim: GPSimulator, user: str = "CORP\\svc-gp", password: str = PW) -> requests.Session:
    s = requests.Session()
    s.auth = HttpNtlmAuth(user, password)
    return s


def get(s: requests.Session | Any, sim: GPSimulator, path: str, **kw: Any) -> requests.Response:
    # verify per request: a session-level verify loses against REQUESTS_CA_BUNDLE from the environment
    return s.get(sim.url(path), verify=str(sim.ca_path), timeout=10, **kw)


def customers_of(sim: GPSimulator, company: str) -> list[dict[str, Any]]:
    r = get(session(sim), sim, f"Companies({company})/Sales/Customers.json")
    assert r.status_code == 200, r.text
    return r.json()["Payload"]


# ----------------------------------------------------------------------------------------- authentication
def test_ntlm_over_verified_tls_authenticates_the_connection(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    handshakes = gp_sba.auth.handshakes
    r = get(s, gp_sba, "Companies.json")
    assert r.status_code == 200
    names = {c["DatabaseName"].strip() for c in r.json()["Payload"]}
    assert names == {"TWO", "CPBDA"}
    assert [h.status_code for h in r.history] == [401, 401]
    assert gp_sba.auth.handshakes == handshakes + 1
    before = gp_sba.request_count
    r2 = get(s, gp_sba, "Companies(TWO)/Sales/Customers.json")
    assert r2.status_code == 200 and not r2.history
    assert gp_sba.request_count == before + 1, "the kept-alive connection stays authenticated: no new handshake"
    last = gp_sba.requests()[-1]
    assert last.user == "CORP\\svc-gp" and last.status == 200
    assert last.connection == gp_sba.requests()[-2].connection


def test_localhost_name_verifies_too(gp_sba: GPSimulator) -> None:
    url = gp_sba.url("Companies.json").replace("127.0.0.1", "localhost")
    r = requests.get(url, auth=HttpNtlmAuth("CORP\\svc-gp", PW), verify=str(gp_sba.ca_path), timeout=10)
    assert r.status_code == 200


def test_wrong_password_and_unknown_user_get_401(gp_sba: GPSimulator) -> None:
    assert get(session(gp_sba, password="wrong"), gp_sba, "Companies.json").status_code == 401
    assert "Invalid NTLM response" in gp_sba.requests()[-1].note  # the third leg was checked, and refused
    assert get(session(gp_sba, user="CORP\\nobody"), gp_sba, "Companies.json").status_code == 401
    assert "matching credential" in gp_sba.requests()[-1].note
    assert get(session(gp_sba, user="OTHER\\svc-gp"), gp_sba, "Companies.json").status_code == 401


def test_401_offers_ntlm_and_negotiate_and_basic_only_when_enabled(gp_sba: GPSimulator) -> None:
    r = get(requests, gp_sba, "Companies.json")
    assert r.status_code == 401
    assert r.raw.headers.getlist("WWW-Authenticate") == ["NTLM", "Negotiate"]
    gp_sba.set_options(allow_basic=True)
    r = get(requests, gp_sba, "Companies.json")
    assert r.raw.headers.getlist("WWW-Authenticate") == ["NTLM", "Negotiate", 'Basic realm="GPService"']


def test_tls_verification_fails_without_the_ca(gp_sba: GPSimulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(gp_sba.url("Companies.json"), auth=HttpNtlmAuth("CORP\\svc-gp", PW), verify=True, timeout=10)


def test_new_connection_must_handshake_again(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    assert get(s, gp_sba, "Companies.json").status_code == 200
    plain = requests.Session()  # same process, new TCP connection, no credentials
    assert get(plain, gp_sba, "Companies.json").status_code == 401


def _handshake(
    sim: GPSimulator, scheme: str, client: Any, path: str = "Companies.json"
) -> tuple[http.client.HTTPResponse, list[str]]:
    """Drive an HTTP Negotiate/NTLM handshake by hand on one kept-alive connection."""
    ctx = ssl.create_default_context(cafile=str(sim.ca_path))
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx, timeout=10)
    url = urllib.parse.urlsplit(sim.url(path)).path
    token = client.step()
    seen: list[str] = []
    try:
        while True:
            conn.request("GET", url, headers={"Authorization": f"{scheme} {base64.b64encode(token).decode()}"})
            resp = conn.getresponse()
            resp.read()
            challenge = resp.getheader("WWW-Authenticate") or ""
            seen.append(challenge)
            if resp.status != 401 or not challenge.startswith(f"{scheme} "):
                return resp, seen
            token = client.step(base64.b64decode(challenge.split(" ", 1)[1]))
    finally:
        conn.close()


def test_negotiate_carrying_raw_ntlm(gp_sba: GPSimulator) -> None:
    client = spnego.client("CORP\\svc-gp", PW, hostname="127.0.0.1", service="HTTP", protocol="ntlm",
                           options=spnego.NegotiateOptions.use_ntlm)
    resp, seen = _handshake(gp_sba, "Negotiate", client)
    assert resp.status == 200
    assert seen[0].startswith("Negotiate ") and base64.b64decode(seen[0][10:]).startswith(b"NTLMSSP\x00\x02")


def test_negotiate_with_spnego_wrapped_ntlm(gp_sba: GPSimulator) -> None:
    client = spnego.client("CORP\\svc-gp", PW, hostname="127.0.0.1", service="HTTP", protocol="negotiate",
                           options=spnego.NegotiateOptions.use_negotiate)
    resp, _ = _handshake(gp_sba, "Negotiate", client)
    assert resp.status == 200
    assert gp_sba.requests()[-1].user == "CORP\\svc-gp"


def test_authenticate_message_without_negotiate_fails(gp_sba: GPSimulator) -> None:
    ctx = ssl.create_default_context(cafile=str(gp_sba.ca_path))
    conn = http.client.HTTPSConnection("127.0.0.1", gp_sba.port, context=ctx, timeout=10)
    leg3 = base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00" + b"\0" * 60).decode()  # type 3 with no type 1 first
    path = urllib.parse.urlsplit(gp_sba.url("Companies.json")).path
    conn.request("GET", path, headers={"Authorization": f"NTLM {leg3}"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 401


def test_post_body_is_drained_during_the_handshake(gp_sba: GPSimulator) -> None:
    r = session(gp_sba).post(gp_sba.url("Companies(TWO)/Sales/Customers.json"), data=b"x" * 50_000,
                          verify=str(gp_sba.ca_path), timeout=10)
    assert r.status_code == 405  # authenticated on the third leg, then refused: GETs only
    assert r.json()["ErrorCode"] == "MethodNotAllowed"


def test_basic_over_https_when_enabled(gp_sba: GPSimulator) -> None:
    assert get(requests, gp_sba, "Companies.json", auth=("CORP\\svc-gp", PW)).status_code == 401
    gp_sba.set_options(allow_basic=True)
    assert get(requests, gp_sba, "Companies.json", auth=("CORP\\svc-gp", PW)).status_code == 200
    assert get(requests, gp_sba, "Companies.json", auth=("CORP\\svc-gp", "nope")).status_code == 401


def test_password_rotation_makes_the_old_password_fail(gp_dataset: GPDataset, tmp_path: Path) -> None:
    with GPSimulator(gp_dataset, users=[("CORP", "rotor", "First-1", {"*"})], workdir=tmp_path) as own:
        early = session(own, "CORP\\rotor", "First-1")
        assert get(early, own, "Companies.json").status_code == 200
        own.rotate_password("CORP\\rotor", "Second-2")
        assert get(session(own, "CORP\\rotor", "First-1"), own, "Companies.json").status_code == 401
        assert get(session(own, "CORP\\rotor", "Second-2"), own, "Companies.json").status_code == 200
        # like IIS: a connection that already authenticated keeps its logon
        assert get(early, own, "Companies.json").status_code == 200


def test_conflicting_users_across_simulators_are_refused(gp_dataset: GPDataset, gp_sba: GPSimulator) -> None:
    other = GPSimulator(gp_dataset, users=[("CORP", "svc-gp", "another-password", {"*"})])
    with pytest.raises(NtlmUserConflict):
        other.start()
    other.stop()
    assert get(session(gp_sba), gp_sba, "Companies.json").status_code == 200, "the running simulator is unharmed"


def test_channel_binding_required(gp_dataset: GPDataset, tmp_path: Path) -> None:
    options = SBAOptions(require_channel_binding=True)
    with GPSimulator(gp_dataset, users=[("CORP", "cbt", "Cbt-1", {"*"})], workdir=tmp_path, options=options) as own:
        assert get(session(own, "CORP\\cbt", "Cbt-1"), own, "Companies.json").status_code == 200  # sends CBT
        no_cbt = HttpNtlmAuth("CORP\\cbt", "Cbt-1", send_cbt=False)
        assert get(requests, own, "Companies.json", auth=no_cbt).status_code == 401


# ----------------------------------------------------------------------------------------- authorization
def test_user_without_company_access_gets_403(gp_sba: GPSimulator) -> None:
    s = session(gp_sba, "CORP\\two-only", PW_TWO)
    r = get(s, gp_sba, "Companies(CPBDA)/Sales/Customers.json")
    assert r.status_code == 403
    body = r.json()
    assert body["ErrorCode"] == "AccessDenied" and TRICKY in body["Message"]
    uuid.UUID(body["LogId"])
    companies = get(s, gp_sba, "Companies.json").json()["Payload"]
    assert [c["DatabaseName"].strip() for c in companies] == ["TWO"]
    assert get(s, gp_sba, "Companies(TWO)/Sales/Customers.json").status_code == 200


def test_revoke_and_grant_act_on_the_next_request(gp_sba: GPSimulator) -> None:
    s = session(gp_sba, "CORP\\two-only", PW_TWO)
    assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").status_code == 200
    gp_sba.revoke("CORP\\two-only", "TWO")
    try:
        assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").status_code == 403
    finally:
        gp_sba.grant("CORP\\two-only", "TWO")
    assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "Companies(NOPE)/Sales/Customers.json",
        "Companies(TWO)/Sales/Customers(NO-SUCH-CUST).json",
        "Companies(TWO)/Sales/Receivables(1;NO-SUCH-DOC).json",
        "Companies(TWO)/Sales/Vendors.json",
        "Companies(TWO)/Purchasing/Customers.json",
    ],
)
def test_unknown_things_are_404(gp_sba: GPSimulator, path: str) -> None:
    r = get(session(gp_sba), gp_sba, path)
    assert r.status_code == 404
    assert set(r.json()) == {"ErrorCode", "Message", "LogId"}


def test_unknown_tenant_is_404(gp_sba: GPSimulator) -> None:
    r = session(gp_sba).get(gp_sba.url("Companies.json", tenant="Nope"), verify=str(gp_sba.ca_path), timeout=10)
    assert r.status_code == 404 and r.json()["ErrorCode"] == "TenantNotFound"
    assert get(session(gp_sba), gp_sba, "Companies.json").status_code == 200
    r = session(gp_sba).get(gp_sba.url("Companies.json", tenant="defaulttenant"), verify=str(gp_sba.ca_path),
                            timeout=10)
    assert r.status_code == 200


# ------------------------------------------------------------------------------------------ routes & shapes
@pytest.mark.parametrize(
    "company",
    [
        urllib.parse.quote(TRICKY, safe=""),
        urllib.parse.quote(TRICKY, safe="(),"),  # raw parentheses and commas
        urllib.parse.quote(TRICKY.upper(), safe=""),
        TRICKY,  # raw UTF-8 and spaces: requests percent-encodes what it must
        "CPBDA",
        "cpbda",
    ],
)
def test_company_names_round_trip(gp_sba: GPSimulator, company: str) -> None:
    customers = customers_of(gp_sba, company)
    assert customers and all(len(c["CustomerNumber"]) == 15 for c in customers)
    cpbda = gp_sba.dataset.companies["CPBDA"]
    assert {c["CustomerNumber"] for c in customers} == {c.custnmbr for c in cpbda.customers.values()}


@pytest.mark.parametrize("company", [urllib.parse.quote("Fabrikam, Inc.", safe=""), "fabrikam,%20inc.", "TWO", "two"])
def test_fabrikam_by_name_or_database(gp_sba: GPSimulator, company: str) -> None:
    assert len(customers_of(gp_sba, company)) == len(gp_sba.dataset.companies["TWO"].customers)


def test_customer_by_key_is_trimmed_and_case_insensitive(gp_sba: GPSimulator) -> None:
    listed = customers_of(gp_sba, "TWO")[0]
    padded = listed["CustomerNumber"]
    assert padded != padded.rstrip(), "GP pads char columns by default"
    s = session(gp_sba)
    for key in (padded.rstrip(), urllib.parse.quote(padded, safe=""), padded.rstrip().lower()):
        r = get(s, gp_sba, f"Companies(TWO)/Sales/Customers({key}).json")
        assert r.status_code == 200, key
        assert r.json()["Payload"] == listed


def test_customer_keys_that_need_encoding(gp_sba: GPSimulator) -> None:
    data = gp_sba.dataset.companies["TWO"]
    odd = [k for k in data.customers if not k.isalnum()]
    assert odd, "the data holds keys with '-', '&', spaces or apostrophes"
    s = session(gp_sba)
    for key in odd:
        r = get(s, gp_sba, f"Companies(TWO)/Sales/Customers({urllib.parse.quote(key, safe='')}).json")
        assert r.status_code == 200 and r.json()["Payload"]["CustomerNumber"].rstrip() == key


def test_receivables_list_and_key(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    docs = get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").json()["Payload"]
    assert {d["DocumentType"] for d in docs} == set(range(1, 10))
    assert {d["TransactionState"] for d in docs} == {"Open", "History"}
    doc = next(d for d in docs if d["DocumentType"] == 1)
    assert set(doc) == {
        "DocumentNumber", "DocumentType", "CustomerNumber", "DocumentDate", "PostedDate", "CurrencyId",
        "OriginalAmount", "CurrentAmount", "IsVoided", "VoidDate", "TransactionState", "ModifiedDate",
    }
    assert set(doc["OriginalAmount"]) == {"Value", "Currency", "DecimalDigits"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00", doc["DocumentDate"])
    r = get(s, gp_sba, f"Companies(TWO)/Sales/Receivables(1;{doc['DocumentNumber'].strip()}).json")
    assert r.status_code == 200 and r.json()["Payload"] == doc
    assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables(x;y).json").status_code == 400


def test_xml_by_default_json_by_suffix_or_accept(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    r = get(s, gp_sba, "Companies(TWO)/Sales/Customers")
    assert r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "Payload" and len(root.findall("Customer")) == len(gp_sba.dataset.companies["TWO"].customers)
    assert root.find("Customer/Addresses/Address/City") is not None
    r = get(s, gp_sba, "Companies(TWO)/Sales/Customers", headers={"Accept": "application/json"})
    assert r.headers["Content-Type"].startswith("application/json") and "Payload" in r.json()


def test_trimming_knob(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(trim_strings=True)
    customers = customers_of(gp_sba, "TWO")
    assert all(c["CustomerNumber"] == c["CustomerNumber"].rstrip() for c in customers)
    assert all(a["City"] == a["City"].rstrip() for c in customers for a in c["Addresses"])


def test_help_page(gp_sba: GPSimulator) -> None:
    r = get(session(gp_sba), gp_sba, "help")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Sales/Customers" in r.text and "Fabrikam, Inc." in r.text


def test_mutations_show_up_and_email_edit_keeps_modified_date(gp_sba: GPSimulator) -> None:
    data = gp_sba.dataset.companies["TWO"]
    key = next(k for k, c in data.customers.items() if data.internet_of(c.custnmbr, c.adrscode))
    s = session(gp_sba)
    before = get(s, gp_sba, f"Companies(TWO)/Sales/Customers({key}).json").json()["Payload"]
    GPMutator(gp_sba.dataset, seed=2).change_email(key, "changed@example-client.com")
    after = get(s, gp_sba, f"Companies(TWO)/Sales/Customers({key}).json").json()["Payload"]
    assert after["Addresses"][0]["EmailToAddress"] == "changed@example-client.com"
    assert after["ModifiedDate"] == before["ModifiedDate"]


# ---------------------------------------------------------------------------------------------- faults
def test_error_burst_gives_500_with_log_id(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    assert get(s, gp_sba, "Companies.json").status_code == 200
    gp_sba.fail_next(2)
    for _ in range(2):
        r = get(s, gp_sba, "Companies.json")
        assert r.status_code == 500
        body = r.json()
        assert body["ErrorCode"] and body["Message"]
        assert any(e["LogId"] == body["LogId"] for e in gp_sba.errors)
        uuid.UUID(body["LogId"])
    assert get(s, gp_sba, "Companies.json").status_code == 200


def test_error_burst_for_a_path_pattern(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    gp_sba.fail_next(1, path_pattern="Receivables")
    assert get(s, gp_sba, "Companies(TWO)/Sales/Customers.json").status_code == 200
    assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").status_code == 500
    assert get(s, gp_sba, "Companies(TWO)/Sales/Receivables.json").status_code == 200


def test_error_burst_with_retry_after(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    gp_sba.fail_next(1, status=503, retry_after=7)
    gp_sba.fail_next(1, status=503, retry_after=dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC))
    gp_sba.fail_next(1, status=503)
    answers = [get(s, gp_sba, "Companies.json") for _ in range(3)]
    assert [r.status_code for r in answers] == [503, 503, 503]
    assert [r.headers.get("Retry-After") for r in answers] == ["7", "Mon, 03 Feb 2031 04:05:06 GMT", None]


def test_connection_reset(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    assert get(s, gp_sba, "Companies.json").status_code == 200
    gp_sba.reset_next(1)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(s, gp_sba, "Companies.json")
    assert gp_sba.requests()[-1].fault == "reset"
    assert get(session(gp_sba), gp_sba, "Companies.json").status_code == 200


def test_latency_is_applied(gp_sba: GPSimulator) -> None:
    s = session(gp_sba)
    assert get(s, gp_sba, "Companies.json").status_code == 200
    delayed = gp_sba.log.delayed
    gp_sba.set_latency(0.01, path_pattern="Customers")
    get(s, gp_sba, "Companies.json")
    get(s, gp_sba, "Companies(TWO)/Sales/Customers.json")
    assert gp_sba.log.delayed == delayed + 1
    assert gp_sba.requests()[-1].delay == 0.01 and gp_sba.requests()[-2].delay == 0


def test_stop_ends_kept_alive_connections(gp_dataset: GPDataset, tmp_path: Path) -> None:
    own = GPSimulator(gp_dataset, users=[("CORP", "stopper", "Stop-1", {"*"})], workdir=tmp_path).start()
    s = session(own, "CORP\\stopper", "Stop-1")
    url, ca = own.url("Companies.json"), str(own.ca_path)
    assert s.get(url, verify=ca, timeout=10).status_code == 200
    own.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        s.get(url, verify=ca, timeout=10)


def test_plain_http_debug_mode(gp_dataset: GPDataset) -> None:
    with GPSimulator(gp_dataset, users=[("CORP", "plain", "Plain-1", {"*"})], tls=False) as own:
        assert own.base_url.startswith("http://") and own.ca_path is None
        r = requests.get(own.url("Companies.json"), auth=HttpNtlmAuth("CORP\\plain", "Plain-1"), timeout=10)
        assert r.status_code == 200
