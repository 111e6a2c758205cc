"""A run in a process of its own: what the tray app does for every sync (`sync/engine_child.py` is the other side).

Why a process and not a thread: the engine is Python, and so are the window's table models.  On a thread of the
app's process the engine holds the GIL for its bursts of work (parsing a batch's results, planning a part of
4,000 customers), and every paint of the audit table needs the GIL hundreds of times (each cell's data, each
index), waiting up to Python's switch interval each time: one repaint that takes 6 ms alone took 190 ms beside a
busy engine thread, and a 100,000-customer backfill froze the window for up to 260 ms.  In a process of its own
the engine shares nothing with the window but the state database (which both already share with ``gpmc sync``,
through WAL and the profile's run lock), and the memory a backfill peaks at goes back to the system when it ends.

The calling thread (a pool thread of the app) starts the child, hands it the run and the secrets over its stdin,
relays its progress and log lines, and returns its report, or raises what stopped it: ProfileBusyError when
another process holds the profile, EngineProcessError when the child failed or died.  Setting *cancel* asks the
child to stop between records; one that has not stopped after KILL_AFTER_S is killed, which the engine is built
to survive (the next run resumes; tests/reliability kills runs anywhere).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import gpmc_desktop
from gpmc_desktop import store
from gpmc_desktop.logsetup import mask, register_api_key, register_secret
from gpmc_desktop.profile import Profile, Secrets
from gpmc_desktop.sync.engine_pipe import CANCEL, FrameWriter, RunRequest, read_frame
from gpmc_desktop.sync.progress_throttle import ProgressCallback
from gpmc_desktop.sync.report import RunReport

log = logging.getLogger(__name__)

KILL_AFTER_S = 60.0  # after a cancel: the engine stops between records, far sooner than this
CHILD_FLAG = "--engine-child"  # the frozen `gpmc` executable's way in (installer/entry_gpmc.py)


class EngineProcessError(RuntimeError):
    """The sync process failed, or ended without a report."""


def child_command() -> list[str]:
    """How to start the sync process: the frozen `gpmc` beside the running executable, or this Python."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable).with_name("gpmc.exe" if sys.platform == "win32" else "gpmc")
        return [str(exe), CHILD_FLAG]
    return [sys.executable, "-m", "gpmc_desktop.sync.engine_child"]


def child_environment() -> dict[str, str]:
    """This environment, with this copy of gpmc_desktop first on the child's path (a checkout, a test run)."""
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        here = str(Path(gpmc_desktop.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_in_child_process(
    profile: Profile, secrets: Secrets, *, database: Path, progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None, full: bool = False, trigger: store.RunKind = store.RunKind.SYNC_NOW,
    confirm_mass_change: bool = False, holder: str = "",
) -> RunReport:
    """`run_profile` in a new process: same arguments, same report, same ProfileBusyError."""
    register_secret(secrets.gp_password)  # the child's log lines pass through this process's log too
    register_api_key(secrets.mailchimp_api_key)
    cancel = cancel or threading.Event()
    request = RunRequest(profile, secrets, str(database), full=full, trigger=trigger,
                         confirm_mass_change=confirm_mass_change, holder=holder,
                         log_level=logging.getLogger("gpmc_desktop").getEffectiveLevel())
    proc = subprocess.Popen(
        child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=child_environment(), creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    finished = threading.Event()
    stderr_copy = threading.Thread(target=_copy_stderr, args=(proc,), name="sync process stderr", daemon=True)
    stderr_copy.start()
    threading.Thread(target=_pass_cancel, args=(proc, cancel, finished), name="sync process cancel",
                     daemon=True).start()
    try:
        writer = FrameWriter(proc.stdin)
        try:
            writer.send(request)
        except OSError as err:  # it died before reading: its stderr (copied to the log) says why
            raise EngineProcessError(f"the sync process did not start: {err}") from err
        outcome = _relay(proc, progress)
    finally:
        finished.set()
        _close(proc)
        stderr_copy.join(5)  # its last words are in the log before the run's result is
    kind = outcome[0] if outcome else None
    if kind == "report":
        return outcome[1]
    if kind == "busy":
        raise store.ProfileBusyError(outcome[1], outcome[2])
    if kind == "error":
        raise EngineProcessError(outcome[1])
    code = proc.returncode
    raise EngineProcessError(f"the sync process ended without a report (exit code {code}); the log has its "
                             "last words")


def _relay(proc: subprocess.Popen[bytes], progress: ProgressCallback | None) -> tuple[object, ...] | None:
    """Pass on progress and log lines until the child's answer (None if it ended without one)."""
    assert proc.stdout is not None
    while True:
        frame = read_frame(proc.stdout)
        if frame is None:
            return None
        kind = frame[0]
        if kind == "progress":
            if progress is not None:
                progress(*frame[1:])
        elif kind == "log":
            _, level, name, text = frame
            logging.getLogger(name).log(level, "%s", text)
        else:
            return frame


def _pass_cancel(proc: subprocess.Popen[bytes], cancel: threading.Event, finished: threading.Event) -> None:
    while not finished.is_set():
        if cancel.wait(0.2):
            break
    if finished.is_set():
        return
    try:
        assert proc.stdin is not None
        FrameWriter(proc.stdin).send(CANCEL)
    except OSError:
        pass  # it has ended already
    _wait_or_kill(proc, "after it was asked to stop")


def _copy_stderr(proc: subprocess.Popen[bytes]) -> None:
    """Whatever the child prints outside the frames (Python's own fatal messages) goes to the log, masked."""
    assert proc.stderr is not None
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            log.warning("sync process: %s", mask(line))


def _close(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    _wait_or_kill(proc, "after its input closed")


def _wait_or_kill(proc: subprocess.Popen[bytes], after: str) -> None:
    """Give the child KILL_AFTER_S to end on its own, then end it."""
    try:
        proc.wait(KILL_AFTER_S)
    except subprocess.TimeoutExpired:
        log.warning("the sync process did not stop %.0f s %s: stopping it", KILL_AFTER_S, after)
        proc.kill()
        proc.wait()
