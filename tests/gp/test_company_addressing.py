"""Company addressing against the real SBA simulator: whichever name the profile gives (database or display name,
any case), the client finds the spelling the server takes in ``Companies(...)`` — display name first, then the
database name, commas and parentheses percent-encoded or raw — syncs with it, remembers it for the next run, and
``gpmc check`` says which one it was.  The simulator's knobs play servers that take only one of them."""

from __future__ import annotations

from typing import Any

import pytest

from gpmc_desktop.demo.gp_sba import GPSimulator, SBAOptions
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.sba_address import DATABASE_NAME, DISPLAY_NAME, CompanyAddress
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.sync.check import check_gp
from gpmc_desktop.sync.report import ExitCode
from tests.gp.sba_support import PW, SIM, settings, source
from tests.sync.engine_support import Demo, assert_matches_expectation, demo_fixture, expected_state

GP_SIM = SIM
TRICKY = "Compañía de Papelería (Bermuda), Ltd."
FABRIKAM = 'company TWO (Fabrikam, Inc.) — GP accepted its'


def company_calls(sim: GPSimulator) -> list[tuple[str, int]]:
    """(company as the server decoded it, status) of every signed-in request under Companies(...)."""
    return [(r.path.split("/Companies(", 1)[1].split(")/", 1)[0].removesuffix(").json"), r.status)
            for r in sim.requests() if r.user is not None and "/Companies(" in r.path]


def numbers(sim: GPSimulator, interid: str) -> set[str]:
    return {c.custnmbr.strip() for c in sim.dataset.companies[interid].customers.values()}


# ---------------------------------------------------------------------------------------------- the client
def test_the_simulator_knobs_refuse_the_other_name_and_the_other_spelling(gp_sba: GPSimulator) -> None:
    session = build_session(settings(gp_sba), PW)
    session.verify = str(gp_sba.ca_path)

    def status(segment: str) -> int:
        return session.get(gp_sba.url(f"Companies({segment}).json"), timeout=10, verify=session.verify).status_code

    assert SBAOptions().company_addressing == "both" and SBAOptions().company_punctuation == "any"
    assert status("TWO") == status("Fabrikam%2C%20Inc.") == status("Fabrikam,%20Inc.") == 200
    gp_sba.set_options(company_addressing="display_name")
    assert (status("TWO"), status("fabrikam%2C%20inc.")) == (404, 200)
    gp_sba.set_options(company_addressing="database", company_punctuation="raw")
    assert (status("two"), status("Fabrikam%2C%20Inc.")) == (200, 404)
    gp_sba.set_options(company_addressing="display_name")
    assert (status("Fabrikam%2C%20Inc."), status("Fabrikam,%20Inc.")) == (404, 200)
    assert status("Compa%C3%B1%C3%ADa%20de%20Papeler%C3%ADa%20%28Bermuda%29%2C%20Ltd.") == 404
    assert status("Compa%C3%B1%C3%ADa%20de%20Papeler%C3%ADa%20(Bermuda),%20Ltd.") == 200
    gp_sba.set_options(company_punctuation="encoded")
    assert (status("Fabrikam%2C%20Inc."), status("Fabrikam,%20Inc.")) == (200, 404)
    with pytest.raises(ValueError, match="company_addressing"):
        gp_sba.set_options(company_addressing="id")


@pytest.mark.parametrize(("given", "addressing", "form", "name"), [
    ("TWO", "display_name", DISPLAY_NAME, "Fabrikam, Inc."),
    ("two", "both", DISPLAY_NAME, "Fabrikam, Inc."),
    ("FABRIKAM, INC.", "database", DATABASE_NAME, "TWO"),
    ("Fabrikam, Inc.", "both", DISPLAY_NAME, "Fabrikam, Inc."),
])
def test_either_name_in_the_profile_reaches_a_server_that_takes_one(
    gp_sba: GPSimulator, given: str, addressing: str, form: str, name: str
) -> None:
    gp_sba.set_options(company_addressing=addressing)
    src = source(gp_sba, company=given)
    assert {c.number for c in src.customers()} == numbers(gp_sba, "TWO")
    assert src.documents()
    address = src.company_address()
    assert (address.form, address.name, address.label) == (form, name, "TWO (Fabrikam, Inc.)")
    assert src.company_url.endswith(f"/Companies({address.segment})")


