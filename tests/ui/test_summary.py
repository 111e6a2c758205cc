"""The main window's first page: the last run in one sentence (ok, partial, failed, cancelled, never run), what
Mailchimp holds from GP, the next run, and the chart of the last 30 runs with its text alternative.  The runs are
real rows in a real state database, carrying the reconciliation the engine stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gpmc_desktop import store
from gpmc_desktop.sync.reconciliation import Holdings, Reconciliation
from gpmc_desktop.ui.main_window import MainWindow
from gpmc_desktop.ui.run_chart import MAX_BARS
from gpmc_desktop.ui.status import StatusBoard
from gpmc_desktop.ui.summary_view import SummaryView

SEVEN = datetime.now().astimezone().replace(hour=7, minute=0, second=0, microsecond=0)
LATER = SEVEN + timedelta(hours=1)


def actions(created: int = 0, updated: int = 0, unchanged: int = 0, skipped: int = 0, failed: int = 0) -> dict:
    return {"created": created, "updated": updated, "unchanged": unchanged, "skipped": skipped, "failed": failed}


def reconciliation(customers: dict, orders: dict, money: str, holds: Holdings | None) -> Reconciliation:
    return Reconciliation(
        currency="USD", gp_customers=330, left_out={"no e-mail in GP": 12}, addresses=315, shared={2: 3},
        customers=customers, members=actions(created=customers["created"], updated=customers["updated"],
                                             unchanged=315 - customers["created"] - customers["updated"]),
        ecommerce_customers=actions(unchanged=315), gp_invoices=940, invoices_left_out={},
        orders=orders, order_totals={"created": Decimal(money)}, holds=holds)


def add_run(pid: int, outcome: str, *, at: datetime = SEVEN, customers: dict | None = None,
            orders: dict | None = None, money: str = "0", holds: Holdings | None = None, error: str | None = None,
            kind: str = "incremental") -> None:
    customers = customers or actions(unchanged=318)
    orders = orders or actions(unchanged=940)
    counts = {"customer": customers, "order": orders,
              "reconciliation": reconciliation(customers, orders, money, holds).as_json()}
    run_id = store.start_run(pid, kind, now=at.astimezone(UTC))
    done = (at + timedelta(minutes=2)).astimezone(UTC)
    store.finish_run(run_id, outcome, counts=counts, error_summary=error, now=done)


@pytest.fixture
def profile_id(state: store.Store) -> int:
    return store.save_profile("Fabrikam").id


@pytest.fixture
def view(qtbot, profile_id: int) -> SummaryView:
    board = StatusBoard()
    status = board.add("Fabrikam", profile_id)
    status.set_next_run(SEVEN + timedelta(days=1))
    summary = SummaryView(board, now=lambda: LATER)
    qtbot.addWidget(summary)
    summary.set_profile("Fabrikam", profile_id)
    return summary


HOLDS = Holdings(members=315, ecommerce_customers=315, orders=933, money=Decimal("75694.02"))


def test_never_run_says_so_and_shows_the_next_run(view: SummaryView) -> None:
    assert view.sentence.text() == "No sync has run yet."
    assert view.members.text() == "none yet" and "Nothing has been sent" in view.holds_as_of.text()
    assert view.next_run.text().startswith("Next run ")
    assert view.chart.bars == [] and view.chart.text_alternative() == "No runs yet."
    assert view.failures_button.isHidden()


def test_an_ok_run_in_one_sentence_with_the_money_sent(view: SummaryView, profile_id: int) -> None:
    add_run(profile_id, "ok", customers=actions(created=5, unchanged=313), orders=actions(created=12, unchanged=928),
            money="4320.15", holds=HOLDS)
    view.refresh()
    assert view.sentence.text() == "07:00 — 5 new contacts and 12 invoices ($4,320.15) sent; nothing needs you."
    assert view.failures_button.isHidden()


def test_a_partial_run_says_how_many_need_you_and_leads_to_the_failures(qtbot, view: SummaryView,
                                                                        profile_id: int) -> None:
    add_run(profile_id, "partial", customers=actions(created=1, updated=2, unchanged=312, failed=3),
            orders=actions(created=1, unchanged=939), money="12.50", holds=HOLDS)
    view.refresh()
    assert view.sentence.text() == ("07:00 — 1 new contact, 2 updated contacts and 1 invoice ($12.50) sent; "
                                    "3 need you: see Failures.")
    assert not view.failures_button.isHidden()
    with qtbot.waitSignal(view.failures_requested, timeout=1000):
        view.failures_button.click()


def test_a_failed_run_says_why_and_the_holdings_stay_those_of_the_last_run_that_read_gp(
        view: SummaryView, profile_id: int) -> None:
    add_run(profile_id, "ok", at=SEVEN - timedelta(days=1), holds=HOLDS)
    run_id = store.start_run(profile_id, "incremental", now=SEVEN.astimezone(UTC))
    store.finish_run(run_id, "failed", counts={"customer": actions(), "order": actions()},
                     error_summary="GP: the server did not answer", now=LATER.astimezone(UTC))
    view.refresh()
    assert view.sentence.text() == "07:00 — the sync stopped: GP: the server did not answer"
    assert view.members.text() == "315" and view.orders.text() == "933"
    assert view.holds_as_of.text().startswith("As of the run at Yesterday 07:00")


def test_a_cancelled_run_and_nothing_to_send(view: SummaryView, profile_id: int) -> None:
    add_run(profile_id, "cancelled", customers=actions(created=2, unchanged=100))
    view.refresh()
    assert view.sentence.text() == ("07:00 — stopped before the end (2 new contacts sent); the rest goes with "
                                    "the next run.")
    add_run(profile_id, "ok", at=SEVEN + timedelta(minutes=30))
    view.refresh()
    assert view.sentence.text() == "07:30 — nothing new to send; nothing needs you."


def test_the_holdings_figures_and_why_members_are_fewer_than_customers(view: SummaryView, profile_id: int) -> None:
    add_run(profile_id, "ok", holds=HOLDS)
    view.refresh()
    assert view.members.text() == "315" and view.ecommerce_customers.text() == "315"
    assert view.orders.text() == "933" and view.order_total.text() == "$75,694.02"
    assert view.shared.text() == ("318 customers share 315 e-mail addresses; 3 addresses are used by 2 customers "
                                  "each, who become one contact.")


def test_the_chart_shows_the_last_30_runs_and_says_the_same_in_words(view: SummaryView, profile_id: int) -> None:
    for i in range(35):
        failed = 2 if i == 34 else 0
        add_run(profile_id, "partial" if failed else "ok", at=SEVEN - timedelta(hours=35 - i),
                customers=actions(created=i, unchanged=300, failed=failed))
    add_run(profile_id, "ok", kind="dry-run", customers=actions(created=999))  # a preview is not a run shown
    view.refresh()
    bars = view.chart.bars
    assert len(bars) == MAX_BARS
    assert [b.sent for b in bars] == list(range(5, 35)) and bars[-1].failed == 2
    text = view.chart.text_alternative()
    assert text.startswith("Last 30 runs: 585 records sent, 2 failures.")
    assert "Latest (06:00): 34 sent, 2 failed." in text
    assert view.chart.accessibleDescription() == text == view.chart_text.text()
    assert view.chart.grab().width() > 0  # it paints


def test_the_main_window_opens_on_the_summary(qtbot, profile_id: int) -> None:
    board = StatusBoard()
    board.add("Fabrikam", profile_id)
    window = MainWindow(board)
    qtbot.addWidget(window)
    assert window.tabs.currentIndex() == 0 and window.tabs.widget(0).widget() is window.summary_view
    assert window.tabs.tabText(0) == "Summary"
    window.summary_view.failures_requested.emit()
    assert window.tabs.currentWidget() is window.ledger_view


def test_without_a_profile_the_summary_says_what_to_do(qtbot, state: store.Store) -> None:
    window = MainWindow(StatusBoard())
    qtbot.addWidget(window)
    assert window.summary_view.sentence.text() == ("No sync profile yet: set one up to connect Dynamics GP to "
                                                   "Mailchimp.")
    assert window.summary_view.chart.bars == []


def test_the_runs_table_and_the_status_line_read_the_same_stored_reconciliation(qtbot, profile_id: int) -> None:
    from PySide6.QtCore import Qt

    from gpmc_desktop.ui.runs_model import RunsTableModel
    from gpmc_desktop.ui.status import describe_run_row

    old = store.start_run(profile_id, "incremental", now=(SEVEN - timedelta(days=1)).astimezone(UTC))
    store.finish_run(old, "ok", counts={"customer": actions(created=2, unchanged=5), "order": actions(created=1)},
                     now=(SEVEN - timedelta(days=1)).astimezone(UTC))  # an earlier build's run: no reconciliation
    add_run(profile_id, "ok", customers=actions(created=5, unchanged=313), orders=actions(created=12, unchanged=928),
            money="4320.15", holds=HOLDS)
    runs = RunsTableModel()
    runs.set_profile(profile_id)
    titles = [runs.headerData(c, Qt.Orientation.Horizontal) for c in range(runs.columnCount())]
    row = {t: runs.index(0, c).data() for c, t in enumerate(titles)}
    assert (row["Contacts"], row["Invoices"], row["Money sent"]) == ("5 sent, 310 unchanged", "12 sent, 928 unchanged",
                                                                     "$4,320.15")
    assert describe_run_row(store.list_runs(profile_id)[0]).text == "OK: 5 contacts and 12 invoices ($4,320.15) sent"
    before = {t: runs.index(1, c).data() for c, t in enumerate(titles)}
    assert (before["Contacts"], before["Money sent"]) == ("2 sent, 5 unchanged", "")
    assert describe_run_row(store.list_runs(profile_id)[1]).text == "OK: 2 customers sent; 1 invoice sent"
