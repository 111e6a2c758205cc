"""``gpmc check``: each stage against the simulators, stopping at the first failure with plain words."""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.cli.main import main
from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_NAME, MailchimpSimulator
from gpmc_desktop.gp.customer_fields import SBA_NAMES
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.profile import GPSettings, MailchimpSettings, load_profile, profile_from_mapping
from gpmc_desktop.sync.check import (
    Audience,
    CompanySample,
    StageResult,
    automations_result,
    check_gp,
    check_mailchimp,
    run_gp,
    run_mailchimp,
)
from gpmc_desktop.sync.runner import save_profile_settings
from tests.demo.mailchimp_support import KEY, LIST
from tests.simulators import GPSim

PW = "Check:Pa55-1"
PW_TWO = "Check-Two-2"
USER = "CORP\\svc-check"
USER_TWO = "CORP\\check-two"
TRICKY = "Compañía de Papelería (Bermuda), Ltd."
GP_STAGES = ["reach", "tls", "auth", "companies", "company", "sample", "data"]
MC_STAGES = ["key", "ping", "audiences", "audience", "store"]
GP_SIM = GPSim(users=[("CORP", "svc-check", PW, {"*"}), ("CORP", "check-two", PW_TWO, {"TWO"})], customers=40,
               seed=9)

pytestmark = pytest.mark.usefixtures("system_ca_env")


@pytest.fixture(scope="module")
def mc(mailchimp_sim: MailchimpSimulator) -> MailchimpSimulator:
    """The account: the demo audience and a second one."""
    mailchimp_sim.add_list("f0e1d2c3b4", "Wholesale")
    return mailchimp_sim


@pytest.fixture(autouse=True)
def _no_contract_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "mc" in request.fixturenames:
        sim: MailchimpSimulator = request.getfixturevalue("mc")
        assert sim.contract_violations == []


def gp_settings(sim: GPSimulator, **changes: Any) -> GPSettings:
    base = GPSettings(url=sim.base_url, company="TWO", username=USER, ca_bundle=str(sim.ca_path),
                      timeout_seconds=10.0)
    return replace(base, **changes)


def mc_settings(sim: MailchimpSimulator, **changes: Any) -> MailchimpSettings:
    base = MailchimpSettings(list_id=LIST, store_id="gp-check", api_base=sim.api_base)
    return replace(base, **changes)


def read_customers(settings: GPSettings) -> list[Customer]:
    """The company's customers as the SBA source reads them, to hold the sample stage's words against."""
    session = build_session(settings, PW)
    try:
        return SbaSource(settings, session, attempts=1).customers()
    finally:
        session.close()


def outcome(results: list[StageResult]) -> list[tuple[str, bool]]:
    return [(r.stage, r.ok) for r in results]


def failed(results: list[StageResult]) -> StageResult:
    assert not results[-1].ok, results
    assert all(r.ok for r in results[:-1]), results  # it stops at the first failure
    return results[-1]


# ------------------------------------------------------------------------------------------------------- GP
def test_gp_all_stages_pass(gp_sba: GPSimulator, gp_dataset: GPDataset) -> None:
    results = list(check_gp(gp_settings(gp_sba), PW))
    assert outcome(results) == [(s, True) for s in GP_STAGES]
    assert all(r.system == "gp" for r in results)
    by_stage = {r.stage: r.message for r in results}
    assert by_stage["tls"] == "certificate trusted"
    assert by_stage["auth"] == f"signed in as {USER} with NTLM (2 companies visible)"
    assert by_stage["companies"] == f"2 companies: TWO (Fabrikam, Inc.), CPBDA ({TRICKY})"
    assert by_stage["company"] == 'company TWO (Fabrikam, Inc.) — GP accepted its display name "Fabrikam, Inc." in ' \
                                  "the address"
    customers = read_customers(gp_settings(gp_sba))
    assert len(customers) == len(gp_dataset.companies["TWO"].customers)
    with_email = [c for c in customers if c.email]
    who = with_email[0].company_name or f"{with_email[0].first_name} {with_email[0].last_name}".strip()
    assert by_stage["sample"] == (f"{len(customers)} customers readable, {len(with_email)} with an e-mail address "
                                  f"(for example {with_email[0].number}: {who})")
    assert results[0].line().startswith("ok   gp        reach")


