"""The audit view over a million events: opens on the first page, scrolls by fetching keyset pages,
filters and searches, traces one record, and exports off the GUI thread."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.store import AuditFilter, NewAuditEvent
from gpmc_desktop.store.audit_excel import readable_header
from gpmc_desktop.ui.audit_model import PAGE_SIZE, AuditTableModel
from gpmc_desktop.ui.audit_view import AuditView
from tests.ui.audit_data import customer_key, fill_audit

ROWS = 1_000_000
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A state database holding 1,000,000 audit events of one profile; yields the profile id."""
    path = tmp_path_factory.mktemp("big") / "state.sqlite"
    s = store.open_store(path)
    try:
        profile_id = store.save_profile("Big company").id
        seconds = fill_audit(profile_id, ROWS)
        print(f"\nfilled {ROWS:,} audit events in {seconds:.1f} s ({ROWS / seconds:,.0f}/s)")
        yield profile_id
    finally:
        s.close()


def shown(qtbot, model: AuditTableModel) -> None:
    """Wait for the filter's first page (read off the GUI thread)."""
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)


def test_opens_on_one_page_and_scrolling_fetches_more(qtbot, big_log):
    view = AuditView()
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)

    began = time.perf_counter()
    view.set_profile(big_log)
    model = view.model
    assert model.loading and view.status.text() == "Searching…"  # returned at once: the page is read in the pool
    shown(qtbot, model)
    opened = time.perf_counter() - began
    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore()
    assert model.row_at(0).id > model.row_at(PAGE_SIZE - 1).id  # newest first
    qtbot.waitUntil(lambda: view.total is not None, timeout=10_000)  # counted off the GUI thread
    assert view.status.text() == f"Showing {PAGE_SIZE} of {ROWS:,} events (scroll for more)"

    began = time.perf_counter()
    for pages in range(2, 22):  # the user drags the scroll bar to the end twenty times
        view.table.scrollToBottom()
        qtbot.waitUntil(lambda n=pages: model.rowCount() >= n * PAGE_SIZE, timeout=10_000)
    scrolled = time.perf_counter() - began
    ids = [model.row_at(r).id for r in range(model.rowCount())]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), "pages overlapped or skipped rows"
    assert ids[0] - ids[-1] == len(ids) - 1
    print(f"\nopen {opened * 1000:.1f} ms; 20 more pages by scrolling {scrolled * 1000:.0f} ms")


def test_filters_search_and_trace(qtbot, big_log):
    view = AuditView()
    qtbot.addWidget(view)
    view.set_profile(big_log)
    model = view.model

    view.action_box.setCurrentIndex(view.action_box.findData("failed"))
    shown(qtbot, model)
    assert model.rowCount() > 0
    assert {model.row_at(r).action for r in range(model.rowCount())} == {"failed"}

    view.action_box.setCurrentIndex(0)
    view.entity_box.setCurrentIndex(view.entity_box.findData("order"))
    shown(qtbot, model)
    assert {model.row_at(r).entity for r in range(model.rowCount())} == {"order"}
    view.entity_box.setCurrentIndex(0)

    key = customer_key(4242)
    view.search.setText(key)  # typing: the search runs once the user pauses
    qtbot.waitUntil(lambda: model.filters is not None and model.filters.text == key, timeout=5_000)
    shown(qtbot, model)
    rows = [model.row_at(r) for r in range(model.rowCount())]
    assert rows and {r.gp_key for r in rows} == {key}
    qtbot.waitUntil(lambda: view.total is not None, timeout=10_000)
    assert view.status.text() == f"Showing all {len(rows)} event(s)"
    view.search.setText("BUYER4242@")  # e-mail, any case
    qtbot.waitUntil(lambda: model.filters is not None and model.filters.text == "BUYER4242@", timeout=5_000)
    shown(qtbot, model)
    assert {model.row_at(r).email for r in range(model.rowCount())} == {"buyer4242@example.com"}

    runs = store.list_runs(big_log, limit=3)
    view.search.clear()
    view.apply_filters()
    view.set_run(runs[1].id)
    shown(qtbot, model)
    assert {model.row_at(r).run_id for r in range(model.rowCount())} == {runs[1].id}

    trace = view.trace_dialog(model.row_at(0))
    qtbot.addWidget(trace)
    history = trace.rows
    assert history and all(e.gp_key == model.row_at(0).gp_key for e in history)
    assert [e.id for e in history] == sorted(e.id for e in history)  # oldest first
    assert trace.table.rowCount() == len(history)


def test_new_events_appear_on_top_without_a_reload(qtbot, big_log):
    model = AuditTableModel()
    model.set_filter(AuditFilter(profile_id=big_log))
    assert model.wait()
    model.fetchMore()
    assert model.wait()
    assert model.rowCount() == 2 * PAGE_SIZE
    top = model.row_at(0).id
    run_id = store.start_run(big_log, "incremental")
    store.record_audit(run_id, [NewAuditEvent(entity="customer", gp_key=f"NEW{i}", action="created")
                                for i in range(3)])
    with qtbot.waitSignal(model.refreshed) as refreshed:
        model.refresh_new()
    assert refreshed.args == [3]
    assert model.rowCount() == 2 * PAGE_SIZE + 3  # the pages already scrolled through are kept
    assert [model.row_at(r).gp_key for r in range(3)] == ["NEW2", "NEW1", "NEW0"]
    assert model.row_at(3).id == top
    store.finish_run(run_id, "ok")


def test_csv_export_runs_off_the_gui_thread(qtbot, big_log, tmp_path: Path):
    view = AuditView()
    qtbot.addWidget(view)
    view.set_profile(big_log)
    view.action_box.setCurrentIndex(view.action_box.findData("failed"))
    out = tmp_path / "failed.csv"
    with qtbot.waitSignal(view.export_finished, timeout=60_000) as done:
        assert view.export_to(out) is not None
        assert not view.export_button.isEnabled()  # returned at once: the export runs in the pool
    rows, path = done.args
    assert path == str(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == [readable_header(name) for name in store.CSV_HEADER]  # the desktop's export: for Excel
    assert len(table) == rows + 1 and rows > 0
    assert {r[table[0].index("Action")] for r in table[1:]} == {"failed"}
    assert view.export_button.isEnabled()
