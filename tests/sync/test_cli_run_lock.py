"""Two ``gpmc sync`` of one profile never run at once (real subprocesses, a slowed-down Mailchimp simulator):
the second exits 2 with nothing written and names the first, or waits for it with ``--wait``; a ``kill -9``ed
run is closed as interrupted by the next run, not left "running"; the audit stays readable while a sync writes."""

from __future__ import annotations

import signal
import time

from gpmc_desktop import store
from gpmc_desktop.sync.report import ExitCode
from tests.sync.engine_support import MEMBER_PUT, CliResult, Demo, demo_fixture, wait_for

CUSTOMERS = 120
LATENCY = 0.03

demo = demo_fixture("demo", CUSTOMERS)


def runs(demo: Demo) -> list[store.RunRow]:
    return list(demo.with_store(lambda pid: store.list_runs(pid, limit=1000)))


def test_a_second_sync_of_the_profile_is_refused_or_waits_and_a_killed_one_is_closed(demo: Demo) -> None:
    demo.sim.faults.set_latency(LATENCY)
    first = demo.start_cli()
    procs = [first]
    try:
        wait_for(lambda: demo.sim.request_counts().get(MEMBER_PUT, 0) >= 10 or first.poll() is not None,
                 "the first run under way")
        assert first.poll() is None, "the first run ended before the second started"
        before = runs(demo)
        writes = demo.sim.writes

        refused = demo.cli()
        assert refused.code == ExitCode.FAILED == 2, refused.stderr
        assert refused.json["outcome"] == "failed"
        error = refused.json["error"]
        assert "is being synced by gpmc sync" in error and f"process {first.pid}" in error, error
        assert "did nothing" in error
        assert [r.id for r in runs(demo)] == [r.id for r in before]  # no run recorded, nothing closed

        waiting = demo.start_cli("--wait", "300")
        procs.append(waiting)
        _, err = first.communicate(timeout=300)
        assert first.returncode in (0, 1), err
        w_out, w_err = waiting.communicate(timeout=300)
        waited = CliResult(waiting.returncode, w_out, w_err)
        assert waited.code in (0, 1), waited.stderr
        assert demo.sim.writes > writes
    finally:
        demo.sim.faults.set_latency(0.0)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    done = runs(demo)
    assert len(done) == len(before) + 1  # the waiting run is the only new one ...
    second, first_run = done[0], done[1]
    assert first_run.finished_at is not None and second.started_at >= first_run.finished_at  # ... after the first
    assert [r for r in done if r.outcome is None] == []


def test_a_killed_run_is_closed_as_interrupted_by_the_next_run(demo: Demo) -> None:
    demo.sim.faults.set_latency(LATENCY)
    try:
        killed = demo.start_cli()
        wait_for(lambda: demo.sim.request_counts().get(MEMBER_PUT, 0) >= 10 or killed.poll() is not None,
                 "the run under way")
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
        assert killed.returncode == -signal.SIGKILL
    finally:
        demo.sim.faults.set_latency(0.0)
    left = [r for r in runs(demo) if r.outcome is None]
    assert len(left) == 1, "the kill should leave its run marked running"

    rerun = demo.cli()
    assert rerun.code in (0, 1), rerun.stderr
    after = {r.id: r for r in runs(demo)}
    closed = after[left[0].id]
    assert closed.outcome == "failed" and "interrupted" in (closed.error_summary or "")
    assert [r for r in after.values() if r.outcome is None] == []


def test_the_audit_can_be_read_while_gpmc_sync_writes_it(demo: Demo) -> None:
    """What the app's audit view does (pages of the audit, on its own connection) while a headless sync of the
    same database writes: every read answers, and sees the rows grow."""
    demo.sim.faults.set_latency(LATENCY)
    sync = demo.start_cli()
    seen: list[int] = []
    try:
        with store.open_store(demo.db_path, busy_timeout_s=2.0):
            while sync.poll() is None and len(seen) < 400:
                page = store.audit_page(store.AuditFilter(), limit=50)
                seen.append(store.count_audit(store.AuditFilter()))
                assert len(page.rows) <= min(50, seen[-1])
                time.sleep(0.02)
        _out, err = sync.communicate(timeout=300)
    finally:
        demo.sim.faults.set_latency(0.0)
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    assert sync.returncode in (0, 1), err
    assert len(seen) > 10 and seen == sorted(seen) and seen[-1] > seen[0], seen[:5]
