"""Failed runs and failed records: toasts only when something changes, the credential prompt after a
refused key, and the failure ledger's Retry / Dismiss."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from gpmc_desktop import store
from gpmc_desktop.credentials import MAILCHIMP_API_KEY
from gpmc_desktop.ui.password_dialog import PasswordDialog
from gpmc_desktop.ui.status import Health, State
from tests.ui.conftest import SYNC_TIMEOUT_MS, wait_for_run


def test_toasts_on_the_first_failure_after_success_and_on_recovery_only(qtbot, controller, demo, demo_profile):
    status = controller.board[demo_profile]
    # The demo company has two customers with fake e-mail addresses: the first run leaves two failures.
    first = wait_for_run(qtbot, controller)
    assert first.report.outcome == "partial"
    assert [t.level for t in controller.toasts] == [Health.WARNING]
    assert status.state is State.WARNING

    demo.mailchimp.api_keys.clear()  # the key is revoked in Mailchimp
    failed = wait_for_run(qtbot, controller)
    assert failed.report.outcome == "failed"
    assert status.state is State.ERROR
    toast = controller.toasts[-1]
    assert toast.level is Health.ERROR and toast.credential_kind == MAILCHIMP_API_KEY
    assert "API key" in toast.title
    assert controller.tray.last_toast == toast
    assert controller.window.credential_button.isVisible()

    wait_for_run(qtbot, controller)  # fails the same way: the scheduler's retry must not nag
    assert len(controller.toasts) == 2

    demo.mailchimp.api_keys.add(demo.api_key)
    recovered = wait_for_run(qtbot, controller)
    # The two fake addresses failed before with the same content: known failures, not news.  The run is OK
    # and says how many wait for a change in GP; the toast does not say "works again" over them.
    assert recovered.report.outcome == "ok" and recovered.report.exit_code == 0
    assert status.state is State.IDLE
    assert "2 known failures waiting for a change in GP" in status.last_result_text
    assert "2 known failures" in controller.window.result_label.text()
    assert len(controller.toasts) == 3
    toast = controller.toasts[-1]
    assert toast.level is Health.WARNING and "works again" not in toast.title
    assert toast.title == f"{demo_profile}: syncing again, 2 record(s) still failed"
    wait_for_run(qtbot, controller)
    assert len(controller.toasts) == 3 and status.state is State.IDLE


def test_a_refused_key_offers_to_enter_it_again_and_saves_it(qtbot, controller, demo, demo_profile, credentials):
    new_key = "fedcba9876543210fedcba9876543210-us6"
    demo.mailchimp.api_keys.clear()  # rotated in Mailchimp; the app still has the old one
    demo.mailchimp.api_keys.add(new_key)
    wait_for_run(qtbot, controller)
    toast = controller.toasts[-1]
    assert toast.credential_kind == MAILCHIMP_API_KEY

    controller.tray.toast_clicked.emit(toast)  # the user clicks the balloon
    dialog = next(d for d in controller._dialogs if isinstance(d, PasswordDialog))
    assert dialog.kind == MAILCHIMP_API_KEY and dialog.profile == demo_profile
    assert "refused" in dialog.findChildren(type(dialog.where))[0].text()
    dialog.field.setText(new_key)
    results: list[int] = []
    dialog.finished.connect(results.append)
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        dialog.buttons.accepted.emit()  # Save: stored, then a sync proves it
    assert results == [QDialog.DialogCode.Accepted.value]
    assert credentials.get(demo_profile, MAILCHIMP_API_KEY) == new_key
    assert run.args[0].report.outcome == "partial"
    assert controller.toasts[-1].level is Health.OK


def test_a_missing_credential_is_an_error_with_the_prompt(qtbot, controller, demo_profile, credentials):
    credentials.delete(demo_profile, MAILCHIMP_API_KEY)
    result = wait_for_run(qtbot, controller)
    assert result.report is None and result.credential_kind == MAILCHIMP_API_KEY
    assert controller.board[demo_profile].state is State.ERROR
    assert controller.window.credential_button.isVisible()
    assert "Mailchimp API key" in controller.window.credential_button.text()


def _select(view, gp_key: str) -> None:
    model = view.model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).gp_key == gp_key)
    view.table.selectionModel().select(
        model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_ledger_shows_failed_records_and_retry_replays_them(qtbot, controller, demo, demo_profile):
    wait_for_run(qtbot, controller)
    profile_id = controller.board[demo_profile].profile_id
    created = [e for e in store.iter_audit(store.AuditFilter(profile_id=profile_id, entity="customer",
                                                             action="created")) if e.email]
    # A contact of one GP customer alone (a first load by batches audits in Mailchimp's order, not GP's).
    shared = Counter(e.email for e in created)
    event = next(e for e in created if shared[e.email] == 1)
    # Someone used "delete permanently" on this contact in Mailchimp: re-adding it is refused.
    demo.mailchimp.set_member_status(demo.profile_list_id, event.email, "forgotten")
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        controller.manager.start(demo_profile, full=True)

    ledger = controller.window.ledger_view
    keys = {e.gp_key: e for e in ledger.model.rows()}
    assert event.gp_key in keys, "the forgotten contact's customer is not in the ledger"
    assert keys[event.gp_key].last_error_title == "Forgotten Email Not Subscribed"
    assert len(keys) == 3  # and the two fake addresses of the demo company
    assert "3 record(s) failed" in ledger.summary.text()

    # The contact re-subscribed through a Mailchimp form; Retry selected replays it and syncs.
    demo.mailchimp.set_member_status(demo.profile_list_id, event.email, "transactional")
    _select(ledger, event.gp_key)
    assert ledger.retry_selected_button.isEnabled()
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        assert ledger.retry_selected() == 1
    assert event.gp_key not in {e.gp_key for e in ledger.model.rows()}
    assert len(ledger.model.rows()) == 2

    # Retry all: the two fake addresses only a correction in GP fixes are skipped, and it says so.
    assert not ledger.retry_all_button.isEnabled()
    assert ledger.retry_all() == 0
    assert "Skipped 2" in ledger.message.label.text()
    _select(ledger, ledger.model.row_at(0).gp_key)
    assert not ledger.retry_selected_button.isEnabled()
    assert "Correct the e-mail address of customer" in ledger.model.index(0, 7).data()

    # Dismiss (after the question): gone from the list until the GP record changes.
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().button(QMessageBox.StandardButton.Yes).click())
    assert ledger.dismiss_selected() == 1
    assert len(ledger.model.rows()) == 1


def test_retry_during_a_run_says_a_run_is_going(qtbot, controller, demo, demo_profile):
    wait_for_run(qtbot, controller)
    # A record Mailchimp was too busy for: Retry all retries it (the fake addresses it skips).
    profile_id = controller.board[demo_profile].profile_id
    synced = next(e for e in store.iter_audit(store.AuditFilter(profile_id=profile_id, entity="customer",
                                                                action="created")))
    store.record_failure(profile_id, "customer", synced.gp_key, category="transient", content_hash="busy",
                         error_title="Service Unavailable", http_status=503)
    controller.window.ledger_view.reload()
    demo.mailchimp.faults.set_latency(0.02)
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS):
        controller.sync_now(demo_profile)
        with qtbot.waitSignal(controller.notice_shown):
            controller.window.ledger_view.retry_all()
