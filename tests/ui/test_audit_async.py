"""The audit model reads its pages off the GUI thread: over 400,000 events (about what a 100k-customer
backfill writes) a search that reads far and matches few keeps the event loop ticking, its rows equal the
synchronous query's, a newer filter wins over an older answer (and stops the older query), scrolling appends
each page once, and new rows show up while a sync writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer

from gpmc_desktop import store
from gpmc_desktop.store import AuditEventRow, AuditFilter, NewAuditEvent
from gpmc_desktop.ui.audit_model import PAGE_SIZE, AuditTableModel
from gpmc_desktop.ui.audit_pages import Generation, Kind, PageAnswer, PageQuery, run_query
from gpmc_desktop.ui.audit_view import AuditView
from gpmc_desktop.ui.background import release_store_connection
from tests.ui.audit_data import customer_key, fill_audit

ROWS = 400_000
RARE = 30  # failed customer events, hidden among the rows "C0" matches (customers never fail in fill_audit)
MAX_GAP_MS = 250  # the bound is 100 ms; generous so a busy machine cannot make it flaky

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A state database of ROWS events and RARE failed customers spread through it; yields the profile id."""
    s = store.open_store(tmp_path_factory.mktemp("async") / "state.sqlite")
    try:
        profile_id = store.save_profile("Backfill").id
        for part in range(2):
            fill_audit(profile_id, ROWS // 2)
            run_id = store.start_run(profile_id, "incremental")
            store.record_audit(run_id, [NewAuditEvent("customer", customer_key(part * 100 + i), "failed",
                                                      http_status=400, error_title="Invalid Resource")
                                        for i in range(RARE // 2)])
            store.finish_run(run_id, "partial")
        yield profile_id
    finally:
        s.close()


def rare(profile_id: int) -> AuditFilter:
    """Reads every event "C0" matches (two in three) to find the few that failed."""
    return AuditFilter(profile_id=profile_id, action="failed", text="C0")


def ids(rows: list[AuditEventRow]) -> list[int]:
    return [r.id for r in rows]


class TickProbe:
    """A 10 ms timer: the longest gap between its ticks is the longest the event loop was kept from running."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        self._tick()  # the time since the last tick counts too
        return max(self.gaps)


@pytest.fixture
def query_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that ran `store.audit_page`."""
    names: list[str] = []
    real = store.audit_page

    def recorded(*args, **kwargs):
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "audit_page", recorded)
    return names


def test_a_rare_match_search_keeps_the_event_loop_ticking(qtbot, log_file, query_threads):
    began = time.perf_counter()
    expected = store.audit_page(rare(log_file), limit=PAGE_SIZE).rows
    inline_ms = (time.perf_counter() - began) * 1000
    assert len(expected) == RARE
    query_threads.clear()

    model = AuditTableModel()
    probe = TickProbe()
    probe.start()
    began = time.perf_counter()
    model.set_filter(rare(log_file))
    assert model.loading and model.rowCount() == 0 and not model.canFetchMore()
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    shown_ms = (time.perf_counter() - began) * 1000
    worst = probe.stop()

    assert ids(model.rows()) == ids(expected) and model.rows() == expected
    assert query_threads and threading.main_thread().name not in query_threads
    assert len(probe.gaps) >= 3, "the event loop did not run while the query did"
    assert worst < MAX_GAP_MS, f"the event loop stalled {worst:.0f} ms"
    print(f"\nrare search: {inline_ms:.0f} ms on the GUI thread before; now rows after {shown_ms:.0f} ms, "
          f"worst event-loop gap {worst:.0f} ms")


def test_only_the_last_filter_is_shown_when_it_changes_quickly(qtbot, log_file):
    model = AuditTableModel()
    snapshots: list[list[int]] = []
    model.loaded.connect(lambda: snapshots.append(ids(model.rows())))
    last = AuditFilter(profile_id=log_file, action="failed", entity="order")
    model.set_filter(rare(log_file))
    model.set_filter(AuditFilter(profile_id=log_file, text="C0"))
    model.set_filter(last)
    assert model.wait()
    qtbot.wait(50)  # anything the older queries still queued has landed by now

    expected = ids(store.audit_page(last, limit=PAGE_SIZE).rows)
    assert expected and ids(model.rows()) == expected
    assert snapshots == [expected], "an older filter's answer was shown"
    assert {r.action for r in model.rows()} == {"failed"} and {r.entity for r in model.rows()} == {"order"}


def test_fetch_more_appends_the_next_page_exactly_once(qtbot, log_file):
    model = AuditTableModel()
    model.set_filter(AuditFilter(profile_id=log_file))
    assert model.wait()
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore()
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, end: inserts.append((first, end)))

    model.fetchMore()
    assert not model.canFetchMore()  # one page query at a time
    model.fetchMore()  # a second scroll while the page is on its way: nothing more
    with qtbot.waitSignal(model.loaded):
        pass
    qtbot.wait(50)

    assert inserts == [(PAGE_SIZE, 2 * PAGE_SIZE - 1)]
    got = ids(model.rows())
    assert got == sorted(got, reverse=True) and got[0] - got[-1] == 2 * PAGE_SIZE - 1  # no overlap, no gap
    assert model.canFetchMore()


def test_new_rows_arrive_while_a_sync_writes(qtbot, log_file):
    model = AuditTableModel()
    model.set_filter(AuditFilter(profile_id=log_file, entity="product"))  # none yet: the reload path
    assert model.wait() and model.rowCount() == 0
    written = threading.Event()

    def sync() -> None:  # another thread writing, as a sync worker does (WAL: the reads do not wait for it)
        run_id = store.start_run(log_file, "incremental")
        for batch in range(5):
            store.record_audit(run_id, [NewAuditEvent("product", f"P{batch}-{i}", "created") for i in range(40)])
            time.sleep(0.02)
        store.finish_run(run_id, "ok")
        release_store_connection()
        written.set()

    writer = threading.Thread(target=sync)
    writer.start()
    timer = QTimer()
    timer.setInterval(15)  # the live refresh, faster than the app's
    timer.timeout.connect(model.refresh_new)
    timer.start()
    qtbot.waitUntil(lambda: written.is_set() and model.rowCount() == 200, timeout=15_000)
    timer.stop()
    writer.join()
    assert model.wait()
    got = ids(model.rows())
    assert len(got) == 200 and got == sorted(got, reverse=True) and len(set(got)) == 200


def test_the_view_says_it_is_searching_then_gives_the_count(qtbot, log_file):
    view = AuditView()
    qtbot.addWidget(view)
    view.set_profile(log_file)
    qtbot.waitUntil(lambda: not view.model.loading and view.total is not None, timeout=15_000)
    view.action_box.setCurrentIndex(view.action_box.findData("failed"))
    view.search.setText("C0")
    view.apply_filters()
    assert view.status.text() == "Searching…"
    assert view.search.isEnabled() and view.table.isEnabled()  # the window stays usable
    qtbot.waitUntil(lambda: not view.model.loading and view.total is not None, timeout=15_000)
    assert view.model.rowCount() == RARE
    assert view.status.text() == f"Showing all {RARE} event(s)"


def test_a_query_for_a_filter_no_longer_shown_is_skipped_or_interrupted(log_file):
    generation = Generation()
    query = PageQuery(Kind.FIRST, generation.value, rare(log_file), None, PAGE_SIZE)
    answers: list[PageAnswer] = []
    worker = threading.Thread(target=lambda: (answers.append(run_query(query, generation)),
                                              release_store_connection()))
    worker.start()
    time.sleep(0.02)  # the query under way (or, on a slow machine, not yet begun)
    generation.bump()  # the user typed something else
    worker.join(10)
    assert answers and answers[0].page is None and answers[0].error == ""
    assert answers[0].thread == worker.name


def test_a_refresh_asked_for_while_one_runs_follows_it(qtbot, log_file):
    """The rows a run writes last show up, though the call at the run's end came while a refresh was out."""
    model = AuditTableModel()
    only_stores = AuditFilter(profile_id=log_file, entity="store")
    run_id = store.start_run(log_file, "incremental")
    store.record_audit(run_id, [NewAuditEvent("store", "S0", "created")])
    model.set_filter(only_stores)
    assert model.wait() and model.rowCount() == 1
    store.record_audit(run_id, [NewAuditEvent("store", f"S1-{i}", "created") for i in range(3)])
    model.refresh_new()
    store.record_audit(run_id, [NewAuditEvent("store", f"S2-{i}", "created") for i in range(2)])
    model.refresh_new()  # the first is still out: this one follows it
    store.finish_run(run_id, "ok")
    assert model.wait()
    assert [r.gp_key for r in model.rows()] == ["S2-1", "S2-0", "S1-2", "S1-1", "S1-0", "S0"]


def test_a_failed_query_is_said_not_searched_for_ever(qtbot, log_file, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("disk I/O error")

    view = AuditView()
    qtbot.addWidget(view)
    monkeypatch.setattr(store, "audit_page", broken)
    view.set_profile(log_file)
    qtbot.waitUntil(lambda: not view.model.loading, timeout=15_000)
    assert view.status.text() == "Could not read the audit log: OSError: disk I/O error"
    assert view.model.rowCount() == 0 and not view.model.canFetchMore()
