"""The shell around the syncs: one instance per user, the window standing in for a missing tray, the
crash hook, autostart entries, icons, the schedule, and --demo."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSystemTrayIcon

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.logsetup import MASK, register_secret, setup_logging
from gpmc_desktop.profile import profile_from_mapping
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog
from gpmc_desktop.ui.autostart import RegistryRunAutostart, XdgAutostart, launch_command
from gpmc_desktop.ui.crash import CrashReporter
from gpmc_desktop.ui.demo_mode import DemoMode
from gpmc_desktop.ui.icons import write_icon_files
from gpmc_desktop.ui.schedule_driver import PAUSED_KEY, last_success
from gpmc_desktop.ui.single_instance import SingleInstance, instance_key
from gpmc_desktop.ui.status import State
from gpmc_desktop.ui.wizard import SetupWizard
from gpmc_desktop.ui.worker import SyncResult
from tests.ui.conftest import SYNC_TIMEOUT_MS

REPO = Path(__file__).resolve().parents[2]


# -- single instance ---------------------------------------------------------------------------------------
def test_a_second_instance_activates_the_first_and_steps_back(qtbot):
    key = instance_key(suffix=uuid.uuid4().hex)
    first = SingleInstance(key)
    assert first.acquire()
    try:
        second = SingleInstance(key)
        with qtbot.waitSignal(first.activated, timeout=10_000):
            assert second.acquire() is False
    finally:
        first.release()
    third = SingleInstance(key)  # the first one has gone: the next start is the instance again
    assert third.acquire()
    third.release()


def test_a_second_gpmc_desktop_process_exits_at_once(qtbot, tmp_path):
    """`gpmc-desktop --data-dir X` while an instance for X runs: the new process asks it to show and quits."""
    data = tmp_path / "data"
    first = SingleInstance(instance_key(suffix=str(data.resolve())))
    assert first.acquire()
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
        with qtbot.waitSignal(first.activated, timeout=30_000):
            proc = subprocess.Popen([sys.executable, "-c", "import sys; from gpmc_desktop.ui.app import main; "
                                     "sys.exit(main(['gpmc-desktop', '--data-dir', sys.argv[1]]))", str(data)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.wait(timeout=30) == 0
    finally:
        first.release()
    assert not (data / "state.sqlite").exists(), "the second instance opened the store"


def test_the_same_user_gets_the_same_key_and_users_differ():
    assert instance_key("alice") == instance_key("alice")
    assert instance_key("alice") != instance_key("bob")
    assert instance_key("alice", "D:/other") != instance_key("alice")


# -- no tray -----------------------------------------------------------------------------------------------
def test_without_a_tray_the_window_stands_in(qtbot, make_controller, demo_profile, monkeypatch):
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: like a desktop without a tray
    controller = make_controller(use_tray=None)
    controller.start()
    assert controller.tray is None
    assert controller.window.isVisible() and controller.window.stands_in_for_tray
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *_: quits.append(True))
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        controller.sync_now(demo_profile)
    # The first run leaves failed records: the "toast" shows in the window instead of a balloon.
    assert controller.toasts and controller.window.notice.isVisible()
    assert controller.toasts[-1].title in controller.window.notice.text()
    controller.window.close()  # closing the stand-in window quits (cleanly)
    assert quits == [True]


def test_with_a_tray_closing_the_window_only_hides_it(qtbot, controller):
    assert controller.tray is not None
    controller.window.close()
    assert not controller.window.isVisible()
    controller.tray.open_action.trigger()
    assert controller.window.isVisible()


# -- status in the tray --------------------------------------------------------------------------------------
def test_tray_icon_tooltip_and_menu_follow_the_board(qtbot, controller, demo_profile):
    tray = controller.tray
    status = controller.board[demo_profile]
    # Like Nextcloud's: what is going on first (disabled lines), then the actions.
    assert [a.text() for a in tray.menu.actions() if a.text() and a.isVisible()] == [
        "Not synced yet", "Syncs only when you press Sync now",
        "Sync now", "Pause syncing", "Open", "Settings…", "Save diagnostics for IT…", "Save a GP sample for support…",
        "Quit"]
    status.set_syncing()
    status.set_progress("customers", 10, 70)
    assert controller.board.state is State.SYNCING
    assert "Contacts: 10 of 70" in tray.icon.toolTip()  # e-mail addresses: the reconciliation's count
    assert controller.window.progress.value() == 10 and controller.window.progress.maximum() == 70
    tray.pause_action.trigger()
    assert status.paused and tray.pause_action.text() == "Resume syncing"
    assert "Paused" in tray.icon.toolTip()
    assert store.get_state(status.profile_id, PAUSED_KEY) is True
    tray.pause_action.trigger()
    assert not status.paused


# -- schedule ------------------------------------------------------------------------------------------------
def test_a_due_profile_syncs_on_its_own_and_pause_holds_it(qtbot, make_controller, demo_profile):
    store.save_profile(demo_profile, schedule={"kind": "every_hours", "hours": 4})
    controller = make_controller()
    status = controller.board[demo_profile]
    assert status.schedule_text and "4 hours" in status.schedule_text
    controller.set_paused(demo_profile, True)
    assert controller.schedule.tick() == []  # never synced, but paused
    assert status.next_run is None

    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        controller.set_paused(demo_profile, False)  # never synced: due at once
        controller.schedule.start()
    assert isinstance(run.args[0], SyncResult) and run.args[0].report.outcome == "partial"
    assert last_success(status.profile_id) is not None
    assert controller.schedule.tick() == []  # synced: next due in four hours
    assert status.next_run is not None
    assert timedelta(hours=3, minutes=59) < status.next_run - datetime.now(UTC) <= timedelta(hours=4)
    assert "Next run" in controller.window.next_run_label.text()


def test_a_scheduled_run_while_one_is_going_does_not_overlap(qtbot, make_controller, demo, demo_profile):
    store.save_profile(demo_profile, schedule={"kind": "every_hours", "hours": 1})
    controller = make_controller()
    demo.mailchimp.faults.set_latency(0.02)
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        controller.sync_now(demo_profile)
        assert controller.schedule.tick() == []  # running: not due again
    assert len(store.list_runs(controller.board[demo_profile].profile_id)) == 1


# -- start-up state ------------------------------------------------------------------------------------------
def test_the_board_starts_from_the_last_finished_run(qtbot, make_controller, demo_profile):
    profile_id = store.get_profile(demo_profile).id
    run_id = store.start_run(profile_id, "incremental")
    store.finish_run(run_id, "failed", error_summary="GP: GP refused the Windows credentials of CORP\\svc-gp.")
    controller = make_controller()
    status = controller.board[demo_profile]
    assert status.state is State.ERROR
    assert status.last.credential_kind == GP_PASSWORD
    assert controller.window.credential_button.text() == "Enter GP password…"


# -- crash hook ----------------------------------------------------------------------------------------------
def test_uncaught_exceptions_are_logged_masked_and_reported(qtbot, tmp_path):
    folder = setup_logging(tmp_path)
    secret = "Sup3r-Secret-Pw!"
    register_secret(secret)
    reporter = CrashReporter(show_dialog=False)
    try:
        raise RuntimeError(f"login with {secret} failed")
    except RuntimeError as err:
        with qtbot.waitSignal(reporter.crashed) as crashed:
            reporter.handle(type(err), err, err.__traceback__)
    summary, details = crashed.args
    assert secret not in summary and MASK in summary and "RuntimeError" in details
    for handler in logging.getLogger("gpmc_desktop").handlers:
        handler.flush()
    text = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    assert "uncaught exception" in text and secret not in text and MASK in text


def test_the_hook_is_installed_and_removed():
    reporter = CrashReporter(show_dialog=False)
    before = sys.excepthook
    reporter.install()
    try:
        assert sys.excepthook == reporter.handle
    finally:
        reporter.uninstall()
    assert sys.excepthook is before


# -- autostart -----------------------------------------------------------------------------------------------
def test_xdg_autostart_writes_and_removes_the_desktop_entry(tmp_path):
    autostart = XdgAutostart(tmp_path / "autostart")
    assert not autostart.is_enabled()
    autostart.enable(["/opt/gpmc desktop/gpmc-desktop", "--show"])
    text = autostart.path.read_text(encoding="utf-8")
    assert "Exec='/opt/gpmc desktop/gpmc-desktop' --show" in text and "Type=Application" in text
    assert autostart.is_enabled()
    autostart.disable()
    assert not autostart.path.exists() and not autostart.is_enabled()


def test_registry_run_entry_is_written_and_removed(tmp_path):
    settings = QSettings(str(tmp_path / "run.ini"), QSettings.Format.IniFormat)
    autostart = RegistryRunAutostart(settings)
    autostart.enable([r"C:\Program Files\gpmc-desktop\gpmc-desktop.exe"])
    assert autostart.is_enabled()
    assert autostart.command() == r'"C:\Program Files\gpmc-desktop\gpmc-desktop.exe"'
    assert QSettings(str(tmp_path / "run.ini"), QSettings.Format.IniFormat).value("gpmc-desktop")
    autostart.disable()
    assert not autostart.is_enabled() and autostart.command() is None


def test_settings_checkbox_toggles_autostart(qtbot, controller, tmp_path):
    dialog = controller.open_settings()
    assert not dialog.autostart_check.isChecked()
    dialog.autostart_check.setChecked(True)
    assert controller.autostart.is_enabled()
    assert " ".join(launch_command()).split()[0] in controller.autostart.path.read_text(encoding="utf-8")
    dialog.autostart_check.setChecked(False)
    assert not controller.autostart.is_enabled()
    dialog.reject()


# -- icons ---------------------------------------------------------------------------------------------------
def test_icon_files_are_written_and_load(qtbot, tmp_path):
    files = write_icon_files(tmp_path)
    names = {f.name for f in files}
    assert names == {"state-idle.png", "state-syncing.png", "state-warning.png", "state-error.png",
                     "state-cancelled.png", "state-never-run.png", "state-not-set-up.png", "app.png", "app.ico"}
    for f in files:
        image = QImage(str(f))
        assert not image.isNull() and image.width() >= 64, f


# -- demo ----------------------------------------------------------------------------------------------------
def test_demo_with_a_profile_points_it_at_the_simulators(qtbot, make_controller, credentials, tmp_path):
    stale = profile_from_mapping({"gp": {"url": "https://127.0.0.1:1", "company": "TWO", "username": "CORP\\u"},
                                  "mailchimp": {"list_id": "l", "store_id": "s"}})  # a stale port
    store.save_profile("Demo (Fabrikam)", settings=stale)
    controller = make_controller()
    demo = DemoMode(controller, tmp_path / "demo", customers=60)
    try:
        with qtbot.waitSignal(demo.ready, timeout=60_000) as ready:
            demo.start()
        name = ready.args[0]
        assert name == "Demo (Fabrikam)"
        assert store.get_profile(name).profile().gp.url == demo.env.gp.base_url
        assert credentials.get(name, GP_PASSWORD) == demo.env.secrets.gp_password
        assert credentials.get(name, MAILCHIMP_API_KEY) == demo.env.api_key
        with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
            controller.sync_now(name)
        assert run.args[0].report.outcome in ("ok", "partial")
    finally:
        controller.shutdown()
        demo.stop()


def test_demo_without_a_profile_opens_the_wizard_pre_filled(qtbot, make_controller, tmp_path):
    controller = make_controller()
    demo = DemoMode(controller, tmp_path / "demo", customers=60)
    try:
        with qtbot.waitSignal(demo.ready, timeout=60_000):
            demo.start()
        assert isinstance(demo.wizard, SetupWizard)
        assert demo.wizard.gp_page.url.text() == demo.env.gp.base_url
        assert store.list_profiles() == []  # nothing saved before Finish
        demo.wizard.reject()
    finally:
        demo.stop()


@pytest.mark.parametrize("argv", [["--version"]])
def test_the_entry_point_parses_its_flags(argv, capsys):
    from gpmc_desktop.ui.app import parse_args

    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "gpmc-desktop" in capsys.readouterr().out
    args = parse_args(["--demo", "--data-dir", "x", "-platform", "offscreen"])
    assert args.demo and args.data_dir == Path("x")


def test_main_starts_opens_the_store_and_quits_cleanly(qtbot, tmp_path, credentials):
    """The real entry point with --demo on a fresh data folder: the wizard opens pre-filled; Quit exits 0
    and closes the state database."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gpmc_desktop.store.models import database_proxy
    from gpmc_desktop.ui.app import main

    seen: list[str] = []  # the wizard's GP address (the window and the wizard are gone after main returns)

    def poll() -> None:
        wizards = [w for w in QApplication.topLevelWidgets() if isinstance(w, SetupWizard) and w.isVisible()]
        if wizards:
            seen.append(wizards[0].gp_page.url.text())
            QApplication.quit()
        else:
            QTimer.singleShot(50, poll)

    hook = sys.excepthook
    QTimer.singleShot(0, poll)
    QTimer.singleShot(60_000, QApplication.quit)  # a safety net, never a pass
    code = main(["gpmc-desktop", "--data-dir", str(tmp_path / "data"), "--demo", "--demo-customers", "60"])
    assert code == 0
    assert seen, "the setup wizard did not open for the demo's first start"
    assert seen[0].startswith("https://127.0.0.1:")
    assert database_proxy.obj is None, "the state database was left open"
    assert (tmp_path / "data" / "state.sqlite").is_file()
    assert (tmp_path / "data" / "logs").is_dir()
    assert sys.excepthook is hook  # the crash hook is removed again


