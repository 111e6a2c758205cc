#!/usr/bin/env python3
"""The README's two set-up commands, for a fresh Debian machine that has only python3.

    python3 scripts/dev.py demo    # the product on its built-in demo (GP + Mailchimp simulators)
    python3 scripts/dev.py test    # lint + the whole test suite

Each makes sure the Debian packages it needs are present (apt-get, as root or through sudo), creates `.venv`
beside this repository, installs the project into it (skipped when pyproject.toml has not changed since the
last install) and runs.  Anything after the command word is passed on (to `gpmc demo` or to pytest).
Standard library only: nothing else exists yet when this runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
INTERRUPTED = 130  # 128 + SIGINT: the exit code of a Ctrl-C, as shells and `gpmc` report it

# Building gssapi (pulled in by requests-kerberos) needs the Kerberos headers and a compiler.
BUILD_PACKAGES = ["gcc", "libkrb5-dev", "krb5-user"]
# Qt's offscreen platform plugin still links these (PySide6-Essentials wheels do not bundle them).
QT_PACKAGES = [
    "libglib2.0-0", "libegl1", "libgl1", "libx11-6", "libdbus-1-3", "libfontconfig1", "libfreetype6",
    "libxkbcommon0",
    "fonts-dejavu-core",  # without any font, offscreen Qt draws every letter as a box (screenshots, tests)
]
# The real Secret Service keyring test: dbus-run-session (in dbus-daemon) and a Secret Service provider.
# Python reaches it through SecretStorage/jeepney (pure Python, pulled in by keyring): no libsecret binding.
KEYRING_TEST_PACKAGES = ["dbus-daemon", "gnome-keyring"]
# A throwaway MIT Kerberos realm on 127.0.0.1 for the Kerberos/Negotiate tests (kadmin.local lives in
# krb5-admin-server); faketime runs a clock-shifted KDC for the clock-skew test.
KERBEROS_TEST_PACKAGES = ["krb5-kdc", "krb5-admin-server", "faketime"]
# Qt 6.5+'s xcb platform plugin (a window on an X11 or XWayland desktop) loads these; without libxcb-cursor0 Qt
# stops with "Could not load the Qt platform plugin 'xcb'". The names are the same in Debian 12 and 13.
XCB_PACKAGES = [
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-render-util0", "libxcb-xkb1",
    "libxkbcommon-x11-0", "libxcb-randr0", "libxcb-shape0", "libxcb-xinerama0",
]
DEMO_PACKAGES = BUILD_PACKAGES + QT_PACKAGES + XCB_PACKAGES
# The frozen-app smoke test: PyInstaller uses objcopy/objdump; makensis compiles the Windows installer script.
INSTALLER_TEST_PACKAGES = ["binutils", "nsis"]
TEST_PACKAGES = (
    BUILD_PACKAGES + QT_PACKAGES + KEYRING_TEST_PACKAGES + KERBEROS_TEST_PACKAGES + INSTALLER_TEST_PACKAGES
)


def say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def missing_debian_packages(names: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for name in names:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in out.stdout:
            missing.append(name)
    return missing


def ensure_system_packages(names: list[str]) -> None:
    wanted = list(names)
    try:
        import ensurepip  # noqa: F401  (Debian's python3 ships venv without it until python3-venv is in)
    except ImportError:
        wanted.append("python3-venv")
    if not Path(sysconfig.get_paths()["include"], "Python.h").is_file():
        wanted.append("python3-dev")
    missing = missing_debian_packages(wanted)
    if not missing:
        return
    if not shutil.which("apt-get"):
        say(f"not a Debian system: make sure these are installed yourself: {' '.join(missing)}")
        return
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            sys.exit(f"[dev] need root (or sudo) to install: {' '.join(missing)}")
        prefix = ["sudo"]
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run([*prefix, "apt-get", "update", "-qq"], env=env)
    run([*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extras: str) -> Path:
    py = venv_python()
    if not py.exists():
        say(f"creating virtual environment in {VENV}")
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return py
    target = f".[{extras}]" if extras else "."
    say(f"installing gpmc-desktop{f'[{extras}]' if extras else ''} (the first time builds gssapi: ~3 min)")
    run([str(py), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT)
    stamp.write_text(digest)
    return py


def foreground(cmd: list[str], **kw: object) -> int:
    """Run the product (or pytest) and wait for it to end, Ctrl-C or not; its exit code, or 130 if interrupted.

    A Ctrl-C in the terminal reaches the child as well (one foreground process group): the child decides how to
    stop (gpmc finishes the records in flight and records the run; pytest prints its summary), and this waits
    for it instead of killing it a quarter of a second later as ``subprocess.call`` does.  A third Ctrl-C kills
    a child that does not stop."""
    interrupts = 0
    child: subprocess.Popen[bytes] | None = None

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts >= 3 and child is not None and child.poll() is None:
            child.kill()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        child = subprocess.Popen(cmd, **kw)  # type: ignore[call-overload]
        code = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupts or code in (INTERRUPTED, -signal.SIGINT):
        return INTERRUPTED
    return int(code)


def has_display() -> bool:
    if os.name == "nt" or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Starts Qt the way the tray app does and stops: whether a window can be opened here at all.
QT_PROBE = "from PySide6.QtWidgets import QApplication; QApplication(['gpmc-probe'])"
QT_PROBE_TIMEOUT_S = 60


def why_no_window(py: Path) -> str | None:
    """Why the tray app cannot open a window here, in one plain sentence; None when it can."""
    if not has_display():
        return "There is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set)"
    try:
        probe = subprocess.run([str(py), "-c", QT_PROBE], capture_output=True, text=True, cwd=ROOT,
                               timeout=QT_PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"Qt did not start within {QT_PROBE_TIMEOUT_S} seconds"
    if probe.returncode == 0:
        return None
    return f"Qt cannot open a window here ({qt_failure_reason(probe.stderr)})"


def qt_failure_reason(stderr: str) -> str:
    """Qt's own complaint shortened to its cause (Qt prints a paragraph and the list of its plugins)."""
    # Qt prefixes its lines with a logging category ("qt.qpa.xcb: could not connect to display :99").
    lines = [re.sub(r"^qt\.[\w.]+: ", "", line.strip()) for line in stderr.splitlines() if line.strip()]
    for line in lines:  # first: Qt also prints the libxcb-cursor0 line after this one, whatever is installed
        if "could not connect to display" in line.lower():
            return line.rstrip(".")
    for line in lines:
        if "is needed to load the Qt xcb platform plugin" in line:
            return "a system library of Qt's window plugin is missing: Qt names libxcb-cursor0"
    for line in lines:
        if "Could not load the Qt platform plugin" in line:
            return line.split(" in ")[0].rstrip(".")
    return lines[0].rstrip(".") if lines else "Qt stopped without saying why"


