"""``gpmc`` with a kill point armed: the process SIGKILLs itself at the nth pass through a named point of the
sync (or after a delay), exactly as a power cut or a task manager's "End task" would stop it — no cleanup, no
``finally``, no atexit.  Run as ``python -m tests.reliability.kill_points sync --config ...``.

This is fault injection, not a mock: every part of the run is real; the hooks only count passes and pull the plug.
``GPMC_TEST_KILL`` arms one point (JSON: ``{"point": "order-write", "nth": 7, "when": "after"}`` or
``{"point": "any-time", "delay": 2.5}``; ``"when": "raise"`` raises instead, an exception carrying the secrets the
process was given, as a bug's message might); ``GPMC_TEST_KILL_COUNTS`` names a file where a run that was not killed
writes how often it passed each point, so trials can pick an nth that the run reaches.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

SPEC_ENV = "GPMC_TEST_KILL"
SECONDS_KEY = "seconds"  # in the counts file: from arming to the end of the run
COUNTS_ENV = "GPMC_TEST_KILL_COUNTS"

# point -> where it is, in the words docs/reliability.md uses
POINTS = {
    "gp-read": "reading GP's customers and invoices (at the nth record parsed from the socket)",
    "member-write": "a member write to Mailchimp (before it is sent, or after Mailchimp applied it)",
    "order-write": "an order write to Mailchimp (before it is sent, or after Mailchimp applied it)",
    "batch-submit": "a batch submission (before POST /batches, or after Mailchimp accepted the batch)",
    "batch-poll": "polling a batch's status",
    "batch-results": "reading a finished batch's results (at the nth operation's result)",
    "sqlite-commit": "a commit of the state database (before COMMIT, or right after it)",
    "ledger-write": "a write to the failure ledger (before or after it)",
    "any-time": "a random instant of the whole run",
}

_counts: Counter[str] = Counter()
_lock = threading.Lock()
_spec: dict[str, Any] = {}
_armed_at = 0.0


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def raise_a_bug() -> None:
    """A bug whose message holds the secrets (as one formatting a URL or a request might): what a crash prints."""
    raise RuntimeError(f"simulated bug with {os.environ.get('GPMC_GP_PASSWORD')} and "
                       f"{os.environ.get('GPMC_MAILCHIMP_API_KEY')} in its message")


def _enter(point: str) -> str | None:
    """Count a pass through *point*; "before"/"after" if this pass is the armed one."""
    with _lock:
        _counts[point] += 1
        if _spec.get("point") == point and _counts[point] == _spec.get("nth"):
            return str(_spec.get("when", "before"))
    return None


def _wrap_call(owner: Any, name: str, point: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        armed = _enter(point)
        if armed == "before":
            die()
        if armed == "raise":
            raise_a_bug()
        result = original(*args, **kwargs)
        if armed == "after":
            die()
        return result

    setattr(owner, name, wrapper)


def _wrap_items(owner: Any, name: str, point: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for item in original(*args, **kwargs):
            armed = _enter(point)
            if armed == "raise":
                raise_a_bug()
            if armed:
                die()
            yield item

    setattr(owner, name, wrapper)


def arm() -> None:
    import peewee

    from gpmc_desktop import store
    from gpmc_desktop.gp import sba_stream
    from gpmc_desktop.mailchimp.api import MailchimpApi
    from gpmc_desktop.mailchimp.batches import BatchClient

    global _armed_at
    _armed_at = time.monotonic()
    _spec.update(json.loads(os.environ.get(SPEC_ENV) or "{}"))
    _wrap_items(sba_stream, "answer_items", "gp-read")
    for name in ("upsert_member", "add_member"):
        _wrap_call(MailchimpApi, name, "member-write")
    _wrap_call(MailchimpApi, "create_order", "order-write")
    _wrap_call(BatchClient, "submit", "batch-submit")
    _wrap_call(BatchClient, "status", "batch-poll")
    _wrap_items(BatchClient, "results", "batch-results")
    _wrap_call(peewee.Database, "commit", "sqlite-commit")
    _wrap_call(store, "record_failure", "ledger-write")
    if _spec.get("point") == "any-time":
        timer = threading.Timer(float(_spec["delay"]), die)
        timer.daemon = True
        timer.start()


def _write_counts() -> None:
    path = os.environ.get(COUNTS_ENV)
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({**_counts, SECONDS_KEY: time.monotonic() - _armed_at}, out)


def main(argv: list[str]) -> int:
    arm()
    from gpmc_desktop.cli.main import main as gpmc

    try:
        return gpmc(argv)
    finally:
        _write_counts()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

