"""GetXByKey reads on a pool of sessions (``[gp] soap_workers``) against the SOAP simulator: the same answers
and errors as one at a time, calls that really overlap, never more than the cap at once."""

from __future__ import annotations

import pytest

from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp import soap_shapes
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.session import GPSession, build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import ConfigError, GPSettings, profile_from_mapping
from tests.simulators import GPSim

PW = "Gp-Pool-2024!"
USER = "CORP\\svc-pool"
GP_SIM = GPSim(users=[("CORP", "svc-pool", PW, {"*"})], customers=60, seed=11)


def source(sim: GPSoapSimulator, workers: int = 4, password: str = PW, **kw: object) -> SoapSource:
    gp = GPSettings(url=sim.base_url, company="Fabrikam, Inc.", username=USER, api="soap",
                    soap_workers=workers, **kw)  # type: ignore[arg-type]
    return SoapSource(gp, build_session(gp, password), attempts=1)


def test_four_readers_give_the_same_customers_and_invoices_as_one(gp_soap: GPSoapSimulator) -> None:
    one, four = source(gp_soap, 1), source(gp_soap, 4)
    assert four.customers() == one.customers()
    assert four.documents() == one.documents()
    assert four.calls == one.calls  # no call more or less: one per record
    assert len(four._spare) == 3 and not one._spare
    assert not gp_soap.rejected


def test_calls_overlap_and_never_exceed_the_cap(gp_soap: GPSoapSimulator) -> None:
    keys = [soap_shapes.key_id(s) for s in source(gp_soap).customer_summaries()[:12]]
    gp_soap.set_latency(0.2, "GetCustomerByKey")
    for workers in (4, 2):
        src = source(gp_soap, workers)
        src.company()
        gp_soap.log.clear()
        assert [c.number for c in src.customers_by_key(keys)] == keys
        records = gp_soap.log.records()
        assert 2 <= gp_soap.log.most_at_once("GetCustomerByKey") <= workers
        assert len({r.connection for r in records if r.path == "GetCustomerByKey"}) == workers  # a session each


def test_a_wrong_password_says_what_it_said_before(gp_soap: GPSoapSimulator) -> None:
    errors = []
    for workers in (1, 4):
        with pytest.raises(GPError) as err:
            source(gp_soap, workers, password="nope").customers()
        errors.append(err.value)
    assert errors[0].stage is errors[1].stage is Stage.AUTH
    assert errors[0].message == errors[1].message and USER in errors[1].message


def test_an_error_on_one_key_surfaces_as_it_did_and_stops_the_rest(gp_soap: GPSoapSimulator) -> None:
    keys = [soap_shapes.key_id(s) for s in source(gp_soap).customer_summaries()]
    # A key GP does not know is that record's fault: skipped and named, the rest read, in order.
    wanted = [*keys[:5], "NOSUCHCUST01", *keys[5:20]]
    serial, pooled = source(gp_soap, 1), source(gp_soap, 4)
    assert pooled.customers_by_key(wanted) == serial.customers_by_key(wanted)
    assert [p.split(" (LogId")[0] for p in pooled.problems] == [p.split(" (LogId")[0] for p in serial.problems]
    assert pooled.unreadable == serial.unreadable == {"customer:NOSUCHCUST01"}
    # A page that is no SOAP answer ends the read with today's error, not wrapped; the keys not started are not.
    errors = []
    for src in (source(gp_soap, 1), source(gp_soap, 4)):
        src.company()
        gp_soap.set_latency(0.05, "GetCustomerByKey")
        gp_soap.fail_next(1, operation="GetCustomerByKey", status=404)
        with pytest.raises(GPError) as err:
            src.customers_by_key(keys)
        gp_soap.clear_faults()
        errors.append(err.value)
        assert src.calls["GetCustomerByKey"] < len(keys) // 2
    assert type(errors[0]) is type(errors[1]) and errors[0].stage is errors[1].stage is Stage.REACH
    assert errors[0].message == errors[1].message


def test_transient_failures_are_retried_by_the_reader_that_met_them(gp_soap: GPSoapSimulator) -> None:
    gp = GPSettings(url=gp_soap.base_url, company="Fabrikam, Inc.", username=USER, api="soap")
    sleeps: list[float] = []
    src = SoapSource(gp, build_session(gp, PW), attempts=3, sleep=sleeps.append)
    keys = [soap_shapes.key_id(s) for s in src.customer_summaries()[:10]]
    gp_soap.fail_next(2, operation="GetCustomerByKey", status=503)
    assert [c.number for c in src.customers_by_key(keys)] == keys
    assert len(sleeps) == 2 and src.calls["GetCustomerByKey"] == 12


def test_closing_the_session_closes_every_readers(gp_soap: GPSoapSimulator) -> None:
    src = source(gp_soap, 3)
    assert src.customers()
    session = src.session
    assert isinstance(session, GPSession)
    siblings = [line.session for line in src._spare]
    assert len(siblings) == 2 and all(s.adapters["http://"].poolmanager.pools for s in siblings)
    assert PW not in repr(session) and PW not in repr(vars(session))
    session.close()
    assert not any(s.adapters["http://"].poolmanager.pools for s in siblings)


@pytest.mark.parametrize("value", [0, 17, "four"])
def test_soap_workers_is_validated(value: object) -> None:
    doc = {"profile": {"name": "P", "database": "/tmp/state.sqlite"},
           "gp": {"api": "soap", "url": "http://gp01:48620", "company": "Fabrikam, Inc.", "username": USER,
                  "soap_workers": value},
           "mailchimp": {"list_id": "a1b2c3d4e5", "store_id": "gp-two"}}
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(doc)
    assert any("soap_workers" in p and "1 (one at a time) to 16" in p for p in caught.value.problems)
    doc["gp"]["soap_workers"] = 16
    assert profile_from_mapping(doc).gp.soap_workers == 16
    del doc["gp"]["soap_workers"]
    assert profile_from_mapping(doc).gp.soap_workers == 4
