"""A real process that holds a profile's run lock (store/run_lock.py) until it is killed or its time is up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import sys, time
from pathlib import Path
from gpmc_desktop.store.run_lock import profile_run_lock
with profile_run_lock(sys.argv[2], database=Path(sys.argv[1]), program="a test holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


class Holder:
    """Holds *profile*'s lock beside *db* from the constructor's return for *hold_s* seconds."""

    def __init__(self, db: Path, profile: str, hold_s: float = 600.0) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(db), profile, str(hold_s)],
                                     stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "held", "the holder could not take the lock"

    def kill(self) -> None:
        """SIGKILL: the holder runs no cleanup at all."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
