"""SbaSource + build_session against the GP SBA simulator: real NTLM over verified TLS on 127.0.0.1.

Every failure must be a GPError whose stage says where it broke and whose words say what to do.
REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE point at the system store throughout (as on CI), which must not beat the
profile's CA file.
"""

from __future__ import annotations

import re
import socket
from dataclasses import astuple, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import certifi
import pytest

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import DocumentType
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

PW = "Sba:Client-1!"
PW_TWO = "Two-Only-2"
USER = "CORP\\svc-sba"
USER_TWO = "CORP\\sba-two"
TRICKY = "Compañía de Papelería (Bermuda), Ltd."
_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9.-]+\.[a-z]{2,63}$")
GP_SIM = GPSim(users=[("CORP", "svc-sba", PW, {"TWO", TRICKY}), ("CORP", "sba-two", PW_TWO, {"TWO"})],
               customers=120, seed=11)

# What this machine and CI set: a bundle that does not hold the simulator's CA.
pytestmark = pytest.mark.usefixtures("system_ca_env")


def settings(sim: GPSimulator, **changes: Any) -> GPSettings:
    base = GPSettings(url=sim.base_url, company="TWO", username=USER, ca_bundle=str(sim.ca_path),
                      timeout_seconds=10.0)
    return replace(base, **changes)


