"""The last runs of one profile, newest first, with their totals."""

from __future__ import annotations

from PySide6.QtCore import QObject

from gpmc_desktop import store
from gpmc_desktop.store import RunRow, run_kind_label
from gpmc_desktop.ui.table_model import Column, RowTableModel

RUNS_SHOWN = 50


def _totals(run: RunRow, entity: str) -> str:
    counts = (run.counts or {}).get(entity, {})
    sent = counts.get("created", 0) + counts.get("updated", 0)
    text = f"{sent} sent, {counts.get('unchanged', 0)} unchanged"
    if counts.get("skipped"):
        text += f", {counts['skipped']} skipped"
    if counts.get("failed"):
        text += f", {counts['failed']} failed"
    return text


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
        Column("Customers", lambda run: _totals(run, "customer")),
        Column("Invoices", lambda run: _totals(run, "order")),
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
