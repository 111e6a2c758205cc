"""``gpmc-desktop --selftest``: prove that this installation (above all a frozen PyInstaller bundle) has everything
it needs, without touching the user's data.

    gpmc-desktop --selftest [--customers N] [--skip-sync] [--expect-keyring NAME] [--output FILE]
    python -m gpmc_desktop.selftest ...

One line per check, then a summary; the exit code is 0 only when every check passed.  The checks:

* ``qt``        the tray app's modules import and a QApplication (offscreen unless QT_QPA_PLATFORM or ``--platform``
                says otherwise) shows a window and closes it; reports how long after process creation the window
                was on screen (the cold start, bootloader included);
* ``icons``     the bundled PNG and ICO icons decode (the ico image plugin is bundled);
* ``modules``   modules that are imported lazily, by name or per platform (keyring backends, win32ctypes,
                secretstorage, jeepney, zeep, lxml, openapi-core ...): what PyInstaller's static analysis can miss;
* ``resources`` the data files the app opens at run time (the API contracts, the icons, certifi's CA bundle, the
                IANA time zones);
* ``database``  the state database is created and migrated in a temporary folder;
* ``keyring``   which credential backend the app would use (a frozen app loses keyring's entry-point discovery, so
                this proves the pinned backend is bundled and viable); ``--expect-keyring`` makes it a requirement;
* ``sync``      the built-in demo (GP + Mailchimp simulators on 127.0.0.1) syncs, then a second run converges with
                zero Mailchimp writes.

Everything is written under a temporary folder that is removed afterwards (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gpmc_desktop import __version__

_T0 = time.perf_counter()  # the earliest moment this module can see; the OS knows the real process start

COMMON_MODULES = (
    # the two entry points' own trees (function-level imports included)
    "gpmc_desktop.ui.app", "gpmc_desktop.ui.controller", "gpmc_desktop.cli.main",
    # keyring backends are picked by name (gpmc_desktop.credentials.backends), never through entry points
    "keyring.backends.Windows", "keyring.backends.SecretService", "keyring.backends.macOS",
    # GP: SOAP (zeep + lxml), Windows authentication, TLS; Mailchimp simulator: contract validation
    "zeep", "lxml.etree", "requests_ntlm", "requests_kerberos", "spnego", "certifi", "ssl", "sqlite3",
    "openapi_core", "jsonschema_specifications", "yaml", "werkzeug", "cryptography.x509",
    "peewee", "platformdirs", "schedule",
)
PLATFORM_MODULES = {
    # keyring's Windows backend silently degrades to "unusable" without pywin32-ctypes
    "win32": ("win32ctypes.pywin32.win32cred", "win32ctypes.pywin32.pywintypes", "win32ctypes.core", "sspilib",
              "sspilib.raw"),
    "darwin": ("keyring.backends.macOS.api",),
    # Secret Service over D-Bus in pure Python; Kerberos through gssapi
    "other": ("secretstorage", "jeepney", "jeepney.io.blocking", "gssapi"),
}
CONTRACTS = ("openapi.yaml", "DynamicsGP.wsdl")
ICONS = ("app.png", "app.ico", "state-idle.png", "state-syncing.png", "state-warning.png", "state-error.png")


class CheckFailed(Exception):
    """A check's own verdict (as opposed to a crash inside it)."""


@dataclass
class Context:
    args: argparse.Namespace
    workdir: Path
    timings: dict[str, float] = field(default_factory=dict)


