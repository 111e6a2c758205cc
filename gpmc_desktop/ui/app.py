"""The tray application's entry point (``gpmc-desktop``): one instance per user, the state database opened
once for the process, the credential store, the controller (tray, window, syncs, schedule) and, with
``--demo``, the built-in simulators.

    gpmc-desktop [--demo] [--data-dir DIR] [--show]
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import PySide6
from PySide6.QtWidgets import QApplication, QMessageBox

from gpmc_desktop import __version__, store
from gpmc_desktop.logsetup import setup_logging
from gpmc_desktop.ui.autostart import default_autostart
from gpmc_desktop.ui.crash import CrashReporter
from gpmc_desktop.ui.icons import app_icon
from gpmc_desktop.ui.qt_compat import binding_leaks_none
from gpmc_desktop.ui.single_instance import SingleInstance, instance_key

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpmc-desktop", description="Dynamics GP to Mailchimp, from the tray.")
    parser.add_argument("--demo", action="store_true",
                        help="start the built-in GP and Mailchimp simulators and sync against them")
    parser.add_argument("--demo-customers", type=int, default=500, help="size of the demo company")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder for the state database and the logs (default: the per-user data folder)")
    parser.add_argument("--show", action="store_true", help="open the window at start (not only the tray icon)")
    parser.add_argument("--version", action="version", version=f"gpmc-desktop {__version__}")
    # Qt's own options (-platform, -style …) pass through to QApplication.
    args, _unknown = parser.parse_known_args(list(argv))
    return args


_INSTALL_MUTEX: object = None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if "--selftest" in argv[1:]:  # the frozen-app smoke test (installer/, CI): no tray, no user data touched
        from gpmc_desktop.selftest import run_selftest

        return run_selftest(argv[1:])
    args = parse_args(argv[1:])
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("gpmc-desktop")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # a tray app: closing the window leaves it running
    app.setWindowIcon(app_icon())

    # The instance key includes an explicit --data-dir: two data folders are two independent apps.
    guard = SingleInstance(instance_key(suffix=str(args.data_dir.resolve()) if args.data_dir else ""))
    if not guard.acquire():
        return 0  # the running instance has been asked to show its window
    if sys.platform == "win32":
        # The installer refuses to install over a running app by looking for this mutex; it lives as long as
        # the process does (Windows frees it at exit).
        import ctypes

        global _INSTALL_MUTEX
        _INSTALL_MUTEX = ctypes.windll.kernel32.CreateMutexW(None, False, "Local\\gpmc-desktop")  # type: ignore[attr-defined]

    data = store.data_dir(args.data_dir)
    log_folder = setup_logging(data)
    reporter = CrashReporter(f" ({log_folder})")
    reporter.install()
    log.info("gpmc-desktop %s starts; data in %s", __version__, data)
    if binding_leaks_none():
        log.error("this PySide6 (%s) corrupts None's reference count on Python %d.%d and will crash the app; "
                  "install PySide6-Essentials<6.12", PySide6.__version__, *sys.version_info[:2])

    try:
        state = store.open_store(store.state_db_path(args.data_dir))
    except store.StoreError as err:
        log.error("cannot open the state database: %s", err)
        QMessageBox.critical(None, "gpmc-desktop", f"The state database cannot be opened:\n\n{err}")
        guard.release()
        return 2
    from gpmc_desktop.ui.worker import TRAY_APP

    # Only the runs no live process holds (a gpmc sync running now keeps its own): store/run_lock.py.
    closed = store.close_interrupted_runs(program=TRAY_APP)
    if closed:
        log.warning("%d run(s) were left running by a program that stopped and are marked failed", closed)

    from gpmc_desktop.credentials import default_store
    from gpmc_desktop.ui.controller import DesktopController

    controller = DesktopController(default_store(), log_folder=log_folder, autostart=default_autostart())
    guard.activated.connect(controller.show_window)
    demo = None
    if args.demo:
        from gpmc_desktop.ui.demo_mode import DemoMode

        demo = DemoMode(controller, data / "demo", customers=args.demo_customers)
        demo.start()
    controller.start(show_window=args.show or args.demo)
    if demo is None and not controller.board.names():
        controller.open_setup()  # first run
    try:
        code = int(app.exec())
    finally:
        controller.shutdown()
        if demo is not None:
            demo.stop()
        state.close()
        guard.release()
        reporter.uninstall()
    log.info("gpmc-desktop exits (%s)", code)
    return code


if __name__ == "__main__":
    sys.exit(main())
