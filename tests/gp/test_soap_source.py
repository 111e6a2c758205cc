"""The SOAP source (zeep on DynamicsGP.wsdl) against the SOAP simulator, and next to the SBA source."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import CURRENCIES, GPDataset
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_profile import CompanySpec
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator, SoapOptions
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource, endpoint_url
from gpmc_desktop.gp.soap_wsdl import DEFAULT_SOAP_PATH, contract
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

PW = "Gp-Soap-2024!"
USER = "CORP\\svc-gp"
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"*"})], customers=200, seed=7)


def settings(url: str, company: str = "Fabrikam, Inc.", **kw: object) -> GPSettings:
    return GPSettings(url=url, company=company, username=USER, api="soap", **kw)  # type: ignore[arg-type]


def source(sim: GPSoapSimulator, company: str = "Fabrikam, Inc.", password: str = PW, **kw: object) -> SoapSource:
    gp = settings(sim.base_url, company, **kw)
    return SoapSource(gp, build_session(gp, password), attempts=1)


def test_the_endpoint_is_the_server_plus_the_legacy_path() -> None:
    assert endpoint_url(settings("http://gp01:48620")) == "http://gp01:48620" + DEFAULT_SOAP_PATH
    assert endpoint_url(settings("http://gp01:48620", soap_path="/Custom/GP.asmx")) == "http://gp01:48620/Custom/GP.asmx"
    full = "https://gp01:48620/DynamicsGPWebServices/DynamicsGPService.asmx"
    assert endpoint_url(settings(full)) == full
    assert contract() is contract()  # parsed once per process


def test_companies_and_the_company_is_found_by_name_or_id(gp_soap: GPSoapSimulator) -> None:
    src = source(gp_soap)
    assert [(c.id, c.name) for c in src.companies()] == [(-1, "Fabrikam, Inc."),
                                                          (2, "Compañía de Papelería (Bermuda), Ltd.")]
    assert src.company().id == -1
    assert source(gp_soap, " fabrikam,   INC. ").company().id == -1
    assert source(gp_soap, "2").company().name.startswith("Compañía")
    with pytest.raises(GPError) as err:
        source(gp_soap, "TWO").company()  # the SQL database name: Web Services does not know it
    assert err.value.stage is Stage.COMPANY
    assert "Fabrikam, Inc. (id -1)" in err.value.message and "database name" in err.value.hint


def test_customers_and_invoices_match_the_sba_source_on_the_same_data(
    gp_soap: GPSoapSimulator, gp_sba: GPSimulator
) -> None:
    soap = source(gp_soap)
    gp = GPSettings(url=gp_sba.base_url, company="TWO", username=USER, ca_bundle=str(gp_sba.ca_path))
    sba = SbaSource(gp, build_session(gp, PW))
    sba_customers = {c.number: c for c in sba.customers()}
    sba_invoices = {d.number: d for d in sba.documents() if d.is_invoice}
    soap_customers = {c.number: c for c in soap.customers()}
    soap_invoices = {d.number: d for d in soap.documents()}

    # Web Services names a customer's currency by ISO code only (no GP currency id in the object).
    iso = {gp_id: code for gp_id, (code, _) in CURRENCIES.items()}
    for number, c in sba_customers.items():
        assert soap_customers[number].currency_id == iso.get(c.currency_id, c.currency_id), number
    assert {n: dataclasses.replace(c, currency_id="") for n, c in soap_customers.items()} == \
        {n: dataclasses.replace(c, currency_id="") for n, c in sba_customers.items()}
    assert soap_invoices == sba_invoices
    # ...and the data set really is dirty in the ways the normalisation has to handle.
    assert any(c.rejected_emails for c in soap_customers.values())
    assert any(c.email is None for c in soap_customers.values())
    assert len({c.email for c in soap_customers.values() if c.email}) < sum(1 for c in soap_customers.values()
                                                                           if c.email)  # shared e-mails
    assert any(d.is_voided for d in soap_invoices.values())
    assert any(0 < d.balance < d.amount for d in soap_invoices.values())
    assert {d.currency for d in soap_invoices.values()} >= {"USD", "CAD"}
    # One list call each, then one ByKey call per record: summaries have no e-mail, balance or void flag.
    assert soap.calls["GetCustomerList"] == soap.calls["GetReceivablesInvoiceList"] == 1
    assert soap.calls["GetCustomerByKey"] == len(soap_customers)
    assert soap.calls["GetReceivablesInvoiceByKey"] == len(soap_invoices)
    assert not gp_soap.rejected  # every request zeep built passed the simulator's strict parse


def test_modified_date_criteria_return_only_the_changed(gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    data = gp_dataset.companies["TWO"]
    src = source(gp_soap)
    day = sorted(c.modifdt for c in data.customers.values())[-5]
    assert {c.number for c in src.customers(since=day)} == {
        c.custnmbr.strip() for c in data.customers.values() if c.modifdt >= day}
    mutator = GPMutator(gp_dataset)
    mutator.clock.advance(days=3)
    moved = mutator.change_address(line1="1 New Street")
    mutator.change_email(new_email="only-email@example.com")  # SY01200 only: invisible to ModifiedDate
    today = mutator.clock.today()
    changed = src.customers(since=today)
    assert [(c.number, c.address.line1) for c in changed] == [(moved.key, "1 New Street")]
    mutator.add_invoices(1)
    assert [d.date for d in src.documents(since=today)] == [today]


def test_five_thousand_customers_load_completely_under_a_1000_row_cap() -> None:
    big = generate_dataset(5000, documents=0, seed=3, companies=(CompanySpec(-1, "BIG", "Big Co"),))
    with GPSoapSimulator(big, users=[("CORP", "svc-gp", PW, {"*"})], options=SoapOptions(list_cap=1000)) as sim:
        src = source(sim, "Big Co")
        rows = src.customer_summaries()
        keys = [r["Key"]["Id"].strip() for r in rows]
        assert len(keys) == len(set(keys)) == 5000
        assert set(keys) == {k.strip() for k in big.companies["BIG"].customers}
        assert src.calls["GetCustomerList"] > 5  # the cap was hit and the list was split


def test_a_capped_single_day_is_split_by_key_range() -> None:
    same_day = generate_dataset(700, documents=0, seed=4, companies=(CompanySpec(-1, "ONE", "One Day Co"),))
    for cust in same_day.companies["ONE"].customers.values():
        cust.modifdt = dt.date(2024, 6, 3)  # e.g. a migration that stamped every customer alike
    with GPSoapSimulator(same_day, users=[("CORP", "svc-gp", PW, {"*"})], options=SoapOptions(list_cap=50)) as sim:
        src = source(sim, "One Day Co", soap_list_cap=50)
        keys = [r["Key"]["Id"].strip() for r in src.customer_summaries()]
        assert Counter(keys) == Counter(k.strip() for k in same_day.companies["ONE"].customers)
        assert not sim.rejected


def test_a_missing_security_role_is_explained_with_the_logid(gp_soap: GPSoapSimulator) -> None:
    gp_soap.deny(USER, "Query Receivables Invoices")
    src = source(gp_soap)
    assert src.customer_summaries()
    with pytest.raises(GPError) as err:
        src.invoice_summaries()
    e = err.value
    assert e.stage is Stage.ACCESS and e.log_id
    assert gp_soap.logged(e.log_id) is not None
    assert "unhandled system exception" in e.message and f"LogId {e.log_id}" in e.message
    assert '"Query Receivables Invoices"' in e.hint and USER in e.hint and "Dynamics Security Console" in e.hint


def test_other_faults_say_what_gp_said(gp_soap: GPSoapSimulator) -> None:
    gp_soap.fail_next(1, operation="GetCustomerList", message="The customer list is being rebuilt.")
    with pytest.raises(GPError) as err:
        source(gp_soap).customer_summaries()
    assert err.value.stage is Stage.SERVER
    assert "The customer list is being rebuilt." in err.value.message and err.value.log_id in err.value.message


def test_a_record_gp_cannot_return_is_skipped_and_named(gp_soap: GPSoapSimulator) -> None:
    src = source(gp_soap, soap_workers=1)
    first = src.customer_summaries()[0]["Key"]["Id"].strip()
    gp_soap.fail_next(1, operation="GetCustomerByKey")
    numbers = [c.number for c in src.customers()]
    assert first not in numbers and len(numbers) == 159
    assert src.unreadable == {f"customer:{first}"} and first in src.problems[0]
    # Four at a time, the fault hits whichever call reaches GP first: that one customer is skipped and named.
    pooled = source(gp_soap)
    gp_soap.fail_next(1, operation="GetCustomerByKey")
    numbers = [c.number for c in pooled.customers()]
    (skipped,) = pooled.unreadable
    key = skipped.removeprefix("customer:")
    assert key not in numbers and len(numbers) == 159 and key in pooled.problems[0]


def test_wrong_password_and_wrong_path_are_plain(gp_soap: GPSoapSimulator) -> None:
    with pytest.raises(GPError) as err:
        source(gp_soap, password="nope").companies()
    assert err.value.stage is Stage.AUTH and USER in err.value.message
    with pytest.raises(GPError) as err:
        source(gp_soap, soap_path="/GPService/Tenants(DefaultTenant)").companies()
    assert err.value.stage is Stage.REACH and "no GP Web Services endpoint" in err.value.message


def test_http_errors_are_said_as_the_sba_source_says_them(gp_soap: GPSoapSimulator, tmp_path: Path) -> None:
    # A bare 503 from IIS is retried like SBA's, a 403 names the Dynamics Security Console role.
    gp = settings(gp_soap.base_url)
    sleeps: list[float] = []
    src = SoapSource(gp, build_session(gp, PW), attempts=3, sleep=sleeps.append)
    gp_soap.fail_next(2, operation="GetCompanyList", status=503)
    assert src.companies() and len(sleeps) == 2
    gp_soap.fail_next(1, operation="GetCompanyList", status=403)
    with pytest.raises(GPError) as err:
        src.companies()
    assert err.value.stage is Stage.ACCESS and not err.value.transient and len(sleeps) == 2
    assert f"{USER} signed in, but GP does not let that user read the company list" in err.value.message
    assert "Dynamics Security Console" in err.value.hint
    with pytest.raises(GPError) as err:
        source(gp_soap, ca_bundle=str(tmp_path / "corp-root.pem")).companies()  # not requests' bare OSError
    assert err.value.stage is Stage.TLS and "does not exist" in err.value.message


def test_https_is_verified_against_the_profiles_ca_bundle(gp_dataset: GPDataset) -> None:
    # verify= goes on every call: a session-level CA would lose against REQUESTS_CA_BUNDLE from the environment.
    with GPSoapSimulator(gp_dataset, users=[("CORP", "svc-gp", PW, {"*"})], tls=True) as secure:
        assert secure.base_url.startswith("https://")
        trusted = source(secure, ca_bundle=str(secure.ca_path))
        assert trusted.company().id == -1
        with pytest.raises(GPError) as err:
            source(secure).companies()  # the system store does not know the simulator's CA
        assert err.value.stage is Stage.TLS
