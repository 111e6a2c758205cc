"""A GP 503 with Retry-After is waited out as the server asks, from both GP sources over real sockets to the
simulators (SBA over verified TLS with NTLM, Web Services over HTTP with NTLM).

Waits go through an injected ``sleep`` that records them, and an HTTP-date is read against an injected clock:
the waits are exact and nothing waits for real.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

PW = "Retry-After-1!"
USER = "CORP\\svc-retry"
GP_SIM = GPSim(users=[("CORP", "svc-retry", PW, {"*"})], customers=20, seed=3)
NOW = dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
CUSTOMERS = r"/Sales/Customers\.json$"


class Recorder(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sba(sim: GPSimulator, attempts: int = 4) -> tuple[SbaSource, Recorder]:
    gp = GPSettings(url=sim.base_url, company="TWO", username=USER, ca_bundle=str(sim.ca_path), timeout_seconds=10)
    sleeps = Recorder()
    return SbaSource(gp, build_session(gp, PW), attempts=attempts, sleep=sleeps, clock=lambda: NOW), sleeps


def soap(sim: GPSoapSimulator, attempts: int = 4) -> tuple[SoapSource, Recorder]:
    gp = GPSettings(url=sim.base_url, company="Fabrikam, Inc.", username=USER, api="soap", timeout_seconds=10)
    sleeps = Recorder()
    return SoapSource(gp, build_session(gp, PW), attempts=attempts, sleep=sleeps, clock=lambda: NOW), sleeps


def statuses(sim: GPSimulator, suffix: str) -> list[int]:
    return [r.status for r in sim.requests() if r.path.endswith(suffix) and r.user is not None]


@pytest.mark.parametrize(
    "retry_after", [2, NOW + dt.timedelta(seconds=2)], ids=["delta-seconds", "http-date"]
)
def test_sba_503_waits_what_the_server_says(gp_sba: GPSimulator, retry_after: Any) -> None:
    gp_sba.clear_log()
    gp_sba.fail_next(1, path_pattern=CUSTOMERS, status=503, retry_after=retry_after)
    src, sleeps = sba(gp_sba)
    assert src.customers()
    assert sleeps == [2.0]  # the first backoff window is only 0.5 s
    assert statuses(gp_sba, "/Sales/Customers.json") == [503, 200]


def test_soap_503_waits_what_the_server_says(gp_soap: GPSoapSimulator) -> None:
    gp_soap.fail_next(2, operation="GetCompanyList", status=503, retry_after=1)
    src, sleeps = soap(gp_soap)
    assert src.companies()
    assert sleeps == [1.0, 1.0]


def test_a_wait_longer_than_the_deadline_fails_at_once(gp_sba: GPSimulator) -> None:
    # Four attempts back off for at most 0.5 + 1 + 2 = 3.5 s in all; a server that asks for 10 s is not tried
    # sooner than it said (another 503) nor waited for past that deadline: the run's failure says it is down.
    gp_sba.clear_log()
    gp_sba.fail_next(1, path_pattern=CUSTOMERS, status=503, retry_after=10)
    src, sleeps = sba(gp_sba)
    with pytest.raises(GPError) as caught:
        src.customers()
    err = caught.value
    assert err.stage is Stage.SERVER and err.transient and err.retry_after == 10.0
    assert sleeps == []
    assert statuses(gp_sba, "/Sales/Customers.json") == [503]


def test_waits_add_up_to_the_deadline_at_most(gp_sba: GPSimulator) -> None:
    gp_sba.fail_next(3, path_pattern=CUSTOMERS, status=503, retry_after=2)
    src, sleeps = sba(gp_sba)
    with pytest.raises(GPError):
        src.customers()
    assert sleeps == [2.0]  # a second 2 s would end past 3.5 s


def test_a_long_wait_is_capped_at_the_backoff_ceiling(gp_sba: GPSimulator) -> None:
    # Eight attempts: a deadline of 0.5 + 1 + ... + 16 + 30 = 61.5 s, in which one capped wait fits.
    gp_sba.fail_next(1, path_pattern=CUSTOMERS, status=503, retry_after=3600)
    src, sleeps = sba(gp_sba, attempts=8)
    assert src.customers()
    assert sleeps == [30.0]


@pytest.mark.parametrize("retry_after", [None, "soon", "2.5"])
def test_without_a_readable_header_the_backoff_applies(gp_sba: GPSimulator, retry_after: Any) -> None:
    gp_sba.fail_next(1, path_pattern=CUSTOMERS, status=503, retry_after=retry_after)
    src, sleeps = sba(gp_sba)
    assert src.customers()
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


@pytest.mark.parametrize("status", [500, 502, 504])
def test_retry_after_on_other_statuses_is_not_a_wait(gp_sba: GPSimulator, status: int) -> None:
    gp_sba.fail_next(1, path_pattern=CUSTOMERS, status=status, retry_after=9)
    src, sleeps = sba(gp_sba)
    assert src.customers()
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5
