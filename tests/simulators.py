"""The simulator fixtures the test modules share (``tests/conftest.py`` makes them visible everywhere).

GP: ``gp_dataset``, ``gp_sba`` (the GP Service, HTTPS with a throwaway CA) and ``gp_soap`` (Web Services, plain
HTTP), one of each per test module, over the same data set.  A module says what they hold with a module-level
``GP_SIM = GPSim(users=[...], customers=..., seed=...)``.  After every test, the knobs it turned (faults, options,
the sign-in schemes offered, locked accounts, Security Console roles) are set back.

Mailchimp: ``mailchimp_sim``, one per test module (the client tests only add to the account; the simulator's own
tests, which change it, get a fresh one per test from ``tests/demo/conftest.py``).

Environment: ``system_ca_env`` points REQUESTS_CA_BUNDLE at the system store, as CI and many PCs do (it must not
beat a profile's CA file); ``no_kdc`` gives Kerberos a configuration that knows no KDC and an empty ticket
cache, so a developer's own krb5.conf or ticket cannot change an outcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import pytest

from gpmc_desktop.demo.gp_auth import GPUser
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from tests.demo.mailchimp_support import running


@dataclass(frozen=True)
class GPSim:
    """What a module's GP simulators hold: its data set and the Windows accounts that may sign in
    (``(domain, name, password, companies)``; None: the simulators' demo users)."""

    users: Sequence[GPUser | tuple[Any, ...]] | None = None
    customers: int = 40
    seed: int = 5


def _spec(request: pytest.FixtureRequest) -> GPSim:
    spec = getattr(request.module, "GP_SIM", GPSim())
    assert isinstance(spec, GPSim), f"{request.module.__name__}.GP_SIM must be a tests.simulators.GPSim"
    return spec


@pytest.fixture(scope="module")
def gp_dataset(request: pytest.FixtureRequest) -> GPDataset:
    spec = _spec(request)
    return generate_dataset(spec.customers, seed=spec.seed)


@pytest.fixture(scope="module")
def gp_sba(
    request: pytest.FixtureRequest, gp_dataset: GPDataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GPSimulator]:
    with GPSimulator(gp_dataset, users=_spec(request).users, workdir=tmp_path_factory.mktemp("gp-sba")) as sim:
        yield sim


@pytest.fixture(scope="module")
def gp_soap(
    request: pytest.FixtureRequest, gp_dataset: GPDataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GPSoapSimulator]:
    with GPSoapSimulator(gp_dataset, users=_spec(request).users,
                         workdir=tmp_path_factory.mktemp("gp-soap")) as sim:
        yield sim


@dataclass(frozen=True)
class _Knobs:
    options: Any
    schemes: tuple[str, ...]
    accept_ntlm: bool
    send_final_token: bool

    @classmethod
    def of(cls, sim: GPSimulator | GPSoapSimulator) -> _Knobs:
        return cls(sim.options, sim.auth.schemes, sim.auth.accept_ntlm, sim.auth.send_final_token)


def reset_gp(sim: GPSimulator | GPSoapSimulator, start: _Knobs) -> None:
    """Every knob a test may turn, back to how *sim* was before the test (faults, options, the sign-in schemes
    offered, locked accounts, Security Console roles)."""
    sim.clear_faults()
    if sim.options != start.options:
        sim.set_options(**{f.name: getattr(start.options, f.name) for f in dataclasses.fields(start.options)})
    sim.auth.schemes, sim.auth.accept_ntlm, sim.auth.send_final_token = (
        start.schemes, start.accept_ntlm, start.send_final_token)
    for user in list(sim.auth.users.values()):
        sim.auth.lock_account(user.principal, False)
        if isinstance(sim, GPSoapSimulator):
            sim.set_roles(user.principal, None)


@pytest.fixture(autouse=True)
def _reset_gp_simulators(request: pytest.FixtureRequest) -> Iterator[None]:
    started = {name: _Knobs.of(request.getfixturevalue(name)) for name in ("gp_sba", "gp_soap")
               if name in request.fixturenames}
    yield
    for name, knobs in started.items():
        reset_gp(request.getfixturevalue(name), knobs)


@pytest.fixture(scope="module")
def mailchimp_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailchimpSimulator]:
    with running(tmp_path_factory) as sim:
        yield sim


@pytest.fixture
def system_ca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())


@pytest.fixture
def no_kdc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = tmp_path / "krb5.conf"
    conf.write_text("[libdefaults]\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n", encoding="utf-8")
    monkeypatch.setenv("KRB5_CONFIG", str(conf))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-ticket-cache'}")
    monkeypatch.delenv("KRB5_KTNAME", raising=False)
