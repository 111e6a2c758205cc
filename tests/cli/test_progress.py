"""The terminal's progress line speaks the app's words: contacts (e-mail addresses) and GP invoices, done of
total, the reconciliation's totals."""

from __future__ import annotations

import io

from gpmc_desktop.cli.progress import TerminalProgress
from gpmc_desktop.sync.progress_words import progress_words


def test_the_terminal_line_names_the_phase_and_counts_done_of_total() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out, width=10, min_interval=0)
    progress.update("gp", 0, 0)
    progress.update("customers", 5, 10)
    progress.update("orders", 1200, 1200)
    progress.close()
    shown = [line.strip() for line in out.getvalue().split("\r") if line.strip()]
    assert shown == ["Reading GP…", "Contacts   [#####-----] 5 of 10", "Invoices   [##########] 1,200 of 1,200"]


def test_the_window_and_the_tray_say_the_same() -> None:
    assert progress_words("customers", 61, 315) == "Contacts: 61 of 315"
    assert progress_words("orders", 0, 0) == "Invoices…"
    assert progress_words("", 0, 0) == "Starting…"
