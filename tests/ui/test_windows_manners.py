"""Windows manners of the main window: the Help menu (documentation, About with versions, diagnostics), the
shortcuts (F5, Ctrl+F, Ctrl+E, Ctrl+Q), the size and place remembered across starts (and kept on a screen that
exists), a one-time "still running in the tray" notice, and Quit that asks while a sync runs."""

from __future__ import annotations

import csv
import platform
from datetime import date
from pathlib import Path

import PySide6
from PySide6.QtCore import QRect, QSettings, QStandardPaths, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMessageBox

from gpmc_desktop import __version__
from gpmc_desktop.ui import audit_view as audit_view_module
from gpmc_desktop.ui.main_window import MainWindow
from gpmc_desktop.ui.window_memory import GEOMETRY_KEY, SETTINGS_FILE
from tests.ui.conftest import SYNC_TIMEOUT_MS, wait_for_run


def menu(window: MainWindow, title: str) -> list[str]:
    found = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)
    return [a.text().replace("&", "") for a in found.actions() if a.text()]


# -- Help ----------------------------------------------------------------------------------------------------
def test_help_menu_offers_documentation_about_and_diagnostics(qtbot, controller, monkeypatch, tmp_path):
    window = controller.window
    assert menu(window, "Help") == ["Documentation", "Save diagnostics for IT…", "About gpmc-desktop"]
    opened: list[str] = []
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window.docs_action.trigger()
    assert len(opened) == 1 and Path(opened[0]).name == "README.md" and Path(opened[0]).is_file()
    assert "gpmc-desktop" in Path(opened[0]).read_text(encoding="utf-8")

    window.about_action.trigger()
    about = window.about_dialog
    assert about is not None and about.isVisible()
    text = about.text()
    for fact in (__version__, platform.python_version(), qVersion(), PySide6.__version__,
                 str((tmp_path / "data").resolve())):
        assert fact in text, fact
    about.close()


# -- shortcuts -----------------------------------------------------------------------------------------------
def test_the_shortcuts_are_the_windows_ones(qtbot, controller):
    w = controller.window
    assert w.sync_action.shortcut() == QKeySequence("F5")
    assert w.find_action.shortcut() == QKeySequence("Ctrl+F")
    assert w.export_action.shortcut() == QKeySequence("Ctrl+E")
    assert w.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert w.docs_action.shortcut() == QKeySequence("F1")


def test_f5_syncs_the_profile_shown(qtbot, controller, demo_profile):
    w = controller.window
    qtbot.waitExposed(w)
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        qtbot.keyClick(w, Qt.Key.Key_F5)
    assert run.args[0].profile == demo_profile


def test_ctrl_f_goes_to_the_audit_search_and_ctrl_e_exports_it_to_documents(qtbot, controller, monkeypatch):
    wait_for_run(qtbot, controller)
    w = controller.window
    qtbot.waitExposed(w)
    w.activateWindow()
    w.tabs.setCurrentIndex(0)  # the runs: no search of their own, Ctrl+F goes to the audit log's
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentWidget() is w.audit_view
    assert QGuiApplication.focusObject() is w.audit_view.search

    asked: list[str] = []
    out = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.TempLocation)) / "gpmc-export.csv"

    def answer(_parent, _title, suggested, _filter):
        asked.append(suggested)
        return str(out), ""

    monkeypatch.setattr(audit_view_module.QFileDialog, "getSaveFileName", answer)
    with qtbot.waitSignal(w.audit_view.export_finished, timeout=60_000) as done:
        qtbot.keyClick(w, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert Path(asked[0]) == Path(documents) / f"gpmc-audit-{date.today().isoformat()}.csv"
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    out.unlink()
    assert done.args[0] == len(table) - 1 > 0
    header = table[0]
    for readable in ("Time", "GP key", "E-mail", "Action"):
        assert readable in header
    first_time = table[1][header.index("Time")]
    assert len(first_time) == 19 and first_time[10] == " " and "+" not in first_time  # Excel reads it as a date


def test_ctrl_e_on_a_page_without_an_export_says_where_it_works(qtbot, controller):
    w = controller.window
    w.tabs.setCurrentIndex(0)
    if hasattr(w.tabs.currentWidget(), "export_csv"):
        return  # a page that exports itself: nothing to explain
    w.export_action.trigger()
    assert w.notice.isVisible() and "audit log" in w.notice.text()


# -- geometry ------------------------------------------------------------------------------------------------
def test_size_and_place_are_remembered_across_starts(qtbot, controller, tmp_path):
    w = controller.window
    w.setGeometry(QRect(30, 40, 760, 560))
    w.close()  # into the tray
    again = MainWindow(controller.board)
    qtbot.addWidget(again)
    assert again.geometry() == QRect(30, 40, 760, 560)
    assert (tmp_path / "data" / SETTINGS_FILE).is_file()  # beside the state database, not in the user's profile


def test_a_place_on_a_screen_that_is_gone_comes_back_on_the_screen(qtbot, controller, tmp_path):
    settings = QSettings(str(tmp_path / "data" / SETTINGS_FILE), QSettings.Format.IniFormat)
    settings.setValue(GEOMETRY_KEY, [5200, 3100, 2560, 1600])  # an undocked second monitor, bigger than this one
    settings.sync()
    window = MainWindow(controller.board)
    qtbot.addWidget(window)
    available = QGuiApplication.primaryScreen().availableGeometry()
    assert available.contains(window.geometry())
    assert window.width() == available.width() and window.height() == available.height()


# -- closing into the tray -----------------------------------------------------------------------------------
def test_the_first_close_says_the_app_still_runs_and_only_once(qtbot, controller, make_controller):
    tray = controller.tray
    controller.window.close()
    assert not controller.window.isVisible()
    assert [t for t, _ in tray.messages] == ["gpmc-desktop is still running"]
    assert "tray" in tray.messages[0][1]
    controller.show_window()
    controller.window.close()
    assert len(tray.messages) == 1  # not every time
    controller.shutdown()
    later = make_controller()  # the next start remembers it was said
    later.start(show_window=True)
    later.window.close()
    assert later.tray.messages == []


# -- quit ----------------------------------------------------------------------------------------------------
def test_quit_when_idle_does_not_ask(qtbot, controller, monkeypatch):
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *_: quits.append(True))
    controller.window.quit_action.trigger()
    assert quits == [True] and controller.quit_question is None


def test_quit_during_a_sync_asks_and_keep_syncing_keeps_it(qtbot, controller, demo, demo_profile, monkeypatch):
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *_: quits.append(True))
    demo.mailchimp.faults.set_latency(0.05)
    status = controller.board[demo_profile]
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        assert controller.sync_now(demo_profile)
        qtbot.waitUntil(lambda: status.total > 0 and status.phase in ("customers", "orders"), timeout=60_000)
        controller.window.quit_action.trigger()  # Ctrl+Q
        box = controller.quit_question
        assert box is not None and box.isVisible()
        assert "A sync is running (" in box.text() and " of " in box.text() and "sent). Stop it and quit?" in box.text()
        box.button(QMessageBox.StandardButton.No).click()
        assert quits == [] and controller.manager.is_running(demo_profile)
        assert controller.quit_question is None

        controller.tray.quit_action.trigger()  # the tray's Quit asks too
        controller.quit_question.button(QMessageBox.StandardButton.Yes).click()
    assert quits == [True]
    assert run.args[0].report is not None and run.args[0].report.outcome == "cancelled"
    assert not controller.manager.running()
