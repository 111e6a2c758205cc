"""The GP sample fixtures (``tests/gp/samples/<variant>/``, one per answer shape of issue 12 item 3) replayed by a
real HTTPS + NTLM server (``demo/gp_replay.py``) to the real engine and the Mailchimp simulator: each variant
syncs to what the simulator's data set says (``samples/expected.json``), and the one missing a field stops with
the shape message before any Mailchimp write.  See docs/gp-samples.md for how a real server's sample is added."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gpmc_desktop import store
from gpmc_desktop.demo.gp_replay import GPReplay
from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_ID, MailchimpSimulator
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import GPSettings, Profile, Secrets, profile_from_mapping
from gpmc_desktop.sync.report import ExitCode, RunReport
from gpmc_desktop.sync.runner import run_profile
from tests.demo.mailchimp_support import KEY
from tests.sync.engine_support import two_decimals, writes_of

SAMPLES = Path(__file__).resolve().parent / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
SYNCING = ["contract", "iso_offset_dates", "wcf_dates", "wcf_offset_dates", "amounts_as_strings",
           "amounts_as_numbers", "document_type_names", "payload_list_key", "separate_addresses"]
DEMO_PASSWORD = "Gp-Demo-2024!"  # the replay's demo user (demo/gp_sba.py DEFAULT_USERS)


def test_every_sample_folder_is_tested() -> None:
    folders = {p.name for p in SAMPLES.iterdir() if (p / "gp" / "answers.json").is_file()}
    assert folders == {*SYNCING, "missing_current_amount"}


@pytest.fixture
def replay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GPReplay]:
    with GPReplay(SAMPLES / request.param / "gp", workdir=tmp_path / "replay") as server:
        yield server


def sample_profile(variant: str, replay: GPReplay, sim: MailchimpSimulator, tmp_path: Path) -> Profile:
    """The sample's own profile.toml, pointed at the replay and the Mailchimp simulator (a store per variant)."""
    document: dict[str, Any] = tomllib.loads((SAMPLES / variant / "profile.toml").read_text(encoding="utf-8"))
    document["profile"] = {**document["profile"], "name": variant, "database": str(tmp_path / "state.sqlite")}
    document["gp"] = {**document["gp"], "url": replay.base_url, "ca_bundle": str(replay.ca_path)}
    document["mailchimp"] = {**document["mailchimp"], "api_base": sim.api_base, "list_id": DEMO_LIST_ID,
                             "store_id": f"gp-{variant.replace('_', '-')}", "automations": "off"}
    return profile_from_mapping(document)


def sync(profile: Profile) -> RunReport:
    with store.open_store(Path(str(profile.database))):
        return run_profile(profile, Secrets(gp_password=DEMO_PASSWORD, mailchimp_api_key=KEY))


@pytest.fixture(scope="module")
def mailchimp(mailchimp_sim: MailchimpSimulator) -> MailchimpSimulator:
    mailchimp_sim.seed_demo_account()  # the module's own simulator: the audience the samples' profile fills
    return mailchimp_sim


@pytest.mark.parametrize("replay", SYNCING, indirect=True)
def test_each_sample_syncs_the_members_and_orders_gp_holds(
    replay: GPReplay, mailchimp: MailchimpSimulator, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    variant = request.node.callspec.params["replay"]
    profile = sample_profile(variant, replay, mailchimp, tmp_path)
    report = sync(profile)
    assert report.exit_code is ExitCode.OK, report.error

    members = {m["email_address"]: m for m in mailchimp.members(DEMO_LIST_ID)}
    assert set(EXPECTED["members"]) <= set(members)  # the list is shared by the variants: no others were added
    assert report.customers.get("failed", 0) == 0
    orders = mailchimp.orders(profile.mailchimp.store_id)
    assert set(orders) == set(EXPECTED["orders"])
    for number, want in EXPECTED["orders"].items():
        order = orders[number]
        assert two_decimals(order["order_total"]) == want["total"], number
        assert order["financial_status"] == want["status"], number
        assert order["processed_at_foreign"][:10] == want["date"], number  # GP's date, whatever its format
        assert members[want["email"]]["merge_fields"]["GPCUSTNO"] == want["customer"], number
    # Two real values, spelled out: a WCF date or an amount in a string reads as this date and this total.
    assert orders["QURVQS4263434"]["processed_at_foreign"][:10] == "2024-05-24"
    assert two_decimals(orders["PIH83541683"]["order_total"]) == "1438.75"
    assert {path.rsplit("/", 1)[-1] for path, status in replay.served if status == 200} >= {
        "Customers.json", "Receivables.json"}


@pytest.mark.parametrize("replay", ["missing_current_amount"], indirect=True)
def test_the_sample_missing_a_field_stops_with_the_shape_message_and_writes_nothing(
    replay: GPReplay, mailchimp: MailchimpSimulator, tmp_path: Path
) -> None:
    profile = sample_profile("missing_current_amount", replay, mailchimp, tmp_path)
    mailchimp.reset_counters()
    report = sync(profile)
    assert report.exit_code is ExitCode.FAILED
    error = report.error or ""
    assert "GP's receivables documents lack CurrentAmount (they hold CurrencyId, CustomerNumber" in error
    assert "Nothing was sent to Mailchimp." in error
    assert writes_of(mailchimp) == {}


@pytest.mark.parametrize("replay", ["contract"], indirect=True)
def test_the_replay_answers_what_the_sample_holds_whatever_the_company_is_called(replay: GPReplay) -> None:
    settings = GPSettings(url=replay.base_url, company="x", username="CORP\\svc-gp", ca_bundle=str(replay.ca_path))
    session = build_session(settings, DEMO_PASSWORD)
    try:
        base = f"{replay.base_url}/GPService/Tenants(DefaultTenant)"
        ca = str(replay.ca_path)  # verify= per call, as the client does (REQUESTS_CA_BUNDLE beats the session)
        by_name = session.get(f"{base}/Companies(Some%2C%20Name%20(X))/Sales/Customers.json", verify=ca, timeout=10)
        assert by_name.status_code == 200
        assert by_name.content == (SAMPLES / "contract" / "gp" / "customers.json").read_bytes()
        missing = session.get(f"{base}/Companies(PJF)/Sales/Nothing.json", verify=ca, timeout=10)
        assert missing.status_code == 404 and missing.json()["ErrorCode"] == "NotFound"
        addresses = session.get(f"{base}/Companies(PJF)/Sales/CustomerAddresses.json", verify=ca, timeout=10)
        assert addresses.status_code == 404  # as the server answered when the sample was taken
    finally:
        session.close()
    assert requests.get(f"{base}/Companies.json", verify=str(replay.ca_path), timeout=10).status_code == 401

