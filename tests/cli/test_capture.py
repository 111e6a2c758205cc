"""``gpmc capture``: the GP sample for support holds one raw answer per resource, with no name, e-mail, phone or
street of the data set and no secret in it, while keys, types, nesting, dates and number formats survive."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from lxml import etree

from gpmc_desktop.cli.main import main
from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.capture import redact_path
from gpmc_desktop.gp.sample_redaction import RawNumber, Redaction, raw_numbers
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY, GPSettings, to_toml
from gpmc_desktop.store.diagnostics import KRB5CCNAME
from tests.simulators import GPSim

GP_PASSWORD = "Capture-Secret-4711 horse"
API_KEY = "fedcba9876543210fedcba9876543210-us21"
KEY_BEFORE_DASH = API_KEY.split("-")[0]
TICKET_CACHE = "/tmp/krb5cc_4242_capture"
SECRETS = (GP_PASSWORD, API_KEY, KEY_BEFORE_DASH, TICKET_CACHE)
USER = "CORP\\svc-capture"
GP_SIM = GPSim(users=[("CORP", "svc-capture", GP_PASSWORD, {"*"})], customers=30, seed=11)
ANSWERS = {"help.html", "companies.json", "customers.json", "customer-addresses.json", "receivables.json",
           "answers.json"}


def _profile_document(url: str, ca: str, database: Path, *, api: str = "sba", company: str = "TWO") -> dict[str, Any]:
    gp = {"api": api, "url": url, "company": company, "username": USER, "auth": "ntlm"}
    if ca:
        gp["ca_bundle"] = ca
    return {"profile": {"name": "Capture", "database": str(database)}, "gp": gp,
            "mailchimp": {"list_id": "a1b2c3d4e5", "store_id": "gp-two", "automations": "off"}}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as sample:
        return {name: sample.read(name) for name in sample.namelist()}


def _capture(config: Path, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_")}
    env.update({ENV_GP_PASSWORD: GP_PASSWORD, ENV_MAILCHIMP_API_KEY: API_KEY, KRB5CCNAME: f"FILE:{TICKET_CACHE}"})
    return subprocess.run([sys.executable, "-m", "gpmc_desktop.cli.main", "capture", "--config", str(config),
                           "--out", str(out), *flags], env=env, capture_output=True, text=True, timeout=180)


def personal_values(dataset: GPDataset, only: Collection[str] | None = None) -> set[str]:
    """Every name, e-mail, phone, street and city of the data set (long enough not to turn up by chance); *only*:
    of those customer numbers alone."""
    found: set[str] = set()
    for data in dataset.companies.values():
        for number, cust in data.customers.items():
            if only is None or number.strip() in only:
                found |= {cust.custname, cust.shrtname, cust.stmtname, cust.cntcprsn, cust.address1, cust.city,
                          cust.phone1}
        for number, rows in data.addresses.items():
            for a in rows if only is None or number.strip() in only else ():
                found |= {a.cntcprsn, a.address1, a.address2, a.city, a.zip, a.phone1, a.phone2, a.fax}
        for number, rows in data.internet.items():
            for i in rows if only is None or number.strip() in only else ():
                for field in (i.email_to_address, i.email_cc_address, i.email_bcc_address):
                    found |= {e.strip().removeprefix("mailto:") for e in field.split(";")}
    return {v.strip() for v in found if len(v.strip()) >= 5 and set(v.strip()) - set("0 -()")}


def short_number(value: str) -> bool:
    """A zip code or the like: a placeholder's random digits may equal another customer's real one by chance."""
    return len(value) <= 6 and value.isdigit()


def leaks(values: set[str], text: str) -> list[str]:
    """The *values* found in *text* as whole words (a zip code inside a WCF date's milliseconds is no leak)."""
    return [v for v in values if v in text and re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text)]


@pytest.fixture(autouse=True)
def _planted(gp_dataset: GPDataset) -> Iterator[None]:
    """The secrets planted in GP's own data, where a careless sample would copy them."""
    data = gp_dataset.companies["TWO"]
    first = data.customers[sorted(data.customers)[0]]
    saved = (first.custname, first.cntcprsn)
    first.custname, first.cntcprsn = f"Acme {GP_PASSWORD}", f"{API_KEY} {TICKET_CACHE}"
    yield
    first.custname, first.cntcprsn = saved


