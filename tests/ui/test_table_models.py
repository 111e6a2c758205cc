"""The window's tables share one model base: titles, cell texts, tooltips and colours come from the column
definitions, and both a plain list model and the paged audit model pass Qt's own model checks."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from gpmc_desktop import store
from gpmc_desktop.store import AuditFilter, NewAuditEvent
from gpmc_desktop.ui.audit_model import AuditTableModel
from gpmc_desktop.ui.ledger_view import LedgerTableModel
from gpmc_desktop.ui.runs_model import RunsTableModel
from gpmc_desktop.ui.table_model import Column, RowTableModel
from tests.ui.audit_data import fill_audit

RED = QColor("#b3261e")
DISPLAY, TOOLTIP, FOREGROUND = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                Qt.ItemDataRole.ForegroundRole)


@dataclass
class Fruit:
    name: str
    note: str


class FruitModel(RowTableModel[Fruit]):
    columns = (
        Column("Name", lambda f: f.name, tooltip=False, color=lambda f: RED if f.name == "cherry" else None),
        Column("Note", lambda f: f.note),
    )


def test_cells_come_from_the_column_definitions(qtbot, qtmodeltester) -> None:
    model = FruitModel()
    model.set_rows([Fruit("apple", "crisp"), Fruit("cherry", "sour")])
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == ["Name", "Note"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.index(1, 0).data(DISPLAY) == "cherry"
    assert model.index(1, 0).data(TOOLTIP) is None  # this column shows no tooltip
    assert model.index(1, 1).data(TOOLTIP) == "sour"
    assert model.index(1, 0).data(FOREGROUND) == RED
    assert model.index(0, 0).data(FOREGROUND) is None
    assert model.index(0, 1).data(FOREGROUND) is None  # no colour defined
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0  # a flat table

    model.insert_rows(0, [Fruit("banana", "")])
    model.insert_rows(model.rowCount(), [Fruit("date", "sweet")])
    model.insert_rows(1, [])  # nothing to insert: no signal, no change
    assert [f.name for f in model.rows()] == ["banana", "apple", "cherry", "date"]
    assert model.row_at(3).note == "sweet"
    qtmodeltester.check(model)


def test_the_plain_list_models_pass_qts_checks(qtbot, qtmodeltester, state: store.Store) -> None:
    profile_id = store.save_profile("Checked").id
    fill_audit(profile_id, 30)
    runs = RunsTableModel()
    runs.set_profile(profile_id)
    assert runs.rowCount() == 1 and runs.index(0, 4).data() == "ok"
    assert runs.index(0, 5).data().endswith("unchanged")
    qtmodeltester.check(runs)
    ledger = LedgerTableModel()
    ledger.set_profile(profile_id)
    assert ledger.rowCount() == 0  # nothing failed to push
    qtmodeltester.check(ledger)
    ledger.set_profile(None)
    assert ledger.rowCount() == 0


def test_the_paged_audit_model_passes_qts_checks(qtbot, qtmodeltester, state: store.Store) -> None:
    profile_id = store.save_profile("Paged").id
    fill_audit(profile_id, 25)
    model = AuditTableModel(page_size=10)
    assert model.rowCount() == 0 and not model.canFetchMore()  # no profile chosen: no query
    model.set_filter(AuditFilter(profile_id=profile_id))
    assert model.loading and not model.canFetchMore()  # the first page is read off the GUI thread
    assert model.wait()
    assert model.rowCount() == 10 and model.canFetchMore()
    qtmodeltester.check(model)  # fetches the remaining pages while it checks
    assert model.wait()
    while model.canFetchMore():
        model.fetchMore()
        assert model.wait()
    assert model.rowCount() == 25 and not model.canFetchMore(QModelIndex())
    failed = next(r for r in range(model.rowCount()) if model.row_at(r).action == "failed")
    action, detail = (next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal)
                           == title) for title in ("Action", "Detail"))
    assert model.index(failed, action).data(FOREGROUND) == RED
    assert model.index(failed, action).data(TOOLTIP) is None and model.index(failed, detail).data(TOOLTIP) is not None

    run_id = store.start_run(profile_id, "incremental")
    store.record_audit(run_id, [NewAuditEvent(entity="customer", gp_key="NEW", action="created")])
    with qtbot.waitSignal(model.refreshed) as refreshed:
        model.refresh_new()
    assert refreshed.args == [1]
    assert model.row_at(0).gp_key == "NEW" and model.rowCount() == 26
    store.finish_run(run_id, "ok")
