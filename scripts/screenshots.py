#!/usr/bin/env python3
"""Render the documentation screenshots offscreen into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out DIR] [--customers N]

Starts the built-in demo (GP and Mailchimp simulators), walks the setup wizard against it with every check
passing and grabs each page, saves the profile (a throwaway state database and an in-memory keyring in a
temporary folder: nothing touches the user's data or keyring), then runs one sync in the app's main window and
grabs its summary page, its runs page, its failures page and the tray menu.  Two variants run the same walk in a
child process: the wizard at 125% display scaling (QT_SCALE_FACTOR=1.25, drawn on a 1366×768 screen with the
taskbar, to show it fits) and the main window under a dark palette (Windows' dark mode).
Needs a font (Debian: fonts-dejavu-core) or Qt draws boxes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display needed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without an editable install

import keyring  # noqa: E402
from PySide6.QtCore import QEventLoop, QPoint, QRect, Qt, QThread, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from gpmc_desktop import store  # noqa: E402
from gpmc_desktop.credentials import CredentialStore, default_store  # noqa: E402
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring  # noqa: E402
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment  # noqa: E402
from gpmc_desktop.demo.gp_mutate import GPMutator  # noqa: E402
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog  # noqa: E402
from gpmc_desktop.ui.wizard import PageId, SetupWizard  # noqa: E402
from gpmc_desktop.ui.wizard.base import CheckedPage  # noqa: E402

TIMEOUT_S = 120.0
SCALE = 1.25  # the display scaling of a 1366×768 laptop that Windows recommends
SCREEN = (1366, 768)
TASKBAR_PX = 48  # Windows 11's taskbar, in screen pixels
TITLE_BAR_PX = 38  # a window's title bar at 125%; the offscreen platform draws none
# The fake-looking addresses the demo gives two customers, as typos in GP would: Mailchimp refuses them, so the
# failures page has something to fix (the generated company happens to have none at this size).
FAKE_EMAILS = ("accounts@example.com", "billing@test.com")


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
    if path.parent.name != "shots":  # a variant's intermediate pictures are not news
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
    next_page(app, wizard, PageId.FIELDS)

    save(wizard, out, "wizard-5b-gp-fields", app)  # "5b": the names of the pictures after it stay
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


def give_fake_emails(env: DemoEnvironment) -> list[str]:
    """Two customers of the demo company get an address Mailchimp refuses; returns their GP keys."""
    company = env.dataset.find_company(DEMO_COMPANY)
    if company is None:
        raise RuntimeError(f"the demo has no company {DEMO_COMPANY!r}")
    mutator = GPMutator(env.dataset)
    keys = sorted(company.customers)[:len(FAKE_EMAILS)]
    return [mutator.change_email(key, email, company=DEMO_COMPANY).key for key, email in zip(keys, FAKE_EMAILS,
                                                                                               strict=True)]


def shell_shots(app: QApplication, profile: str, credentials: CredentialStore, work: Path, out: Path) -> None:
    """The main window after a sync, its failures page, and the tray menu (the app shell's widgets)."""
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
        ledger = window.ledger_view
        size = window.size()
        window.resize(max(size.width(), 1340), size.height())  # maximised on a 1366-pixel screen: "What to fix" fits
        window.tabs.setCurrentWidget(ledger)
        ledger.reload()
        if ledger.model.rowCount() < len(FAKE_EMAILS):
            raise RuntimeError(f"the failures page shows {ledger.model.rowCount()} failure(s), "
                               f"expected {len(FAKE_EMAILS)}")
        ledger.table.selectRow(0)  # the row's detail under the list says what to fix
        save(window, out, "failures", app)
        window.resize(size)
        window.tabs.setCurrentWidget(window.summary_view)
        if controller.tray is None:
            raise RuntimeError("no tray menu to render")
        menu = controller.tray.menu
        menu.aboutToShow.emit()  # what opening it does: the failures line reads the store
        menu.ensurePolished()
        menu.adjustSize()
        save(menu, out, "tray-menu", app)
    finally:
        controller.shutdown(timeout_s=60)


def dark_palette() -> QPalette:
    """Windows 11's dark mode: the palette Qt gives a dark-themed Windows desktop."""
    p = QPalette(QColor("#2d2d2d"), QColor("#202020"))  # button, window: the other shades follow
    for role, colour in (("WindowText", "#ffffff"), ("Text", "#ffffff"), ("ButtonText", "#ffffff"),
                         ("Base", "#2b2b2b"), ("AlternateBase", "#323232"), ("Highlight", "#0078d4"),
                         ("HighlightedText", "#ffffff"), ("ToolTipBase", "#2b2b2b"), ("ToolTipText", "#ffffff"),
                         ("PlaceholderText", "#9d9d9d"), ("Link", "#4cc2ff"), ("BrightText", "#ffffff")):
        p.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#8a8a8a"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#8a8a8a"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#8a8a8a"))
    return p


def on_screen(shot: Path, title: str, out: Path) -> Path:
    """*shot* (grabbed at 125%, in screen pixels) on a 1366×768 screen: a title bar above it and the taskbar
    below, so the picture shows whether the window fits."""
    wizard = QImage(str(shot))
    width, height = SCREEN
    free = height - TASKBAR_PX
    if wizard.width() > width or wizard.height() + TITLE_BAR_PX > free:
        raise RuntimeError(f"the wizard ({wizard.width()}×{wizard.height()} pixels at {SCALE:.0%}) does not fit "
                           f"a {width}×{height} screen")
    screen = QImage(width, height, QImage.Format.Format_RGB32)
    screen.fill(QColor("#3a6ea5"))  # the desktop
    left, top = (width - wizard.width()) // 2, (free - wizard.height() - TITLE_BAR_PX) // 2
    p = QPainter(screen)
    try:
        font = p.font()
        font.setPixelSize(15)
        p.setFont(font)
        p.fillRect(QRect(left, top, wizard.width(), TITLE_BAR_PX), QColor("#ffffff"))
        p.setPen(QColor("#000000"))
        p.drawText(QRect(left + 12, top, wizard.width() - 24, TITLE_BAR_PX),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        p.drawImage(QPoint(left, top + TITLE_BAR_PX), wizard)
        p.fillRect(QRect(0, free, width, TASKBAR_PX), QColor("#e8e8e8"))
        p.setPen(QColor("#333333"))
        p.drawText(QRect(0, free, width - 16, TASKBAR_PX), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   f"{width}×{height} screen at {SCALE:.0%}")
    finally:
        p.end()
    path = out / "wizard-at-125-percent.png"
    if not screen.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return path


def variant(name: str, out: Path, customers: int) -> None:
    """The walk again in a child process (a scale factor and a palette are set before Qt starts)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="gpmc-screen-") as tmp:
        if name == "scaled":
            # The offscreen screen is 800×600 unless told: make it the laptop's, so the wizard sizes itself
            # against 1366×768 at 125% (1092×614 logical pixels) as it would there.
            config = Path(tmp) / "screen.json"
            config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": SCREEN[0],
                                                       "height": SCREEN[1], "logicalDpi": 96, "dpr": 1}]}))
            env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
            env["QT_SCALE_FACTOR"] = str(SCALE)
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--variant", name, "--out", str(out),
                        "--customers", str(customers)], env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--customers", type=int, default=300, help="size of the demo company")
    parser.add_argument("--variant", choices=("scaled", "dark"), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    quiet_qt_messages()
    app = QApplication.instance() or QApplication(["screenshots"])
    assert isinstance(app, QApplication)
    app.setApplicationName("gpmc-desktop")
    if args.variant == "dark":
        app.setStyle("Fusion")  # the style that follows a palette everywhere, as Windows' dark mode does
        app.setPalette(dark_palette())
    if fonts_missing():
        print("no fonts: text would render as boxes. Install one, e.g. sudo apt-get install fonts-dejavu-core",
              file=sys.stderr)
        return 2
    # Secrets in memory for this run only; the user's keyring is never touched.
    keyring.set_keyring(EncryptedMemoryKeyring())
    credentials = default_store()
    with tempfile.TemporaryDirectory(prefix="gpmc-shots-") as tmp:
        work = Path(tmp)
        shots = work / "shots" if args.variant else args.out  # a variant keeps only its one picture
        shots.mkdir(exist_ok=True)
        env = DemoEnvironment(customers=args.customers, workdir=work / "demo").start()
        state = store.open_store(work / "state.sqlite")
        try:
            if not args.variant:
                print(f"writing screenshots to {args.out}", flush=True)
            profile = wizard_shots(app, env, credentials, shots)
            if args.variant == "scaled":
                on_screen(shots / "wizard-7-preview.png", "Set up a sync profile", args.out)
                return 0
            give_fake_emails(env)
            shell_shots(app, profile, credentials, work, shots)
            if args.variant == "dark":
                dark = (shots / "summary.png").replace(args.out / "dark-main-window.png")
                print(f"  {dark.relative_to(ROOT) if dark.is_relative_to(ROOT) else dark}", flush=True)
                return 0
        finally:
            state.close()
            env.stop()
    for name in ("scaled", "dark"):
        variant(name, args.out, args.customers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
