"""The frozen bundle, built once per test session by ``installer/build.py`` and cached across sessions under
``build/frozen-<hash>/`` (the hash covers the package sources, resources, the spec and the installed versions).

pytest-xdist workers each ask for it; build.py's lock file makes the second wait for the first and reuse its
build.  Building takes from half a minute to a few minutes: tests that need it are ``slow`` and get a long timeout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
BUILD_TIMEOUT_S = 1500

HAVE_PYINSTALLER = importlib.util.find_spec("PyInstaller") is not None
NO_PYINSTALLER = "pyinstaller is not installed in this environment (pip install -e .[build])"


def load_installer_module(name: str) -> ModuleType:
    """installer/<name>.py as a module (installer/ is scripts beside the spec, not a package)."""
    if str(INSTALLER) not in sys.path:
        sys.path.insert(0, str(INSTALLER))
    spec = importlib.util.spec_from_file_location(f"gpmc_installer_{name}", INSTALLER / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_makensis() -> str | None:
    found: str | None = load_installer_module("build").find_makensis()
    return found


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No D-Bus session (so no Secret Service: the keyring must say memory), offscreen Qt, a throwaway HOME."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DBUS_", "PYTHON_KEYRING", "GNOME_KEYRING", "GPMC_"))}
    for sub in ("cache", "config", "data"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), QT_QPA_PLATFORM="offscreen", **extra)
    return env


@pytest.fixture(scope="session")
def frozen() -> Iterator[dict[str, Any]]:
    """installer/build.py's facts about the bundle: ``bundle``, ``gui``, ``cli``, ``build_seconds`` ..."""
    if not HAVE_PYINSTALLER:
        pytest.skip(NO_PYINSTALLER)
    result = subprocess.run(
        [sys.executable, str(INSTALLER / "build.py"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )
    assert result.returncode == 0, f"the frozen build failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    info: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    shown = {k: info[k] for k in ("bundle", "build_seconds", "bundle_bytes", "cached")}
    print(f"frozen bundle: {shown}")  # pytest -s / -rA shows it: the numbers docs/install.md records
    yield info


@pytest.fixture
def nsis() -> str:
    makensis = find_makensis()
    if makensis is None:
        pytest.skip("makensis not found: install NSIS (Debian: apt-get install nsis)")
    return makensis


def has_tools(*names: str) -> bool:
    return all(shutil.which(n) for n in names)
