"""Ctrl-C of ``gpmc sync`` (a real subprocess, a slowed-down Mailchimp simulator, a real signal mid-run): exit 130,
the run recorded as cancelled, nothing marked synced that Mailchimp does not hold, and a rerun that converges
without duplicates.  A second Ctrl-C stops at once.  The other sub-commands exit 130 quietly too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.cli.interrupt import FIRST_NOTICE, SECOND_NOTICE, SIGNALS, cancel_on_signals
from gpmc_desktop.sync.report import ExitCode, RunReport
from tests.sync.engine_support import (
    MEMBER_PUT,
    CliResult,
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
    wait_for,
)

POSIX = sys.platform != "win32"
CUSTOMERS = 150
LATENCY = 0.03  # per Mailchimp request: the run takes seconds, so a signal lands mid-run
MID_RUN = 20  # member PUTs before the signal (a clean run sends about 100)

demo = demo_fixture("demo", CUSTOMERS)


def start_slow_sync(demo: Demo) -> subprocess.Popen[str]:
    demo.sim.reset_counters()
    demo.sim.faults.set_latency(LATENCY)
    proc = demo.start_cli()
    wait_for(lambda: demo.sim.request_counts().get(MEMBER_PUT, 0) >= MID_RUN or proc.poll() is not None,
             f"{MID_RUN} member PUTs")
    assert proc.poll() is None, "the run finished before it could be interrupted"
    return proc


def finish(proc: subprocess.Popen[str]) -> CliResult:
    try:
        out, err = proc.communicate(timeout=120)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return CliResult(proc.returncode, out, err)


def marked_synced(demo: Demo, entity: str) -> set[str]:
    return set(demo.with_store(lambda pid: store.synced_map(pid, entity)))


def rerun_converges(demo: Demo, first: dict[str, dict[str, int]] | None) -> None:
    """The next run sends the rest, each record once; the one after sends nothing."""
    demo.sim.faults.set_latency(0.0)
    exp = expected_state(demo)
    rerun = demo.cli()
    line = rerun.json
    # The addresses Mailchimp calls fake fail (and are ledgered): partial (exit 1) if one failed for the first
    # time in this run; those the cancelled run had sent and seen refused are known failures already.
    new = line["failures"]["new"]
    assert new + line["failures"]["known"] == line["customers"]["failed"] == len(exp.rejected)
    assert rerun.code == (1 if new else 0), rerun.stderr
    assert line["outcome"] == ("partial" if new else "ok") and line["exit_code"] == rerun.code
    if first is not None:  # created across the two runs: every record exactly once
        assert first["customers"]["created"] + line["customers"]["created"] == len(exp.synced)
        assert first["orders"]["created"] + line["orders"]["created"] == len(exp.orders)
    assert_matches_expectation(demo, exp)  # members, buyers, orders as GP says; no order counted twice
    assert demo.sim.order_put_attempts == []

    again, writes = demo.traffic(demo.cli)
    # Nothing new: the refused addresses are known failures waiting for a change in GP, not an exit 1 every day.
    assert again.code == 0 and writes == Counter()
    assert again.json["failures"] == {"new": 0, "known": len(exp.rejected), "retrying": 0}
    assert again.json["orders"]["unchanged"] == len(exp.orders) and again.json["orders"]["created"] == 0


# ------------------------------------------------------------------------------------------------ gpmc sync
@pytest.mark.skipif(not POSIX, reason="POSIX signals (Windows: Ctrl-C/Ctrl-Break go to a console group)")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_sync_exits_130_with_the_run_recorded_as_cancelled(demo: Demo, signum: int) -> None:
    proc = start_slow_sync(demo)
    proc.send_signal(signum)
    result = finish(proc)

    assert result.code == ExitCode.INTERRUPTED == 130, result.stderr
    assert "Traceback" not in result.stderr
    assert FIRST_NOTICE in result.stderr and SECOND_NOTICE not in result.stderr
    line = result.json  # the --json line is still printed, and says the same as the exit code
    assert line["outcome"] == "cancelled" and line["exit_code"] == 130
    assert "First load (run {}): stopped before the end".format(line["run_id"]) in result.stderr
    exp = expected_state(demo)
    assert 0 < line["customers"]["created"] < len(exp.synced), "the signal did not land mid-run"

    run = demo.with_store(lambda pid: store.get_run(line["run_id"]))
    assert run is not None and run.finished_at is not None and run.outcome == "cancelled"
    # Nothing marked synced that Mailchimp does not hold (and nothing Mailchimp accepted left unmarked).
    assert marked_synced(demo, "ecommerce_customer") == set(demo.sim.customers(demo.store_id))
    buyers = {n: s.remote_id for n, s in demo.with_store(lambda pid: store.synced_map(pid, "customer")).items()}
    assert set(buyers.values()) <= set(demo.sim.customers(demo.store_id))
    assert marked_synced(demo, "member") == {m["email_address"] for m in demo.sim.members(demo.list_id)}
    assert marked_synced(demo, "order") == set(demo.sim.orders(demo.store_id))
    assert len(marked_synced(demo, "customer")) == line["customers"]["created"]

    rerun_converges(demo, line)


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
def test_second_ctrl_c_stops_at_once(demo: Demo) -> None:
    proc = start_slow_sync(demo)
    # The requests still to go now take 30 s each: waiting for them would take at least that long, while a
    # second Ctrl-C that stops at once takes a moment even on a loaded machine.
    slow = 30.0
    demo.sim.faults.set_latency(slow)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGINT)
    result = finish(proc)
    elapsed = time.monotonic() - stopped

    assert result.code == 130, result.stderr
    assert elapsed < slow - 1, f"took {elapsed:.1f} s: it waited for the requests in flight"
    assert FIRST_NOTICE in result.stderr and SECOND_NOTICE in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == ""  # no JSON line: the run did not finish
    runs = demo.with_store(lambda pid: store.list_runs(pid))
    assert [r.outcome for r in runs] == [None]  # left open, as after a crash

    rerun_converges(demo, None)


# ------------------------------------------------------------------------------------------------ other commands
def start_gpmc(*args: str, ready: str, cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, **{f"XDG_{d.upper()}_HOME": str(cwd / d) for d in ("cache", "config", "data")})
    proc = subprocess.Popen([sys.executable, "-m", "gpmc_desktop.cli.main", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # blocks until the command says it is up (the test timeout stops a hang)
        seen.append(line)
        if ready in line:
            return proc
    proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    raise AssertionError(f"never ready (exit {proc.returncode}): {''.join(seen)}{stderr}")


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
@pytest.mark.parametrize("command", [
    ("sim", "mailchimp", "--port", "0"),
    ("demo", "--no-sync", "--customers", "50"),
], ids=["sim", "demo"])
def test_other_commands_exit_130_quietly_on_ctrl_c(command: tuple[str, ...], tmp_path: Path) -> None:
    args = (*command, "--workdir", str(tmp_path / "demo")) if command[0] == "demo" else command
    proc = start_gpmc(*args, ready="Ctrl-C stops", cwd=tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "gpmc: interrupted" in err


# ------------------------------------------------------------------------------------------------ the pieces
def test_a_cancelled_report_exits_130_in_the_json_line_too() -> None:
    report = RunReport(run_id=3, outcome="cancelled")
    assert report.exit_code is ExitCode.INTERRUPTED
    assert report.json_line()["exit_code"] == 130
    assert RunReport(outcome="failed").exit_code is ExitCode.FAILED
    assert [int(c) for c in ExitCode] == [0, 1, 2, 130]


def test_first_signal_cancels_second_aborts_and_the_handlers_come_back() -> None:
    cancel = threading.Event()
    notices: list[str] = []
    aborted: list[int] = []
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    with cancel_on_signals(cancel, notice=notices.append, abort=aborted.append):
        signal.raise_signal(signal.SIGINT)
        assert cancel.is_set() and notices == [FIRST_NOTICE] and aborted == []
        signal.raise_signal(signal.SIGINT if not POSIX else signal.SIGTERM)  # any of them counts
        assert notices == [FIRST_NOTICE, SECOND_NOTICE] and aborted == [130]
    assert {sig: signal.getsignal(sig) for sig in SIGNALS} == before


def test_outside_the_main_thread_nothing_is_installed() -> None:
    cancel = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def body() -> None:
        with cancel_on_signals(cancel):
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [before] and not cancel.is_set()
