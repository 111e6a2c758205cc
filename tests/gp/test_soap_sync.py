"""The SOAP polling source: full reads, incremental reads over a snapshot, and when a full comparison is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.gp_model import DocType, GPDataset
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.gp.soap_sync import SoapPollingSource
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

PW = "Gp-Poll-2024!"
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"*"})], customers=40, seed=9)


@pytest.fixture
def profile_id(tmp_path: Path) -> Iterator[int]:
    with store.open_store(tmp_path / "state.sqlite"):
        yield store.save_profile("soap").id


def poll(sim: GPSoapSimulator, profile_id: int, *, full: bool = False, days: float = 7,
         now: dt.datetime | None = None) -> tuple[SoapPollingSource, dict[str, Customer], dict[str, Document]]:
    gp = GPSettings(url=sim.base_url, company="Fabrikam, Inc.", username="CORP\\svc-gp", api="soap",
                    full_compare_days=days)
    source = SoapPollingSource(SoapSource(gp, build_session(gp, PW)), profile_id, full=full,
                               now=(lambda: now) if now else None)
    customers = {c.number: c for c in source.customers()}
    documents = {d.number: d for d in source.documents()}
    source.session.close()
    return source, customers, documents


def test_incremental_reads_overlay_the_snapshot(gp_soap: GPSoapSimulator, gp_dataset: GPDataset,
                                                profile_id: int) -> None:
    first, customers, invoices = poll(gp_soap, profile_id)
    assert first.mode == "full" and first.reason == "no full comparison yet"
    assert first.source.calls["GetCustomerByKey"] == len(customers) == len(gp_dataset.companies["TWO"].customers)

    quiet, again, same = poll(gp_soap, profile_id)
    assert quiet.mode == "incremental"
    assert (again, same) == (customers, invoices)  # complete lists, unchanged records from the snapshot
    assert quiet.source.calls["GetCustomerByKey"] < len(customers) // 4

    mutator = GPMutator(gp_dataset)
    mutator.clock.advance(days=2)
    moved = mutator.change_address(line1="9 Quay Street").key
    mailed = mutator.change_email(next(n for n in customers if n != moved), "new.inbox@contoso-mail.com").key
    # A payment that lowers an invoice's balance without moving the invoice's own ModifiedDate.
    data = gp_dataset.companies["TWO"]
    invoice = next(r for r, s in data.documents() if r.rmdtypal == DocType.INVOICE and s == "Open"
                   and r.curtrxam > 0 and not r.voidstts)
    before = invoice.lstedtdt
    mutator.apply_payment(invoice.docnumbr.strip())
    invoice.lstedtdt = before
    new = mutator.add_invoices(1)[0].key.split(";")[1]

    later, customers2, invoices2 = poll(gp_soap, profile_id)
    assert later.mode == "incremental"
    assert customers2[moved].address.line1 == "9 Quay Street"
    assert customers2[mailed].email == customers[mailed].email  # e-mail-only: invisible to ModifiedDate
    assert invoices2[invoice.docnumbr.strip()].balance == 0  # found through the customer's payment
    assert new in invoices2 and set(invoices) < set(invoices2)

    _, customers3, _ = poll(gp_soap, profile_id, full=True)
    assert customers3[mailed].email == "new.inbox@contoso-mail.com"


def test_a_full_comparison_comes_round_after_full_compare_days(gp_soap: GPSoapSimulator, profile_id: int) -> None:
    start = dt.datetime(2024, 6, 20, 12, tzinfo=dt.UTC)
    assert poll(gp_soap, profile_id, now=start)[0].mode == "full"
    assert store.from_iso(str(store.get_state(profile_id, store.LAST_FULL_COMPARE_AT))) == start
    assert poll(gp_soap, profile_id, now=start + dt.timedelta(days=6))[0].mode == "incremental"
    due = poll(gp_soap, profile_id, now=start + dt.timedelta(days=7, hours=1))[0]
    assert due.mode == "full" and "older than 7 days" in due.reason
    assert poll(gp_soap, profile_id, days=0, now=start + dt.timedelta(days=7, hours=2))[0].mode == "full"


def test_a_sink_gets_the_records_the_lists_hold(gp_soap: GPSoapSimulator, profile_id: int) -> None:
    _, customers, documents = poll(gp_soap, profile_id)
    gp = GPSettings(url=gp_soap.base_url, company="Fabrikam, Inc.", username="CORP\\svc-gp", api="soap")
    source = SoapPollingSource(SoapSource(gp, build_session(gp, PW)), profile_id)
    fed_customers: list[Customer] = []
    fed_documents: list[Document] = []
    assert source.customers(into=fed_customers.append) == []
    assert source.documents(into=fed_documents.append) == []
    source.session.close()
    assert fed_customers == list(customers.values()) and fed_documents == list(documents.values())
    assert source.mode == "incremental" and len(fed_documents) > 10
