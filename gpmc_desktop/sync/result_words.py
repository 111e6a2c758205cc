"""A run's result in the words every place shows it (the preview's Finish line, the status line and tray
tooltip, the runs table, the summary page, ``gpmc sync``'s first line), read from the one reconciliation
(``sync/reconciliation.py``) so they all state the same figures: contacts are e-mail addresses (GP customers
sharing one are one contact), invoices are the GP invoices sent as orders, money is their total.
"""

from __future__ import annotations

from collections.abc import Mapping

from gpmc_desktop.store.vocab import RunKind, run_kind_label
from gpmc_desktop.sync.reconciliation import Reconciliation


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def contacts_sent(rec: Reconciliation) -> int:
    """Audience members created or changed (in a preview: to create or change)."""
    return rec.sent(rec.members)


def invoices_sent(rec: Reconciliation) -> int:
    return rec.sent(rec.orders)


def sent_phrase(rec: Reconciliation, *, money: bool = True) -> str:
    """"315 contacts and 933 invoices ($75,694.02)" (the money only when some was sent)."""
    total = f" ({rec.money(rec.money_sent)})" if money and rec.money_sent else ""
    return f"{plural(contacts_sent(rec), 'contact')} and {plural(invoices_sent(rec), 'invoice')}{total}"


def not_reached_phrase(rec: Reconciliation) -> str:
    """A stopped run's records it never reached ("254 contacts and 933 invoices"), "" when it reached all."""
    contacts = max(rec.addresses - sum(rec.members.values()), 0)
    invoices = max(rec.invoices_to_send - sum(rec.orders.values()), 0)
    parts = [plural(n, noun) for n, noun in ((contacts, "contact"), (invoices, "invoice")) if n]
    return " and ".join(parts)


def action_counts(counts: Mapping[str, int]) -> str:
    """"315 sent, 0 unchanged, 2 failed": one runs-table cell."""
    sent = int(counts.get("created", 0)) + int(counts.get("updated", 0))
    text = f"{sent:,} sent, {int(counts.get('unchanged', 0)):,} unchanged"
    for action in ("skipped", "failed"):
        if n := int(counts.get(action, 0)):
            text += f", {n:,} {action}"
    return text


def kind_words(kind: str | None, *, dry_run: bool = False) -> str:
    """The run's kind as a person says it ("First load", "Sync now"); a run without one is a "Sync"."""
    if dry_run:
        return run_kind_label(RunKind.DRY_RUN)
    return run_kind_label(kind) if kind else "Sync"
