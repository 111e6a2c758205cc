"""The progress of a run in words, the same in the terminal, the window, the tray and the wizard.

The totals are the reconciliation's (``sync/reconciliation.py``): the contacts step counts e-mail addresses (GP
customers sharing one are one contact), the invoices step counts every GP invoice, so the progress ends on the
figures the run's summary shows.
"""

from __future__ import annotations

PHASES = {"gp": "Reading GP", "customers": "Contacts", "orders": "Invoices"}


def phase_name(phase: str) -> str:
    return PHASES.get(phase, phase or "Starting")


def progress_words(phase: str, done: int, total: int) -> str:
    """"Contacts: 61 of 315"; "Reading GP…" while there is no count yet."""
    name = phase_name(phase)
    if phase == "gp" or not total:
        return f"{name}…"
    return f"{name}: {done:,} of {total:,}"
