"""Kerberos and Negotiate end to end: a real MIT KDC, real tickets, the GP simulator's real acceptor over HTTPS.

Every way in must sign in and say how; every way of failing must say, in plain words, what to do.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from requests_kerberos import HTTPKerberosAuth
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_sba import GPSimulator, SBAOptions
from gpmc_desktop.gp.auth_errors import AuthReason, GPAuthError
from gpmc_desktop.gp.errors import Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import KerberosAuth, NegotiateAuth, build_session, method_used, signed_in_as
from gpmc_desktop.profile import GPSettings
from gpmc_desktop.sync.check import check_gp
from tests.auth.conftest import LOCKY_PW, OLD_PW, PW, STRANGER_PW, USER
from tests.auth.kdc import Realm, find_libfaketime
from tests.simulators import GPSim

pytestmark = pytest.mark.usefixtures("krb5_env")

GP_USERS = [("CORP", "svc-gp", PW, {"*"}), ("CORP", "locky", LOCKY_PW, {"*"}), ("CORP", "oldpw", OLD_PW, {"*"})]
GP_SIM = GPSim(users=GP_USERS, customers=40, seed=5)


def settings(sim: GPSimulator, auth: str = "kerberos", host: str = "localhost", **changes: Any) -> GPSettings:
    """Kerberos needs the name the service is registered under: localhost, not the simulator's 127.0.0.1."""
    values: dict[str, Any] = {"url": f"https://{host}:{sim.port}", "company": "TWO", "username": USER,
                              "auth": auth, "ca_bundle": str(sim.ca_path), "timeout_seconds": 10.0, **changes}
    return GPSettings(**values)


def sign_in(s: GPSettings, password: str = "") -> requests.Session:
    session = build_session(s, password)
    assert sorted(c.database for c in SbaSource(s, session, attempts=1).companies()) == ["CPBDA", "TWO"]
    return session


def failure(s: GPSettings, password: str = "") -> GPAuthError:
    with pytest.raises(GPAuthError) as caught:
        SbaSource(s, build_session(s, password), attempts=1).companies()
    assert caught.value.stage is Stage.AUTH
    return caught.value


# -------------------------------------------------------------------------------------------- signing in
def test_kerberos_with_the_ticket_already_in_the_cache(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)  # what a domain-joined PC has after the Windows sign-in
    before = gp_sba.auth.protocols["kerberos"]
    session = sign_in(settings(gp_sba), password="")
    auth = session.auth
    assert isinstance(auth, KerberosAuth)
    assert auth.used == "kerberos" and method_used(auth) == "Kerberos"
    assert auth.auth_done, "mutual authentication: the server's AP-REP was checked"
    assert auth.signed_in_as == "svc-gp@CORP" and signed_in_as(auth, USER) == USER
    assert gp_sba.auth.protocols["kerberos"] == before + 1
    src = SbaSource(settings(gp_sba), session, attempts=1)
    assert src.raw_customers() and gp_sba.auth.protocols["kerberos"] == before + 1  # the connection stays signed in
    # The collections a sync reads are streamed: the same handshake answers a GET read from the socket.
    assert src.customers() and src.documents()


def test_kerberos_with_a_password_and_no_kinit(gp_sba: GPSimulator, tmp_path: Path) -> None:
    session = sign_in(settings(gp_sba), password=PW)
    assert session.auth.used == "kerberos"  # type: ignore[union-attr]
    assert not (tmp_path / "ccache").exists(), "the password's ticket stays in memory, not in the user's cache"


def test_negotiate_prefers_kerberos(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    ntlm_before = gp_sba.auth.protocols["ntlm"]
    session = sign_in(settings(gp_sba, auth="negotiate"), password=PW)
    auth = session.auth
    assert isinstance(auth, NegotiateAuth)
    assert auth.used == "kerberos" and method_used(auth) == "Kerberos"
    assert gp_sba.auth.protocols["ntlm"] == ntlm_before


def test_negotiate_falls_back_to_ntlm_and_says_why(gp_sba: GPSimulator) -> None:
    session = sign_in(settings(gp_sba, auth="negotiate", host="127.0.0.1"), password=PW)
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]
    assert method_used(session.auth) == "NTLM, Negotiate fell back: the URL is an IP address"