# -------------------------------------------------------------------------------------------------------- SBA
@pytest.mark.parametrize("knobs", [{}, {"dates": "wcf_offset", "amount_shape": "string", "list_key": "Items",
                                        "separate_addresses": True}], ids=["contract", "variants"])
def test_the_sample_holds_the_raw_answers_redacted_and_no_secret(
    gp_sba: GPSimulator, gp_dataset: GPDataset, tmp_path: Path, knobs: dict[str, Any]
) -> None:
    gp_sba.set_options(**knobs)
    config = tmp_path / "capture.toml"
    config.write_text(to_toml(_profile_document(gp_sba.base_url, str(gp_sba.ca_path), tmp_path / "s.sqlite")),
                      encoding="utf-8")
    out = tmp_path / "sample.zip"
    done = _capture(config, out)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    assert list(tmp_path.glob("*.part")) == [] and not (tmp_path / "s.sqlite").exists()

    members = _members(out)
    gp_files = {n.removeprefix("gp/") for n in members if n.startswith("gp/")}
    assert gp_files == ANSWERS  # a server without Sales/CustomerAddresses: its 404 is the answer kept
    assert {"README.txt", "versions.txt", "profile.toml", "check.txt"} <= set(members)
    text = {name: body.decode("utf-8") for name, body in members.items()}
    assert "gpmc_desktop: " in text["versions.txt"] and "python: " in text["versions.txt"]
    assert "ok   gp        sample" in text["check.txt"]
    for name, body in text.items():
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} leaked into {name}"
    customers = _records(raw_numbers(text["gp/customers.json"]))
    documents = _records(raw_numbers(text["gp/receivables.json"]))
    assert len(customers) == 5 and 0 < len(documents) <= 10
    numbers = {c["CustomerNumber"] for c in customers}
    raw = _raw_answers(gp_sba)
    # The whole data set's personal values, less short numbers: of those, the sampled customers' own (the
    # first of GP's answer; the sample's numbers are placeholders).
    sampled = {str(c["CustomerNumber"]).strip() for c in _records(raw["customers.json"])[:len(customers)]}
    personal = {v for v in personal_values(gp_dataset) if not short_number(v)}
    personal |= {v for v in personal_values(gp_dataset, sampled) if short_number(v)}
    assert len(personal) > 100 and any(short_number(v) for v in personal)
    for name, body in text.items():
        leaked = leaks(personal, body)
        assert leaked == [], f"{name} holds {leaked[:5]}"

    manifest = {e["file"]: e for e in json.loads(text["gp/answers.json"])}
    for file in ("companies.json", "customers.json", "receivables.json"):
        assert manifest[file]["status"] == 200
        assert_same_shape(raw[file], raw_numbers(text[f"gp/{file}"]))
    assert {d["CustomerNumber"] for d in documents} <= numbers  # the record keys still join
    if knobs:
        assert_same_shape(raw["customer-addresses.json"], raw_numbers(text["gp/customer-addresses.json"]))
        addresses = _records(raw_numbers(text["gp/customer-addresses.json"]))
        assert addresses and {a["CustomerNumber"] for a in addresses} <= numbers
        assert {(c["CustomerNumber"], c["PrimaryAddressId"]) for c in customers} & {
            (a["CustomerNumber"], a["AddressId"]) for a in addresses}
        assert documents[0]["DocumentDate"].startswith("/Date(")
        assert isinstance(documents[0]["OriginalAmount"], str) and not isinstance(
            documents[0]["OriginalAmount"], RawNumber)
    else:
        assert manifest["customer-addresses.json"]["status"] == 404
        for c in customers:
            assert c["PrimaryAddressId"] in {a["AddressId"] for a in c["Addresses"]}
    # The company is replaced where it names the company (URL, company list, profile), the same way each time.
    company = text["profile.toml"].split('company = "')[1].split('"')[0]
    assert company != "TWO" and len(company) == 3
    listed = {c["DatabaseName"].strip(): c for c in _records(raw_numbers(text["gp/companies.json"]))}
    assert company in listed
    # The client addresses SBA by the display name it found in the list: redacted the same way in the path.
    display = listed[company]["Name"].strip()
    assert display != "Fabrikam, Inc." and len(display) == len("Fabrikam, Inc.")
    assert f"Companies({quote(display, safe='')})" in manifest["customers.json"]["path"]
    assert "Fabrikam" not in "".join(text.values())


