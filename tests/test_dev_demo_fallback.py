"""``scripts/dev.py demo`` where Qt cannot open a window: it says why in one sentence and runs the headless demo
instead of ending in Qt's "Could not load the Qt platform plugin 'xcb'". The real script runs in a subprocess with
only its installs replaced (no apt-get, no venv: this interpreter stands in for ``.venv``); Qt and the demo are
real."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "scripts" / "dev.py"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="X11 and Debian packages")

HARNESS = r"""
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("dev", sys.argv[1])
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)
dev.ensure_system_packages = lambda names: print("[test] would install: " + " ".join(names), flush=True)
dev.ensure_venv = lambda extras: Path(sys.executable)
sys.argv = ["dev.py", "demo", "--customers", "60", "--no-sync", "--exit"]
sys.exit(dev.main())
"""


def free_display() -> str:
    """An X display number nobody serves here."""
    n = 97
    while Path(f"/tmp/.X11-unix/X{n}").exists():
        n += 1
    return f":{n}"


def run_demo(tmp: Path, **env_changes: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GPMC_") and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update({f"XDG_{d.upper()}_HOME": str(tmp / d) for d in ("cache", "config", "data")})  # not the user's
    env.update({"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "xcb", **env_changes})
    return subprocess.run([sys.executable, "-c", HARNESS, str(DEV)], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=180, check=False)


def dev_module():
    spec = importlib.util.spec_from_file_location("dev", DEV)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_installs_the_xcb_libraries_qt_needs():
    dev = dev_module()
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-render-util0",
                    "libxcb-xkb1", "libxkbcommon-x11-0", "libxcb-randr0", "libxcb-shape0", "libxcb-xinerama0"):
        assert package in dev.DEMO_PACKAGES


def test_without_a_display_it_says_so_and_runs_the_headless_demo(tmp_path):
    done = run_demo(tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "libxcb-cursor0" in out.splitlines()[0]  # what would be installed
    assert "[dev] There is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set): running the " \
           "command-line demo instead." in out
    assert "gpmc demo: both simulators are running" in out
    assert "Traceback" not in done.stderr


def test_when_qt_cannot_open_the_display_it_says_why_and_runs_the_headless_demo(tmp_path):
    done = run_demo(tmp_path, DISPLAY=free_display())
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("[dev] Qt cannot open a window here (")]
    assert len(lines) == 1, done.stdout
    assert lines[0].endswith("): running the command-line demo instead.")
    # One plain reason, not Qt's paragraph and plugin list.
    assert ("could not connect to display" in lines[0] or "libxcb-cursor0" in lines[0]), lines[0]
    assert "Available platform plugins" not in done.stdout
    assert "gpmc demo: both simulators are running" in done.stdout


# What Qt 6.8 printed on a Debian 12 desktop without libxcb-icccm4, libxcb-keysyms1 and libxcb-xinerama0.
QT_WITHOUT_XCB_LIBS = """\
qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform plugin.
qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was found.
This application failed to start because no Qt platform plugin could be initialized. Reinstalling the application \
may fix this problem.

Available platform plugins are: minimal, linuxfb, offscreen, xcb, wayland-brcm, wayland-egl, wayland, eglfs, vnc.
"""


def test_qts_paragraph_becomes_one_reason():
    dev = dev_module()
    assert dev.qt_failure_reason(QT_WITHOUT_XCB_LIBS) == \
        "a system library of Qt's window plugin is missing: Qt names libxcb-cursor0"
    no_server = "qt.qpa.xcb: could not connect to display :97\n" + QT_WITHOUT_XCB_LIBS
    assert dev.qt_failure_reason(no_server) == "could not connect to display :97"
    assert dev.qt_failure_reason("") == "Qt stopped without saying why"
