"""The failures list a finance admin acts on: customer name, full GP key, e-mail and what to fix in GP terms;
Retry only where it helps; Dismiss asks and can be undone; Copy and Export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gpmc_desktop import store
from gpmc_desktop.demo.mailchimp_sim.errors import detail_fake, detail_forgotten
from gpmc_desktop.sync.fix_advice import NO_RETRY_WHY
from gpmc_desktop.ui.ledger_view import LedgerView

LONG_KEY = "THOMASELECTRICALSUPPLY0001"  # GP keys run to 15 characters; a long one must still show whole


@pytest.fixture
def ledger(qtbot, state: store.Store) -> LedgerView:
    pid = store.save_profile("Acme").id
    store.record_failure(pid, "customer", LONG_KEY, category="permanent", content_hash="h1",
                         error_title="Invalid Resource", error_detail=detail_fake("abrown@example.com"),
                         http_status=400, email="abrown@example.com", customer_number=LONG_KEY,
                         customer_name="Thomas Electrical Supply")
    store.record_failure(pid, "customer", "AARONFIT0001", category="permanent", content_hash="h2",
                         error_title="Forgotten Email Not Subscribed",
                         error_detail=detail_forgotten("aaron@fitz.org"), http_status=400,
                         email="aaron@fitz.org", customer_number="AARONFIT0001", customer_name="Aaron Fitz")
    store.record_failure(pid, "order", "INV00042", category="permanent", content_hash="h3",
                         error_title="Invalid Resource", error_detail=detail_fake("abrown@example.com"),
                         http_status=400, email="abrown@example.com", customer_number=LONG_KEY,
                         customer_name="Thomas Electrical Supply")
    view = LedgerView()
    qtbot.addWidget(view)
    view.set_profile("Acme", pid)
    view.resize(1400, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def _column(view: LedgerView, title: str) -> int:
    model = view.model
    return next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == title)


def _row(view: LedgerView, gp_key: str) -> int:
    return next(r for r in range(view.model.rowCount()) if view.model.row_at(r).gp_key == gp_key)


def _select(view: LedgerView, *gp_keys: str) -> None:
    selection = view.table.selectionModel()
    selection.clearSelection()
    for key in gp_keys:
        selection.select(view.model.index(_row(view, key), 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def _answer(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click *button* on the next message box once it is up, noting its texts."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        seen.append(f"{box.text()}\n{box.informativeText()}")
        box.button(button).click()

    QTimer.singleShot(0, click)


def _cell(view: LedgerView, gp_key: str, title: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> str:
    return view.model.index(_row(view, gp_key), _column(view, title)).data(role)


def test_each_row_names_the_customer_the_full_key_the_email_and_what_to_fix(ledger: LedgerView) -> None:
    assert _cell(ledger, LONG_KEY, "Customer") == "Thomas Electrical Supply"
    assert _cell(ledger, LONG_KEY, "E-mail") == "abrown@example.com"
    assert _cell(ledger, LONG_KEY, "What to fix") == (
        f"Correct the e-mail address of customer {LONG_KEY} in GP: Mailchimp refuses abrown@example.com as fake")
    assert _cell(ledger, "INV00042", "Record") == "Invoice"
    assert _cell(ledger, "INV00042", "Customer") == f"Thomas Electrical Supply ({LONG_KEY})"
    # Mailchimp's own words stay for IT: in the tooltip and the detail pane.
    tooltip = _cell(ledger, LONG_KEY, "What to fix", Qt.ItemDataRole.ToolTipRole)
    assert "Mailchimp said: 400 Invalid Resource — abrown@example.com looks fake" in tooltip
    _select(ledger, LONG_KEY)
    assert "Mailchimp said (for IT): 400 Invalid Resource" in ledger.detail.text()
    # The whole key and e-mail fit their columns; the columns stay resizable; a cut is in the middle.
    metrics = ledger.table.fontMetrics()
    for title, text in (("GP key", LONG_KEY), ("E-mail", "abrown@example.com")):
        assert ledger.table.columnWidth(_column(ledger, title)) >= metrics.horizontalAdvance(text)
    header = ledger.table.horizontalHeader()
    assert header.sectionResizeMode(_column(ledger, "GP key")) == header.ResizeMode.Interactive
    assert ledger.table.textElideMode() == Qt.TextElideMode.ElideMiddle


def test_no_retry_on_a_record_only_a_gp_change_fixes(ledger: LedgerView) -> None:
    assert "3 record(s) failed: 2 wait for a correction in GP, 1 can be retried" in ledger.summary.text()
    _select(ledger, LONG_KEY)
    assert not ledger.retry_selected_button.isEnabled()
    assert ledger.retry_selected_button.toolTip() == NO_RETRY_WHY
    _select(ledger, "AARONFIT0001")  # the contact can sign up again in Mailchimp: a retry can help then
    assert ledger.retry_selected_button.isEnabled()

    requested: list[str] = []
    ledger.sync_requested.connect(requested.append)
    assert ledger.retry_all() == 1  # only the forgotten contact; the two fake addresses are skipped
    assert "Retrying 1 record(s). Skipped 2" in ledger.message.label.text()
    assert requested == ["Acme"]
    entries = {e.gp_key: e for e in store.list_failures(ledger.model.profile_id)}  # type: ignore[arg-type]
    assert entries["AARONFIT0001"].next_retry_at is not None
    assert entries[LONG_KEY].next_retry_at is None and entries["INV00042"].next_retry_at is None


def test_dismiss_asks_naming_the_records_and_undo_restores(qtbot, ledger: LedgerView) -> None:
    _select(ledger, LONG_KEY, "INV00042")
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Cancel, seen)
    assert ledger.dismiss_selected() == 0
    assert "Dismiss 2 failed record(s)?" in seen[0]
    assert f"customer {LONG_KEY} (Thomas Electrical Supply)" in seen[0] and "invoice INV00042" in seen[0]
    assert ledger.model.rowCount() == 3  # cancelled: nothing dismissed

    _select(ledger, LONG_KEY, "INV00042")
    _answer(QMessageBox.StandardButton.Yes, seen)
    assert ledger.dismiss_selected() == 2
    assert [ledger.model.row_at(r).gp_key for r in range(ledger.model.rowCount())] == ["AARONFIT0001"]
    assert ledger.message.isVisible() and ledger.message.undo_button.isVisible()
    assert ledger.message.label.text() == "Dismissed 2 records."

    ledger.message.undo_button.click()
    assert {ledger.model.row_at(r).gp_key for r in range(ledger.model.rowCount())} == {
        LONG_KEY, "AARONFIT0001", "INV00042"}
    assert not ledger.message.undo_button.isVisible()


def test_dismissed_records_can_be_shown_and_restored(qtbot, ledger: LedgerView) -> None:
    _select(ledger, "INV00042")
    _answer(QMessageBox.StandardButton.Yes, [])
    assert ledger.dismiss_selected() == 1
    ledger.show_dismissed.setChecked(True)
    assert [ledger.model.row_at(r).gp_key for r in range(ledger.model.rowCount())] == ["INV00042"]
    assert ledger.restore_button.isVisible() and not ledger.retry_all_button.isVisible()
    _select(ledger, "INV00042")
    assert ledger.restore_selected() == 1
    assert ledger.model.rowCount() == 0
    ledger.show_dismissed.setChecked(False)
    assert ledger.model.rowCount() == 3


def test_copy_puts_the_selected_rows_on_the_clipboard_with_headers(ledger: LedgerView) -> None:
    _select(ledger, LONG_KEY, "AARONFIT0001")
    text = ledger.copy_selected()
    assert QApplication.clipboard().text() == text
    lines = [line.split("\t") for line in text.splitlines()]
    assert lines[0] == ["Record", "GP key", "Customer", "E-mail", "Last failed", "Attempts", "Next try",
                        "What to fix"]
    assert sorted(line[1] for line in lines[1:]) == ["AARONFIT0001", LONG_KEY]
    assert all(len(line) == len(lines[0]) for line in lines)
    _select(ledger)  # nothing selected: the whole list
    assert len(ledger.copy_selected().splitlines()) == 4


def test_export_writes_a_csv_with_readable_headers(ledger: LedgerView, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "failures.csv"
    offered: list[str] = []

    def save_as(*args: object, **_kw: object) -> tuple[str, str]:
        offered.append(str(args[2]))
        return str(out), ""

    monkeypatch.setattr("gpmc_desktop.ui.ledger_view.QFileDialog.getSaveFileName", save_as)
    ledger.export_csv()
    assert Path(offered[0]).name.startswith("gpmc-failures-") and offered[0].endswith(".csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["Record", "GP key", "Customer number", "Customer name", "E-mail", "What to fix",
                             "Mailchimp said", "Retry helps", "Attempts", "First failed", "Last failed", "Next try"]
    thomas = next(r for r in rows if r["GP key"] == LONG_KEY)
    assert thomas["Customer name"] == "Thomas Electrical Supply" and thomas["Retry helps"] == "no, correct it in GP"
    assert thomas["Mailchimp said"].startswith("400 Invalid Resource")
    assert len(thomas["Last failed"]) == len("2025-01-15 08:30")  # a local time a spreadsheet reads as a date
    assert f"Exported 3 record(s) to {out}" in ledger.message.label.text()


def test_search_narrows_the_list_and_ctrl_f_focuses_it(qtbot, ledger: LedgerView) -> None:
    ledger.focus_search()
    qtbot.waitUntil(ledger.search.hasFocus)

    def keys() -> set[str]:
        return {ledger.model.row_at(r).gp_key for r in range(ledger.model.rowCount())}

    ledger.search.setText("thomas electrical")
    assert keys() == {LONG_KEY, "INV00042"}
    ledger.search.setText("nobody")
    assert keys() == set()
    ledger.search.setText("AARON@FITZ")  # any case
    assert keys() == {"AARONFIT0001"}
