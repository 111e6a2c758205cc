"""``scripts/dev.py`` on Ctrl-C: exit 130, no traceback, and the product it started is let stop on its own.

The real script runs in a subprocess with its command replaced (no apt-get, no venv): either dev.py's own work
(standing in for an install) or :func:`foreground` running a child, here the real ``gpmc sim mailchimp`` or a small
Python child.  The Ctrl-C is sent as a terminal sends it, to the whole foreground process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "scripts" / "dev.py"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups and POSIX signals")

HARNESS = r"""
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("dev", sys.argv[1])
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)
child = sys.argv[2:]

def own_work(args):
    print("ready", flush=True)
    time.sleep(60)
    return 0

dev.cmd_demo = (lambda args: dev.foreground(child)) if child else own_work
sys.argv = ["dev.py", "demo"]
sys.exit(dev.main())
"""

# On Ctrl-C: takes a second to clean up (a file written at the end proves it was not killed), then exits with
# pytest's code for an interrupted session.
SLOW_TO_STOP = r"""
import signal, sys, time
from pathlib import Path
def stop(signum, frame):
    time.sleep(1.0)
    Path(sys.argv[1]).write_text("cleaned up")
    sys.exit(2)
signal.signal(signal.SIGINT, stop)
print("ready", flush=True)
time.sleep(60)
"""

DEAF = r"""
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def start(tmp: Path, *child: str) -> subprocess.Popen[str]:
    """dev.py in a process group of its own (as a shell runs a foreground job), stopped at its ready line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_")}
    env.update({f"XDG_{d.upper()}_HOME": str(tmp / d) for d in ("cache", "config", "data")})  # not the user's
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, str(DEV), *child], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "ready" in line or "Ctrl-C stops" in line:
            return proc
    proc.wait()
    raise AssertionError(f"never ready: exit {proc.returncode}, {proc.stderr.read() if proc.stderr else ''}")


def ctrl_c(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGINT)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=60)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode, err


def test_ctrl_c_during_its_own_work_exits_130_quietly(tmp_path: Path) -> None:
    proc = start(tmp_path)
    ctrl_c(proc)
    code, err = finish(proc)
    assert code == 130
    assert "Traceback" not in err and "[dev] interrupted" in err


def test_ctrl_c_of_the_demo_lets_gpmc_stop_and_exits_130(tmp_path: Path) -> None:
    proc = start(tmp_path, sys.executable, "-m", "gpmc_desktop.cli.main", "sim", "mailchimp", "--port", "0")
    ctrl_c(proc)
    code, err = finish(proc)
    assert code == 130, err
    assert "Traceback" not in err and "gpmc: interrupted" in err


def test_the_child_gets_its_time_to_stop_and_any_interrupted_child_means_130(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    proc = start(tmp_path, sys.executable, "-c", SLOW_TO_STOP, str(marker))
    ctrl_c(proc)
    code, err = finish(proc)
    assert marker.read_text() == "cleaned up"  # subprocess.call would have killed it after 0.25 s
    assert code == 130 and "Traceback" not in err


def test_a_third_ctrl_c_kills_a_child_that_does_not_stop(tmp_path: Path) -> None:
    proc = start(tmp_path, sys.executable, "-c", DEAF)
    for _ in range(3):
        ctrl_c(proc)
        time.sleep(0.1)
    code, err = finish(proc)
    assert code == 130 and "Traceback" not in err
