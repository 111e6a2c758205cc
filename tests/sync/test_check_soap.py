"""``gpmc check`` over GP Web Services (``api = "soap"``) against the SOAP simulator: the same stages as SBA."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from gpmc_desktop.demo import gp_soap_shapes
from gpmc_desktop.demo.gp_model import DocType
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import GPSettings
from gpmc_desktop.sync.check import SOAP_DOCUMENT_SAMPLE, SOAP_SAMPLE_SIZE, StageResult, check_gp, run_gp
from tests.simulators import GPSim

PW = "Check-Soap-2024!"
USER = "CORP\\svc-check"
COMPANY = "Fabrikam, Inc."
GP_SIM = GPSim(users=[("CORP", "svc-check", PW, {"*"})], customers=60, seed=11)
GP_STAGES = ["reach", "tls", "auth", "companies", "company", "sample", "data"]


def settings(sim: GPSoapSimulator, **changes: Any) -> GPSettings:
    base = GPSettings(url=sim.base_url, company=COMPANY, username=USER, api="soap", timeout_seconds=10.0)
    return replace(base, **changes)


def total(sim: GPSoapSimulator) -> int:
    return len(sim.dataset.companies["TWO"].customers)


def run(gp: GPSettings, password: str = PW) -> list[StageResult]:
    return list(check_gp(gp, password))


def test_all_stages_pass_over_plain_http(gp_soap: GPSoapSimulator) -> None:
    results = run(settings(gp_soap))
    assert [(r.stage, r.ok) for r in results] == [(s, True) for s in GP_STAGES], [r.line() for r in results]
    by_stage = {r.stage: r.message for r in results}
    assert "plain HTTP (no TLS)" in by_stage["tls"]
    assert "companies visible" in by_stage["auth"]
    assert by_stage["companies"] == f"2 companies: {COMPANY} (id -1), Compañía de Papelería (Bermuda), Ltd. (id 2)"
    assert by_stage["company"].startswith(f"company {COMPANY} (id ")
    assert re.fullmatch(rf"{total(gp_soap)} customers readable; \d+ of the first {SOAP_SAMPLE_SIZE} read in full have "
                        r"an e-mail address \(for example \S+: .+\)", by_stage["sample"]), by_stage["sample"]


def test_the_sample_reads_a_bounded_number_of_customers_in_full(gp_soap: GPSoapSimulator) -> None:
    # Web Services has e-mails only in the full object, one call per customer: the list gives the count and
    # the classes of every customer, and only the first SOAP_SAMPLE_SIZE are read one by one.
    data = gp_soap.dataset.companies["TWO"]
    assert len(data.customers) > SOAP_SAMPLE_SIZE
    gp_soap.clear_log()
    facts = run_gp(settings(gp_soap), PW, lambda result: None)
    sent = gp_soap.requests()
    assert facts is not None and facts.sample is not None
    # Counted past the sign-in: each pooled reader's connection starts with an NTLM leg answered 401.
    assert sum(1 for r in sent if r.path == "GetCustomerByKey" and r.status != 401) == SOAP_SAMPLE_SIZE
    gp = settings(gp_soap)
    everyone = SoapSource(gp, build_session(gp, PW), attempts=1).customers()  # all of them, in full
    first = sorted(everyone, key=lambda c: c.number.upper())[:SOAP_SAMPLE_SIZE]
    assert facts.sample.customers == len(data.customers) and facts.sample.sampled == SOAP_SAMPLE_SIZE
    assert facts.sample.with_email == sum(1 for c in first if c.email) > 0
    assert facts.sample.classes == dict(sorted(Counter(c.class_id for c in everyone if c.class_id).items()))


def test_company_by_id_or_any_case(gp_soap: GPSoapSimulator) -> None:
    gp = settings(gp_soap)
    source = SoapSource(gp, build_session(gp, PW), attempts=1)
    try:
        ident = next(c.id for c in source.companies() if c.name == COMPANY)
    finally:
        source.session.close()
    for wanted in (str(ident), COMPANY.upper()):
        results = run(settings(gp_soap, company=wanted))
        assert all(r.ok for r in results), [r.line() for r in results]
        assert f"(id {ident})" in next(r.message for r in results if r.stage == "company")


def test_wrong_password_stops_at_auth(gp_soap: GPSoapSimulator) -> None:
    results = run(settings(gp_soap), "not-the-password")
    assert [(r.stage, r.ok) for r in results] == [("reach", True), ("tls", True), ("auth", False)]


def test_unknown_company_lists_the_companies(gp_soap: GPSoapSimulator) -> None:
    results = run(settings(gp_soap, company="NOPE"))
    assert [(r.stage, r.ok) for r in results][-1] == ("company", False)
    message = results[-1].message
    assert "'NOPE'" in message and f"{COMPANY} (id " in message


def test_unreachable_endpoint(gp_soap: GPSoapSimulator) -> None:
    results = run(settings(gp_soap, url="http://127.0.0.1:1"))
    assert [(r.stage, r.ok) for r in results] == [("reach", False)]


def test_an_invoice_type_gpmc_does_not_know_fails_the_gp_data_stage(
    gp_soap: GPSoapSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(gp_soap_shapes.DOC_TYPE_NAMES, DocType.INVOICE, "Sales Quote")
    results = run(settings(gp_soap))
    assert [(r.stage, r.ok) for r in results] == [(s, True) for s in GP_STAGES[:-1]] + [("data", False)]
    assert results[-1].message.startswith(
        f"GP's receivables invoices hold Type in a form gpmc cannot read ('Sales Quote' in {SOAP_DOCUMENT_SAMPLE} of "
        f"{SOAP_DOCUMENT_SAMPLE}: ")
    assert "Nothing was sent to Mailchimp." in results[-1].message


def test_customers_without_any_email_fail_the_gp_data_stage(gp_soap: GPSoapSimulator) -> None:
    data = gp_soap.dataset.companies["TWO"]
    with gp_soap.dataset.lock:
        kept = dict(data.internet)
        data.internet.clear()
    try:
        results = run(settings(gp_soap))
    finally:
        with gp_soap.dataset.lock:
            data.internet.update(kept)
    assert [(r.stage, r.ok) for r in results][-2:] == [("sample", True), ("data", False)]
    assert results[-1].message.startswith(f"None of the {SOAP_SAMPLE_SIZE} customers GP returned has an e-mail "
                                          "address")


def test_reading_sales_invoices_is_proven_with_their_lines_and_items(gp_soap: GPSoapSimulator) -> None:
    """With order_lines = "sales_invoices" the data stage reads the first sales invoices and their items as the
    sync does: the rights to both are proven before the first sync, and named when missing."""
    lines = settings(gp_soap, order_lines="sales_invoices")
    by_stage = {r.stage: r for r in run(lines)}
    assert by_stage["data"].ok, by_stage["data"].message
    found = re.search(rf"order lines: the first {SOAP_DOCUMENT_SAMPLE} sales invoices read with their (\d+) lines "
                      r"and (\d+) items", by_stage["data"].message)
    assert found and int(found[1]) >= SOAP_DOCUMENT_SAMPLE and int(found[2]) > 1, by_stage["data"].message
    assert "order lines" not in {r.stage: r for r in run(settings(gp_soap))}["data"].message  # not asked for

    gp_soap.deny(USER, "Query Items")
    try:
        data = {r.stage: r for r in run(lines)}["data"]
    finally:
        gp_soap.set_roles(USER, None)
    assert not data.ok and "Query Items" in data.line()
