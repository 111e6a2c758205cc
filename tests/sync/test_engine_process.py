"""The tray app's runs in a sync process of their own (sync/engine_process.py, sync/engine_child.py): a real child
Python against the demo simulators over loopback, with the test's state database.  The report, the progress and
the log lines come back; Stop, a busy profile, a child that dies and a broken pipe each end as the app expects;
the secrets cross only the pipe."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.sync import engine_process, runner
from gpmc_desktop.sync.engine_pipe import MAX_FRAME, BrokenPipeProtocolError, FrameWriter, read_frame
from gpmc_desktop.sync.engine_process import EngineProcessError, child_command, child_environment, run_in_child_process
from gpmc_desktop.sync.report import RunReport
from tests.sync.engine_support import MEMBER_PUT, Demo, demo_fixture

demo = demo_fixture("demo", 60)


def in_child(demo: Demo, **kwargs: object) -> RunReport:
    return run_in_child_process(demo.profile(), demo.env.secrets, database=demo.db_path, **kwargs)  # type: ignore[arg-type]


def test_a_run_in_the_sync_process_reports_progress_logs_and_converges(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def not_here(*_args: object, **_kw: object) -> None:
        raise AssertionError("the engine ran in the app's own process")

    monkeypatch.setattr(runner, "run_profile", not_here)  # the child imports its own
    phases: list[tuple[str, int, int]] = []
    caller = threading.get_ident()
    threads: set[int] = set()

    def progress(phase: str, done: int, total: int) -> None:
        phases.append((phase, done, total))
        threads.add(threading.get_ident())

    demo.db_path.parent.mkdir(parents=True, exist_ok=True)
    with caplog.at_level(logging.INFO, logger="gpmc_desktop"):
        first = in_child(demo, progress=progress)
    assert first.outcome in ("ok", "partial"), first.error
    assert first.run_id is not None and first.customers["created"] > 0
    assert demo.sim.writes > 0
    assert {p for p, _, _ in phases} >= {"customers", "orders"}, phases
    assert threads == {caller}  # progress is handed over on the caller's thread, as run_profile does
    relayed = [r for r in caplog.records if r.name == "gpmc_desktop.sync.runner"]
    assert any("sync of profile" in r.getMessage() and "starts" in r.getMessage() for r in relayed)

    writes = demo.sim.writes
    second = in_child(demo)
    assert second.outcome == "ok" and demo.sim.writes == writes  # nothing left to send
    with store.open_store(demo.db_path):
        pid = store.get_profile(demo.profile().name).id
        kinds = [r.outcome for r in store.list_runs(pid, limit=10)]
    assert kinds == ["ok", first.outcome]
    secrets = (demo.env.secrets.gp_password, demo.env.secrets.mailchimp_api_key)
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)
    stray = [r.getMessage() for r in caplog.records if r.name == engine_process.__name__]
    assert stray == []  # nothing on the child's stderr: no traceback, no fatal error at its exit


def test_stop_cancels_the_run_in_the_sync_process(demo: Demo) -> None:
    demo.sim.faults.set_latency(0.02)
    cancel = threading.Event()

    def progress(phase: str, done: int, _total: int) -> None:
        if phase == "customers" and done >= 5:
            cancel.set()

    demo.db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = in_child(demo, progress=progress, cancel=cancel)
    finally:
        demo.sim.faults.set_latency(0.0)
    assert report.outcome == "cancelled"
    assert in_child(demo).outcome in ("ok", "partial")  # the next run takes it from there


def test_a_profile_another_process_syncs_is_busy_with_its_holder_named(demo: Demo) -> None:
    demo.db_path.parent.mkdir(parents=True, exist_ok=True)
    with (store.open_store(demo.db_path), store.profile_run_lock(demo.profile().name, program="gpmc sync"),
          pytest.raises(store.ProfileBusyError) as caught):
        in_child(demo)
    assert caught.value.holder.get("program") == "gpmc sync"
    assert caught.value.holder.get("pid") == os.getpid()
    assert demo.sim.writes == 0


def test_a_sync_process_killed_mid_run_is_an_error_and_the_next_run_finishes_the_work(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_process, "KILL_AFTER_S", 0.0)  # asked to stop, then killed at once
    demo.sim.faults.set_latency(0.02)
    cancel = threading.Event()

    def progress(_phase: str, _done: int, _total: int) -> None:
        if demo.sim.request_counts().get(MEMBER_PUT, 0) >= 3:
            cancel.set()

    demo.db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with pytest.raises(EngineProcessError, match="without a report"):
            in_child(demo, progress=progress, cancel=cancel)
    finally:
        demo.sim.faults.set_latency(0.0)
    monkeypatch.setattr(engine_process, "KILL_AFTER_S", 60.0)
    again = in_child(demo)
    assert again.outcome in ("ok", "partial"), again.error
    writes = demo.sim.writes
    assert in_child(demo).outcome == "ok" and demo.sim.writes == writes


def test_an_error_in_the_sync_process_comes_back_as_its_line(demo: Demo, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-file.sqlite"
    folder.mkdir()  # a database path that cannot be opened
    with pytest.raises(EngineProcessError) as caught:
        run_in_child_process(demo.profile(), demo.env.secrets, database=folder)
    assert "Error" in str(caught.value)
    assert demo.env.secrets.gp_password not in str(caught.value)


def test_the_secrets_cross_only_the_pipe(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    command, env = child_command(), child_environment()
    secrets = (demo.env.secrets.gp_password, demo.env.secrets.mailchimp_api_key)
    assert not any(s in part for s in secrets for part in command)
    assert not any(s in value for s in secrets for value in env.values())
    assert command[:3] == [sys.executable, "-m", "gpmc_desktop.sync.engine_child"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(Path("/opt/gpmc-desktop/gpmc-desktop")))
    name = "gpmc.exe" if sys.platform == "win32" else "gpmc"
    assert child_command() == [str(Path("/opt/gpmc-desktop") / name), "--engine-child"]


def test_frames_refuse_what_is_not_a_frame() -> None:
    buffer = io.BytesIO()
    FrameWriter(buffer).send(("progress", "customers", 1, 2))
    buffer.seek(0)
    assert read_frame(buffer) == ("progress", "customers", 1, 2)
    assert read_frame(buffer) is None
    with pytest.raises(BrokenPipeProtocolError, match="bytes announced"):
        read_frame(io.BytesIO((MAX_FRAME + 1).to_bytes(4, "big")))
    with pytest.raises(BrokenPipeProtocolError, match="ended inside"):
        read_frame(io.BytesIO((10).to_bytes(4, "big") + b"abc"))
