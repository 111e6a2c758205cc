"""The frozen bundle (PyInstaller, built here for Linux) runs its own ``--selftest``: Qt offscreen, the state
database, the keyring backend, the demo sync twice.  A module or data file missing from the bundle fails here."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.installer.conftest import clean_env, has_tools, load_installer_module

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

CHECKS = ("qt", "icons", "modules", "resources", "database", "keyring", "sync")
WINDOWS = sys.platform == "win32"
# Linux CI has no D-Bus session, so memory (and the self-test says so); Windows always has Credential Manager.
EXPECTED_KEYRING = "Windows Credential Manager" if WINDOWS else "memory"
WRONG_KEYRING = "memory" if WINDOWS else "Windows Credential Manager"


def run(exe: str, *args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def assert_all_ok(result: subprocess.CompletedProcess[str], checks: tuple[str, ...] = CHECKS) -> list[str]:
    lines = result.stdout.splitlines()
    detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    assert result.returncode == 0, detail
    for check in checks:
        assert any(line.startswith(f"ok   {check} ") for line in lines), f"no passing {check!r} line\n{detail}"
    assert not any(line.startswith("FAIL") for line in lines), detail
    assert lines[-1].startswith("selftest: all "), detail
    return lines


def test_windowed_app_selftest_passes(frozen: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "selftest.txt"
    result = run(frozen["gui"], "--selftest", "--expect-keyring", EXPECTED_KEYRING, "--output", str(report),
                 env=clean_env(tmp_path / "home"))
    if WINDOWS:  # a windowed exe has no stdout there: --output is how its report gets out
        result.stdout = report.read_text(encoding="utf-8")
    lines = assert_all_ok(result)
    assert report.read_text(encoding="utf-8").splitlines() == lines
    assert "frozen bundle" in lines[0]
    keyring_line = next(line for line in lines if line.startswith("ok   keyring"))
    assert ("Windows Credential Manager" if WINDOWS else "in-memory") in keyring_line
    assert "written, read back and deleted" in keyring_line
    sync_line = next(line for line in lines if line.startswith("ok   sync"))
    assert "second run 0 writes" in sync_line and "first run (in a sync process)" in sync_line  # gpmc --engine-child
    print("\n".join(lines))  # the timings docs/install.md records


def test_console_exe_runs_the_cli_and_the_selftest(frozen: dict[str, Any], tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    version = run(frozen["cli"], "--version", env=env)
    assert version.returncode == 0 and version.stdout.strip() == f"gpmc {frozen['version']}"
    assert_all_ok(run(frozen["cli"], "--selftest", "--skip-sync", env=env), CHECKS[:-1])


def test_selftest_fails_when_the_expected_keyring_is_not_there(frozen: dict[str, Any], tmp_path: Path) -> None:
    result = run(frozen["cli"], "--selftest", "--skip-sync", "--expect-keyring", WRONG_KEYRING,
                 env=clean_env(tmp_path / "home"))
    assert result.returncode == 1
    assert any(line.startswith("FAIL keyring ") and f"expected the {WRONG_KEYRING} keyring" in line
               for line in result.stdout.splitlines()), result.stdout


def test_bundle_is_slim_and_carries_its_data_files(frozen: dict[str, Any]) -> None:
    qtslim = load_installer_module("qtslim")
    bundle = Path(frozen["bundle"])
    files = [p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file() or p.is_symlink()]
    for name in ("openapi.yaml", "DynamicsGP.wsdl"):
        assert f"_internal/resources/contracts/{name}" in files
    assert "_internal/resources/icons/app.ico" in files
    assert not [f for f in files if "/translations/" in f], "Qt translations are bundled"
    plugins = [f for f in files if "/plugins/" in f]
    assert plugins, "no Qt plugins at all"
    for plugin in plugins:
        kind, name = plugin.split("/plugins/", 1)[1].rsplit("/", 1)
        stem = name.split(".")[0].removeprefix("lib")
        assert stem in qtslim.KEEP_PLUGINS.get(kind, ()), f"unexpected Qt plugin {plugin}"
    unwanted = ("Qt6Quick", "Qt6Qml", "Qt6WebEngine", "Qt63D", "Qt6Multimedia", "Qt6Pdf", "Qt6Svg",
                "Qt6WaylandClient", "Qt6VirtualKeyboard", "opengl32sw")
    assert not [f for f in files if any(u in f for u in unwanted)]


# ------------------------------------------------------------------------------------------------ Secret Service
SESSION_SCRIPT = """
set -e
printf %s "$GPMC_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$GPMC_TEST_EXE" --selftest --skip-sync --expect-keyring "Secret Service" --keyring-write
"""


@pytest.fixture
def keyring_home() -> Iterator[Path]:
    # Short path: gnome-keyring's control socket lives under XDG_RUNTIME_DIR and socket paths max out at 108.
    root = Path(tempfile.mkdtemp(prefix="gpmc-gkf-"))
    try:
        yield root
    finally:
        marker = f"XDG_RUNTIME_DIR={root / 'run'}".encode()
        for proc in Path("/proc").iterdir():  # the daemon this test started may outlive its bus
            try:
                if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGTERM)
            except (OSError, ValueError):
                continue
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not has_tools("dbus-run-session", "gnome-keyring-daemon"),
    reason="needs Linux with dbus-run-session and gnome-keyring-daemon (Debian: dbus-daemon gnome-keyring)",
)
def test_frozen_app_uses_secret_service_when_a_session_offers_it(frozen: dict[str, Any], keyring_home: Path) -> None:
    """The pinned backend really is in the bundle: secretstorage + jeepney talk to gnome-keyring over D-Bus."""
    env = clean_env(keyring_home, XDG_RUNTIME_DIR=str(keyring_home / "run"),
                    GPMC_TEST_KEYRING_PASSWORD=secrets.token_urlsafe(8), GPMC_TEST_EXE=frozen["cli"])
    (keyring_home / "run").mkdir(mode=0o700)
    proc = subprocess.Popen(["dbus-run-session", "--", "sh", "-c", SESSION_SCRIPT], env=env, cwd=keyring_home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the Secret Service session hung:\n{out}\n{err}")
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    lines = assert_all_ok(result, CHECKS[:-1])
    keyring_line = next(line for line in lines if line.startswith("ok   keyring"))
    assert "Secret Service (keyring.backends.SecretService.Keyring)" in keyring_line
    assert "written, read back and deleted" in keyring_line
