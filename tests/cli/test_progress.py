"""The terminal's progress line speaks the app's words: contacts (e-mail addresses) and GP invoices, done of
total, the reconciliation's totals."""

from __future__ import annotations

import io

import pytest

from gpmc_desktop.cli.progress import TerminalProgress
from gpmc_desktop.sync.progress_words import TimeLeft, progress_words


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


def test_mailchimps_batches_say_how_far_it_is_and_the_time_left_at_the_rate_seen() -> None:
    assert progress_words("batches", 0, 0) == "Mailchimp is processing…"
    assert progress_words("batches", 12_400, 60_000) == "Mailchimp is processing: 12,400 of 60,000 done"
    assert (progress_words("batches", 12_400, 60_000, 540) ==
            "Mailchimp is processing: 12,400 of 60,000 done, about 9 minutes left")
    now = [0.0]
    left = TimeLeft(lambda: now[0])
    assert left.update("batches", 0, 60_000) is None  # no rate yet
    now[0] = 60.0
    assert left.update("batches", 6_000, 60_000) == pytest.approx(540.0)  # 100 a second, 54,000 to go
    assert left.update("orders", 10, 100) is None  # a new phase starts over


def test_the_terminal_shows_the_batches_in_words() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out, min_interval=0)
    progress.update("batches", 500, 2_000)
    progress.close()
    assert out.getvalue().strip() == "Mailchimp is processing: 500 of 2,000 done"
