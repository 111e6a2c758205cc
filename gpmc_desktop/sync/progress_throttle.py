"""Progress at a pace a reader can take: the engine reports every record, a window or a pipe needs a few a second."""

from __future__ import annotations

import time
from collections.abc import Callable

ProgressCallback = Callable[[str, int, int], None]  # phase, done, total: the engine's progress

PROGRESS_INTERVAL_S = 0.05


def throttled_progress(progress: ProgressCallback, interval_s: float = PROGRESS_INTERVAL_S) -> ProgressCallback:
    """Pass on at most about one progress call per *interval_s* (phase changes and each phase's first and last
    count always go through), so a 100,000-record run cannot flood the GUI's event queue while the counts
    shown are still the engine's own."""
    last_phase, last_emit = "", 0.0

    def throttled(phase: str, done: int, total: int) -> None:
        nonlocal last_phase, last_emit
        now = time.monotonic()
        if phase == last_phase and done not in (0, total) and now - last_emit < interval_s:
            return
        last_phase, last_emit = phase, now
        progress(phase, done, total)

    return throttled
