"""Resource discovery against the real SBA simulator: a server that keeps receivables one level deeper
(``receivables_path`` knob) stops a default profile before any Mailchimp write, with a message that lists what the
tenant's /help page offers and names the [gp] key to set; with the key set, the run syncs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba_help import MissingResource, offered_paths, sales_document_paths
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import ConfigError, load_profile
from gpmc_desktop.profile.schema import form_problem, key
from gpmc_desktop.sync.check import check_gp
from gpmc_desktop.sync.report import ExitCode
from tests.gp.sba_support import PW, SIM, settings, source
from tests.sync.engine_support import (
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
    writes_of,
)

GP_SIM = SIM
DEEPER = "Sales/Receivables/Transactions"


def missing(read: Any) -> MissingResource:
    with pytest.raises(MissingResource) as caught:
        read()
    assert caught.value.stage is Stage.COMPANY
    return caught.value


# ------------------------------------------------------------------------------------------- the help page
def test_the_help_page_lists_the_paths_actually_served(gp_sba: GPSimulator) -> None:
    session = build_session(settings(gp_sba), PW)

    def listed() -> list[str]:
        return offered_paths(session.get(gp_sba.url("help"), timeout=10, verify=str(gp_sba.ca_path)).text)

    assert listed() == ["Sales/Customers", "Sales/Receivables", "Sales/SalesInvoices"]
    gp_sba.set_options(receivables_path=DEEPER, separate_addresses=True, sales_invoices_path=None)
    assert listed() == ["Sales/Customers", "Sales/CustomerAddresses", DEEPER]


def test_offered_paths_reads_any_sales_path_a_page_mentions() -> None:
    page = ("<ul><li>GET Companies({c})/<b>Sales/Customers</b>({key}).json</li><li>Sales/Receivables/Transactions"
            "[.json]</li><li>Purchasing/Vendors</li><li>/Sales/Customers.json</li><li>WholeSales/Nope</li></ul>"
            "<p>Sales &rsaquo; Customer Addresses</p><p>Sales/CustomerAddresses?$top=1</p>")
    assert offered_paths(page) == ["Sales/Customers", DEEPER, "Sales/CustomerAddresses"]
    assert offered_paths("<html>no resources</html>") == []


# ----------------------------------------------------------------------------------------------- the client
def test_a_deeper_receivables_path_names_the_key_and_what_help_offers(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(receivables_path=DEEPER)
    src = source(gp_sba)
    assert src.customers()  # the company answers
    err = missing(src.documents)
    assert err.message == ("GP has no Sales/Receivables resource for company TWO (Fabrikam, Inc.). The server's help "
                           f"page lists: Sales/Customers, {DEEPER}, Sales/SalesInvoices.")
    assert err.hint == ("Set [gp] receivables_path to the one that holds receivables documents (Advanced settings › "
                        "Receivables path).")
    assert (err.path, err.key_name) == ("Sales/Receivables", "receivables_path")
    deeper = source(gp_sba, receivables_path=DEEPER)
    assert deeper.documents() and {d.customer_number for d in deeper.documents()} <= {
        c.number for c in deeper.customers()}


def test_the_first_read_of_a_wrong_path_is_not_called_an_unknown_company(gp_sba: GPSimulator) -> None:
    # No read has confirmed the company yet: every spelling 404s, then the company itself answers.
    gp_sba.set_options(company_addressing="database")
    err = missing(source(gp_sba, company="Fabrikam, Inc.", customers_path="Sales/Clients").customers)
    assert "GP has no Sales/Clients resource for company TWO (Fabrikam, Inc.)" in err.message
    assert "[gp] customers_path" in err.hint and "Advanced settings › Customers path" in err.hint


def test_an_unreadable_help_page_still_names_the_key(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(receivables_path=DEEPER)
    src = source(gp_sba)
    src.customers()
    gp_sba.fail_next(1, path_pattern=r"/help$", status=503)
    err = missing(src.documents)
    assert err.message == ("GP has no Sales/Receivables resource for company TWO (Fabrikam, Inc.). The server's help "
                           "page could not be read (it answered HTTP 503), so gpmc cannot list what it offers.")
    assert "Set [gp] receivables_path" in err.hint


def test_a_missing_addresses_resource_names_its_key(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(omit_fields=("Addresses",))  # customers without addresses, and no addresses resource
    with pytest.raises(GPError) as caught:
        source(gp_sba).customers()
    err = caught.value
    assert err.stage is Stage.DATA and "lack Addresses" in err.message
    assert "The server's help page lists: Sales/Customers, Sales/Receivables, Sales/SalesInvoices." in err.hint
    assert "Set [gp] customer_addresses_path" in err.hint


def test_gpmc_check_shows_the_missing_resource_in_the_sample_stage(gp_sba: GPSimulator) -> None:
    results = list(check_gp(settings(gp_sba, customers_path="Sales/Customer"), PW))
    assert [(r.stage, r.ok) for r in results][-2:] == [("company", True), ("sample", False)]
    assert "GP has no Sales/Customer resource" in results[-1].message
    assert "[gp] customers_path" in results[-1].message


# ------------------------------------------------------------------------------------------------ the profile
def write_gp_line(path: Path, line: str) -> Path:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[gp]\n", f"[gp]\n{line}\n", 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["/Sales/Receivables", "Sales/Receivables/", "Sales/../Receivables",
                                   "Sales//Receivables", "Sales/Receivables Transactions", ""])
def test_a_bad_path_is_a_config_error_in_plain_words(tmp_path: Path, value: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[gp]\nurl = "https://gp01"\ncompany = "TWO"\nusername = "CORP\\\\u"\n'
                    '[mailchimp]\nlist_id = "a"\nstore_id = "b"\n', encoding="utf-8")
    write_gp_line(path, f'receivables_path = "{value}"')
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert "[gp] receivables_path" in str(caught.value)
    if value:  # an empty field in Advanced settings means "the default"
        assert "no / at the start or end, no .. and no spaces" in str(caught.value)
        assert form_problem(key("gp", "receivables_path"), value) == (
            "Receivables path: write a path under the company, like Sales/Receivables/Transactions: no / at the "
            "start or end, no .. and no spaces.")


def test_the_defaults_and_a_deeper_path_load(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[gp]\nurl = "https://gp01"\ncompany = "TWO"\nusername = "CORP\\\\u"\n'
                    '[mailchimp]\nlist_id = "a"\nstore_id = "b"\n', encoding="utf-8")
    gp = load_profile(path).gp
    assert (gp.customers_path, gp.customer_addresses_path, gp.receivables_path) == (
        "Sales/Customers", "Sales/CustomerAddresses", "Sales/Receivables")
    assert load_profile(write_gp_line(path, f'receivables_path = " {DEEPER} "')).gp.receivables_path == DEEPER


# ------------------------------------------------------------------------------------------ the engine, end to end
demo = demo_fixture("demo", 40)


def test_a_default_profile_stops_before_any_mailchimp_write_naming_the_key(demo: Demo) -> None:
    demo.env.gp.set_options(receivables_path=DEEPER)
    demo.sim.reset_counters()
    result = demo.cli()
    assert result.code == ExitCode.FAILED == 2, result.stderr
    assert writes_of(demo.sim) == {}
    assert demo.sim.members(demo.list_id) == []
    error = result.json["error"]
    assert "GP has no Sales/Receivables resource for company TWO (Fabrikam, Inc.)" in error
    assert f"The server's help page lists: Sales/Customers, {DEEPER}, Sales/SalesInvoices." in error
    assert "Set [gp] receivables_path to the one that holds receivables documents" in error


def test_with_the_key_set_the_run_syncs(demo: Demo) -> None:
    demo.env.gp.set_options(receivables_path=DEEPER)
    write_gp_line(demo.profile_path, f'receivables_path = "{DEEPER}"')
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    expected = expected_state(demo)
    assert_matches_expectation(demo, expected)
    assert expected.orders and demo.sim.orders(demo.store_id)


def test_sales_documents_are_picked_from_what_a_help_page_lists() -> None:
    page = ("<ul><li>Sales/Customers</li><li>Sales/Receivables/Transactions</li><li>Sales/SalesInvoices</li>"
            "<li>Sales/SalesDocuments(Type;Number)</li><li>Sales/CustomerAddresses</li></ul>")
    offered = offered_paths(page)
    assert sales_document_paths(offered) == ["Sales/SalesInvoices", "Sales/SalesDocuments"]
    assert sales_document_paths(["Sales/Customers", "Sales/Receivables"]) == []
