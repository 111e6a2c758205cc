"""Honest labels: each run recorded as what started it, the runs table's plain words, and the cancelled,
never-run and not-set-up states with their own icon and words in the window and the tray."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from gpmc_desktop import store
from gpmc_desktop.store.runs import RUN_NOTES
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.result_words import not_reached_phrase, sent_phrase
from gpmc_desktop.ui.icons import state_icon
from gpmc_desktop.ui.runs_model import RunsTableModel
from gpmc_desktop.ui.status import State
from tests.ui.conftest import SYNC_TIMEOUT_MS


def test_each_action_passes_what_started_the_run(qtbot, make_controller, demo_profile) -> None:
    """The trigger each part of the app passes (the engine records it, tests/sync/test_run_kinds.py)."""
    store.save_profile(demo_profile, schedule={"kind": "every_hours", "hours": 4})
    row = store.get_profile(demo_profile)
    # Retryable: "Retry all" leaves alone what only a change in GP can mend.
    store.record_failure(row.id, "customer", "AARONFIT0001", category="transient", content_hash="h")
    calls: list[tuple[bool, str]] = []

    def runner(name: str, progress: object, cancel: threading.Event, full: bool, *, trigger: str,
               **_: object) -> RunReport:
        calls.append((full, trigger))
        return RunReport(outcome="ok")

    controller = make_controller(runner=runner)
    window = controller.window

    def finished(action) -> None:
        with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
            action()

    finished(controller.schedule.start)  # never synced: the schedule finds it due at once
    finished(window.sync_action.trigger)
    finished(controller.tray.sync_action.trigger)
    finished(window.full_sync_action.trigger)
    finished(window.ledger_view.retry_all)
    assert calls == [(False, "scheduled"), (False, "sync-now"), (False, "sync-now"), (True, "full"),
                     (False, "retry")]


def test_the_runs_table_shows_plain_words_for_every_kind_old_and_new(qtbot, state, demo_profile) -> None:
    profile_id = store.get_profile(demo_profile).id
    stored = ["incremental", "full", "first-load", "scheduled", "sync-now", "retry", "dry-run"]
    for kind in stored:
        store.finish_run(store.start_run(profile_id, kind), "ok")
    model = RunsTableModel()
    model.set_profile(profile_id)
    column = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == "Kind")
    shown = [model.data(model.index(r, column)) for r in range(model.rowCount())]
    assert shown == ["Preview", "Retry", "Sync now", "Scheduled", "First load", "Full comparison", "Sync"]


def test_no_profile_says_not_set_up_yet_and_a_new_one_not_synced_yet(qtbot, make_controller) -> None:
    controller = make_controller()
    window, tray = controller.window, controller.tray
    assert controller.board.state is State.NOT_SET_UP
    assert "Not set up yet" in window.state_label.text()
    assert "not set up yet" in tray.icon.toolTip()
    assert tray.icon.icon().cacheKey() == state_icon(State.NOT_SET_UP).cacheKey()  # not the green check

    row = store.save_profile("Fabrikam")
    store.finish_run(store.start_run(row.id, store.RunKind.DRY_RUN), "ok")  # the wizard's preview sent nothing
    controller.reload_profiles()
    window.select_profile("Fabrikam")
    assert controller.board.state is State.NEVER_RUN
    assert "Not synced yet" in window.state_label.text() and window.result_label.text() == "Not synced yet"
    assert tray.icon.icon().cacheKey() == state_icon(State.NEVER_RUN).cacheKey()
    assert row.id == controller.board["Fabrikam"].profile_id


def test_a_cancelled_run_stays_cancelled_after_a_restart(qtbot, make_controller, demo, demo_profile) -> None:
    controller = make_controller()
    demo.mailchimp.faults.set_latency(0.05)  # slow enough to cancel half-way
    status = controller.board[demo_profile]

    def sent_some() -> None:
        assert status.phase in ("customers", "orders") and status.done >= 5

    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as done:
        assert controller.sync_now(demo_profile)
        qtbot.waitUntil(sent_some, timeout=SYNC_TIMEOUT_MS)
        controller.manager.cancel(demo_profile)
    report = done.args[0].report
    assert report.outcome == "cancelled" and report.to_send > 0
    assert status.state is State.CANCELLED and status.last_result_text.startswith("Cancelled at ")
    # The reconciliation's figures: what was sent, and the contacts and invoices the run did not reach.
    rec = report.reconciliation
    assert rec is not None and sum(rec.members.values()) < rec.addresses
    assert f"— {sent_phrase(rec)} sent; {not_reached_phrase(rec)} not reached go next run" in status.last_result_text
    text = status.last_result_text
    controller.shutdown(timeout_s=60)

    again = make_controller()  # the app starts again: the state comes from the store
    restarted = again.board[demo_profile]
    assert restarted.state is State.CANCELLED and again.board.state is State.CANCELLED
    assert restarted.last_result_text == text
    assert "Cancelled" in again.window.state_label.text() and "Up to date" not in again.window.state_label.text()
    # The tooltip (127 characters on Windows) keeps what was sent; the window says what was not reached.
    brief = f"{text.split(' — ')[0]} — {sent_phrase(rec, money=False)} sent"
    assert brief in again.tray.icon.toolTip()
    run = store.list_runs(restarted.profile_id, limit=1)[0]
    assert run.counts[RUN_NOTES]["to_send"] == report.to_send
