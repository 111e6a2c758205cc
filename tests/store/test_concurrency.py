"""A sync worker writes while the GUI thread reads (and writes settings): no "database is locked"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, Store, SyncedState

BATCHES = 40
PER_BATCH = 250


def _thread(
    store: Store, errors: list[BaseException], start: threading.Barrier, body: Callable[[], None]
) -> threading.Thread:
    def run() -> None:
        try:
            with store.thread_connection():  # this thread's own connection, closed at the end
                start.wait()
                body()
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    return threading.Thread(target=run)


def test_writer_and_readers_in_parallel(store: Store, profile_id: int) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)
    run_id = st.start_run(profile_id, "full")
    seen_counts: list[int] = []
    writer_done = threading.Event()

    def sync_worker() -> None:
        try:
            for b in range(BATCHES):
                events = [
                    NewAuditEvent("customer", f"C{b:03d}{i:04d}", "created", email=f"u{b}.{i}@example.com")
                    for i in range(PER_BATCH)
                ]
                st.record_audit(run_id, events)
                st.upsert_synced(
                    profile_id,
                    "customer",
                    {e.gp_key: SyncedState(f"h{b}", f"mc{b}", e.email) for e in events},
                )
                st.record_failure(profile_id, "order", f"O{b}", category="transient", content_hash="h")
                if b % 5 == 0:
                    st.set_state(profile_id, "soap_read_mark", f"2025-01-{b // 5 + 1:02d}")
        finally:
            writer_done.set()

    def gui_reader() -> None:
        while not writer_done.is_set():
            page = st.audit_page(AuditFilter(run_id=run_id), limit=100)
            st.audit_page(AuditFilter(text="C001"), limit=50)
            synced = st.synced_map(profile_id, "customer")
            seen_counts.append(len(synced))
            assert len(page.rows) <= 100
            st.list_failures(profile_id)
            st.get_state(profile_id, "soap_read_mark")

    def gui_settings_writer() -> None:  # the user edits settings while a sync runs
        n = 0
        while not writer_done.is_set():
            st.save_profile("acme", schedule={"every_minutes": n % 60})
            st.set_state(profile_id, st.LAST_FULL_COMPARE_AT, str(n))
            n += 1
            time.sleep(0.002)  # a person edits settings now and then, not in a hot loop

    def exporter() -> None:  # a long streaming read must not block the writer either
        while not writer_done.is_set():
            for _ in st.iter_audit(AuditFilter(run_id=run_id), chunk_size=500):
                pass

    threads = [
        _thread(store, errors, start, body)
        for body in (sync_worker, gui_reader, gui_settings_writer, exporter)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    # Every write landed, and readers only ever saw committed batches, growing.
    assert len(st.synced_map(profile_id, "customer")) == BATCHES * PER_BATCH
    assert st.finish_run(run_id, "ok").counts == {"customer": {"created": BATCHES * PER_BATCH}}
    assert seen_counts == sorted(seen_counts)
    assert all(c % PER_BATCH == 0 for c in seen_counts)
    assert len(st.list_failures(profile_id)) == BATCHES