def test_the_wizard_stops_after_the_stage_its_page_needs(gp_sba: GPSimulator, gp_dataset: GPDataset) -> None:
    shown: list[StageResult] = []
    before = gp_sba.request_count
    facts = run_gp(gp_settings(gp_sba), PW, shown.append, until="companies")
    assert facts is not None and outcome(shown) == [(s, True) for s in GP_STAGES[:4]]
    assert [c.database for c in facts.companies] == ["TWO", "CPBDA"] and facts.sample is None
    sent = gp_sba.requests()[-(gp_sba.request_count - before):]
    assert sent and not any("/Sales/" in r.path for r in sent)  # the stages after "companies" never ran

    shown.clear()
    gp_sba.clear_log()
    facts = run_gp(gp_settings(gp_sba), PW, shown.append, until="sample")
    assert facts is not None and outcome(shown) == [(s, True) for s in GP_STAGES[:6]]
    assert not any("Receivables" in r.path for r in gp_sba.requests())  # "data" never ran
    customers = read_customers(gp_settings(gp_sba))
    classes = Counter(c.class_id for c in customers if c.class_id)
    assert len(classes) >= 2
    # Each field a profile may map: what the customers hold in it, most held first.
    held = {key: Counter(v for c in customers if (v := c.value_of(key))) for key in
            ("salesperson", "sales_territory", "price_level", "payment_terms", "user_defined_1", "user_defined_2")}
    assert facts.sample == CompanySample(len(customers), len(customers), sum(1 for c in customers if c.email),
                                         dict(sorted(classes.items())),
                                         {key: dict(count.most_common()) for key, count in held.items()})
    assert all(held.values())

    shown.clear()
    assert run_gp(gp_settings(gp_sba), "wrong", shown.append, until="sample") is None
    assert outcome(shown) == [("reach", True), ("tls", True), ("auth", False)]
    with pytest.raises(ValueError, match="unknown stage 'documents'"):
        run_gp(gp_settings(gp_sba), PW, shown.append, until="documents")


def test_gp_company_by_display_name(gp_sba: GPSimulator, gp_dataset: GPDataset) -> None:
    results = list(check_gp(gp_settings(gp_sba, company=TRICKY), PW))
    assert outcome(results) == [(s, True) for s in GP_STAGES]
    assert results[4].message == f'company CPBDA ({TRICKY}) — GP accepted its display name "{TRICKY}" in the address'
    assert results[5].message.startswith(f"{len(gp_dataset.companies['CPBDA'].customers)} customers readable, ")


