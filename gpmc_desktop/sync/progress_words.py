"""The progress of a run in words, the same in the terminal, the window, the tray and the wizard.

The totals are the reconciliation's (``sync/reconciliation.py``): the contacts step counts e-mail addresses (GP
customers sharing one are one contact), the invoices step counts every GP invoice, so the progress ends on the
figures the run's summary shows.  While Mailchimp works through a big run's batches, the words say how many of
the operations sent it finished and, since Mailchimp gives no estimate, the time left at the rate it has been
seen to go (:class:`TimeLeft`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

PHASES = {"gp": "Reading GP", "checking": "Checking what changed", "customers": "Contacts", "orders": "Invoices",
          "batches": "Mailchimp is processing"}
BATCHES = "batches"
CHECKING = "checking"  # GP's customers compared with what was synced, before anything is sent
RATE_AFTER = 3.0  # seconds of watching before a rate is trusted


def phase_name(phase: str) -> str:
    return PHASES.get(phase, phase or "Starting")


def progress_words(phase: str, done: int, total: int, seconds_left: float | None = None) -> str:
    """"Contacts: 61 of 315"; "Reading GP…" while there is no count yet; "Mailchimp is processing: 12,400 of
    60,000 done, about 9 minutes left"."""
    name = phase_name(phase)
    if phase == "gp" or not total:
        return f"{name}…"
    if phase == BATCHES:
        left = f", {time_left_words(seconds_left)}" if seconds_left is not None and done < total else ""
        return f"{name}: {done:,} of {total:,} done{left}"
    return f"{name}: {done:,} of {total:,}"


def time_left_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute left"
    if minutes < 90:
        return "about a minute left" if minutes == 1 else f"about {minutes} minutes left"
    return f"about {round(minutes / 60)} hours left"


class TimeLeft:
    """The time a phase still needs, from the rate its count has been growing since the phase began."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._phase = ""
        self._start: tuple[float, int] = (0.0, 0)

    def update(self, phase: str, done: int, total: int) -> float | None:
        """Seconds left at the rate seen so far; None until there is a rate to go by."""
        now = self._clock()
        if phase != self._phase or done < self._start[1]:
            self._phase, self._start = phase, (now, done)
            return None
        since, first = self._start
        if now - since < RATE_AFTER or done <= first:
            return None
        rate = (done - first) / (now - since)
        return max(total - done, 0) / rate