class Sleeps(list[float]):
    """An injected sleep that records the back-off instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source(sim: GPSimulator, password: str = PW, attempts: int = 4, **changes: Any) -> tuple[SbaSource, Sleeps]:
    s = settings(sim, **changes)
    sleeps = Sleeps()
    return SbaSource(s, build_session(s, password), attempts=attempts, sleep=sleeps), sleeps


def raw_rows(sim: GPSimulator, company: str, what: str) -> list[dict[str, Any]]:
    src, _ = source(sim, company=company)
    return src.raw_customers() if what == "customers" else src.raw_documents()


def calls_to(sim: GPSimulator, suffix: str) -> list[Any]:
    """Authenticated calls (NTLM legs excluded) whose path ends with *suffix*."""
    return [r for r in sim.requests() if r.path.endswith(suffix) and r.user is not None]


# ------------------------------------------------------------------------------------------------- reading
def test_companies_over_ntlm_and_verified_tls(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba)
    companies = {c.database: c for c in src.companies()}
    assert set(companies) == {"TWO", "CPBDA"}
    assert companies["TWO"].name == "Fabrikam, Inc."  # GP's padding is gone
    assert companies["CPBDA"].label() == f"CPBDA ({TRICKY})"
    assert sleeps == []
    assert gp_sba.auth.handshakes >= 1


def test_customers_are_normalised(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba)
    raw = src.raw_customers()
    customers = src.customers()
    assert len(customers) == len(raw) > 20
    # GP pads char columns; nothing padded may come out.
    assert any(r["CustomerNumber"] != r["CustomerNumber"].strip() for r in raw)
    assert [c.number for c in customers] == [r["CustomerNumber"].strip() for r in raw]
    for cust in customers:
        texts = [cust.number, cust.company_name, cust.first_name, cust.last_name, cust.phone, cust.class_id,
                 cust.currency_id, *astuple(cust.address)]
        assert all(t == t.strip() for t in texts), cust
        if cust.email is not None:
            assert _EMAIL.match(cust.email), cust.email
    by_number = {c.number: c for c in customers}

    def primary(r: dict[str, Any]) -> dict[str, Any]:
        return next(a for a in r["Addresses"] if a["AddressId"].strip() == r["PrimaryAddressId"].strip())

    # "mailto:" and capitals are dirt around a good address, which must be picked.
    dressed = [r for r in raw if r["Addresses"] and primary(r)["EmailToAddress"].lower().startswith("mailto:")]
    assert dressed, "the data set guarantees a mailto: address"
    for r in dressed:
        first = re.split(r"[;,\s]+", primary(r)["EmailToAddress"].lower().replace("mailto:", "", 1).strip())[0]
        assert by_number[r["CustomerNumber"].strip()].email == first.strip("<>\"'")
    # Phones: all zeros and Excel's 3.12555E+13 mean "no phone"; ten plain digits become 312-555-0101.
    for r in raw:
        if not r["Addresses"]:
            continue
        phone1, phone2 = primary(r)["Phone1"].strip(), primary(r)["Phone2"].strip()
        got = by_number[r["CustomerNumber"].strip()].phone
        if phone1 and (set(phone1) == {"0"} or "E+" in phone1.upper()) and not phone2:
            assert got == ""
        if re.fullmatch(r"\d{10}", phone1):
            assert got == f"{phone1[:3]}-{phone1[3:6]}-{phone1[6:]}"
    assert any(set(primary(r)["Phone1"].strip()) == {"0"} for r in raw if r["Addresses"])
    assert any(re.fullmatch(r"\d{3}-\d{3}-\d{4}( x\d+)?", c.phone) for c in customers)
    # A customer without any valid address says why.
    assert any(c.email is None and c.email_note for c in customers)


def test_documents_have_decimal_amounts_types_and_states(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba)
    raw = src.raw_documents()
    docs = src.documents()
    assert len(docs) == len(raw) > 20
    for r, doc in zip(raw, docs, strict=True):
        assert doc.number == r["DocumentNumber"].strip()
        assert doc.type is DocumentType(r["DocumentType"])
        assert isinstance(doc.amount, Decimal) and doc.amount.as_tuple().exponent == -2
        assert doc.amount == Decimal(str(r["OriginalAmount"]["Value"])).quantize(Decimal("0.01"))
        assert doc.balance == Decimal(str(r["CurrentAmount"]["Value"])).quantize(Decimal("0.01"))
        assert doc.is_voided is bool(r["IsVoided"])
        assert doc.currency == r["OriginalAmount"]["Currency"]
    invoices = [d for d in docs if d.is_invoice]
    assert any(d.is_paid for d in invoices) and any(not d.is_paid for d in invoices)
    assert any(d.is_voided and d.void_date is not None for d in docs)
    assert {d.type for d in docs} >= {DocumentType.INVOICE, DocumentType.PAYMENT, DocumentType.CREDIT_MEMO}


@pytest.mark.parametrize("company", [TRICKY, "CPBDA", "cpbda"])
def test_company_by_display_name_with_punctuation_and_accents(gp_sba: GPSimulator, company: str) -> None:
    src, _ = source(gp_sba, company=company)
    customers = src.customers()
    documents = src.documents()
    expected = {c.custnmbr.strip() for c in gp_sba.dataset.companies["CPBDA"].customers.values()}
    assert {c.number for c in customers} == expected
    assert documents and {d.customer_number for d in documents} <= expected


def test_one_customer_by_key(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba)
    first = src.customers()[0]
    assert src.customer(first.number) == first


# ------------------------------------------------------------------------------------------------ failures
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wrong_port_is_a_reach_error_retried_then_reported(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, attempts=3, url=f"https://127.0.0.1:{_closed_port()}")
    with pytest.raises(GPError) as caught:
        src.companies()
    err = caught.value
    assert err.stage is Stage.REACH and err.transient
    assert "Cannot reach the GP server at 127.0.0.1" in err.message
    assert "server name and port" in err.hint
    assert len(sleeps) == 2  # three attempts, two back-offs


def test_wrong_host_is_a_reach_error(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, attempts=1, url="https://gp.invalid:443")
    with pytest.raises(GPError) as caught:
        src.companies()
    assert caught.value.stage is Stage.REACH
    assert "gp.invalid" in caught.value.message


def test_tls_without_the_ca_file_names_the_ca_certificate(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, ca_bundle=None)
    before = gp_sba.request_count
    with pytest.raises(GPError) as caught:
        src.companies()
    err = caught.value
    assert err.stage is Stage.TLS and not err.transient
    assert "does not trust" in err.message
    assert "CA certificate file" in err.hint
    assert sleeps == [] and gp_sba.request_count == before  # nothing was sent over the untrusted channel


def test_wrong_ca_file_is_a_tls_error_too(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, ca_bundle=certifi.where())
    with pytest.raises(GPError) as caught:
        src.companies()
    assert caught.value.stage is Stage.TLS


def test_missing_ca_file_is_a_tls_error_naming_the_file(gp_sba: GPSimulator, tmp_path: Path) -> None:
    missing = tmp_path / "corp-root.pem"
    src, sleeps = source(gp_sba, ca_bundle=str(missing))
    with pytest.raises(GPError) as caught:  # not requests' bare OSError
        src.companies()
    assert caught.value.stage is Stage.TLS
    assert str(missing) in caught.value.message and "does not exist" in caught.value.message
    assert sleeps == []


def test_wrong_password_is_an_auth_error(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, password="not-it")
    with pytest.raises(GPError) as caught:
        src.customers()
    err = caught.value
    assert err.stage is Stage.AUTH and not err.transient
    assert USER in err.message
    assert "password" in err.hint
    assert sleeps == []


def test_user_without_company_access_is_an_access_error(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, password=PW_TWO, username=USER_TWO, company="CPBDA")
    with pytest.raises(GPError) as caught:
        src.customers()
    err = caught.value
    assert err.stage is Stage.ACCESS
    assert USER_TWO in err.message and "'CPBDA'" in err.message
    assert "User Access Setup" in err.hint
    assert sleeps == []
    assert calls_to(gp_sba, "/Sales/Customers.json")[-1].status == 403


def test_revoked_access_shows_on_the_next_call(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba)
    assert src.raw_documents()
    gp_sba.revoke(USER, "TWO")
    try:
        with pytest.raises(GPError) as caught:
            src.raw_documents()
        assert caught.value.stage is Stage.ACCESS
    finally:
        gp_sba.grant(USER, "TWO")
    assert src.raw_documents()


def test_unknown_company_lists_the_companies(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, company="TW0")
    with pytest.raises(GPError) as caught:
        src.customers()
    err = caught.value
    assert err.stage is Stage.COMPANY
    assert "'TW0'" in err.message
    assert "TWO (Fabrikam, Inc.)" in err.message and f"CPBDA ({TRICKY})" in err.message
    assert "Pick the company" in err.hint
    assert sleeps == []


@pytest.mark.parametrize("read", ["companies", "customers"])
def test_unknown_tenant(gp_sba: GPSimulator, read: str) -> None:
    src, _ = source(gp_sba, tenant="Contoso")
    with pytest.raises(GPError) as caught:
        getattr(src, read)()
    err = caught.value
    assert err.stage is Stage.COMPANY
    assert "no tenant 'Contoso'" in err.message
    assert "DefaultTenant" in err.hint


def test_named_tenant_works_when_the_server_has_it(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(tenants=("DefaultTenant", "Fabrikam Cloud"))
    src, _ = source(gp_sba, tenant="Fabrikam Cloud")
    assert len(src.companies()) == 2


def test_server_fault_is_retried_then_reported_with_its_log_id(gp_sba: GPSimulator) -> None:
    gp_sba.fail_next(10, path_pattern=r"/Sales/Customers\.json$")
    src, sleeps = source(gp_sba, attempts=3)
    before = len(calls_to(gp_sba, "/Sales/Customers.json"))
    with pytest.raises(GPError) as caught:
        src.customers()
    err = caught.value
    assert err.stage is Stage.SERVER and err.transient
    log_id = gp_sba.errors[-1]["LogId"]
    assert err.log_id == log_id
    assert f"(LogId {log_id})" in err.message
    assert "LogId" in err.hint and "administrator" in err.hint
    assert len(calls_to(gp_sba, "/Sales/Customers.json")) - before == 3
    assert len(sleeps) == 2 and all(0 <= s <= 0.5 * 2**i for i, s in enumerate(sleeps))


def test_a_single_server_fault_then_success(gp_sba: GPSimulator) -> None:
    gp_sba.fail_next(1, path_pattern=r"/Sales/Receivables\.json$")
    src, sleeps = source(gp_sba)
    docs = src.documents()
    assert docs
    assert len(sleeps) == 1
    assert [r.status for r in calls_to(gp_sba, "/Sales/Receivables.json")][-2:] == [500, 200]


def test_a_client_error_other_than_404_is_not_retried(gp_sba: GPSimulator) -> None:
    gp_sba.fail_next(1, path_pattern=r"/Sales/Customers\.json$", status=400, error_code="BadRequest", message="no good")
    src, sleeps = source(gp_sba)
    with pytest.raises(GPError) as caught:
        src.customers()
    assert caught.value.stage is Stage.SERVER and not caught.value.transient
    assert "no good" in caught.value.message
    assert sleeps == []


def test_connection_reset_once_is_retried(gp_sba: GPSimulator) -> None:
    gp_sba.reset_next(1, path_pattern=r"/Sales/Customers\.json$")
    src, sleeps = source(gp_sba)
    assert src.customers()
    assert len(sleeps) == 1
    statuses = [r.status for r in calls_to(gp_sba, "/Sales/Customers.json")][-2:]
    assert statuses == [0, 200]  # 0: reset instead of answered


def test_gp_that_does_not_answer_in_time_is_a_reach_error_not_repeated(gp_sba: GPSimulator) -> None:
    gp_sba.set_latency(1.5)
    src, sleeps = source(gp_sba, attempts=4, timeout_seconds=0.25)
    with pytest.raises(GPError) as caught:
        src.companies()
    err = caught.value
    assert err.stage is Stage.REACH and not err.transient
    assert "did not answer the company list within 0.25 seconds" in err.message
    assert "GP Service may be stuck" in err.hint  # a small read: a bigger timeout is not the cure
    assert sleeps == []  # the same read would take as long again: not repeated
    gp_sba.set_latency(1.5, path_pattern=r"/Sales/")  # the company list (read first, to address it) answers
    with pytest.raises(GPError) as caught:
        src.customers()  # a whole collection: the profile's timeout, and the key to raise it
    assert "did not answer customers within 0.25 seconds" in caught.value.message
    assert "raise timeout_seconds" in caught.value.hint and sleeps == []


def test_ca_bundle_path_object_and_env_bundle(gp_sba: GPSimulator, tmp_path: Path) -> None:
    # A CA file copied elsewhere (as IT hands it out) still wins over REQUESTS_CA_BUNDLE.
    copy = tmp_path / "corp-root.pem"
    copy.write_bytes(Path(str(gp_sba.ca_path)).read_bytes())
    src, _ = source(gp_sba, ca_bundle=str(copy))
    assert len(src.companies()) == 2