def _records(payload: Any) -> list[Any]:
    inner = payload["Payload"]
    return inner if isinstance(inner, list) else next(v for v in inner.values() if isinstance(v, list))


def _raw_answers(sim: GPSimulator) -> dict[str, Any]:
    settings = GPSettings(url=sim.base_url, company="TWO", username=USER, ca_bundle=str(sim.ca_path))
    session = build_session(settings, GP_PASSWORD)
    try:
        urls = {"companies.json": sim.url("Companies.json"),
                "customers.json": sim.url("Companies(TWO)/Sales/Customers.json"),
                "customer-addresses.json": sim.url("Companies(TWO)/Sales/CustomerAddresses.json"),
                "receivables.json": sim.url("Companies(TWO)/Sales/Receivables.json")}
        return {name: raw_numbers(session.get(url, verify=str(sim.ca_path), timeout=30).text)
                for name, url in urls.items()}
    finally:
        session.close()


def assert_same_shape(raw: Any, sample: Any, where: str = "") -> None:
    """Same keys, types and nesting; the sample's lists are a prefix-sized cut; kept values (dates, amounts,
    flags, types) equal, replaced strings as long as the original with the same padding."""
    assert type(raw) is type(sample), where
    if isinstance(raw, dict):
        assert list(raw) == list(sample), where
        for key in raw:
            assert_same_shape(raw[key], sample[key], f"{where}.{key}")
    elif isinstance(raw, list):
        assert len(sample) <= len(raw), where
        by_shape = {json.dumps(_skeleton(item)) for item in raw}
        for item in sample:
            assert json.dumps(_skeleton(item)) in by_shape, where
    elif isinstance(raw, str):
        assert len(raw) == len(sample) and len(raw) - len(raw.rstrip()) == len(sample) - len(sample.rstrip()), where
        key = where.rsplit(".", 1)[-1]
        if key.endswith(("Date", "Amount")) or key in ("Value", "DocumentType", "TransactionState", "Currency"):
            assert raw == sample, where


def _skeleton(value: Any) -> Any:
    """Keys and types only (with the values a date, amount or flag keeps)."""
    if isinstance(value, dict):
        return {k: (v if k.endswith("Date") or k.startswith("Is") else _skeleton(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v) for v in value[:1]]
    return type(value).__name__


# ------------------------------------------------------------------------------------------------------- SOAP
def test_a_soap_profile_captures_the_raw_soap_answers_redacted(
    gp_soap: GPSoapSimulator, gp_dataset: GPDataset, tmp_path: Path
) -> None:
    company = gp_dataset.companies["TWO"].name
    config = tmp_path / "soap.toml"
    config.write_text(to_toml(_profile_document(gp_soap.base_url, "", tmp_path / "s.sqlite", api="soap",
                                                company=company)), encoding="utf-8")
    out = tmp_path / "soap.zip"
    done = _capture(config, out, "--customers", "3", "--documents", "2")
    assert done.returncode == 0, done.stderr
    members = _members(out)
    files = {n.removeprefix("gp/") for n in members if n.startswith("gp/")}
    assert {"companies.xml", "customer-list.xml", "customer-1.xml", "customer-3.xml", "invoice-list.xml",
            "invoice-1.xml"} <= files
    assert "customer-4.xml" not in files and "invoice-3.xml" not in files
    text = {name: body.decode("utf-8") for name, body in members.items()}
    personal = {v for v in personal_values(gp_dataset) if not short_number(v)}  # see the SBA sample's test
    for name, body in text.items():
        assert leaks(personal, body) == [], name
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} leaked into {name}"
    customer = etree.fromstring(members["gp/customer-1.xml"])
    assert etree.QName(customer).localname == "Envelope"
    names = {etree.QName(e).localname for e in customer.iter() if isinstance(e.tag, str)}
    assert {"GetCustomerByKeyResult", "Name", "ModifiedDate"} <= names
    listed = etree.fromstring(members["gp/customer-list.xml"])
    summaries = [e for e in listed.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "CustomerSummary"]
    assert len(summaries) == 3


