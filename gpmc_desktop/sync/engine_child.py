"""The sync process the tray app starts for each run (`sync/engine_process.py` is the app's side).

    python -m gpmc_desktop.sync.engine_child      (frozen: gpmc --engine-child)

It reads one RunRequest from stdin, runs `run_profile` with the app's state database, and writes the engine's
progress, its log lines and the run's report as frames on stdout (`sync/engine_pipe.py`).  A CANCEL frame, or
the end of stdin (the app quit or died), stops the run between records, as the app's Stop does in-process.
Nothing else may write to stdout: `print` goes to stderr, which the app copies into its log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import IO

from gpmc_desktop import store
from gpmc_desktop.logsetup import SecretFilter, mask
from gpmc_desktop.sync.engine_pipe import FrameWriter, RunRequest, read_frame
from gpmc_desktop.sync.progress_throttle import throttled_progress
from gpmc_desktop.sync.runner import run_profile

log = logging.getLogger(__name__)

EXIT_WAIT_S = 30.0  # for the app to close our stdin after the answer


class FrameLogHandler(logging.Handler):
    """The child's log records, masked and formatted, sent to the app, which writes them to its own log."""

    def __init__(self, writer: FrameWriter) -> None:
        super().__init__()
        self.writer = writer
        self.addFilter(SecretFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.send(("log", record.levelno, record.name, self.format(record)))
        except Exception:  # the app is gone: nothing left to tell
            self.handleError(record)


def watch_for_cancel(stream: IO[bytes], cancel: threading.Event) -> None:
    """Any frame after the request, or the end of the stream, cancels the run."""
    with contextlib.suppress(Exception):  # a broken pipe is the app gone: stop all the same
        read_frame(stream)
    cancel.set()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    writer = FrameWriter(stdout)
    request = read_frame(stdin)
    if not isinstance(request, RunRequest):
        sys.stderr.write("gpmc engine child: the first frame was not a run request\n")
        return 2
    handler = FrameLogHandler(writer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("gpmc_desktop")  # what the app's log file takes (logsetup.py)
    ours.addHandler(handler)
    ours.setLevel(request.log_level)
    cancel = threading.Event()
    watcher = threading.Thread(target=watch_for_cancel, args=(stdin, cancel), name="cancel watch", daemon=True)
    watcher.start()
    progress = throttled_progress(lambda phase, done, total: writer.send(("progress", phase, done, total)))
    try:
        with store.open_store(request.database):
            report = run_profile(
                request.profile, request.secrets, full=request.full, progress=progress, cancel=cancel,
                confirm_mass_change=request.confirm_mass_change, trigger=request.trigger, holder=request.holder)
        writer.send(("report", report))
    except store.ProfileBusyError as err:
        writer.send(("busy", err.profile, err.holder))
    except Exception as exc:  # logged with its traceback (masked) by the handler above; the app shows the line
        log.exception("the sync process stopped on an error")
        writer.send(("error", mask(f"{type(exc).__name__}: {exc}")))
    finally:
        ours.removeHandler(handler)
    # The app closes our stdin once it has the answer: wait for that, so that no thread is still reading stdin
    # when Python shuts down (a reader blocked there at exit is a fatal error).
    watcher.join(EXIT_WAIT_S)
    if watcher.is_alive():  # the app kept our stdin open: leave without the shutdown that would trip over it
        sys.stderr.flush()
        os._exit(0)
    return 0


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not land among the frames
    return serve(stdin, stdout)


if __name__ == "__main__":
    sys.exit(main())
