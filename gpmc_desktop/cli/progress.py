"""A one-line progress bar for a terminal, with honest counts (done of total per phase, in the words the app
uses: see ``sync/progress_words.py``)."""

from __future__ import annotations

import time
from typing import TextIO

from gpmc_desktop.sync.progress_words import BATCHES, TimeLeft, phase_name, progress_words


class TerminalProgress:
    def __init__(self, out: TextIO, width: int = 30, min_interval: float = 0.1) -> None:
        self.out = out
        self.width = width
        self.min_interval = min_interval
        self._last = 0.0
        self._shown = False
        self._left = TimeLeft()

    def update(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done not in (0, total) and now - self._last < self.min_interval:
            return
        self._last = now
        seconds_left = self._left.update(phase, done, total)
        if phase == BATCHES:  # its total grows step by step: words, not a bar that would jump back
            line = progress_words(phase, done, total, seconds_left)
        elif total:
            filled = int(self.width * done / total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{phase_name(phase):<10} [{bar}] {done:,} of {total:,}"
        else:
            line = progress_words(phase, done, total)
        self.out.write(f"\r{line:<80}")
        self.out.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.out.write("\n")
            self.out.flush()
