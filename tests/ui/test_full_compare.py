"""SOAP profiles: the main window says when the full comparison last ran, and "Full comparison now" runs a sync
with ``full=True`` through the sync manager."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from gpmc_desktop import store
from gpmc_desktop.profile import GPSettings, MailchimpSettings, Profile
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.status import ProfileStatus

NAME = "Legacy GP"


def save_soap_profile(api: str = "soap") -> int:
    return save_profile_settings(Profile(
        NAME, GPSettings(url="http://gp01:48620", company="Fabrikam, Inc.", username="CORP\\svc-gp", api=api),
        MailchimpSettings(list_id="abc123", store_id="gp-legacy")))


def test_words_for_the_full_comparison(qtbot) -> None:
    status = ProfileStatus("p", 1)
    assert status.full_compare_text() == ""  # not a SOAP profile
    status.set_full_compare(7.0, None)
    assert "not yet" in status.full_compare_text()
    now = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
    status.set_full_compare(7.0, now - timedelta(days=2, hours=1))
    text = status.full_compare_text(now)
    assert text.startswith("Full comparison: ") and "catches e-mail-only edits; next in 5 days" in text
    assert "due at the next sync" in ProfileStatus.full_compare_text(status, now + timedelta(days=6))


def test_the_window_shows_the_stored_time_and_runs_a_full_comparison(qtbot, make_controller) -> None:
    profile_id = save_soap_profile()
    last = datetime.now(UTC) - timedelta(days=3)
    store.set_state(profile_id, store.LAST_FULL_COMPARE_AT, store.to_iso(last))
    calls: list[bool] = []

    def runner(name: str, progress: object, cancel: threading.Event, full: bool, **_: object) -> RunReport:
        calls.append(full)
        return RunReport(outcome="ok")

    controller = make_controller(runner=runner)
    window = controller.window
    window.show()
    text = window.full_compare_label.text()
    assert window.full_compare_label.isVisibleTo(window)
    assert f"Full comparison: {last.astimezone():%a %d %b %H:%M}" in text and "next in 4 days" in text

    assert window.full_sync_action.isEnabled()
    with qtbot.waitSignal(controller.run_finished, timeout=30_000):
        window.full_sync_action.trigger()
    assert calls == [True]
    with qtbot.waitSignal(controller.run_finished, timeout=30_000):
        window.sync_action.trigger()
    assert calls == [True, False]


def test_no_full_comparison_line_for_sba_profiles(qtbot, make_controller) -> None:
    save_soap_profile(api="sba")
    window = make_controller().window
    assert window.full_compare_label.text() == "" and not window.full_compare_label.isVisibleTo(window)
