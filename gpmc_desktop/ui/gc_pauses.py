"""Short garbage-collector pauses in the app's process while a sync runs.

The app runs each sync in a process of its own (sync/engine_process.py), but its own process still collects: at
100,000 customers a full collection there, made while the audit view and the progress kept the app busy, took
98 ms, the longest the window froze in that backfill (benchmarks/bench_gui.py).  Where the engine runs in the
app's process (``saved_profile_runner(..., in_process=True)``) it is worse, as follows.

A full collection holds the GIL, so every thread waits, the GUI's included, while it walks every object the
collector tracks. During a backfill the engine holds hundreds of thousands of them (GP's records, the plan), and
each full collection took 70–290 ms at 10,000 customers (benchmarks/bench_gui.py), growing with the data: the
window froze for that long, several times a run. So while a run goes, each progress report moves the objects
alive at that moment out of the collector's sight (``gc.freeze``): a later collection walks only what is newer.
Frozen objects are still freed the usual way once nothing refers to them; only garbage in reference cycles
(the engine makes next to none) waits until the last run ends, when ``gc.unfreeze`` hands it back.

Freezing on progress still left what a phase made between two reports (a part's plan, a batch's records) to a
full collection: at 100,000 customers one such pause blocked the window 247 ms.  So while a run goes, the
collector makes no full collection on its own either (its oldest generation's threshold is out of reach); the
young generations are still collected as usual, and the threshold is put back when the last run ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_thresholds: tuple[int, int, int] | None = None  # the collector's own, while runs have theirs
NO_FULL_COLLECTIONS = 1 << 30  # full collections after that many young ones: never, within a run


@contextmanager
def short_gc_pauses() -> Iterator[None]:
    """Around one run: objects are frozen by :func:`freeze_survivors` until the last concurrent run ends."""
    global _running, _thresholds
    with _lock:
        _running += 1
        if _running == 1:
            _thresholds = gc.get_threshold()
            gc.set_threshold(_thresholds[0], _thresholds[1], NO_FULL_COLLECTIONS)
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.unfreeze()
                if _thresholds is not None:
                    gc.set_threshold(*_thresholds)
                    _thresholds = None


def freeze_survivors() -> None:
    """Called on a run's progress: what lived until now is left out of later collections (cheap: a list move)."""
    gc.freeze()