@pytest.mark.parametrize(("punctuation", "raw"), [("raw", True), ("encoded", False), ("any", False)])
def test_commas_and_parentheses_in_the_spelling_the_server_takes(
    gp_sba: GPSimulator, punctuation: str, raw: bool
) -> None:
    gp_sba.set_options(company_addressing="display_name", company_punctuation=punctuation)
    src = source(gp_sba, company="CPBDA")
    assert {c.number for c in src.customers()} == numbers(gp_sba, "CPBDA")
    address = src.company_address()
    assert (address.name, address.raw_punctuation) == (TRICKY, raw)
    assert ("(Bermuda)," in address.segment) is raw and ("%28Bermuda%29%2C" in address.segment) is not raw


def test_the_spelling_found_is_used_for_every_later_request(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(company_addressing="database", company_punctuation="raw")
    src = source(gp_sba)
    gp_sba.clear_log()
    src.customers()
    # Display name encoded, then raw, then the database name: two 404 probes, then the answer.
    assert company_calls(gp_sba) == [("Fabrikam, Inc.", 404), ("Fabrikam, Inc.", 404), ("TWO", 200)]
    gp_sba.clear_log()
    src.documents()
    src.customer(src.customers()[0].number)
    assert company_calls(gp_sba) and all(call == ("TWO", 200) for call in company_calls(gp_sba))
    assert not [r for r in gp_sba.requests() if r.path.endswith("/Companies.json")]


def test_a_remembered_spelling_is_tried_first_and_a_stale_one_is_replaced(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(company_addressing="database")
    heard: list[CompanyAddress] = []
    first = SbaSource(settings(gp_sba), build_session(settings(gp_sba), PW), on_company_address=heard.append)
    first.customers()
    assert [a.name for a in heard] == ["TWO"]

    gp_sba.clear_log()
    again = SbaSource(settings(gp_sba), build_session(settings(gp_sba), PW), company_address=heard[0],
                      on_company_address=heard.append)
    again.customers()
    assert company_calls(gp_sba) == [("TWO", 200)] and len(heard) == 1  # no probe, no company list, no news
    assert not [r for r in gp_sba.requests() if r.path.endswith("/Companies.json")]

    # The server changed its mind: the remembered spelling gets one 404, the new one is found and reported.
    gp_sba.set_options(company_addressing="display_name")
    gp_sba.clear_log()
    third = SbaSource(settings(gp_sba), build_session(settings(gp_sba), PW), company_address=heard[0],
                      on_company_address=heard.append)
    third.customers()
    assert company_calls(gp_sba) == [("TWO", 404), ("Fabrikam, Inc.", 200)]
    assert [a.form for a in heard] == [DATABASE_NAME, DISPLAY_NAME]

    # Remembered for another company (the profile changed): never used, or it would read the wrong company.
    other = SbaSource(settings(gp_sba, company="CPBDA"), build_session(settings(gp_sba), PW),
                      company_address=heard[-1])
    assert {c.number for c in other.customers()} == numbers(gp_sba, "CPBDA")


def test_the_remembered_state_round_trips_and_junk_is_ignored(gp_sba: GPSimulator) -> None:
    src = source(gp_sba, company="cpbda")
    found = src.company_address()
    assert CompanyAddress.from_state(found.to_state()) == found
    assert found.serves("CPBDA", gp_sba.base_url, "defaulttenant") and not found.serves("TWO", gp_sba.base_url,
                                                                                           "DefaultTenant")
    for junk in (None, "TWO", {"segment": "TWO"}, {**found.to_state(), "segment": 7}):
        assert CompanyAddress.from_state(junk) is None
    assert CompanyAddress.from_state({**found.to_state(), "x": 1}) == found  # a key from a later version


# ----------------------------------------------------------------------------------------------- gpmc check
@pytest.mark.parametrize(("knobs", "company", "words"), [
    ({}, "TWO", 'display name "Fabrikam, Inc." in the address'),
    ({"company_addressing": "database"}, "Fabrikam, Inc.", 'database name "TWO" in the address'),
    ({"company_addressing": "display_name", "company_punctuation": "raw"}, "two",
     'display name "Fabrikam, Inc." in the address, with commas and parentheses written as they are '
     "(not percent-encoded)"),
])
def test_gpmc_check_says_which_form_the_server_accepted(
    gp_sba: GPSimulator, knobs: dict[str, Any], company: str, words: str
) -> None:
    gp_sba.set_options(**knobs)
    results = list(check_gp(settings(gp_sba, company=company), PW))
    assert all(r.ok for r in results), [r.line() for r in results]
    line = next(r for r in results if r.stage == "company").line()
    assert line == f"ok   gp        company   {FABRIKAM} {words}"


def test_gpmc_check_an_unknown_company_lists_the_companies(gp_sba: GPSimulator) -> None:
    # Not in the list, so tried as given, every spelling; neither the company nor its customers answer.
    gp_sba.set_options(company_addressing="database")
    gp_sba.clear_log()
    results = list(check_gp(settings(gp_sba, company="Contoso (Old), Ltd."), PW))
    assert {status for _c, status in company_calls(gp_sba)} == {404}
    assert [(r.stage, r.ok) for r in results][-1] == ("company", False)
    assert "GP has no company 'Contoso (Old), Ltd.'" in results[-1].message
    assert "Pick the company" in results[-1].message
    assert "TWO (Fabrikam, Inc.)" in results[-1].message and f"CPBDA ({TRICKY})" in results[-1].message


# ------------------------------------------------------------------------------------------ the engine, end to end
demo = demo_fixture("demo", 40)


def profile_naming(demo: Demo, company: str) -> None:
    demo.profile_path = demo.env.write_profile("company.toml", company=company, database=str(demo.db_path))


@pytest.mark.parametrize(("knobs", "company"), [
    ({"company_addressing": "display_name"}, "TWO"),
    ({"company_addressing": "database"}, "fabrikam, inc."),
    ({"company_addressing": "display_name", "company_punctuation": "raw"}, "TWO"),
    ({"company_addressing": "database", "company_punctuation": "encoded"}, "Fabrikam, Inc."),
], ids=lambda v: ",".join(f"{n}={x}" for n, x in v.items()) if isinstance(v, dict) else v)
def test_a_sync_reaches_a_server_that_takes_only_one_form(demo: Demo, knobs: dict[str, Any], company: str) -> None:
    demo.env.gp.set_options(**knobs)
    profile_naming(demo, company)
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    assert_matches_expectation(demo, expected_state(demo))
    assert demo.env.dataset.companies["TWO"].customers and demo.sim.members(demo.list_id)


def test_the_second_run_makes_no_404_probe(demo: Demo) -> None:
    demo.env.gp.set_options(company_addressing="database", company_punctuation="raw")
    profile_naming(demo, "Fabrikam, Inc.")
    demo.env.gp.clear_log()
    first = demo.run()
    assert first.exit_code is ExitCode.OK, first.error
    assert [s for _c, s in company_calls(demo.env.gp)].count(404) == 2  # display name, encoded and raw

    demo.env.gp.clear_log()
    second = demo.run()
    assert second.exit_code is ExitCode.OK, second.error
    calls = company_calls(demo.env.gp)
    assert calls and all(call == ("TWO", 200) for call in calls)
    assert not [r for r in demo.env.gp.requests() if r.path.endswith("/Companies.json")]
