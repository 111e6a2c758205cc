"""build_session/build_auth against the GP simulator: NTLM, Negotiate falling back to NTLM, Basic, verify=.

No KDC exists here, so Kerberos must fail and Negotiate must still sign in with NTLM.  KRB5_CONFIG points at an
empty configuration so a developer's own krb5.conf or ticket cannot change the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop import __version__
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import NegotiateAuth, _principal, build_auth, build_session
from gpmc_desktop.sync.config import GPSettings

PW = "Sess:ion-Pa55!"
USER = "CORP\\svc-session"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    krb5_conf = tmp_path / "krb5.conf"
    krb5_conf.write_text("[libdefaults]\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n", encoding="utf-8")
    monkeypatch.setenv("KRB5_CONFIG", str(krb5_conf))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-ticket-cache'}")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GPSimulator]:
    users = [("CORP", "svc-session", PW, {"*"})]
    with GPSimulator(generate_dataset(40, seed=5), users=users,
                     workdir=tmp_path_factory.mktemp("gp-session")) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_knobs(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        running: GPSimulator = request.getfixturevalue("sim")
        running.clear_faults()
        running.set_options(allow_basic=False)


def settings(sim: GPSimulator, **changes: Any) -> GPSettings:
    values: dict[str, Any] = {"url": sim.base_url, "company": "TWO", "username": USER,
                              "ca_bundle": str(sim.ca_path), "timeout_seconds": 10.0, **changes}
    return GPSettings(**values)


def read_companies(s: GPSettings, password: str = PW) -> tuple[list[str], requests.Session]:
    session = build_session(s, password)
    return [c.database for c in SbaSource(s, session, attempts=1).companies()], session


# ----------------------------------------------------------------------------------------------------- NTLM
def test_session_carries_ca_bundle_user_agent_and_json(sim: GPSimulator) -> None:
    session = build_session(settings(sim), PW)
    assert session.verify == str(sim.ca_path)
    assert session.headers["User-Agent"] == f"gpmc-desktop/{__version__}"
    assert session.headers["Accept"] == "application/json"
    assert isinstance(session.auth, HttpNtlmAuth)
    assert build_session(settings(sim, ca_bundle=None), PW).verify is True


def test_ntlm_signs_in_once_per_connection(sim: GPSimulator) -> None:
    s = settings(sim)
    session = build_session(s, PW)
    src = SbaSource(s, session, attempts=1)
    handshakes = sim.auth.handshakes
    assert len(src.companies()) == 2
    assert src.raw_customers()
    assert src.raw_documents()
    assert sim.auth.handshakes == handshakes + 1  # kept alive: one handshake for three calls


def test_environment_bundle_does_not_override_the_profile_ca(sim: GPSimulator) -> None:
    s = settings(sim)
    session = build_session(s, PW)
    # Why the client passes verify= on every call: requests lets REQUESTS_CA_BUNDLE beat session.verify.
    with pytest.raises(requests.exceptions.SSLError):
        session.get(sim.url("Companies.json"), timeout=10)
    assert sorted(c.database for c in SbaSource(s, session, attempts=1).companies()) == ["CPBDA", "TWO"]


# ----------------------------------------------------------------------------------------------- Negotiate
def test_negotiate_falls_back_to_ntlm_when_kerberos_is_unavailable(sim: GPSimulator) -> None:
    names, session = read_companies(settings(sim, auth="negotiate"))
    assert sorted(names) == ["CPBDA", "TWO"]
    auth = session.auth
    assert isinstance(auth, NegotiateAuth)
    assert auth.used == "ntlm"
    assert auth.kerberos.failed_hosts == {"127.0.0.1"}  # Kerberos was tried first, and failed


def test_negotiate_signs_in_again_on_new_connections(sim: GPSimulator) -> None:
    s = settings(sim, auth="negotiate")
    session = build_session(s, PW)
    src = SbaSource(s, session, attempts=1)
    assert src.companies()
    session.close()  # new connections: each must sign in again
    handshakes = sim.auth.handshakes
    assert src.raw_customers()
    assert src.raw_documents()
    assert sim.auth.handshakes >= handshakes + 1
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]


def test_negotiate_with_a_wrong_password_is_an_auth_error(sim: GPSimulator) -> None:
    s = settings(sim, auth="negotiate")
    src = SbaSource(s, build_session(s, "wrong"), attempts=1)
    with pytest.raises(GPError) as caught:
        src.companies()
    assert caught.value.stage is Stage.AUTH
    assert USER in caught.value.message


def test_negotiate_against_a_server_offering_only_negotiate(sim: GPSimulator) -> None:
    # IIS with only the Negotiate provider: NTLM must travel inside "Negotiate" then.
    original = sim.auth.challenge_headers
    sim.auth.challenge_headers = lambda: [("WWW-Authenticate", "Negotiate")]  # type: ignore[method-assign]
    try:
        names, session = read_companies(settings(sim, auth="negotiate"))
    finally:
        sim.auth.challenge_headers = original  # type: ignore[method-assign]
    assert sorted(names) == ["CPBDA", "TWO"]
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]


def test_kerberos_alone_without_a_kdc_is_an_auth_error(sim: GPSimulator) -> None:
    s = settings(sim, auth="kerberos")
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


def test_basic_over_https_when_the_server_allows_it(sim: GPSimulator) -> None:
    sim.set_options(allow_basic=True)
    names, _ = read_companies(settings(sim, auth="basic"))
    assert sorted(names) == ["CPBDA", "TWO"]


def test_unknown_method_is_an_auth_error(sim: GPSimulator) -> None:
    with pytest.raises(GPError) as caught:
        build_auth(settings(sim, auth="digest"), PW)
    assert caught.value.stage is Stage.AUTH
    assert "ntlm, kerberos or negotiate" in caught.value.hint
