"""The status words and the toast policy, without Qt windows."""

from __future__ import annotations

from datetime import UTC, datetime

from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.gp import data_check
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.report import ExitCode, RunReport
from gpmc_desktop.ui.status import Health, State, StatusBoard, ToastPolicy, describe_crash, describe_report


def report(outcome: str = "ok", failed: int = 0, error: str = "") -> RunReport:
    r = RunReport(outcome=outcome, error=error)
    r.customers.update(created=3, failed=failed)
    r.orders.update(created=5)
    return r


OK = describe_report(report())
PARTIAL = describe_report(report("partial", failed=2))
FAILED = describe_report(report("failed", error="GP: the server did not answer"))
AUTH = describe_report(report("failed", error="Mailchimp refused the API key (401 API Key Invalid): enter a key."))
CANCELLED = describe_report(report("cancelled"))


def test_words_for_each_outcome():
    assert (OK.health, OK.text) == (Health.OK, "OK: 3 customers sent; 5 invoices sent")
    assert PARTIAL.health is Health.WARNING and "2 new failed record(s)" in PARTIAL.text
    assert FAILED.health is Health.ERROR and FAILED.credential_kind is None
    assert AUTH.credential_kind == MAILCHIMP_API_KEY
    gp = describe_report(report("failed", error="GP: GP refused the Windows credentials of CORP\\svc-gp."))
    assert gp.credential_kind == GP_PASSWORD
    assert CANCELLED.cancelled and CANCELLED.text.startswith("Cancelled")
    assert describe_crash("no GP password is saved", GP_PASSWORD).credential_kind == GP_PASSWORD


def test_toasts_only_for_news():
    policy = ToastPolicy()
    assert policy.on_finished("p", OK) is None
    assert policy.on_finished("p", PARTIAL).level is Health.WARNING  # records failed after a clean run
    assert policy.on_finished("p", PARTIAL) is None  # the same failures again
    first = policy.on_finished("p", FAILED)
    assert first.level is Health.ERROR and first.title == "p: sync failed"
    assert policy.on_finished("p", FAILED) is None  # the retry fails too: quiet
    assert policy.on_finished("p", AUTH) is None  # still failing
    assert policy.on_finished("p", CANCELLED) is None  # a cancel says nothing about recovery...
    assert policy.on_finished("p", OK).title == "p: sync works again"  # ...a good run does
    assert policy.on_finished("p", OK) is None


def test_an_auth_failure_offers_the_credential_and_old_news_stays_quiet():
    policy = ToastPolicy()
    toast = policy.on_finished("p", AUTH)
    assert toast.credential_kind == MAILCHIMP_API_KEY and "Click here" in toast.message
    policy.seed("q", Health.ERROR)  # it was already failing before this start
    assert policy.on_finished("q", FAILED) is None


def test_board_state_and_tooltip(qtbot):
    board = StatusBoard()
    assert board.state is State.NOT_SET_UP and "not set up yet" in board.tooltip()  # not a green check
    a, b = board.add("A", 1), board.add("B", 2)
    assert board.state is State.NEVER_RUN and a.last_result_text == "Not synced yet"
    a.set_finished(OK)
    b.set_finished(CANCELLED)
    assert b.state is State.CANCELLED and board.state is State.CANCELLED  # not "Up to date"
    b.set_finished(PARTIAL)
    assert board.state is State.WARNING
    a.set_finished(FAILED)
    assert board.state is State.ERROR
    b.set_syncing()
    b.set_progress("orders", 40, 120)
    assert board.state is State.SYNCING  # what is happening now wins
    tip = board.tooltip()
    assert "A: Failed: GP: the server did not answer" in tip and "B: Invoices: 40 of 120" in tip
    a.set_paused(True)
    assert "Paused" in board.tooltip()


def test_a_gp_data_failure_alerts_as_any_failed_run_without_blaming_a_credential():
    # The words a run ends with when GP's answers lack a field (gp/data_check.py), as the engine records them.
    lacking = data_check.data_error("GP's receivables documents lack CurrentAmount (they hold …).")
    error = f"GP: {lacking}"
    summary = describe_report(report("failed", error=error))
    assert summary.health is Health.ERROR and summary.credential_kind is None
    assert summary.text.startswith("Failed: GP: GP's receivables documents lack CurrentAmount")
    toast = ToastPolicy().on_finished("p", summary)
    assert toast is not None and toast.level is Health.ERROR and toast.title == "p: sync failed"
    assert "Send a GP sample to support" in toast.message


def known(failed: int = 3, new: int = 0) -> RunReport:
    """A run whose failed records failed before with the same content (the engine's notes say so)."""
    r = report("partial" if new else "ok", failed=failed)
    r.failure_news.update({FailureNews.KNOWN: failed - new, FailureNews.NEW: new})
    return r


def test_known_failures_leave_the_status_ok_with_their_count():
    summary = describe_report(known())
    assert summary.health is Health.OK and summary.old_failures == 3
    assert summary.text == "OK: 3 customers sent; 5 invoices sent; 3 known failures waiting for a change in GP"
    assert known().exit_code is ExitCode.OK
    mixed = describe_report(known(failed=4, new=1))
    assert mixed.health is Health.WARNING and known(failed=4, new=1).exit_code is ExitCode.PARTIAL
    assert mixed.text.startswith("Finished with 1 new failed record(s)") and "3 known failures" in mixed.text


def test_the_recovery_toast_does_not_say_it_works_over_failures():
    policy = ToastPolicy()
    policy.on_finished("p", FAILED)
    toast = policy.on_finished("p", describe_report(known()))
    assert toast is not None and "works again" not in toast.title and toast.level is Health.WARNING
    assert toast.title == "p: syncing again, 3 record(s) still failed" and "3 known failures" in toast.message


def test_a_cancelled_run_says_when_and_how_far_it_got():
    r = report("cancelled")
    r.to_send = 318
    r.customers.update(created=100, updated=12)
    finished = datetime(2026, 3, 2, 14, 2, tzinfo=UTC)
    summary = describe_report(r, finished)
    assert summary.text == (f"Cancelled at {finished.astimezone():%H:%M} — 117 of 318 sent; the rest goes next run")
    assert summary.health is Health.OK and summary.cancelled
