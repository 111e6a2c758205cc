"""Sync now against the real simulators: honest progress, the audit view fills, no overlapping runs,
quitting during a run cancels it cleanly."""

from __future__ import annotations

from gpmc_desktop import store
from gpmc_desktop.sync import runner
from gpmc_desktop.sync.result_words import sent_phrase
from gpmc_desktop.ui import worker
from gpmc_desktop.ui.status import State
from tests.ui.conftest import SYNC_TIMEOUT_MS, wait_for_run


def test_sync_now_reports_honest_progress_and_fills_the_audit_view(qtbot, controller, demo_profile, monkeypatch):
    def not_here(*_args: object, **_kw: object) -> None:
        raise AssertionError("the engine ran in the app's own process")

    # The app's runs go to a sync process of their own (sync/engine_process.py): the window never waits for the
    # GIL behind the engine. That child imports its own run_profile; this process's must not be called.
    monkeypatch.setattr(runner, "run_profile", not_here)
    monkeypatch.setattr(worker, "run_profile", not_here)
    events: list[tuple[str, str, int, int]] = []
    states: list[State] = []
    controller.manager.progress.connect(lambda *args: events.append(args))
    status = controller.board[demo_profile]
    status.changed.connect(lambda: states.append(status.state))
    assert controller.window.audit_view.model.rowCount() == 0

    result = wait_for_run(qtbot, controller)

    report = result.report
    assert report is not None and report.outcome in ("ok", "partial"), result
    assert State.SYNCING in states
    phases = [e[1] for e in events]
    assert phases[0] == "gp" and "customers" in phases and "orders" in phases
    for phase in ("customers", "orders"):
        counts = [(done, total) for _, p, done, total in events if p == phase]
        dones = [d for d, _ in counts]
        assert dones == sorted(dones), f"{phase} progress went backwards"
        assert len({t for _, t in counts}) == 1, f"{phase} total changed during the phase"
        assert counts[-1][0] == counts[-1][1] > 0, f"{phase} did not end at its total"
    # Honest counts, the reconciliation's: contacts are e-mail addresses, invoices every GP invoice.
    rec = report.reconciliation
    assert rec is not None
    assert next(t for _, p, _, t in events if p == "customers") == rec.addresses
    order_total = next(t for _, p, _, t in events if p == "orders")
    assert order_total == rec.gp_invoices == sum(report.orders.values())

    model = controller.window.audit_view.model
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading)  # read off the GUI thread
    assert {model.row_at(r).run_id for r in range(model.rowCount())} == {report.run_id}
    assert controller.window.runs_model.rowCount() == 1
    assert status.state in (State.IDLE, State.WARNING)
    assert f"{sent_phrase(rec)} sent" in controller.window.result_label.text()
    assert demo_profile in controller.tray.icon.toolTip()


def test_second_sync_now_during_a_run_is_refused(qtbot, controller, demo, demo_profile):
    demo.mailchimp.faults.set_latency(0.02)  # a run long enough to click twice
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        assert controller.sync_now(demo_profile)
        with qtbot.waitSignal(controller.notice_shown) as notice:
            assert controller.sync_now(demo_profile) is False
        assert "already running" in notice.args[0]
        assert "already running" in controller.window.notice.text()
        assert controller.window.sync_button.text() == "Stop sync"
        # The tray's "Sync now" (all profiles) says so too.
        assert controller.sync_all() == 0
    runs = store.list_runs(controller.board[demo_profile].profile_id)
    assert len(runs) == 1, "two runs of one profile overlapped"


def test_quit_during_a_run_cancels_it_cleanly(qtbot, controller, demo, demo_profile, monkeypatch):
    demo.mailchimp.faults.set_latency(0.05)
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *_: quits.append(True))
    controller.sync_now(demo_profile)
    qtbot.waitUntil(lambda: controller.board[demo_profile].phase == "customers", timeout=SYNC_TIMEOUT_MS)

    controller.quit()  # cancels, waits for the worker thread, then asks the app to quit

    assert quits == [True]
    assert controller.manager.running() == []
    assert not controller.board[demo_profile].syncing
    assert controller.board[demo_profile].last_result_text.startswith("Cancelled")
    run = store.list_runs(controller.board[demo_profile].profile_id)[0]
    assert run.outcome == "cancelled"
    assert controller.sync_now(demo_profile) is False  # no new runs while quitting


def test_stop_sync_cancels_the_run(qtbot, controller, demo, demo_profile):
    demo.mailchimp.faults.set_latency(0.05)
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        controller.sync_now(demo_profile)
        qtbot.waitUntil(lambda: controller.board[demo_profile].phase == "customers", timeout=SYNC_TIMEOUT_MS)
        controller.window.sync_button.click()
    assert run.args[0].report.outcome == "cancelled"
    assert controller.board[demo_profile].last_result_text.startswith("Cancelled")
    assert controller.window.sync_button.text() == "Sync now"


def test_a_profile_gpmc_sync_is_running_is_skipped_with_a_notice_not_a_failure(
    qtbot, controller, state, demo_profile
):
    from tests.lock_holder import Holder

    holder = Holder(state.path, demo_profile)  # stands in for a headless gpmc sync of the same profile
    try:
        status = controller.board[demo_profile]
        with qtbot.waitSignal(controller.notice_shown, timeout=SYNC_TIMEOUT_MS) as notice:
            result = wait_for_run(qtbot, controller)
        assert result.busy and result.report is None
        assert "is being synced by a test holder" in notice.args[0] and f"process {holder.proc.pid}" in notice.args[0]
        assert not status.syncing and status.last is None  # no failure recorded, nothing pretends to have run
        assert controller.toasts == []
        assert store.list_runs(status.profile_id) == []
    finally:
        holder.stop()

    result = wait_for_run(qtbot, controller)  # the holder gone, the next Sync now runs
    assert result.report is not None and result.report.outcome in ("ok", "partial")
