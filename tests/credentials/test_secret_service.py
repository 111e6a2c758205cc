"""The real thing: default_store() against gnome-keyring's Secret Service on a private D-Bus session bus.

Needs the Debian packages `dbus-daemon` (dbus-run-session) and `gnome-keyring` (scripts/dev.py installs them
before the tests). Everything lives in a temporary HOME/XDG tree: the developer's keyring is never touched.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("secret_service_child.py")
REPO = Path(__file__).resolve().parents[2]

HAVE_TOOLS = bool(shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon"))
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not HAVE_TOOLS,
    reason="needs Linux with dbus-run-session and gnome-keyring-daemon (Debian: dbus-daemon gnome-keyring)",
)

# Unlock (creating it on first use) the "login" collection with a throwaway password, then run each step in its
# own process: the read step proves the secret outlived the process that wrote it.
SCRIPT = """
set -e
printf %s "$GPMC_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$GPMC_TEST_PYTHON" "$GPMC_TEST_CHILD" write
"$GPMC_TEST_PYTHON" "$GPMC_TEST_CHILD" read
"""


@pytest.fixture
def home() -> Iterator[Path]:
    # Short path: gnome-keyring puts its control socket under XDG_RUNTIME_DIR, and socket paths max out at 108.
    root = Path(tempfile.mkdtemp(prefix="gpmc-gk-"))
    try:
        yield root
    finally:
        _end_processes_using(root)
        shutil.rmtree(root, ignore_errors=True)


def _end_processes_using(root: Path) -> None:
    """Stop any daemon this test started that outlived its bus, found by the unique runtime dir in its env."""
    marker = f"XDG_RUNTIME_DIR={root / 'run'}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGTERM)
        except (OSError, ValueError):
            continue


def test_default_store_uses_secret_service_and_secrets_persist(home: Path) -> None:
    for sub in ("run", "data", "config", "cache"):
        (home / sub).mkdir(mode=0o700)
    pw, key = "gp-" + secrets.token_urlsafe(12), secrets.token_hex(16) + "-us21"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "PYTHON_KEYRING", "GNOME_KEYRING"))}
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home / "run"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        GPMC_TEST_KEYRING_PASSWORD=secrets.token_urlsafe(8),
        GPMC_TEST_PYTHON=sys.executable,
        GPMC_TEST_CHILD=str(CHILD),
        GPMC_TEST_PW=pw,
        GPMC_TEST_KEY=key,
    )
    proc = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", SCRIPT],
        env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the Secret Service session hung:\n{out}\n{err}")
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}"

    write, read = (json.loads(line) for line in out.splitlines() if line.startswith("{"))
    for report in (write, read):
        assert report["backend_name"] == "Secret Service"
        assert report["persistent"] is True
        assert "Secret Service" in report["where_text"]
    assert read == read | {"read_ok": True, "namespaced": True, "direct": True, "renamed": True, "deleted": True}

    # gnome-keyring wrote its collection to disk, encrypted: the secrets are not in it as text.
    stored = b"".join(p.read_bytes() for p in (home / "data" / "keyrings").iterdir())
    assert stored
    for secret in (pw, key):
        assert secret.encode() not in stored
        assert secret.encode("utf-16-le") not in stored
    assert pw not in out + err and key not in out + err
