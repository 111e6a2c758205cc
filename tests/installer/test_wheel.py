"""The package installs like any other: ``pip install`` of the wheel into a fresh virtual environment outside the
checkout (what IT does on a server) carries ``resources/``, so the demo, a SOAP sync and the icons work from there.
An editable install of a checkout finds the checkout's ``resources/``.

The wheel is built from a copy of the sources (what an sdist holds), so the checkout gets no ``build/`` or
``*.egg-info``.  The fresh environment's pip uses the same configuration as this one (indexes, find-links, the
wheel cache), with the versions installed here as constraints: the same releases as the rest of the suite runs
on, and gssapi comes out of pip's wheel cache instead of being compiled again.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.demo.mailchimp_sim import shared_validator
from tests.installer.conftest import clean_env

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "gpmc_desktop", "resources")
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
CONTRACTS = ("DynamicsGP.wsdl", "openapi.yaml")
ICONS = ("app.ico", "app.png", "state-error.png", "state-idle.png", "state-syncing.png", "state-warning.png")
STRIP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV", "NTLM_USER_FILE")
LOCATE = """
import json, gpmc_desktop, gpmc_desktop.resources as r
print(json.dumps({"package": gpmc_desktop.__file__, "resources": str(r.resources_dir()),
                  "wsdl": str(r.contract_path("DynamicsGP.wsdl")), "openapi": str(r.contract_path("openapi.yaml"))}))
"""


# ------------------------------------------------------------------------------------------------ helpers
def copy_sources(dest: Path) -> Path:
    """What an sdist holds: the project file, the README it names, the package and resources/."""
    dest.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=skip)
        else:
            shutil.copy2(src, dest / name)
    return dest


def outside(env: dict[str, str]) -> dict[str, str]:
    """*env* without what would make a child import the checkout or this virtualenv (or act as a simulator)."""
    return {k: v for k, v in env.items() if k not in STRIP and not k.startswith("GPMC_")}


def outside_env() -> dict[str, str]:
    return outside(dict(os.environ))


def run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def installed_pins(path: Path) -> Path:
    """Constraints: every distribution installed here at its version (the project itself and pip's own tools
    left out)."""
    skip = {"gpmc-desktop", "pip", "setuptools", "wheel"}
    lines = sorted({f"{name}=={d.version}" for d in importlib.metadata.distributions()
                    if (name := re.sub(r"[-_.]+", "-", d.metadata["Name"] or "").lower()) and name not in skip})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_wheel(src: Path, out: Path) -> Path:
    ok(run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, src], cwd=out.parent,
           env=outside_env()))
    wheels = list(out.glob("gpmc_desktop-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def fresh_venv(path: Path) -> Path:
    ok(run([sys.executable, "-m", "venv", path], cwd=path.parent, env=outside_env()))
    return path / BIN / f"python{EXE}"


def locate(python: Path, cwd: Path) -> dict[str, Path]:
    out = ok(run([python, "-c", LOCATE], cwd=cwd, env=outside_env()))
    return {k: Path(v) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


# ------------------------------------------------------------------------------------------------ the package list
def test_every_package_under_gpmc_desktop_is_listed_in_pyproject() -> None:
    """pyproject.toml lists the packages (the data package maps onto resources/, which discovery cannot do): a
    new sub-package missing from the list would be missing from every wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gpmc_desktop").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"gpmc_desktop._resources"}, "update [tool.setuptools] packages"
    assert config["package-dir"] == {"gpmc_desktop._resources": "resources"}
    assert config["package-data"] == {"gpmc_desktop._resources": ["**/*"]}