def test_open_log_folder_asks_the_desktop(qtbot, controller, monkeypatch, tmp_path):
    opened: list[str] = []
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    controller.window.log_action.trigger()
    assert opened == [str(tmp_path / "logs")]


def test_advanced_settings_of_a_saved_profile_are_saved_from_the_settings_dialog(qtbot, controller, demo_profile):
    settings = controller.open_settings()
    settings.profile_list.setCurrentItem(settings.profile_list.findItems(demo_profile, Qt.MatchFlag.MatchExactly)[0])
    assert settings.advanced_button.isEnabled()
    with qtbot.waitSignal(settings.advanced_requested) as asked:
        settings.advanced_button.click()
    assert asked.args == [demo_profile]
    dialog = next(d for d in controller._dialogs if isinstance(d, AdvancedSettingsDialog))
    dialog.widget("gp", "soap_path").setText("DynamicsGPService.asmx")  # breaks the rule: refused, nothing saved
    before = store.get_profile(demo_profile).settings
    dialog.accept()
    assert dialog.isVisible() and "Web Services path: write a path on the server" in dialog.problem.text()
    assert store.get_profile(demo_profile).settings == before
    dialog.widget("gp", "soap_path").setText("/GPWebServices/DynamicsGPService.asmx")
    dialog.widget("gp", "timeout_seconds").setValue(900)
    dialog.widget("gp", "soap_list_cap").setValue(250)
    dialog.accept()
    saved = store.get_profile(demo_profile).profile()
    assert (saved.gp.timeout_seconds, saved.gp.soap_list_cap) == (900.0, 250)
    assert saved.gp.soap_path == "/GPWebServices/DynamicsGPService.asmx"
    assert saved.mailchimp.list_id  # the rest of the profile is untouched
    settings.close()
