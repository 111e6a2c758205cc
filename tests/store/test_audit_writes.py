"""Audit behaviour that writes while reading: stable pages, lazy iteration, CSV files, batch validation."""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, Store


def _events(prefix: str, n: int) -> list[NewAuditEvent]:
    return [NewAuditEvent("customer", f"{prefix}{i:04d}", "created") for i in range(n)]


def test_paging_is_stable_while_events_are_added(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full")
    st.record_audit(run, _events("C", 200))
    f = AuditFilter(run_id=run)
    first = st.audit_page(f, limit=50)
    st.record_audit(run, _events("LATE", 30))  # the sync is still running between two page fetches
    second = st.audit_page(f, after=first.next_cursor, limit=50)
    ids = [r.id for r in first.rows + second.rows]
    assert ids == list(range(200, 100, -1))  # exactly the next 50, none skipped or repeated


def test_iter_audit_fetches_lazily(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full")
    st.record_audit(run, _events("C", 5))
    rows = st.iter_audit(AuditFilter(run_id=run), chunk_size=2)
    first = next(rows)
    # Rows added after iteration began still come out: the table was not loaded up front.
    st.record_audit(run, _events("LATE", 1))
    assert [first.gp_key] + [r.gp_key for r in rows] == [
        "C0000",
        "C0001",
        "C0002",
        "C0003",
        "C0004",
        "LATE0000",
    ]


def test_csv_export_to_a_file_and_formula_cells_are_defused(
    tmp_path: Path, store: Store, profile_id: int
) -> None:
    run = st.start_run(profile_id, "full")
    st.record_audit(run, [NewAuditEvent("customer", '=HYPERLINK("x")', "failed", error_detail="-1+1")])
    target = tmp_path / "audit.csv"
    with target.open("w", newline="", encoding="utf-8-sig") as out:
        assert st.export_audit_csv(out) == 1
    with target.open(newline="", encoding="utf-8-sig") as back:
        rows = list(csv.DictReader(back))
    assert list(rows[0]) == list(st.CSV_HEADER)
    assert rows[0]["gp_key"] == '\'=HYPERLINK("x")' and rows[0]["error_detail"] == "'-1+1"


def test_a_bad_event_rejects_the_whole_batch(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full")
    good = NewAuditEvent("customer", "C1", "created")
    with pytest.raises(ValueError, match="audit action"):
        st.record_audit(run, [good, NewAuditEvent("customer", "C2", "exploded")])
    with pytest.raises(ValueError, match="audit entity"):
        st.record_audit(run, [good, NewAuditEvent("invoice", "C2", "created")])
    with pytest.raises(ValueError, match="GP key"):
        st.record_audit(run, [good, NewAuditEvent("customer", "", "created")])
    with pytest.raises(LookupError):
        st.record_audit(run + 100, [good])
    assert st.audit_page().rows == []
    with pytest.raises(ValueError, match="audit action"):
        st.audit_page(AuditFilter(action="exploded"))


def test_audit_page_of_an_empty_log(store: Store) -> None:
    page = st.audit_page(limit=10)
    assert page.rows == [] and page.next_cursor is None
    assert list(islice(st.iter_audit(), 5)) == []
    with pytest.raises(ValueError):
        st.audit_page(limit=0)
