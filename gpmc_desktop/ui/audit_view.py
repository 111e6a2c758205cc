"""The audit log page: filters (run, record type, action, search), the lazy table with the total matching count,
a per-record trace and CSV export (the pages, the export and the count run off the GUI thread: over a million
rows they take a while, and the window must not freeze)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop import store
from gpmc_desktop.store import Action, AuditEventRow, AuditFilter, Entity
from gpmc_desktop.store.audit_excel import export_audit_csv_readable
from gpmc_desktop.ui.audit_model import AuditTableModel, detail_text
from gpmc_desktop.ui.background import Background, Task
from gpmc_desktop.ui.export_paths import default_export_path

SEARCH_DELAY_MS = 300
_ENTITY_CHOICES = ("customer", "order", "member", "product", "store", "merge_field")
_RUN_CHOICES = 50


def write_audit_csv(path: Path, filters: AuditFilter) -> int:
    """The events matching *filters* as a CSV file for Excel (readable headers, local times); returns how many rows
    were written (runs off the GUI thread)."""
    # utf-8-sig: Excel recognises UTF-8 by the BOM; newline="": the csv module writes its own line ends.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return export_audit_csv_readable(out, filters)


class TraceDialog(QDialog):
    """Every action on one GP record, oldest first: "did this customer sync, and what did Mailchimp say?"."""

    # No payload hash: a finance admin never needs it (the CSV export keeps it for IT).
    HEADERS = ("When", "Run", "Action", "E-mail", "Mailchimp id", "HTTP", "Detail")

    def __init__(self, profile_id: int, entity: str, gp_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {entity} {gp_key}")
        self.rows: list[AuditEventRow] = store.record_trace(profile_id, entity, gp_key)
        self.table = QTableWidget(len(self.rows), len(self.HEADERS), self)
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, ev in enumerate(self.rows):
            values = (f"{ev.at.astimezone():%Y-%m-%d %H:%M:%S}", str(ev.run_id), ev.action, ev.email or "",
                      ev.mailchimp_id or "", "" if ev.http_status is None else str(ev.http_status),
                      detail_text(ev))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        # Every column as wide as its text (an e-mail is never cut); the detail takes the rest.
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        name = next((ev.customer_name for ev in reversed(self.rows) if ev.customer_name), None)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        whose = f" ({name})" if name else ""
        layout.addWidget(QLabel(f"{len(self.rows)} event(s) for {entity} <b>{gp_key}</b>{whose}", self))
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(900, 360)


class AuditView(QWidget):
    export_finished = Signal(int, str)
    export_failed = Signal(str)
    total_counted = Signal(int)  # the matching events in all, once counted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_id: int | None = None
        self.model = AuditTableModel(self)
        self._background = Background(self)
        self._export: Task | None = None
        self._export_path = ""
        self._count: Task | None = None
        self.total: int | None = None  # events matching the filter in all; None while counting

        self.run_box = QComboBox(self)
        self.entity_box = QComboBox(self)
        self.entity_box.addItem("All records", None)
        for e in _ENTITY_CHOICES:
            self.entity_box.addItem(Entity(e).value.replace("_", " ").capitalize(), e)
        self.action_box = QComboBox(self)
        self.action_box.addItem("All actions", None)
        for a in Action:
            self.action_box.addItem(a.value.capitalize(), a.value)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Customer number or name, invoice, e-mail or Mailchimp id (starts with)")
        self.search.setClearButtonEnabled(True)
        self.trace_button = QPushButton("Record history", self)
        self.export_button = QPushButton("Export CSV…", self)
        self.status = QLabel(self)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a key's end tells keys apart: keep it
        # Fixed row heights and no per-row sizing: Qt then never measures rows, whatever their number.
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        vh.hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((140, 70, 130, 200, 100, 210, 70, 45, 320, 120)):
            self.table.setColumnWidth(col, width)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        for box in (self.run_box, self.entity_box, self.action_box):
            box.currentIndexChanged.connect(self.apply_filters)
        self.trace_button.clicked.connect(self.show_trace)
        self.export_button.clicked.connect(self.ask_export)
        self.table.doubleClicked.connect(self._on_double_click)
        self.model.modelReset.connect(self._count_total)
        self.model.modelReset.connect(self._update_status)
        self.model.rowsInserted.connect(self._update_status)
        self.model.loading_changed.connect(self._update_status)
        self.model.loaded.connect(self._update_status)
        self.model.failed.connect(self._update_status)
        self.model.refreshed.connect(self._on_refreshed)

        bar = QHBoxLayout()
        bar.addWidget(self.run_box)
        bar.addWidget(self.entity_box)
        bar.addWidget(self.action_box)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.trace_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self._fill_runs()

    # -- filters -------------------------------------------------------------------------------------------
    def set_profile(self, profile_id: int | None) -> None:
        self.profile_id = profile_id
        self._fill_runs()
        self.apply_filters()

    def _fill_runs(self) -> None:
        current = self.run_box.currentData()
        self.run_box.blockSignals(True)
        self.run_box.clear()
        self.run_box.addItem("All runs", None)
        if self.profile_id is not None:
            for run in store.list_runs(self.profile_id, limit=_RUN_CHOICES):
                when = f"{run.started_at.astimezone():%d %b %H:%M}"
                self.run_box.addItem(f"Run {run.id} · {when} · {store.run_kind_label(run.kind)}", run.id)
        index = self.run_box.findData(current)
        self.run_box.setCurrentIndex(max(index, 0))
        self.run_box.blockSignals(False)

    def current_filter(self) -> AuditFilter | None:
        if self.profile_id is None:
            return None
        return AuditFilter(
            profile_id=self.profile_id,
            run_id=self.run_box.currentData(),
            entity=self.entity_box.currentData(),
            action=self.action_box.currentData(),
            text=self.search.text().strip() or None,
        )

    @Slot()
    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.current_filter())

    def set_run(self, run_id: int | None) -> None:
        self._fill_runs()
        self.run_box.setCurrentIndex(max(self.run_box.findData(run_id), 0))

    def refresh(self, *, runs: bool = True) -> None:
        """New events (and, with `runs`, the run list) since the last look, keeping the scroll position."""
        if runs:
            self._fill_runs()
        self.model.refresh_new()  # read off the GUI thread; `_on_refreshed` follows

    @Slot(int)
    def _on_refreshed(self, added: int) -> None:
        """New rows put on top: the total grows by as many (a reload instead recounts)."""
        if self.total is not None:
            self.total += added
            self._update_status()

    # -- the total -----------------------------------------------------------------------------------------
    def _count_total(self) -> None:
        """Count the matching events on a pool thread (over a million rows a count takes a moment)."""
        if self._count is not None:
            self._count.drop()
        self.total, self._count = None, None
        filters = self.model.filters
        if filters is not None:
            self._count = self._background.start(lambda _report: store.count_audit(filters), name="audit count",
                                                 on_result=self._on_counted)

    @Slot(object)
    def _on_counted(self, total: int) -> None:
        self._count = None
        self.total = total
        self._update_status()
        self.total_counted.emit(total)

    def status_text(self) -> str:
        shown = self.model.rowCount()
        if self.model.filters is None:
            return ""
        if self.model.error:
            return f"Could not read the audit log: {self.model.error}"
        if self.model.loading:
            return "Searching…"
        if self.total is None:
            return f"Showing {shown:,} event(s); counting all that match…"
        if shown >= self.total:
            return f"Showing all {self.total:,} event(s)" if self.total else "No event matches."
        return f"Showing {shown:,} of {self.total:,} events (scroll for more)"

    def _update_status(self) -> None:
        if self._export is None:
            self.status.setText(self.status_text())

    # -- trace ---------------------------------------------------------------------------------------------
    def selected_event(self) -> AuditEventRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def trace_dialog(self, event: AuditEventRow) -> TraceDialog:
        return TraceDialog(event.profile_id, event.entity, event.gp_key, self)

    def _on_double_click(self, index: QModelIndex) -> None:
        self.trace_dialog(self.model.row_at(index.row())).exec()

    @Slot()
    def focus_search(self) -> None:
        """Ctrl+F: type a customer, invoice or e-mail."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    @Slot()
    def export_csv(self) -> None:
        """Ctrl+E: the matching events as CSV."""
        self.ask_export()

    def show_trace(self) -> None:
        event = self.selected_event()
        if event is not None:
            self.trace_dialog(event).exec()

    # -- export --------------------------------------------------------------------------------------------
    def ask_export(self) -> None:
        filters = self.current_filter()
        if filters is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", str(default_export_path("audit")),
                                              "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Task | None:
        filters = self.current_filter()
        if filters is None or self._export is not None:
            return None
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting to {path}…")
        self._export_path = str(path)
        self._export = self._background.start(
            lambda _report: write_audit_csv(path, filters), name=f"audit export to {path}",
            on_result=self._on_export_finished, on_error=self._on_export_failed)
        return self._export

    @Slot(object)
    def _on_export_finished(self, rows: int) -> None:
        self._export = None
        self.export_button.setEnabled(True)
        self.status.setText(f"Exported {rows:,} event(s) to {self._export_path}")
        self.export_finished.emit(rows, self._export_path)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self._export = None
        self.export_button.setEnabled(True)
        self.status.setText(f"Export failed: {message}")
        self.export_failed.emit(message)
