"""NTLM and Basic edge cases against the GP simulator, and Negotiate/Kerberos where no domain controller answers.

No KDC here: KRB5_CONFIG points at a configuration that knows none, so a developer's own krb5.conf or ticket
cannot change the outcome.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.auth_errors import REFUSED, AuthReason, GPAuthError
from gpmc_desktop.gp.errors import Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import BasicAuth, NtlmAuth, build_session, method_used
from gpmc_desktop.profile import GPSettings
from gpmc_desktop.sync.check import check_gp
from tests.simulators import GPSim

PW = "Ntlm:Edge-Pa55"
USER = "CORP\\svc-ntlm"
GP_SIM = GPSim(users=[("CORP", "svc-ntlm", PW, {"*"})], customers=30, seed=9)

pytestmark = pytest.mark.usefixtures("no_kdc")


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
def test_ntlm_alone(gp_sba: GPSimulator) -> None:
    session = sign_in(settings(gp_sba))
    assert isinstance(session.auth, NtlmAuth) and session.auth.used == "ntlm"
    assert method_used(session.auth) == "NTLM"


def test_ntlm_inside_negotiate_when_the_server_offers_only_negotiate(gp_sba: GPSimulator) -> None:
    gp_sba.auth.schemes = ("negotiate",)
    assert sign_in(settings(gp_sba)).auth.used == "ntlm"  # type: ignore[union-attr]


def test_ntlm_wrong_password(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba), password="wrong")
    assert err.reason is AuthReason.WRONG_PASSWORD and err.password_may_help
    assert err.message == f"{REFUSED} {USER}: the password is wrong, or the account is locked or disabled."
    assert "password" in err.hint and "locked" in err.hint


def test_ntlm_locked_account_gets_the_same_answer_as_iis_gives(gp_sba: GPSimulator) -> None:
    # IIS answers a locked account with the same 401.1 as a wrong password: nothing on the wire tells them apart.
    gp_sba.auth.lock_account(USER)
    err = failure(settings(gp_sba))
    assert err.reason is AuthReason.WRONG_PASSWORD and "locked" in err.message
    assert gp_sba.requests()[-1].note == f"account locked {USER}"


def test_ntlm_profile_against_a_basic_only_server(gp_sba: GPSimulator) -> None:
    gp_sba.auth.schemes = ()
    gp_sba.set_options(allow_basic=True)
    err = failure(settings(gp_sba))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer NTLM (it offers Basic)" in err.message and "Choose Basic" in err.hint


# ------------------------------------------------------------------------------------------------ Basic
def test_basic_over_https(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(allow_basic=True)
    session = sign_in(settings(gp_sba, auth="basic"))
    assert isinstance(session.auth, BasicAuth) and method_used(session.auth) == "Basic"
    assert failure(settings(gp_sba, auth="basic"), password="wrong").reason is AuthReason.WRONG_PASSWORD


def test_basic_profile_against_a_server_without_basic(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba, auth="basic"))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer Basic (it offers NTLM, Negotiate)" in err.message
    assert err.hint == "Choose Automatic (Negotiate) or NTLM as the sign-in method."


# ----------------------------------------------------------------------------- Negotiate without a KDC
def test_negotiate_falls_back_when_no_domain_controller_answers(gp_sba: GPSimulator) -> None:
    results = {r.stage: r for r in check_gp(settings(gp_sba, auth="negotiate"), PW)}
    assert results["auth"].ok, results["auth"]
    assert results["auth"].message == (
        f"signed in as {USER} with NTLM, Negotiate fell back: no domain controller reachable (2 companies visible)"
    )


def test_negotiate_profile_against_a_basic_only_server(gp_sba: GPSimulator) -> None:
    gp_sba.auth.schemes = ()
    gp_sba.set_options(allow_basic=True)
    err = failure(settings(gp_sba, auth="negotiate"))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer Automatic (Negotiate) (it offers Basic)" in err.message and "Choose Basic" in err.hint


def test_kerberos_without_a_domain_controller(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba, auth="kerberos"))
    assert err.reason is AuthReason.KDC_UNREACHABLE
    assert err.message == "This PC cannot reach a domain controller for CORP."


def test_check_reports_ntlm(gp_sba: GPSimulator) -> None:
    results = {r.stage: r for r in check_gp(settings(gp_sba), PW)}
    assert results["auth"].message == f"signed in as {USER} with NTLM (2 companies visible)"
    failed = list(check_gp(settings(gp_sba), "wrong"))[-1]
    assert (failed.stage, failed.ok) == ("auth", False) and failed.message.startswith(f"{REFUSED} {USER}")
