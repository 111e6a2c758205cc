"""The tray menu, laid out like Nextcloud's: a status line, the last result, the next run, "Failures (N)…" that
opens the failures page, and the last three notifications, above the actions. Driven by a real sync of the demo."""

from __future__ import annotations

from datetime import UTC, datetime

from gpmc_desktop import store
from gpmc_desktop.ui.status import Health, Toast
from gpmc_desktop.ui.tray import MENU_TEXT_MAX, _when, menu_text, status_line
from tests.ui.conftest import wait_for_run


def visible(tray) -> list[str]:
    return [a.text() for a in tray.menu.actions() if a.text() and a.isVisible()]


def test_after_a_run_the_menu_tells_what_happened_and_what_needs_the_user(qtbot, controller, demo_profile):
    tray = controller.tray
    run = wait_for_run(qtbot, controller)
    assert run.report.outcome == "partial"  # the demo's dirty data leaves failed records
    status = controller.board[demo_profile]
    tray.menu.aboutToShow.emit()  # what opening the menu does: the failure count is read then
    failures = len(store.list_failures(status.profile_id))
    assert failures > 0
    finished = status.last.finished_at.astimezone()
    lines = visible(tray)
    assert lines[0] == f"Some records failed · last run {finished:%H:%M}"
    assert lines[1] == menu_text(status.last.text) and len(lines[1]) <= MENU_TEXT_MAX
    assert lines[2] == status.next_run_text
    assert lines[3] == f"Failures ({failures})…"
    toast = controller.toasts[-1]
    assert lines[4].startswith(f"{toast.title}: ")  # the notification, repeated in the menu
    assert lines[5:] == ["Sync now", "Pause syncing", "Open", "Settings…", "Save diagnostics for IT…",
                         "Save a GP sample for support…", "Quit"]
    # Information lines are readable (enabled: not greyed out) and open the window, as Nextcloud's status line does.
    assert tray.status_action.isEnabled() and tray.result_action.isEnabled()
    with qtbot.waitSignal(tray.open_requested, timeout=1000):
        tray.status_action.trigger()

    controller.window.hide()
    tray.failures_action.trigger()
    assert controller.window.isVisible()
    assert controller.window.tabs.currentWidget() is controller.window.ledger_view


def test_the_menu_keeps_the_three_newest_notifications_and_they_act_like_the_toast(qtbot, controller,
                                                                                 demo_profile):
    tray = controller.tray
    for i in range(4):
        tray.show_toast(Toast(f"{demo_profile}: note {i}", f"line {i}\nmore", Health.WARNING, demo_profile))
    shown = [a.text() for a in tray.recent_actions if a.isVisible()]
    assert shown == [f"{demo_profile}: note {i}: line {i}" for i in (3, 2, 1)]
    controller.window.hide()
    with qtbot.waitSignal(tray.toast_clicked) as clicked:
        tray.recent_actions[1].trigger()
    assert clicked.args[0].title == f"{demo_profile}: note 2"
    assert controller.window.isVisible()


def test_the_status_line_while_syncing_and_before_any_run(qtbot, make_controller, demo_profile):
    controller = make_controller()
    board = controller.board
    assert status_line(board) == "Not synced yet"
    status = board[demo_profile]
    status.set_syncing()
    status.set_progress("customers", 120, 318)
    assert status_line(board) == "Syncing · Contacts: 120 of 318"
    assert controller.tray.status_action.text() == "Syncing · Contacts: 120 of 318"
    assert not controller.tray.failures_action.isVisible()  # no failures: no line for them


def test_a_run_of_another_day_names_the_day():
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    earlier_today = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    assert _when(earlier_today, now) == f"{earlier_today.astimezone():%H:%M}"
    days_ago = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert _when(days_ago, now) == f"{days_ago.astimezone():%a %H:%M}"