def test_gp_unreachable_port(gp_sba: GPSimulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    results = list(check_gp(gp_settings(gp_sba, url=f"https://127.0.0.1:{port}"), PW))
    result = failed(results)
    assert outcome(results) == [("reach", False)]
    assert f"Cannot reach 127.0.0.1:{port}" in result.message
    assert "server name and port" in result.message
    assert result.line().startswith("FAIL gp        reach")


def test_gp_untrusted_tls(gp_sba: GPSimulator) -> None:
    before = gp_sba.request_count
    results = list(check_gp(gp_settings(gp_sba, ca_bundle=None), PW))
    result = failed(results)
    assert outcome(results) == [("reach", True), ("tls", False)]
    assert "does not trust" in result.message and "CA certificate file" in result.message
    assert gp_sba.request_count == before  # no credentials went over the untrusted channel


def test_gp_missing_ca_file(gp_sba: GPSimulator, tmp_path: Any) -> None:
    missing = tmp_path / "corp-root.pem"
    results = list(check_gp(gp_settings(gp_sba, ca_bundle=str(missing)), PW))
    result = failed(results)
    assert outcome(results) == [("reach", True), ("tls", False)]
    assert f"The CA certificate file {missing} does not exist" in result.message


def test_gp_basic_over_plain_http_is_refused_before_sending(gp_sba: GPSimulator) -> None:
    before = gp_sba.request_count
    results = list(check_gp(gp_settings(gp_sba, url=gp_sba.base_url.replace("https://", "http://"), auth="basic"), PW))
    result = failed(results)
    assert outcome(results) == [("reach", True), ("auth", False)]
    assert "in the clear" in result.message
    assert gp_sba.request_count == before


def test_gp_wrong_password(gp_sba: GPSimulator) -> None:
    results = list(check_gp(gp_settings(gp_sba), "wrong"))
    result = failed(results)
    assert outcome(results)[-1] == ("auth", False) and len(results) == 3
    assert f"GP refused the Windows credentials of {USER}" in result.message
    assert "password" in result.message


def test_gp_unknown_company_lists_the_companies(gp_sba: GPSimulator) -> None:
    results = list(check_gp(gp_settings(gp_sba, company="FABRIKAM"), PW))
    result = failed(results)
    assert outcome(results)[-1] == ("company", False) and len(results) == 5
    assert "'FABRIKAM'" in result.message
    assert "TWO (Fabrikam, Inc.)" in result.message and f"CPBDA ({TRICKY})" in result.message


def test_gp_company_the_user_may_not_open_says_so(gp_sba: GPSimulator) -> None:
    # GP lists only the companies a user may open: the check must not call CPBDA "unknown".
    results = list(check_gp(gp_settings(gp_sba, username=USER_TWO, company="CPBDA"), PW_TWO))
    result = failed(results)
    assert outcome(results)[-1] == ("company", False)
    assert "does not let that user read" in result.message
    assert "User Access Setup" in result.message


@pytest.mark.usefixtures("no_kdc")
def test_gp_negotiate_passes_without_kerberos(gp_sba: GPSimulator) -> None:
    results = list(check_gp(gp_settings(gp_sba, auth="negotiate"), PW))
    assert outcome(results) == [(s, True) for s in GP_STAGES]


# ------------------------------------------------------------------------------------------------ Mailchimp
def test_mailchimp_all_stages_pass(mc: MailchimpSimulator) -> None:
    results = list(check_mailchimp(mc_settings(mc), KEY))
    assert outcome(results) == [(s, True) for s in MC_STAGES]
    by_stage = {r.stage: r.message for r in results}
    assert by_stage["key"] == "data centre us6"
    assert by_stage["ping"] == "API key accepted"
    assert by_stage["audiences"] == "2 audiences in this account"
    assert by_stage["audience"] == f"audience {DEMO_LIST_NAME!r}"
    assert by_stage["store"] == "store 'gp-check' will be created on first sync"


def test_mailchimp_audiences_are_listed_before_one_is_chosen(mc: MailchimpSimulator) -> None:
    shown: list[StageResult] = []
    unchosen = mc_settings(mc, list_id="", store_id="")
    facts = run_mailchimp(unchosen, KEY, shown.append, until="audiences")
    assert facts is not None and outcome(shown) == [(s, True) for s in MC_STAGES[:3]]
    assert shown[-1].message == "2 audiences: pick the one to fill"
    assert facts.audiences == [Audience(LIST, DEMO_LIST_NAME), Audience("f0e1d2c3b4", "Wholesale")]
    assert facts.audiences[1].label() == "Wholesale (f0e1d2c3b4)"
    results = list(check_mailchimp(unchosen, KEY))  # run on, it asks for the audience
    assert failed(results).stage == "audience"
    assert results[-1].message == f"Choose the audience to fill: {LIST} ({DEMO_LIST_NAME}), f0e1d2c3b4 (Wholesale)."
    assert run_mailchimp(mc_settings(mc), "ffffffffffffffffffffffffffffffff-us6", shown.append) is None


def test_mailchimp_existing_store_on_the_same_audience(mc: MailchimpSimulator) -> None:
    api = MailchimpApi(MailchimpTransport(mc.api_base, KEY))
    api.create_store({"id": "gp-check-same", "list_id": LIST, "name": "Same", "currency_code": "USD",
                      "is_syncing": True})
    api.t.close()
    results = list(check_mailchimp(mc_settings(mc, store_id="gp-check-same"), KEY))
    assert outcome(results) == [(s, True) for s in MC_STAGES]
    assert results[-1].message == "store 'gp-check-same' ready (is_syncing is on: automations paused)"


@pytest.mark.parametrize("key", ["", "paste-key-here", "0123456789abcdef0123456789abcdef"])
def test_mailchimp_bad_key_format(mc: MailchimpSimulator, key: str) -> None:
    results = list(check_mailchimp(mc_settings(mc), key))
    result = failed(results)
    assert outcome(results) == [("key", False)]
    assert "not a Mailchimp API key" in result.message
    assert "Profile > Extras > API keys" in result.message


def test_mailchimp_wrong_key(mc: MailchimpSimulator) -> None:
    results = list(check_mailchimp(mc_settings(mc), "ffffffffffffffffffffffffffffffff-us6"))
    result = failed(results)
    assert outcome(results) == [("key", True), ("ping", False)]
    assert result.message.startswith("API Key Invalid:")
    assert "Mailchimp refused the API key" in result.message


def test_mailchimp_unknown_audience_lists_the_audiences(mc: MailchimpSimulator) -> None:
    results = list(check_mailchimp(mc_settings(mc, list_id="0000000000"), KEY))
    result = failed(results)
    assert outcome(results)[-1] == ("audience", False) and len(results) == 4
    assert "No audience '0000000000'" in result.message
    assert f"{LIST} ({DEMO_LIST_NAME})" in result.message and "f0e1d2c3b4 (Wholesale)" in result.message


def test_mailchimp_store_tied_to_another_audience(mc: MailchimpSimulator) -> None:
    api = MailchimpApi(MailchimpTransport(mc.api_base, KEY))
    api.create_store({"id": "gp-wholesale", "list_id": "f0e1d2c3b4", "name": "Wholesale", "currency_code": "USD"})
    api.t.close()
    results = list(check_mailchimp(mc_settings(mc, store_id="gp-wholesale"), KEY))
    result = failed(results)
    assert outcome(results) == [(s, True) for s in MC_STAGES[:-1]] + [("store", False)]
    assert "belongs to audience 'f0e1d2c3b4'" in result.message
    assert "Choose another store id" in result.message


# ---------------------------------------------------------------------------------------------- gpmc check
def write_profile(path: Path, gp: GPSimulator, mc: MailchimpSimulator) -> Path:
    path.write_text(
        f'[profile]\nname = "Check"\n'
        f'[gp]\nurl = "{gp.base_url}"\ncompany = "TWO"\nauth = "ntlm"\nusername = "CORP\\\\svc-check"\n'
        f'ca_bundle = "{gp.ca_path}"\ntimeout_seconds = 10\n'
        f'[mailchimp]\nlist_id = "{LIST}"\nstore_id = "gp-check"\napi_base = "{mc.api_base}"\n'
        f'automations = "off"\n',
        encoding="utf-8")
    return path


def test_gpmc_check_prints_every_stage_of_both(gp_sba: GPSimulator, mc: MailchimpSimulator, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = str(write_profile(tmp_path / "check.toml", gp_sba, mc))
    monkeypatch.setenv("GPMC_GP_PASSWORD", PW)
    monkeypatch.setenv("GPMC_MAILCHIMP_API_KEY", KEY)
    assert main(["check", "--config", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [["ok", "profile", "automations"]] + \
        [["ok", "gp", s] for s in GP_STAGES] + [["ok", "mailchimp", s] for s in MC_STAGES]
    assert lines[0].endswith("Order e-mails and automations: off — Mailchimp sends nothing about GP invoices")

    monkeypatch.setenv("GPMC_MAILCHIMP_API_KEY", "ffffffffffffffffffffffffffffffff-us6")
    assert main(["check", "--config", config]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines][-3:] == [["ok", "gp", "data"], ["ok", "mailchimp", "key"],
                                                         ["FAIL", "mailchimp", "ping"]]


@pytest.mark.parametrize(("knobs", "words"), [
    ({"omit_fields": ("CurrentAmount",)}, "GP's receivables documents lack CurrentAmount (they hold "),
    ({"omit_fields": ("ClassId",)}, "GP's customers lack ClassId (they hold "),
    ({"separate_addresses": True, "omit_fields": ("EmailToAddress",)},
     "GP's customer addresses (Sales/CustomerAddresses) lack EmailToAddress (they hold "),
])
def test_gpmc_check_prints_a_failed_gp_data_line_and_exits_2(
    gp_sba: GPSimulator, mc: MailchimpSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], knobs: dict[str, Any], words: str,
) -> None:
    config = str(write_profile(tmp_path / "check.toml", gp_sba, mc))
    monkeypatch.setenv("GPMC_GP_PASSWORD", PW)
    monkeypatch.setenv("GPMC_MAILCHIMP_API_KEY", KEY)
    gp_sba.set_options(**knobs)
    assert main(["check", "--config", config]) == 2
    gp_lines = [line for line in capsys.readouterr().out.splitlines() if line.split()[1] == "gp"]
    assert [line.split()[:3] for line in gp_lines] == [["ok", "gp", s] for s in GP_STAGES[:-1]] + \
        [["FAIL", "gp", "data"]]
    assert gp_lines[-1].split(None, 3)[3].startswith(words)
    assert "the sync needs " in gp_lines[-1] and "Send a GP sample to support" in gp_lines[-1]


def test_the_gp_data_stage_says_what_it_checked(gp_sba: GPSimulator, gp_dataset: GPDataset) -> None:
    gp_sba.set_options(dates="wcf")
    shown: list[StageResult] = []
    facts = run_gp(gp_settings(gp_sba), PW, shown.append)
    assert facts is not None and shown[-1].stage == "data" and shown[-1].ok
    count = len(gp_dataset.companies["TWO"].customers)
    fields = 9 + len(SBA_NAMES)  # the segmentation fields (gp/customer_fields.py) are checked too
    assert shown[-1].message.startswith(f"customers: {count} read, {fields} fields checked; customer addresses: ")
    assert "; receivables documents: " in shown[-1].message and " read, 10 fields checked; " in shown[-1].message
    assert shown[-1].message.endswith("; dates WCF /Date()/")
    assert [c.what for c in facts.checked] == ["customers", "customer addresses", "receivables documents"]


def test_gpmc_check_says_which_automations_choice_is_in_force(gp_sba: GPSimulator, mc: MailchimpSimulator,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "data" / "state.sqlite"
    file = write_profile(tmp_path / "check.toml", gp_sba, mc)
    text = file.read_text(encoding="utf-8").replace('automations = "off"\n', "")
    file.write_text(text.replace("[gp]", f'database = "{db}"\n[gp]'), encoding="utf-8")
    monkeypatch.setenv("GPMC_GP_PASSWORD", PW)
    monkeypatch.setenv("GPMC_MAILCHIMP_API_KEY", KEY)

    # A profile that never synced and does not choose: its first sync would be refused, and check says why.
    assert main(["check", "--config", str(file)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("FAIL profile   automations Order e-mails and automations: not chosen — "
                               "[mailchimp] automations is required before a profile's first sync")
    assert 'automations = "on" (' in lines[0] and 'automations = "off" (' in lines[0]
    assert all(line.startswith("ok") for line in lines[1:])  # the connections themselves are fine
    assert not db.exists()  # check reads the state database, never creates it

    # The same file after its first load (an older profile IT already runs): today's behaviour, said so.
    with store.open_store(db):
        profile_id = save_profile_settings(load_profile(file))
        store.set_state(profile_id, store.BACKFILL_DONE, "1")
    assert main(["check", "--config", str(file)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("ok   profile   automations Order e-mails and automations: on (the profile does not choose; "
                     "as before) — Mailchimp may e-mail customers about new invoices, payments and voids")


@pytest.mark.parametrize(("choice", "first_load_done", "words"), [
    ("off", False, "off — Mailchimp sends nothing about GP invoices"),
    ("off", True, "off — Mailchimp sends nothing about GP invoices"),
    ("on", False, "on once the first load is done — then Mailchimp may e-mail customers about new invoices, "
                  "payments and voids"),
    ("on", True, "on — Mailchimp may e-mail customers about new invoices, payments and voids"),
])
def test_automations_in_force_in_plain_words(choice: str, first_load_done: bool, words: str) -> None:
    profile = profile_from_mapping({"gp": {"url": "https://gp", "company": "TWO", "username": "CORP\\u"},
                                    "mailchimp": {"list_id": "l", "store_id": "s", "automations": choice}})
    result = automations_result(profile, first_load_done=first_load_done)
    assert result.ok and result.message == f"Order e-mails and automations: {words}"


def test_over_sba_sales_invoices_are_found_on_the_help_page_and_read_only_in_a_shape_the_client_knows(
        gp_sba: GPSimulator) -> None:
    """The sales invoices' resource is discovered (the tenant's help page), never assumed: listed, it is read and
    checked whole (lines and items included); in another shape the check stops naming what the answer lacks; not
    listed, the orders keep one line and nothing is asked for."""
    lines = gp_settings(gp_sba, order_lines="sales_invoices")
    data = {r.stage: r for r in check_gp(lines, PW)}["data"]
    found = re.search(r"; order lines: (\d+) sales invoices read from Sales/SalesInvoices with their (\d+) lines and "
                      r"(\d+) items$", data.message)
    assert data.ok and found and int(found[2]) > int(found[1]) > 10 and int(found[3]) > 10, data.message

    gp_sba.set_options(omit_fields=("ExtendedPrice",))  # a server that names the line's amount otherwise
    data = {r.stage: r for r in check_gp(lines, PW)}["data"]
    assert not data.ok and "ExtendedPrice" in data.line() and "sales invoice lines" in data.line()

    gp_sba.set_options(omit_fields=(), sales_invoices_path=None)
    gp_sba.clear_log()
    data = {r.stage: r for r in check_gp(lines, PW)}["data"]
    assert data.ok and data.message.endswith(
        "; order lines: this server lists no sales invoices: orders keep one line at the invoice total")
    assert not any("Invoice" in r.path for r in gp_sba.requests() if not r.path.endswith("/help"))