def test_negotiate_with_wrapped_ntlm_against_a_negotiate_only_server(gp_sba: GPSimulator) -> None:
    gp_sba.auth.schemes = ("negotiate",)
    ntlm_before = gp_sba.auth.protocols["ntlm"]
    session = sign_in(settings(gp_sba, auth="negotiate", spn_host="gp-sales.corp.example"), password=PW)
    assert session.auth.used == "ntlm"  # type: ignore[union-attr]
    assert method_used(session.auth) == "NTLM, Negotiate fell back: the server's name is not registered for Kerberos"
    assert gp_sba.auth.protocols["ntlm"] == ntlm_before + 1  # NTLM inside "Negotiate", the only scheme offered


def test_an_ip_address_url_signs_in_with_spn_host(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    session = sign_in(settings(gp_sba, host="127.0.0.1", spn_host="localhost"))
    assert session.auth.used == "kerberos"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ plain words
def test_no_ticket(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba), password="")
    assert err.reason is AuthReason.NO_TICKET and err.password_may_help
    assert "no Kerberos ticket" in err.message
    assert "Sign in to Windows again" in err.hint and f"enter the password of {USER}" in err.hint


def test_expired_ticket(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW, "-l", "1s")
    time.sleep(1.5)
    err = failure(settings(gp_sba), password="")
    assert err.reason is AuthReason.EXPIRED_TICKET
    assert "ticket has expired" in err.message and "Sign in to Windows again" in err.hint


def test_unknown_service_principal(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    err = failure(settings(gp_sba, spn_host="gp-sales.corp.example"))
    assert err.reason is AuthReason.UNKNOWN_SPN
    assert "HTTP/gp-sales.corp.example" in err.message
    assert "Ask IT to register HTTP/gp-sales.corp.example for the GP service account" in err.hint


def test_an_ip_address_url_for_kerberos_says_to_use_the_name(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    err = failure(settings(gp_sba, host="127.0.0.1"))
    assert err.reason is AuthReason.IP_HOST
    assert "IP address 127.0.0.1" in err.message and "spn_host" in err.hint


def test_wrong_password(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba), password="not-the-password")
    assert err.reason is AuthReason.WRONG_PASSWORD
    assert err.message == f"GP refused the Windows credentials of {USER}: the domain says the password is wrong."


def test_lock_out_counts_one_try_per_request_and_then_says_locked(gp_sba: GPSimulator) -> None:
    s = settings(gp_sba, username="CORP\\locky")
    # requests-kerberos answers a 401 twice; were the password sent twice, the third request would say "locked".
    for _ in range(3):
        assert failure(s, password="wrong").reason is AuthReason.WRONG_PASSWORD
    err = failure(s, password=LOCKY_PW)
    assert err.reason is AuthReason.LOCKED
    assert "locked or disabled" in err.message and "Ask IT to unlock" in err.hint
    # Negotiate: NTLM only gets IIS' bare 401 for a locked account; Kerberos' precise reason wins.
    gp_sba.auth.lock_account("CORP\\locky")
    try:
        assert failure(settings(gp_sba, auth="negotiate", username="CORP\\locky"), LOCKY_PW).reason is AuthReason.LOCKED
    finally:
        gp_sba.auth.lock_account("CORP\\locky", False)


def test_expired_password(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba, username="CORP\\oldpw"), password=OLD_PW)
    assert err.reason is AuthReason.PASSWORD_EXPIRED and "password has expired" in err.message


def test_clock_skew(gp_sba: GPSimulator, realm: Realm, monkeypatch: pytest.MonkeyPatch) -> None:
    if find_libfaketime() is None:
        pytest.skip("faketime is not installed (Debian: apt-get install faketime)")
    realm.kinit("svc-gp", PW)  # a ticket from the domain while the clocks agreed
    with realm.skewed_kdc("+10m") as env:  # now the domain controller is 10 minutes ahead of this PC
        monkeypatch.setenv("KRB5_CONFIG", env["KRB5_CONFIG"])
        errors = [failure(settings(gp_sba), password=""), failure(settings(gp_sba), password=PW)]  # GSSAPI, then krb5
    for err in errors:
        assert err.reason is AuthReason.CLOCK_SKEW
        assert "clock differs from the domain's by more than 5 minutes" in err.message and "Sync now" in err.hint


def test_a_domain_user_gp_does_not_know_is_rejected(gp_sba: GPSimulator) -> None:
    err = failure(settings(gp_sba, username="CORP\\stranger"), password=STRANGER_PW)
    assert err.reason is AuthReason.REJECTED
    assert "did not accept the Kerberos ticket of CORP\\stranger for HTTP/localhost" in err.message