# ------------------------------------------------------------------------------------------------ the wheel
@pytest.fixture
def soap_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    """GP Web Services (SOAP) and Mailchimp simulators in this process; the installed gpmc is the client."""
    base = tmp_path_factory.getbasetemp()
    shared_validator(None, (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
                     / "mailchimp-contract-cache")
    env = DemoEnvironment(customers=60, seed=7, workdir=tmp_path_factory.mktemp("soap-sims"), gp_api="soap").start()
    env.mailchimp.config.fake_email_domains.clear()  # every address is deliverable: exit 0 means all synced
    try:
        yield env
    finally:
        problems = env.mailchimp.internal_errors
        env.stop()
        assert problems == []


@pytest.mark.slow
@pytest.mark.timeout(900)  # a first run on a new machine downloads the dependencies (~14 s here, cached later)
def test_wheel_installed_in_a_fresh_venv_runs_the_demo_and_a_soap_sync(
    tmp_path: Path, soap_demo: DemoEnvironment
) -> None:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    wheel = build_wheel(copy_sources(tmp_path / "src"), tmp_path / "dist")
    files = set(wheel_names(wheel))
    for name in CONTRACTS:
        assert f"gpmc_desktop/_resources/contracts/{name}" in files
    for name in ICONS:
        assert f"gpmc_desktop/_resources/icons/{name}" in files
    timings["build wheel"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    ok(run([python, "-m", "pip", "install", "--constraint", installed_pins(tmp_path / "pins.txt"), wheel],
           cwd=tmp_path, env=outside_env(), timeout=840))
    timings["venv + pip install"] = time.perf_counter() - t0

    # The installed copy is what runs: nothing comes from the checkout.
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = locate(python, work)
    site = venv / "lib" if os.name != "nt" else venv / "Lib"
    for key, path in where.items():
        assert under(path, site), f"{key} is not from the fresh environment: {path}"
        assert not under(path, ROOT), f"{key} comes from the checkout: {path}"
    assert where["resources"].name == "_resources"

    gpmc = venv / BIN / f"gpmc{EXE}"
    run_env = outside(clean_env(tmp_path / "home"))  # a throwaway HOME: no user folder is touched

    # The icons decode in Qt, the contracts are there, the state database migrates (no demo sync: that is next).
    t0 = time.perf_counter()
    selftest = ok(run([python, "-m", "gpmc_desktop.selftest", "--skip-sync"], cwd=work, env=run_env))
    for check in ("qt", "icons", "modules", "resources", "database", "keyring"):
        assert any(line.startswith(f"ok   {check} ") for line in selftest.splitlines()), selftest
    assert f"contracts and icons in {where['resources']}" in selftest
    timings["selftest"] = time.perf_counter() - t0

    # The built-in demo: both simulators and a first sync, all from the installed copy.
    t0 = time.perf_counter()
    demo = ok(run([gpmc, "demo", "--headless", "--exit", "--customers", "60", "--workdir", work / "demo"],
                  cwd=work, env=run_env))
    assert "First load (run 1): done" in demo, demo
    held = re.search(r"Mailchimp simulator now holds (\d+) members and (\d+) orders", demo)
    assert held and int(held[1]) > 0 and int(held[2]) > 0, demo
    timings["gpmc demo"] = time.perf_counter() - t0

    # A SOAP sync: the installed client builds its messages from its own copy of DynamicsGP.wsdl.
    t0 = time.perf_counter()
    profile = soap_demo.write_profile("installed-soap.toml", database=str(work / "data" / "state.sqlite"))
    sync_env = dict(run_env, GPMC_GP_PASSWORD=soap_demo.secrets.gp_password,
                    GPMC_MAILCHIMP_API_KEY=soap_demo.secrets.mailchimp_api_key)
    done = run([gpmc, "sync", "--config", profile, "--json"], cwd=work, env=sync_env)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["outcome"] == "ok" and line["exit_code"] == 0, line
    assert line["customers"]["created"] > 0 and line["customers"]["failed"] == 0, line
    assert line["orders"]["created"] > 0 and line["orders"]["failed"] == 0, line
    assert soap_demo.gp_soap is not None and sum(soap_demo.gp_soap.calls.values()) > 0, "GP was not asked over SOAP"
    assert len(soap_demo.mailchimp.orders(soap_demo.profile_store_id)) == line["orders"]["created"]
    assert soap_demo.mailchimp.members(soap_demo.profile_list_id)
    timings["gpmc sync (SOAP)"] = time.perf_counter() - t0
    print("installed-wheel timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


# ------------------------------------------------------------------------------------------------ editable
@pytest.mark.slow
def test_editable_install_of_a_checkout_finds_the_checkouts_resources(tmp_path: Path) -> None:
    checkout = copy_sources(tmp_path / "checkout")
    venv = tmp_path / "venv"
    ok(run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, env=outside_env()))
    python = venv / BIN / f"python{EXE}"
    # This environment's pip installs into the new one (dependencies left out: only the import path matters).
    ok(run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--editable", checkout],
           cwd=tmp_path, env=outside_env()))
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = locate(python, work)
    assert where["package"] == checkout / "gpmc_desktop" / "__init__.py"
    assert where["resources"] == checkout / "resources"
    assert where["wsdl"] == checkout / "resources" / "contracts" / "DynamicsGP.wsdl"
