"""Fixtures for Windows sign-in against a real KDC and the GP simulator.

``realm`` (session): one throwaway MIT realm ``CORP`` on 127.0.0.1 with ``HTTP/localhost`` in a keytab; skipped
only when krb5kdc is not installed.  ``krb5_env`` (per test): points this process at that realm through
``KRB5_CONFIG``, ``KRB5_KDC_PROFILE``, ``KRB5_KTNAME``, ``KRB5RCACHEDIR`` and an empty ``KRB5CCNAME`` of the
test's own, then restores them.  Client and acceptor (the simulator runs in-process) read the same variables,
and setting them per test, not per session, keeps the realm out of every other test module and keeps one test's
tickets out of the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.kdc import KdcError, Realm, find_tool

PW = "Kerb-Test-1!"
USER = "CORP\\svc-gp"
LOCKY_PW = "Locky-Pass-1"
OLD_PW = "Old-Pass-1"
STRANGER_PW = "Stranger-1"


@pytest.fixture(scope="session")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    if find_tool("krb5kdc") is None:
        pytest.skip("MIT krb5kdc is not installed (Debian: apt-get install krb5-kdc krb5-admin-server krb5-user)")
    kdc = Realm(tmp_path_factory.mktemp("realm"))
    try:
        kdc.start()
        kdc.kadmin(
            f"addprinc -pw {PW} svc-gp",
            # Locked out after 3 wrong passwords until an admin unlocks it, like an AD lock-out policy.
            "addpol -maxfailure 3 -failurecountinterval 0 -lockoutduration 0 lockout",
            f"addprinc -policy lockout -pw {LOCKY_PW} locky",
            f"addprinc -pwexpire yesterday -pw {OLD_PW} oldpw",
            f"addprinc -pw {STRANGER_PW} stranger",  # in the domain, not a GP user
        )
    except KdcError:
        kdc.stop()
        raise
    yield kdc
    kdc.stop()


@pytest.fixture
def krb5_env(realm: Realm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Realm:
    for name, value in realm.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'ccache'}")  # no ticket until the test kinits
    return realm


@pytest.fixture(autouse=True)
def _system_ca_env(system_ca_env: None) -> None:
    """What CI sets: a bundle without the simulator's CA, which must not beat the profile's CA file."""