class _Collector(logging.Handler):
    """Keeps warnings and errors in memory: printed only when a check fails, so a passing run stays one screen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def process_age() -> float | None:
    """Seconds since the OS created this process (for a frozen app: including the bootloader), or None."""
    try:
        if sys.platform == "win32":
            import ctypes
            from ctypes import wintypes

            # A private WinDLL: setting argtypes on the shared ctypes.windll.kernel32 would affect other callers.
            kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
            filetime_p = ctypes.POINTER(wintypes.FILETIME)
            kernel32.GetCurrentProcess.restype = wintypes.HANDLE
            kernel32.GetProcessTimes.argtypes = [wintypes.HANDLE, filetime_p, filetime_p, filetime_p, filetime_p]
            kernel32.GetProcessTimes.restype = wintypes.BOOL
            kernel32.GetSystemTimePreciseAsFileTime.argtypes = [filetime_p]
            creation, exit_, kernel, user, now = (wintypes.FILETIME() for _ in range(5))
            if not kernel32.GetProcessTimes(kernel32.GetCurrentProcess(), ctypes.byref(creation),
                                            ctypes.byref(exit_), ctypes.byref(kernel), ctypes.byref(user)):
                return None
            kernel32.GetSystemTimePreciseAsFileTime(ctypes.byref(now))

            def ticks(ft: wintypes.FILETIME) -> int:
                return (ft.dwHighDateTime << 32) | ft.dwLowDateTime

            return (ticks(now) - ticks(creation)) / 1e7  # 100 ns units
        if sys.platform.startswith("linux"):
            stat = Path("/proc/self/stat").read_text()
            start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, after the parenthesised comm
            uptime = float(Path("/proc/uptime").read_text().split()[0])
            return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except Exception:  # a timing nicety: never the reason a check fails
        return None
    return None


# ------------------------------------------------------------------------------------------------ the checks
def check_modules(ctx: Context) -> str:
    key = sys.platform if sys.platform in ("win32", "darwin") else "other"
    wanted = [*COMMON_MODULES, *PLATFORM_MODULES[key]]
    missing = []
    for name in wanted:
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError, or a module whose own imports fail inside the bundle
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
    if missing:
        raise CheckFailed("cannot import " + "; ".join(missing))
    # pyspnego catches its own ImportError and silently offers NTLM only: ask it whether Kerberos is there.
    if sys.platform == "win32":
        from spnego import _sspi

        kerberos, via = bool(getattr(_sspi, "HAS_SSPI", True)), "SSPI"
    else:
        from spnego import _gss

        kerberos, via = bool(getattr(_gss, "HAS_GSSAPI", True)), f"GSSAPI ({getattr(_gss, 'GSSAPI_IMP_ERR', '')})"
    if not kerberos and sys.platform != "darwin":
        raise CheckFailed(f"Kerberos/Negotiate towards GP is unavailable: pyspnego cannot use {via}")
    return f"{len(wanted)} modules import; Kerberos/Negotiate through {via.split()[0]}"


def check_resources(ctx: Context) -> str:
    import certifi

    from gpmc_desktop.resources import contract_path, resources_dir

    missing = []
    for name in CONTRACTS:
        try:
            if contract_path(name).stat().st_size == 0:
                missing.append(f"contracts/{name} (empty)")
        except FileNotFoundError:
            missing.append(f"contracts/{name}")
    missing += [f"icons/{name}" for name in ICONS if not (resources_dir() / "icons" / name).is_file()]
    if not Path(certifi.where()).is_file():
        missing.append(f"certifi CA bundle ({certifi.where()})")
    try:
        ZoneInfo("America/Los_Angeles")  # from the tzdata package where the OS has no zone database (Windows)
    except ZoneInfoNotFoundError:
        missing.append("the IANA time zones (tzdata)")
    if missing:
        raise CheckFailed(f"missing in {resources_dir()}: {', '.join(missing)}")
    return f"contracts and icons in {resources_dir()}"


def check_qt(ctx: Context) -> str:
    if ctx.args.platform:
        os.environ["QT_QPA_PLATFORM"] = ctx.args.platform
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # CI has no display; the app's look is not tested
    started = time.perf_counter()
    # What the tray app imports before its first window: so the timing below approximates its cold start.
    importlib.import_module("gpmc_desktop.ui.app")
    importlib.import_module("gpmc_desktop.ui.controller")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSystemTrayIcon

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "gpmc-desktop"])
    assert isinstance(app, QApplication)
    window = QMainWindow()
    window.setWindowTitle(f"gpmc-desktop {__version__} self-test")
    window.setCentralWidget(QLabel("gpmc-desktop self-test"))
    window.resize(320, 120)
    window.show()
    timer = QElapsedTimer()
    timer.start()
    handle = window.windowHandle()
    while not (handle is not None and handle.isExposed()) and timer.elapsed() < 5000:
        app.processEvents()
        handle = window.windowHandle()
    exposed = handle is not None and handle.isExposed()
    shown_at = time.perf_counter()
    age = process_age()
    window.close()
    app.processEvents()
    if not exposed:
        raise CheckFailed(f"the window was not exposed within 5 s (platform {app.platformName()})")
    ctx.timings["qt_start"] = shown_at - started
    ctx.timings["python_to_window"] = shown_at - _T0
    if age is not None:
        ctx.timings["process_to_window"] = age
    since = f"{age:.2f} s after process start" if age is not None else f"{shown_at - _T0:.2f} s after Python start"
    tray = "tray available" if QSystemTrayIcon.isSystemTrayAvailable() else "no tray here"
    return (f"app modules imported, a window shown on '{app.platformName()}' and closed: {shown_at - started:.2f} s "
            f"({since}); PySide6 {pyside_version}; {tray}")


def check_icons(ctx: Context) -> str:
    from PySide6.QtGui import QImage, QImageReader

    from gpmc_desktop.resources import resources_dir

    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    if not {"png", "ico"} <= formats:
        raise CheckFailed(f"Qt cannot read png and ico (image formats: {', '.join(sorted(formats))})")
    bad = [name for name in ICONS if QImage(str(resources_dir() / "icons" / name)).isNull()]
    if bad:
        raise CheckFailed(f"cannot decode {', '.join(bad)}")
    return f"{len(ICONS)} icons decode (image formats: {', '.join(sorted(formats))})"


def check_database(ctx: Context) -> str:
    from gpmc_desktop import store

    path = ctx.workdir / "selftest-state.sqlite"
    with store.open_store(path) as handle:
        mode = handle.journal_mode()
        version = handle.schema_version
    return f"created and migrated to schema version {version} (journal {mode}) in {ctx.workdir}"


def check_keyring(ctx: Context) -> str:
    from gpmc_desktop.credentials import GP_PASSWORD, default_store

    creds = default_store()
    detail = f"{creds.backend_name} ({type(creds.backend).__module__}.{type(creds.backend).__name__})"
    expected = ctx.args.expect_keyring
    if expected is None and sys.platform in ("win32", "darwin"):
        expected = "system"  # Credential Manager and the Keychain always exist: memory there means a broken bundle
    if expected:
        want = expected.lower()
        ok = ((want == "system" and creds.persistent) or (want == "memory" and not creds.persistent)
              or want in creds.backend_name.lower())
        if not ok:
            raise CheckFailed(f"expected the {expected} keyring, got {detail}")
    # A real write proves the backend's native half (win32ctypes -> advapi32) works in this bundle.  Only where
    # it cannot pop up an unlock prompt: Credential Manager and memory; Secret Service/Keychain on request.
    write = ctx.args.keyring_write or not creds.persistent or sys.platform == "win32"
    if write:
        profile = f"selftest-{os.getpid()}-{int(time.time())}"
        value = os.urandom(12).hex()
        try:
            creds.set(profile, GP_PASSWORD, value)
            if creds.get(profile, GP_PASSWORD) != value:
                raise CheckFailed(f"{detail}: a secret written was not read back")
        finally:
            creds.delete_profile(profile)
        detail += "; a secret was written, read back and deleted"
    return detail


def check_sync(ctx: Context) -> str:
    from gpmc_desktop import store
    from gpmc_desktop.demo.environment import DemoEnvironment
    from gpmc_desktop.profile import load_profile
    from gpmc_desktop.sync.engine_process import run_in_child_process
    from gpmc_desktop.sync.runner import run_profile

    started = time.perf_counter()
    with DemoEnvironment(customers=ctx.args.customers, workdir=ctx.workdir / "demo") as env:
        profile = load_profile(env.write_profile())
        env.database_path.parent.mkdir(parents=True, exist_ok=True)
        # The first run as the tray app makes it: in a sync process of its own (frozen: gpmc --engine-child).
        first = run_in_child_process(profile, env.secrets, database=env.database_path)
        writes = env.mailchimp.writes
        with store.open_store(env.database_path):
            if first.outcome not in ("ok", "partial") or writes == 0:
                raise CheckFailed(f"first run: outcome {first.outcome}, {writes} Mailchimp writes "
                                  f"(error: {first.error})")
            second = run_profile(profile, env.secrets)
            again = env.mailchimp.writes - writes
    ctx.timings["sync"] = time.perf_counter() - started
    if second.outcome != "ok" or again:
        raise CheckFailed(f"second run did not converge: outcome {second.outcome}, {again} Mailchimp writes "
                          f"(error: {second.error})")
    return (f"demo of {ctx.args.customers} customers: first run (in a sync process) {first.outcome}, {writes} "
            f"Mailchimp writes (customers {first.customers}); second run 0 writes; {ctx.timings['sync']:.1f} s")


CHECKS: tuple[tuple[str, Callable[[Context], str]], ...] = (
    ("qt", check_qt),  # first, so its timing is a cold start: nothing imported yet but what the app needs
    ("icons", check_icons),
    ("modules", check_modules),
    ("resources", check_resources),
    ("database", check_database),
    ("keyring", check_keyring),
    ("sync", check_sync),
)


# ------------------------------------------------------------------------------------------------ running
def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="gpmc-desktop --selftest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--selftest", action="store_true", help=argparse.SUPPRESS)  # the flag that brought us here
    parser.add_argument("--customers", type=int, default=60, help="size of the demo company (default 60)")
    parser.add_argument("--skip-sync", action="store_true", help="leave out the demo sync")
    parser.add_argument("--expect-keyring", metavar="NAME", default=None,
                        help='fail unless this backend is used: "system", "memory", or part of its name')
    parser.add_argument("--keyring-write", action="store_true",
                        help="also write, read and delete a test secret in Secret Service / the Keychain")
    parser.add_argument("--platform", default=None, help="Qt platform plugin (default: offscreen)")
    parser.add_argument("--output", type=Path, default=None,
                        help="also write the report to this file (a windowed exe has no console)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--verbose", action="store_true", help="print log messages as they happen")
    # The app's own options (--data-dir, --demo ...) may arrive too: they do not apply to a self-test.
    return parser.parse_known_args(list(argv))


def run_selftest(argv: Sequence[str] | None = None) -> int:
    """Run every check; 0 when all pass, 1 otherwise.  `argv` excludes the program name."""
    args, ignored = parse_args(sys.argv[1:] if argv is None else argv)
    report: TextIO | None = args.output.open("w", encoding="utf-8") if args.output else None

    def say(line: str) -> None:
        for stream in (sys.stdout, report):  # sys.stdout is None in a windowed Windows exe
            if stream is not None:
                stream.write(line + "\n")
                stream.flush()

    collector = _Collector()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [collector]
    if args.verbose and sys.stderr is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO if args.verbose else logging.WARNING)

    frozen = getattr(sys, "_MEIPASS", None)
    where = f"frozen bundle {frozen}" if frozen else f"Python {sys.executable}"
    say(f"gpmc-desktop {__version__} self-test: {where}; Python {sys.version.split()[0]}; {sys.platform}")
    if ignored:
        say(f"(ignoring options that do not apply to the self-test: {' '.join(ignored)})")

    workdir = Path(tempfile.mkdtemp(prefix="gpmc-selftest-"))
    ctx = Context(args, workdir)
    failed = 0
    ran = 0
    started = time.perf_counter()
    try:
        for name, check in CHECKS:
            if name == "sync" and args.skip_sync:
                say(f"skip {name:<9} --skip-sync")
                continue
            ran += 1
            t0 = time.perf_counter()
            try:
                detail = check(ctx)
            except CheckFailed as exc:
                failed += 1
                say(f"FAIL {name:<9} {exc}")
            except Exception as exc:
                failed += 1
                say(f"FAIL {name:<9} {type(exc).__name__}: {exc}")
            else:
                say(f"ok   {name:<9} {detail} [{time.perf_counter() - t0:.2f} s]")
        if failed and collector.records:
            say("log messages (warnings and errors):")
            for line in collector.records[-30:]:
                say(f"  {line}")
        timings = " ".join(f"{k}={v:.2f}s" for k, v in ctx.timings.items())
        total = time.perf_counter() - started
        if failed:
            say(f"selftest: {failed} of {ran} checks FAILED ({total:.1f} s) {timings}")
        else:
            say(f"selftest: all {ran} checks passed ({total:.1f} s) {timings}")
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if report is not None:
            report.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_selftest(sys.argv[1:]))
