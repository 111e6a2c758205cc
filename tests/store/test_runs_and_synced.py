"""Runs, synced-record state and per-profile engine state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import Store, SyncedState
from tests.store.conftest import T0


def test_run_lifecycle_counts_from_audit(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, st.RunKind.INCREMENTAL, now=T0)
    assert [r.id for r in st.running_runs()] == [run]
    st.record_audit(
        run,
        [
            st.NewAuditEvent("customer", "C1", "created"),
            st.NewAuditEvent("customer", "C2", "created"),
            st.NewAuditEvent("customer", "C3", "unchanged"),
            st.NewAuditEvent("order", "O1", "failed", http_status=400),
        ],
    )
    done = st.finish_run(
        run, st.Outcome.PARTIAL, error_summary="1 order failed", now=T0 + timedelta(minutes=3)
    )
    assert done.counts == {"customer": {"created": 2, "unchanged": 1}, "order": {"failed": 1}}
    assert (done.outcome, done.kind, done.started_at, done.finished_at) == (
        "partial",
        "incremental",
        T0,
        T0 + timedelta(minutes=3),
    )
    assert st.running_runs() == []
    with pytest.raises(ValueError, match="already finished"):
        st.finish_run(run, "ok")
    explicit = st.start_run(profile_id, "dry-run")
    assert st.finish_run(explicit, "ok", counts={"customer": {"skipped": 9}}).counts == {
        "customer": {"skipped": 9}
    }


def test_run_vocabulary_is_checked(store: Store, profile_id: int) -> None:
    with pytest.raises(ValueError, match="run kind"):
        st.start_run(profile_id, "weekly")
    run = st.start_run(profile_id, "full")
    with pytest.raises(ValueError, match="run outcome"):
        st.finish_run(run, "meh")


def test_list_runs_is_keyset_paged_newest_first(store: Store, profile_id: int) -> None:
    ids = [st.start_run(profile_id, "incremental") for _ in range(7)]
    first = st.list_runs(profile_id, limit=3)
    second = st.list_runs(profile_id, before_id=first[-1].id, limit=3)
    third = st.list_runs(profile_id, before_id=second[-1].id, limit=3)
    assert [r.id for r in first + second + third] == list(reversed(ids))


def test_interrupted_runs_are_closed_as_failed(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full", now=T0)
    st.record_audit(run, [st.NewAuditEvent("customer", "C1", "created")])
    assert st.close_interrupted_runs(now=T0 + timedelta(hours=1)) == 1
    closed = st.get_run(run)
    assert closed is not None and closed.outcome == "failed" and "interrupted" in (closed.error_summary or "")
    assert closed.counts == {"customer": {"created": 1}}
    assert st.close_interrupted_runs() == 0


def test_timestamps_are_iso_utc_with_offset(store: Store, profile_id: int) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    run = st.start_run(profile_id, "full", now=local)
    raw = store.db.execute_sql("SELECT started_at FROM runs WHERE id = ?", (run,)).fetchone()[0]
    assert raw == "2025-06-01T10:00:00.000000+00:00"
    with pytest.raises(ValueError, match="naive"):
        st.start_run(profile_id, "full", now=datetime(2025, 1, 1))


def test_synced_upsert_and_map(store: Store, profile_id: int) -> None:
    assert (
        st.upsert_synced(
            profile_id,
            "customer",
            {
                "C1": SyncedState("h1", "mc1", "one@example.com"),
                "C2": SyncedState("h2", "mc2", "two@example.com"),
            },
            now=T0,
        )
        == 2
    )
    st.upsert_synced(profile_id, "order", [("O1", SyncedState("ho", "O1"))])
    # Update one, add one: the unique (profile, entity, gp_key) makes it an upsert, not a duplicate.
    st.upsert_synced(
        profile_id,
        "customer",
        [
            ("C2", SyncedState("h2b", "mc2", "two.new@example.com")),
            ("C3", SyncedState("h3", "mc3", None)),
        ],
    )
    assert st.synced_map(profile_id, "customer") == {
        "C1": SyncedState("h1", "mc1", "one@example.com"),
        "C2": SyncedState("h2b", "mc2", "two.new@example.com"),
        "C3": SyncedState("h3", "mc3", None),
    }
    assert st.synced_map(profile_id, "order") == {"O1": SyncedState("ho", "O1", None)}
    other = st.save_profile("other").id
    assert st.synced_map(other, "customer") == {}
    assert st.get_synced(profile_id, "customer", "C2") == SyncedState("h2b", "mc2", "two.new@example.com")
    assert st.delete_synced(profile_id, "customer", ["C1", "nope"]) == 1
    assert set(st.synced_map(profile_id, "customer")) == {"C2", "C3"}
    with pytest.raises(ValueError, match="content hash"):
        st.upsert_synced(profile_id, "customer", {"C9": SyncedState("", None)})


def test_synced_map_of_many_records(store: Store, profile_id: int) -> None:
    records = {f"C{i:06d}": SyncedState(f"h{i}", f"mc{i}", f"u{i}@example.com") for i in range(20_000)}
    assert st.upsert_synced(profile_id, "customer", records) == 20_000
    assert st.synced_map(profile_id, "customer") == records


def test_engine_state_roundtrip(store: Store, profile_id: int) -> None:
    assert st.get_state(profile_id, st.BACKFILL_IN_PROGRESS, default=False) is False
    st.set_state(profile_id, st.BACKFILL_IN_PROGRESS, True)
    st.set_state(profile_id, st.LAST_FULL_COMPARE_AT, st.to_iso(T0))
    st.set_state(profile_id, "cursor", {"page": 3, "ids": [1, 2]})
    assert st.get_state(profile_id, st.BACKFILL_IN_PROGRESS) is True
    assert st.from_iso(st.get_state(profile_id, st.LAST_FULL_COMPARE_AT)) == T0
    assert st.all_state(profile_id)["cursor"] == {"page": 3, "ids": [1, 2]}
    assert st.delete_state(profile_id, "cursor") and not st.delete_state(profile_id, "cursor")


def test_state_changes_count_every_write_to_what_a_run_decides_from(store: Store, profile_id: int) -> None:
    other = st.save_profile("other").id
    assert st.state_changes(profile_id) == 0
    st.upsert_synced(profile_id, "customer", {"C1": SyncedState("h1", "mc1"), "C2": SyncedState("h2", "mc2")})
    after_insert = st.state_changes(profile_id)
    assert after_insert == 2
    st.upsert_synced(profile_id, "customer", {"C1": SyncedState("h1b", "mc1")})  # an upsert that updates
    assert st.state_changes(profile_id) > after_insert
    counted = st.state_changes(profile_id)
    st.set_state(profile_id, st.BACKFILL_DONE, "1")  # engine state and runs are not counted
    st.start_run(profile_id, st.RunKind.SYNC_NOW)
    assert st.state_changes(profile_id) == counted
    st.record_failure(profile_id, "order", "INV1", category="permanent", content_hash="h")
    assert st.state_changes(profile_id) == counted + 1
    st.resolve_failure(profile_id, "order", "INV1")
    st.delete_synced(profile_id, "customer", ["C2"])
    assert st.state_changes(profile_id) == counted + 3
    assert st.state_changes(other) == 0  # counted per profile
    st.upsert_synced(other, "order", {"O1": SyncedState("h", "O1")})
    assert st.state_changes(other) == 1 and st.state_changes(profile_id) == counted + 3
    assert st.delete_profile("other")  # the cascade's deletes fire the triggers without tripping on them
    assert st.synced_map(other, "order") == {}