# --------------------------------------------------------------------------------------------------- failures
def test_a_bad_config_a_missing_password_or_an_unwritable_path_exits_2(tmp_path: Path, capsys,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["capture", "--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "s.zip")]) == 2
    assert "does not exist" in capsys.readouterr().err
    config = tmp_path / "p.toml"
    config.write_text(to_toml(_profile_document("https://127.0.0.1:9", "", tmp_path / "s.sqlite")), encoding="utf-8")
    monkeypatch.delenv(ENV_GP_PASSWORD, raising=False)
    assert main(["capture", "--config", str(config), "--out", str(tmp_path / "s.zip")]) == 2
    assert f"set {ENV_GP_PASSWORD}" in capsys.readouterr().err
    monkeypatch.setenv(ENV_GP_PASSWORD, GP_PASSWORD)
    assert main(["capture", "--config", str(config), "--out", str(tmp_path / "no" / "such" / "s.zip")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_an_unreachable_server_still_gives_a_sample_with_the_check_lines(tmp_path: Path, capsys,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "p.toml"
    config.write_text(to_toml(_profile_document("https://127.0.0.1:9", "", tmp_path / "s.sqlite")), encoding="utf-8")
    monkeypatch.setenv(ENV_GP_PASSWORD, GP_PASSWORD)
    assert main(["capture", "--config", str(config), "--out", str(tmp_path / "s.zip")]) == 0
    members = _members(tmp_path / "s.zip")
    assert members["check.txt"].decode("utf-8").startswith("FAIL gp        reach     Cannot reach 127.0.0.1:9")
    assert "note: " in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------- redaction
def test_placeholders_keep_the_shape_and_join_and_say_nothing_of_the_original() -> None:
    redaction = Redaction()
    email = redaction.text("mailto:Bob.Fitz@fitz-electric.com; ap@fitz-electric.com  ")
    assert len(email) == len("mailto:Bob.Fitz@fitz-electric.com; ap@fitz-electric.com  ")
    assert email.startswith("mailto:") and email.endswith(".com  ") and email.count("@") == 2
    local, domain = email.removeprefix("mailto:").split(";")[0].split("@")
    assert local[0].isupper() and local[3] == "." and domain.endswith("-" + domain.split("-")[1])
    assert "fitz" not in email.lower() and "bob" not in email.lower()
    assert email.split(";")[1].strip().split("@")[1] == domain  # the same domain, the same placeholder
    assert redaction.text("AARONFIT0001   ") == redaction.text("aaronfit0001   ").upper()
    assert redaction.text("00000000000000") == "00000000000000"  # GP's empty phone: nothing personal in it
    assert redaction.text("Müller") != "Müller" and not redaction.text("Müller").isascii()
    numbers = {redaction.text(f"C{i}") for i in range(10)}
    assert len(numbers) == 10  # never two keys for one placeholder
    kept = redaction.json_value(raw_numbers(
        '{"DocumentDate": "/Date(1714521600000+0200)/", "OriginalAmount": "12.50", "CurrentAmount": {"Value": 12.50},'
        ' "DocumentType": "Credit Memo", "IsVoided": false, "Comment": "call Bob 555-0101", "Phone": 5550101}'))
    assert kept["DocumentDate"] == "/Date(1714521600000+0200)/" and kept["OriginalAmount"] == "12.50"
    assert str(kept["CurrentAmount"]["Value"]) == "12.50" and kept["DocumentType"] == "Credit Memo"
    assert kept["IsVoided"] is False
    assert "Bob" not in kept["Comment"] and len(kept["Comment"]) == len("call Bob 555-0101")
    assert isinstance(kept["Phone"], RawNumber) and kept["Phone"] != "5550101" and len(kept["Phone"]) == 7
    assert Redaction(salt=b"x").text("Fabrikam") == Redaction(salt=b"x").text("Fabrikam") != Redaction(
        salt=b"y").text("Fabrikam")


def test_a_path_keeps_its_tenant_and_the_way_the_company_was_encoded() -> None:
    redaction = Redaction()
    name = redaction.text("Fabrikam, Inc.")
    path = redact_path("/GPService/Tenants(DefaultTenant)/Companies(Fabrikam,%20Inc.)/Sales/Customers.json", redaction)
    assert path == f"/GPService/Tenants(DefaultTenant)/Companies({name.replace(' ', '%20')})/Sales/Customers.json"
