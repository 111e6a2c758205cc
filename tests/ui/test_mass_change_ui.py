"""A sync the mass-change guard stops, in the app: the run sends nothing and shows as waiting for a decision (not
as failed), a dialog lists what it would have done, and "Send these changes" runs it again with the confirmation
(offscreen Qt, real syncs against the simulators)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.ui.controller import DesktopController
from gpmc_desktop.ui.mass_change_dialog import MassChangeDialog
from gpmc_desktop.ui.status import Health, State, describe_run_row
from tests.ui.conftest import SYNC_TIMEOUT_MS, wait_for_run


def blank_every_email(demo: DemoEnvironment) -> None:
    mutator = GPMutator(demo.dataset, seed=3)
    for number in sorted(demo.dataset.companies[DEMO_COMPANY].customers):
        mutator.change_email(number.strip(), "", company=DEMO_COMPANY)


def stopped_run(qtbot, controller: DesktopController, demo: DemoEnvironment, profile: str) -> MassChangeDialog:
    """A first load, GP losing every e-mail, and the run that stops at it; returns the question it asks."""
    demo.mailchimp.config.fake_email_domains = set()  # this Mailchimp refuses no address: nothing can fail
    first = wait_for_run(qtbot, controller)
    assert first.report is not None and first.report.outcome == "ok", first
    blank_every_email(demo)
    demo.mailchimp.reset_counters()

    result = wait_for_run(qtbot, controller)

    assert result.report is not None and result.report.waits_for_decision, result
    assert demo.mailchimp.writes == 0
    dialog = controller.mass_change_questions[profile]
    assert dialog.isVisible()
    return dialog


def test_a_stopped_run_waits_for_a_decision_and_send_runs_it_through(qtbot, controller, demo, demo_profile) -> None:
    dialog = stopped_run(qtbot, controller, demo, demo_profile)

    status = controller.board[demo_profile]
    assert status.state is State.WARNING  # not ERROR: nothing is broken, a person must decide
    assert status.last_result_text.startswith("Stopped, waiting for your decision: This run would change ")
    assert controller.toasts[-1].title == f"{demo_profile}: a sync waits for your decision"
    # The window's run history reads the stored run the same way (the state shown at the next start-up).
    run = store.list_runs(status.profile_id, limit=1)[0]
    assert describe_run_row(run).waiting_for_decision and describe_run_row(run).health is Health.WARNING
    # GP customer counts by reason, biggest first.
    text = dialog.details.text()
    assert "customers</b> Mailchimp already holds (" in text and "%; the limit is 20%)" in text
    assert text.index("would be skipped for &quot;no e-mail in GP&quot;") < text.index("invoices</b>")
    assert dialog.keep_button.isDefault()

    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as finished:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)

    report = finished.args[0].report
    assert report is not None and report.outcome == "ok", finished.args[0]
    assert report.mass_change is not None and report.mass_change.confirmed
    assert report.customers["skipped"] > 0
    assert status.state is State.IDLE and demo_profile not in controller.mass_change_questions


def test_dont_send_leaves_everything_as_it_is(qtbot, controller, demo, demo_profile) -> None:
    dialog = stopped_run(qtbot, controller, demo, demo_profile)

    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)

    assert controller.manager.running() == []
    assert demo.mailchimp.writes == 0
    assert demo_profile not in controller.mass_change_questions
    assert controller.board[demo_profile].state is State.WARNING  # still waiting: the next sync asks again
