"""The last runs of one profile, newest first, with their totals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from gpmc_desktop import store
from gpmc_desktop.store import RunRow

COLUMNS = ("Run", "Kind", "Started", "Took", "Outcome", "Customers", "Invoices", "Error")
RUNS_SHOWN = 50

Index = QModelIndex | QPersistentModelIndex


def _totals(counts: dict[str, int]) -> str:
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


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._runs: list[RunRow] = []
        self._profile_id: int | None = None

    def set_profile(self, profile_id: int | None) -> None:
        self._profile_id = profile_id
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._runs = [] if self._profile_id is None else store.list_runs(self._profile_id, limit=RUNS_SHOWN)
        self.endResetModel()

    def run_at(self, row: int) -> RunRow:
        return self._runs[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        run = self._runs[index.row()]
        counts = run.counts or {}
        values = (
            str(run.id),
            run.kind,
            f"{run.started_at.astimezone():%Y-%m-%d %H:%M}",
            _took(run),
            run.outcome or "running",
            _totals(counts.get("customer", {})),
            _totals(counts.get("order", {})),
            run.error_summary or "",
        )
        return values[index.column()]
