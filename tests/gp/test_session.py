"""build_session/build_auth against the GP simulator: NTLM, Negotiate falling back to NTLM, Basic, verify=.

No KDC exists here, so Kerberos must fail and Negotiate must still sign in with NTLM.  KRB5_CONFIG points at an
empty configuration so a developer's own krb5.conf or ticket cannot change the outcome.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop import __version__
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import NegotiateAuth, _principal, build_auth, build_session
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

PW = "Sess:ion-Pa55!"
USER = "CORP\\svc-session"
GP_SIM = GPSim(users=[("CORP", "svc-session", PW, {"*"})], customers=40, seed=5)

pytestmark = pytest.mark.usefixtures("system_ca_env", "no_kdc")


def settings(sim: GPSimulator, **changes: Any) -> GPSettings:
    values: dict[str, Any] = {"url": sim.base_url, "company": "TWO", "username": USER,
                              "ca_bundle": str(sim.ca_path), "timeout_seconds": 10.0, **changes}
    return GPSettings(**values)


def read_companies(s: GPSettings, password: str = PW) -> tuple[list[str], requests.Session]:
    session = build_session(s, password)
    return [c.database for c in SbaSource(s, session, attempts=1).companies()], session


# ----------------------------------------------------------------------------------------------------- NTLM
def test_session_carries_ca_bundle_user_agent_and_json(gp_sba: GPSimulator) -> None:
    session = build_session(settings(gp_sba), PW)
    assert session.verify == str(gp_sba.ca_path)
    assert session.headers["User-Agent"] == f"gpmc-desktop/{__version__}"
    assert session.headers["Accept"] == "application/json"
    assert isinstance(session.auth, HttpNtlmAuth)
    assert build_session(settings(gp_sba, ca_bundle=None), PW).verify is True


def test_ntlm_signs_in_once_per_connection(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba)
    session = build_session(s, PW)
    src = SbaSource(s, session, attempts=1)
    handshakes = gp_sba.auth.handshakes
    assert len(src.companies()) == 2
    assert src.raw_customers()
    assert src.raw_documents()
    assert gp_sba.auth.handshakes == handshakes + 1  # kept alive: one handshake for three calls


def test_environment_bundle_does_not_override_the_profile_ca(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba)
    session = build_session(s, PW)
    # Why the client passes verify= on every call: requests lets REQUESTS_CA_BUNDLE beat session.verify.
    with pytest.raises(requests.exceptions.SSLError):
        session.get(gp_sba.url("Companies.json"), timeout=10)
    assert sorted(c.database for c in SbaSource(s, session, attempts=1).companies()) == ["CPBDA", "TWO"]


# ----------------------------------------------------------------------------------------------- Negotiate
def test_negotiate_falls_back_to_ntlm_when_kerberos_is_unavailable(gp_sba: GPSimulator) -> None:
    names, session = read_companies(settings(gp_sba, auth="negotiate"))
    assert sorted(names) == ["CPBDA", "TWO"]
    auth = session.auth
    assert isinstance(auth, NegotiateAuth)
    assert auth.used == "ntlm"
    assert auth.kerberos.failed_hosts == {"127.0.0.1"}  # Kerberos was tried first, and failed


def test_negotiate_signs_in_again_on_new_connections(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba, auth="negotiate")
    session = build_session(s, PW)
    src = SbaSource(s, session, attempts=1)
    assert src.companies()
    session.close()  # new connections: each must sign in again
    handshakes = gp_sba.auth.handshakes
    assert src.raw_customers()
    assert src.raw_documents()
    assert gp_sba.auth.handshakes >= handshakes + 1
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]


def test_negotiate_with_a_wrong_password_is_an_auth_error(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba, auth="negotiate")
    src = SbaSource(s, build_session(s, "wrong"), attempts=1)
    with pytest.raises(GPError) as caught:
        src.companies()
    assert caught.value.stage is Stage.AUTH
    assert USER in caught.value.message


def test_negotiate_against_a_server_offering_only_negotiate(gp_sba: GPSimulator) -> None:
    # IIS with only the Negotiate provider: NTLM must travel inside "Negotiate" then.
    original = gp_sba.auth.challenge_headers
    gp_sba.auth.challenge_headers = lambda: [("WWW-Authenticate", "Negotiate")]  # type: ignore[method-assign]
    try:
        names, session = read_companies(settings(gp_sba, auth="negotiate"))
    finally:
        gp_sba.auth.challenge_headers = original  # type: ignore[method-assign]
    assert sorted(names) == ["CPBDA", "TWO"]
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]


def test_kerberos_alone_without_a_kdc_is_an_auth_error(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba, auth="kerberos")
    src = SbaSource(s, build_session(s, PW), attempts=1)
    with pytest.raises(GPError) as caught:  # not krb5's "Cannot find KDC" escaping from a response hook
        src.companies()
    assert caught.value.stage is Stage.AUTH


def test_principal_spelling() -> None:
    assert _principal("CORP\\jane") == "jane@CORP"
    assert _principal("corp.example\\jane") == "jane@CORP.EXAMPLE"
    assert _principal("jane@CORP.EXAMPLE") == "jane@CORP.EXAMPLE"
    assert _principal("") is None


# --------------------------------------------------------------------------------------------------- Basic
def test_basic_is_refused_on_plain_http() -> None:
    s = GPSettings(url="http://gp01.corp.example:8080", company="TWO", username=USER, auth="basic")
    with pytest.raises(GPError) as caught:
        build_session(s, PW)
    assert caught.value.stage is Stage.AUTH
    assert "in the clear" in caught.value.message
    assert "https://" in caught.value.hint


def test_basic_over_https_when_the_server_allows_it(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(allow_basic=True)
    names, _ = read_companies(settings(gp_sba, auth="basic"))
    assert sorted(names) == ["CPBDA", "TWO"]


def test_unknown_method_is_an_auth_error(gp_sba: GPSimulator) -> None:
    with pytest.raises(GPError) as caught:
        build_auth(settings(gp_sba, auth="digest"), PW)
    assert caught.value.stage is Stage.AUTH
    assert "ntlm, kerberos or negotiate" in caught.value.hint
