#!/usr/bin/env python3
"""Render the documentation screenshots offscreen into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out DIR] [--customers N]

Starts the built-in demo (GP and Mailchimp simulators), walks the setup wizard against it with every check
passing and grabs each page, saves the profile (a throwaway state database and an in-memory keyring in a
temporary folder: nothing touches the user's data or keyring), then runs one sync in the app's main window and
grabs its summary page, its runs page and the tray menu.  Needs a font (Debian: fonts-dejavu-core) or Qt draws boxes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display needed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without an editable install

import keyring  # noqa: E402
from PySide6.QtCore import QEventLoop, QThread, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtGui import QFontDatabase  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from gpmc_desktop import store  # noqa: E402
from gpmc_desktop.credentials import CredentialStore, default_store  # noqa: E402
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring  # noqa: E402
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment  # noqa: E402
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog  # noqa: E402
from gpmc_desktop.ui.wizard import PageId, SetupWizard  # noqa: E402
from gpmc_desktop.ui.wizard.base import CheckedPage  # noqa: E402

TIMEOUT_S = 120.0


def quiet_qt_messages() -> None:
    """Drop the offscreen plugin's "does not support …" chatter; everything else still reaches stderr."""

    def handler(mode: QtMsgType, context: object, message: str) -> None:
        if "This plugin does not support" in message or "systemTrayWindowChanged" in message:
            return
        print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def wait_until(app: QApplication, done: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
    """Run the event loop until *done*; the checks answer through queued signals."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(10)


def settle(app: QApplication) -> None:
    for _ in range(5):  # layouts and deferred deletes need a few passes
        app.processEvents()


def save(widget: QWidget, out: Path, name: str, app: QApplication) -> Path:
    settle(app)
    path = out / f"{name}.png"
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return path


def check(app: QApplication, page: CheckedPage, button: object = None, *, fails: bool = False) -> None:
    (button or page.test_button).click()  # type: ignore[attr-defined]
    wait_until(app, lambda: not page.running(), f"the checks of {type(page).__name__}")
    failures = page.stages.failures()
    if bool(failures) != fails:
        raise RuntimeError(f"{type(page).__name__}: " + (failures[0].line() if failures else "expected a failure"))


def fonts_missing() -> bool:
    """Only fontconfig's generic aliases: no real font, so Qt would draw every letter as a box."""
    return not set(QFontDatabase.families()) - {"Monospace", "Sans Serif", "Serif"}


def next_page(app: QApplication, wizard: SetupWizard, expect: PageId) -> None:
    settle(app)
    wizard.next()
    if wizard.currentId() != expect:
        raise RuntimeError(f"the wizard did not move on to {expect.name} (still on {PageId(wizard.currentId()).name})")


def wizard_shots(app: QApplication, env: DemoEnvironment, credentials: CredentialStore, out: Path) -> str:
    wizard = SetupWizard.for_demo(env, credentials)
    wizard.show()
    settle(app)

    # A failing stage first (no CA file: the demo's certificate is self-signed), to show the message.
    ca = wizard.gp_page.ca_file.text()
    wizard.gp_page.ca_file.clear()
    check(app, wizard.gp_page, fails=True)
    save(wizard, out, "wizard-1-gp-connection-untrusted", app)
    wizard.gp_page.ca_file.setText(ca)
    check(app, wizard.gp_page)
    save(wizard, out, "wizard-1-gp-connection", app)
    advanced = AdvancedSettingsDialog(wizard.document, wizard)  # what "Advanced settings…" opens
    advanced.show()
    settle(app)
    save(advanced, out, "advanced-settings", app)
    advanced.close()
    next_page(app, wizard, PageId.COMPANY)

    wizard.company_page.pick(DEMO_COMPANY)
    check(app, wizard.company_page)
    save(wizard, out, "wizard-2-company", app)
    next_page(app, wizard, PageId.MAILCHIMP)

    mc = wizard.mailchimp_page
    check(app, mc, mc.connect_button)  # lists the audiences
    check(app, mc)  # key → ping → audience → store
    save(wizard, out, "wizard-3-mailchimp", app)
    next_page(app, wizard, PageId.CONTACTS)

    save(wizard, out, "wizard-4-new-contacts-unchosen", app)  # Next waits for a choice
    wizard.contacts_page.buttons["transactional"].setChecked(True)
    save(wizard, out, "wizard-4-new-contacts", app)
    next_page(app, wizard, PageId.AUTOMATIONS)

    wizard.automations_page.buttons["off"].setChecked(True)
    save(wizard, out, "wizard-4b-order-e-mails", app)  # "4b": the names of the pictures after it stay
    next_page(app, wizard, PageId.FILTERS)

    save(wizard, out, "wizard-5-what-to-sync", app)
    next_page(app, wizard, PageId.SCHEDULE)

    schedule = wizard.schedule_page
    schedule.kind.setCurrentIndex(schedule.kind.findData("month_end"))
    schedule.business_days.setValue(2)
    save(wizard, out, "wizard-6-schedule", app)
    next_page(app, wizard, PageId.PREVIEW)

    preview = wizard.preview_page
    wait_until(app, lambda: not preview.running() and (preview.report is not None or bool(preview.error)),
               "the dry run")
    if preview.report is None:
        raise RuntimeError(f"the preview failed: {preview.error}")
    save(wizard, out, "wizard-7-preview", app)
    name = preview.name.text()
    if not preview.validatePage():  # what Finish does
        raise RuntimeError(f"Finish failed: {preview.save_error.text()}")
    wizard.accept()
    return name


def shell_shots(app: QApplication, profile: str, credentials: CredentialStore, work: Path, out: Path) -> None:
    """The main window after a sync, and the tray menu (the app shell's widgets)."""
    from gpmc_desktop.ui.autostart import XdgAutostart
    from gpmc_desktop.ui.controller import DesktopController

    controller = DesktopController(credentials, use_tray=True, log_folder=work / "logs",
                                   autostart=XdgAutostart(work / "autostart"))
    finished: list[object] = []
    controller.run_finished.connect(finished.append)
    try:
        controller.start(show_window=True)
        controller.window.select_profile(profile)
        # A new scheduled profile that never synced is due at once, so the schedule may have started it.
        if not controller.manager.is_running(profile) and not controller.sync_now(profile):
            raise RuntimeError(f"the sync of {profile!r} did not start")
        wait_until(app, lambda: bool(finished), "the first sync")
        settle(app)
        window = controller.window
        window.tabs.setCurrentWidget(window.summary_view)  # the page the window opens on
        save(window, out, "summary", app)
        window.tabs.setCurrentWidget(window.runs_table)
        save(window, out, "main-window-after-sync", app)
        window.tabs.setCurrentWidget(window.summary_view)
        if controller.tray is None:
            raise RuntimeError("no tray menu to render")
        menu = controller.tray.menu
        menu.ensurePolished()
        menu.adjustSize()
        save(menu, out, "tray-menu", app)
    finally:
        controller.shutdown(timeout_s=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--customers", type=int, default=300, help="size of the demo company")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    quiet_qt_messages()
    app = QApplication.instance() or QApplication(["screenshots"])
    assert isinstance(app, QApplication)
    app.setApplicationName("gpmc-desktop")
    if fonts_missing():
        print("no fonts: text would render as boxes. Install one, e.g. sudo apt-get install fonts-dejavu-core",
              file=sys.stderr)
        return 2
    # Secrets in memory for this run only; the user's keyring is never touched.
    keyring.set_keyring(EncryptedMemoryKeyring())
    credentials = default_store()
    with tempfile.TemporaryDirectory(prefix="gpmc-shots-") as tmp:
        work = Path(tmp)
        env = DemoEnvironment(customers=args.customers, workdir=work / "demo").start()
        state = store.open_store(work / "state.sqlite")
        try:
            print(f"writing screenshots to {args.out}", flush=True)
            profile = wizard_shots(app, env, credentials, args.out)
            shell_shots(app, profile, credentials, work, args.out)
        finally:
            state.close()
            env.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
