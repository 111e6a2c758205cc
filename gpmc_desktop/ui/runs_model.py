"""The last runs of one profile, newest first, with the figures of the reconciliation stored with each (the
same the summary, the tray and ``gpmc sync`` state)."""

from __future__ import annotations

from PySide6.QtCore import QObject

from gpmc_desktop import store
from gpmc_desktop.store import RunRow, run_kind_label
from gpmc_desktop.sync.reconciliation import stored_reconciliation
from gpmc_desktop.sync.result_words import action_counts
from gpmc_desktop.ui.table_model import Column, RowTableModel

RUNS_SHOWN = 50


def _totals(run: RunRow, rec_counts: str, entity: str) -> str:
    """One figure of the run's stored reconciliation ("315 sent, 0 unchanged": contacts are e-mail addresses);
    a run an earlier build stored, without one, shows its GP customers or invoices."""
    rec = stored_reconciliation(run.counts)
    counts = getattr(rec, rec_counts) if rec is not None else (run.counts or {}).get(entity, {})
    return action_counts(counts)


def _money(run: RunRow) -> str:
    """The total of the invoices the run sent, in the company currency ("" for an earlier build's run)."""
    rec = stored_reconciliation(run.counts)
    return rec.money(rec.money_sent) if rec is not None else ""


def _took(run: RunRow) -> str:
    if run.finished_at is None:
        return "running"
    seconds = int((run.finished_at - run.started_at).total_seconds())
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class RunsTableModel(RowTableModel[RunRow]):
    columns = (
        Column("Run", lambda run: str(run.id)),
        Column("Kind", lambda run: run_kind_label(run.kind)),
        Column("Started", lambda run: f"{run.started_at.astimezone():%Y-%m-%d %H:%M}"),
        Column("Took", _took),
        Column("Outcome", lambda run: run.outcome or "running"),
        Column("Contacts", lambda run: _totals(run, "members", "customer")),
        Column("Invoices", lambda run: _totals(run, "orders", "order")),
        Column("Money sent", _money),
        Column("Error", lambda run: run.error_summary or ""),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._profile_id: int | None = None

    def set_profile(self, profile_id: int | None) -> None:
        self._profile_id = profile_id
        self.reload()

    def reload(self) -> None:
        self.set_rows([] if self._profile_id is None else store.list_runs(self._profile_id, limit=RUNS_SHOWN))