def cmd_demo(args: list[str]) -> int:
    ensure_system_packages(DEMO_PACKAGES)
    py = ensure_venv("")
    if "--headless" not in args:
        why = why_no_window(py)
        if why is None:
            # The tray app on the built-in demo: simulators in the background, the wizard pre-filled.
            say("starting the tray app on the built-in demo (--headless for the command-line demo)")
            return foreground([str(py), "-m", "gpmc_desktop.ui.app", "--demo", *args], cwd=ROOT)
        say(f"{why}: running the command-line demo instead.")
    args = [a for a in args if a != "--headless"]
    return foreground([str(py), "-m", "gpmc_desktop.cli.main", "demo", *args], cwd=ROOT)


def cmd_test(args: list[str]) -> int:
    ensure_system_packages(TEST_PACKAGES)
    py = ensure_venv("test,build,bench")  # bench: the SDK the scale benchmark compares with (its smoke test)
    say("ruff check")
    paths = ["gpmc_desktop", "tests", "scripts", "installer", "benchmarks"]
    lint = subprocess.call([str(py), "-m", "ruff", "check", *paths], cwd=ROOT)
    if lint != 0:
        return lint
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    workers = ["-n", str(min(4, os.cpu_count() or 1))] if "-n" not in args else []
    say("pytest")
    return foreground([str(py), "-m", "pytest", *workers, *args], cwd=ROOT, env=env)


def main() -> int:
    commands = {"demo": cmd_demo, "test": cmd_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except KeyboardInterrupt:
        # Ctrl-C while installing (apt-get and pip got it too and stop): no traceback, and a re-run carries on
        # (the install stamp is written only after a finished install).
        print("\n[dev] interrupted", file=sys.stderr, flush=True)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
