"""Ctrl-C for the headless commands: a scheduler must never read a cut-short run as a good one.

``gpmc sync`` runs inside :func:`cancel_on_signals`: the first SIGINT (Ctrl-C), SIGTERM (a service manager's
stop) or, on Windows, SIGBREAK (Ctrl-Break) sets the engine's cancel event.  The engine finishes the records in
flight, marks synced only what Mailchimp accepted and records the run as ``cancelled``; the command then exits
130 (:attr:`ExitCode.INTERRUPTED`).  A second signal ends the process at once, still with 130 and no
traceback: the run is left open like after a crash, and the next run sends what is missing.

Every other command has nothing to finish: ``cli/main.py`` turns the KeyboardInterrupt of a Ctrl-C into exit 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from gpmc_desktop.sync.report import ExitCode

# On Windows Ctrl-Break arrives as SIGBREAK (and a SIGTERM handler is allowed there, though rarely called).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name))

FIRST_NOTICE = ("gpmc: interrupted: finishing the records in flight and recording the run as cancelled "
                "(press Ctrl-C again to stop at once)")
SECOND_NOTICE = "gpmc: interrupted again: stopping at once (the next run sends what is missing)"


def notify(line: str) -> None:
    """One line on stderr, written straight to the file descriptor: a signal handler may run while the main
    thread is inside a write to ``sys.stderr`` (the progress bar), and a buffered write from here would then fail
    with a reentrant-call error."""
    with contextlib.suppress(OSError):  # no stderr (a detached process): the exit code still says it
        os.write(2, ("\n" + line + "\n").encode("utf-8", "replace"))


@contextmanager
def cancel_on_signals(
    cancel: threading.Event,
    *,
    notice: Callable[[str], None] = notify,
    abort: Callable[[int], object] = os._exit,
) -> Iterator[None]:
    """While inside, the first interrupt sets *cancel*; the second calls ``abort(130)`` (``os._exit``: no
    cleanup that could hang on a worker thread stuck in a request).  The previous handlers come back on exit.
    Outside the main thread (where Python delivers no signals) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = 0

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        if received == 1:
            cancel.set()
            notice(FIRST_NOTICE)
        else:
            notice(SECOND_NOTICE)
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(AttributeError, OSError, ValueError, RuntimeError):
                    stream.flush()  # may be mid-write (RuntimeError: reentrant call): then it is lost
            abort(int(ExitCode.INTERRUPTED))

    previous = {sig: signal.signal(sig, handle) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
