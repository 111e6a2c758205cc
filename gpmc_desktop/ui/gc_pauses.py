"""Short garbage-collector pauses while a sync runs in the app's process.

A full collection holds the GIL, so every thread waits, the GUI's included, while it walks every object the
collector tracks. During a backfill the engine holds hundreds of thousands of them (GP's records, the plan), and
each full collection took 70–290 ms at 10,000 customers (benchmarks/bench_gui.py), growing with the data: the
window froze for that long, several times a run. So while a run goes, each progress report moves the objects
alive at that moment out of the collector's sight (``gc.freeze``): a later collection walks only what is newer.
Frozen objects are still freed the usual way once nothing refers to them; only garbage in reference cycles
(the engine makes next to none) waits until the last run ends, when ``gc.unfreeze`` hands it back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0


@contextmanager
def short_gc_pauses() -> Iterator[None]:
    """Around one run: objects are frozen by :func:`freeze_survivors` until the last concurrent run ends."""
    global _running
    with _lock:
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.unfreeze()


def freeze_survivors() -> None:
    """Called on a run's progress: what lived until now is left out of later collections (cheap: a list move)."""
    gc.freeze()
