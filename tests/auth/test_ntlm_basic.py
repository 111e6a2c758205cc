"""NTLM and Basic edge cases against the GP simulator, and Negotiate/Kerberos where no domain controller answers.

No KDC here: KRB5_CONFIG points at a configuration that knows none, so a developer's own krb5.conf or ticket
cannot change the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gpmc_desktop.demo.gp_auth import SCHEMES
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.auth_errors import REFUSED, AuthReason, GPAuthError
from gpmc_desktop.gp.errors import Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import BasicAuth, NtlmAuth, build_session, method_used
from gpmc_desktop.sync.check import check_gp
from gpmc_desktop.sync.config import GPSettings

PW = "Ntlm:Edge-Pa55"
USER = "CORP\\svc-ntlm"


@pytest.fixture(autouse=True)
def _no_kdc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = tmp_path / "krb5.conf"
    conf.write_text("[libdefaults]\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n", encoding="utf-8")
    monkeypatch.setenv("KRB5_CONFIG", str(conf))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-ticket-cache'}")
    monkeypatch.delenv("KRB5_KTNAME", raising=False)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GPSimulator]:
    users = [("CORP", "svc-ntlm", PW, {"*"})]
    with GPSimulator(generate_dataset(30, seed=9), users=users, workdir=tmp_path_factory.mktemp("gp")) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_knobs(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        running: GPSimulator = request.getfixturevalue("sim")
        running.set_options(allow_basic=False)
        running.auth.schemes, running.auth.accept_ntlm = SCHEMES, True
        running.auth.lock_account(USER, False)


def settings(sim: GPSimulator, auth: str = "ntlm", **changes: Any) -> GPSettings:
    values: dict[str, Any] = {"url": sim.base_url, "company": "TWO", "username": USER, "auth": auth,
                              "ca_bundle": str(sim.ca_path), "timeout_seconds": 10.0, **changes}
    return GPSettings(**values)


def sign_in(s: GPSettings, password: str = PW) -> requests.Session:
    session = build_session(s, password)
    assert sorted(c.database for c in SbaSource(s, session, attempts=1).companies()) == ["CPBDA", "TWO"]
    return session


def failure(s: GPSettings, password: str = PW) -> GPAuthError:
    with pytest.raises(GPAuthError) as caught:
        SbaSource(s, build_session(s, password), attempts=1).companies()
    assert caught.value.stage is Stage.AUTH
    return caught.value


# ------------------------------------------------------------------------------------------------- NTLM
def test_ntlm_alone(sim: GPSimulator) -> None:
    session = sign_in(settings(sim))
    assert isinstance(session.auth, NtlmAuth) and session.auth.used == "ntlm"
    assert method_used(session.auth) == "NTLM"


def test_ntlm_inside_negotiate_when_the_server_offers_only_negotiate(sim: GPSimulator) -> None:
    sim.auth.schemes = ("negotiate",)
    assert sign_in(settings(sim)).auth.used == "ntlm"  # type: ignore[union-attr]


def test_ntlm_wrong_password(sim: GPSimulator) -> None:
    err = failure(settings(sim), password="wrong")
    assert err.reason is AuthReason.WRONG_PASSWORD and err.password_may_help
    assert err.message == f"{REFUSED} {USER}: the password is wrong, or the account is locked or disabled."
    assert "password" in err.hint and "locked" in err.hint


def test_ntlm_locked_account_gets_the_same_answer_as_iis_gives(sim: GPSimulator) -> None:
    # IIS answers a locked account with the same 401.1 as a wrong password: nothing on the wire tells them apart.
    sim.auth.lock_account(USER)
    err = failure(settings(sim))
    assert err.reason is AuthReason.WRONG_PASSWORD and "locked" in err.message
    assert sim.requests()[-1].note == f"account locked {USER}"


def test_ntlm_profile_against_a_basic_only_server(sim: GPSimulator) -> None:
    sim.auth.schemes = ()
    sim.set_options(allow_basic=True)
    err = failure(settings(sim))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer NTLM (it offers Basic)" in err.message and "Choose Basic" in err.hint


# ------------------------------------------------------------------------------------------------ Basic
def test_basic_over_https(sim: GPSimulator) -> None:
    sim.set_options(allow_basic=True)
    session = sign_in(settings(sim, auth="basic"))
    assert isinstance(session.auth, BasicAuth) and method_used(session.auth) == "Basic"
    assert failure(settings(sim, auth="basic"), password="wrong").reason is AuthReason.WRONG_PASSWORD


def test_basic_profile_against_a_server_without_basic(sim: GPSimulator) -> None:
    err = failure(settings(sim, auth="basic"))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer Basic (it offers NTLM, Negotiate)" in err.message
    assert err.hint == "Choose Automatic (Negotiate) or NTLM as the sign-in method."


# ----------------------------------------------------------------------------- Negotiate without a KDC
def test_negotiate_falls_back_when_no_domain_controller_answers(sim: GPSimulator) -> None:
    results = {r.stage: r for r in check_gp(settings(sim, auth="negotiate"), PW)}
    assert results["auth"].ok, results["auth"]
    assert results["auth"].message == (
        f"signed in as {USER} with NTLM, Negotiate fell back: no domain controller reachable (2 companies visible)"
    )


def test_negotiate_profile_against_a_basic_only_server(sim: GPSimulator) -> None:
    sim.auth.schemes = ()
    sim.set_options(allow_basic=True)
    err = failure(settings(sim, auth="negotiate"))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer Automatic (Negotiate) (it offers Basic)" in err.message and "Choose Basic" in err.hint


def test_kerberos_without_a_domain_controller(sim: GPSimulator) -> None:
    err = failure(settings(sim, auth="kerberos"))
    assert err.reason is AuthReason.KDC_UNREACHABLE
    assert err.message == "This PC cannot reach a domain controller for CORP."


def test_check_reports_ntlm(sim: GPSimulator) -> None:
    results = {r.stage: r for r in check_gp(settings(sim), PW)}
    assert results["auth"].message == f"signed in as {USER} with NTLM (2 companies visible)"
    failed = list(check_gp(settings(sim), "wrong"))[-1]
    assert (failed.stage, failed.ok) == ("auth", False) and failed.message.startswith(f"{REFUSED} {USER}")
