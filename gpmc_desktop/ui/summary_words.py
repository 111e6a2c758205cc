"""The summary page's words (Qt-free): the last run in one sentence, from the reconciliation stored with it.

"07:00 — 5 new customers and 12 invoices ($4,320.15) sent; nothing needs you".  No run ids, hashes or internal
kinds: a finance admin reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gpmc_desktop.store import RunRow
from gpmc_desktop.sync.mass_change import is_stop
from gpmc_desktop.sync.reconciliation import Reconciliation, stored_reconciliation
from gpmc_desktop.sync.result_words import contacts_sent, invoices_sent, plural

PREVIEW_KIND = "dry-run"  # a preview sends nothing: not a run the summary tells of


def when_words(at: datetime, now: datetime) -> str:
    """"07:00" today, "Yesterday 07:00", else "Mon 3 Dec 07:00" (local time)."""
    local, today = at.astimezone(), now.astimezone().date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def reconciliation_of(run: RunRow) -> Reconciliation | None:
    return stored_reconciliation(run.counts)


def _counts(run: RunRow, entity: str) -> Mapping[str, Any]:
    counts = (run.counts or {}).get(entity, {})
    return counts if isinstance(counts, Mapping) else {}


def records_sent(run: RunRow) -> int:
    """Contacts and invoices the run sent (new or changed), the reconciliation's figures; GP customers and
    invoices for a run an earlier build stored."""
    if (rec := reconciliation_of(run)) is not None:
        return contacts_sent(rec) + invoices_sent(rec)
    return sum(int(_counts(run, e).get(a, 0)) for e in ("customer", "order") for a in ("created", "updated"))


def records_failed(run: RunRow) -> int:
    """Records that failed in the run or wait on an earlier failure: the Failures page lists them."""
    return sum(int(_counts(run, e).get("failed", 0)) for e in ("customer", "order"))


def sent_words(run: RunRow) -> str:
    """"5 new contacts, 2 updated contacts and 12 invoices ($4,320.15)", or "" when nothing was sent.  Contacts
    are the reconciliation's e-mail addresses (the figure the preview, tray, runs table and CLI state); a run an
    earlier build stored, without one, tells its GP customers."""
    rec = reconciliation_of(run)
    customers, orders = (rec.members, rec.orders) if rec is not None else (_counts(run, "customer"),
                                                                             _counts(run, "order"))
    noun = "contact" if rec is not None else "customer"
    new, changed = int(customers.get("created", 0)), int(customers.get("updated", 0))
    invoices = int(orders.get("created", 0)) + int(orders.get("updated", 0))
    parts = []
    if new:
        parts.append(f"{new:,} new {noun}{'' if new == 1 else 's'}")
    if changed:
        parts.append(f"{changed:,} updated {noun}{'' if changed == 1 else 's'}")
    if invoices:
        money = f" ({rec.money(rec.money_sent)})" if rec is not None and rec.money_sent else ""
        parts.append(plural(invoices, "invoice") + money)
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def needs_words(run: RunRow) -> str:
    failed = records_failed(run)
    return "nothing needs you" if not failed else f"{failed:,} need{'s' if failed == 1 else ''} you: see Failures"


def last_run_sentence(run: RunRow | None, *, now: datetime) -> str:
    """The last run's time and result in one sentence."""
    if run is None:
        return "No sync has run yet."
    when = when_words(run.started_at, now)
    sent = sent_words(run)
    if run.outcome is None:
        return f"{when} — a sync is running now."
    if run.outcome == "failed":
        error = run.error_summary or "the run could not proceed"
        if is_stop(error):
            return (f"{when} — nothing was sent: the run would change much of what Mailchimp holds, and waits for "
                    "your decision.")
        return f"{when} — the sync stopped: {error}"
    if run.outcome == "cancelled":
        done = f"{sent} sent" if sent else "nothing sent"
        return f"{when} — stopped before the end ({done}); the rest goes with the next run."
    what = f"{sent} sent" if sent else "nothing new to send"
    return f"{when} — {what}; {needs_words(run)}."