def test_kerberos_profile_against_a_server_without_kerberos(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    gp_sba.auth.schemes = ("ntlm",)
    err = failure(settings(gp_sba))
    assert err.reason is AuthReason.NOT_OFFERED
    assert "does not offer Kerberos (it offers NTLM)" in err.message
    assert err.hint == "Choose NTLM or Automatic (Negotiate) as the sign-in method."


def test_negotiate_without_a_ticket_against_a_kerberos_only_server(gp_sba: GPSimulator) -> None:
    gp_sba.auth.accept_ntlm = False  # IIS with only the Negotiate:Kerberos provider
    err = failure(settings(gp_sba, auth="negotiate"), password="")
    assert err.reason is AuthReason.NO_TICKET, err  # the Kerberos reason, not NTLM's echo of it


def test_ntlm_profile_against_a_kerberos_only_server(gp_sba: GPSimulator) -> None:
    gp_sba.auth.schemes, gp_sba.auth.accept_ntlm = ("negotiate",), False
    err = failure(settings(gp_sba, auth="ntlm"), password=PW)
    assert err.reason is AuthReason.NOT_CONTINUED
    assert "choose Kerberos or Automatic (Negotiate)" in err.hint


def test_mutual_authentication_is_required(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    gp_sba.auth.send_final_token = False  # a server (or something in between) that cannot prove it is HTTP/localhost
    err = failure(settings(gp_sba))
    assert err.reason is AuthReason.MUTUAL
    assert "did not prove that it is the Kerberos service HTTP/localhost" in err.message


# ------------------------------------------------------------------------------------- channel binding
def test_channel_binding_required(realm: Realm, tmp_path: Path) -> None:
    users = [("CORP", "svc-gp", PW, {"*"})]
    options = SBAOptions(require_channel_binding=True)
    with GPSimulator(generate_dataset(10, seed=3), users=users, workdir=tmp_path, options=options) as own:
        realm.kinit("svc-gp", PW)
        for auth in ("kerberos", "negotiate", "ntlm"):
            host = "127.0.0.1" if auth == "ntlm" else "localhost"
            assert sign_in(settings(own, auth=auth, host=host), PW).auth.used == auth.replace("negotiate", "kerberos")
        session = sign_in(settings(own, auth="negotiate", host="127.0.0.1"), PW)
        assert session.auth.used == "ntlm"  # type: ignore[union-attr]
        assert own.auth.protocols == {"kerberos": 2, "ntlm": 2}

        url = f"https://localhost:{own.port}/GPService/Tenants(DefaultTenant)/Companies.json"
        no_cbt = HTTPKerberosAuth(send_cbt=False, sanitize_mutual_error_response=False)
        assert requests.get(url, auth=no_cbt, verify=own.ca_path, timeout=10).status_code == 401
        no_cbt_ntlm = HttpNtlmAuth(USER, PW, send_cbt=False)
        assert requests.get(url, auth=no_cbt_ntlm, verify=own.ca_path, timeout=10).status_code == 401
        assert own.auth.protocols == {"kerberos": 2, "ntlm": 2}


# --------------------------------------------------------------------------------------------- gpmc check
def test_check_reports_the_method_used(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    by_stage = {r.stage: r for r in check_gp(settings(gp_sba), "")}
    assert by_stage["auth"].ok
    assert by_stage["auth"].message == f"signed in as {USER} with Kerberos (2 companies visible)"
    by_stage = {r.stage: r for r in check_gp(settings(gp_sba, auth="negotiate", host="127.0.0.1"), PW)}
    assert by_stage["auth"].message == (
        f"signed in as {USER} with NTLM, Negotiate fell back: the URL is an IP address (2 companies visible)"
    )


def test_check_names_the_other_account_a_ticket_belongs_to(gp_sba: GPSimulator, realm: Realm) -> None:
    realm.kinit("svc-gp", PW)
    results = list(check_gp(settings(gp_sba, username="CORP\\someone-else"), ""))
    assert results[-1].stage == "data" and all(r.ok for r in results)
    assert next(r for r in results if r.stage == "auth").message.startswith("signed in as svc-gp@CORP with Kerberos")


def test_check_shows_the_plain_words(gp_sba: GPSimulator) -> None:
    results = list(check_gp(settings(gp_sba), ""))
    assert [(r.stage, r.ok) for r in results][-1] == ("auth", False)
    assert "no Kerberos ticket" in results[-1].message and "Sign in to Windows again" in results[-1].message
