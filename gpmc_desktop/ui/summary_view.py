"""The main window's first page: last night at a glance.

The last run in one sentence, what Mailchimp holds from GP (from the reconciliation stored with the runs, not a
Mailchimp call), the next run, and a chart of the last 30 runs.  Every figure comes from the reconciliation the
engine stored with each run (``sync/reconciliation.py``), so it agrees with the CLI, the ``--json`` line and
the preview.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gpmc_desktop import store
from gpmc_desktop.store import RunRow
from gpmc_desktop.sync.money import format_money
from gpmc_desktop.ui.run_chart import MAX_BARS, RunBar, RunChart
from gpmc_desktop.ui.status import StatusBoard
from gpmc_desktop.ui.summary_words import (
    PREVIEW_KIND,
    last_run_sentence,
    reconciliation_of,
    records_failed,
    records_sent,
    when_words,
)

HOLDS_PATH = "$.reconciliation.holds"
RUNS_READ = MAX_BARS * 2  # previews are left out of the chart: read a few more


def _label(parent: QWidget, *, wrap: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SummaryView(QWidget):
    failures_requested = Signal()  # "See failures": the window shows its Failures page

    def __init__(self, board: StatusBoard, parent: QWidget | None = None,
                 *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.now = now or (lambda: datetime.now(UTC))
        self._profile: str | None = None
        self._profile_id: int | None = None

        self.sentence = _label(self)
        font = QFont(self.sentence.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.sentence.setFont(font)
        self.failures_button = QPushButton("See failures", self)
        self.failures_button.clicked.connect(self.failures_requested)
        self.next_run = _label(self)

        holds_box = QGroupBox("What Mailchimp holds from GP", self)
        form = QFormLayout()
        self.members = _label(holds_box, wrap=False)
        self.ecommerce_customers = _label(holds_box, wrap=False)
        self.orders = _label(holds_box, wrap=False)
        self.order_total = _label(holds_box, wrap=False)
        form.addRow("Audience members:", self.members)
        form.addRow("E-commerce customers:", self.ecommerce_customers)
        form.addRow("Orders:", self.orders)
        form.addRow("Orders' total:", self.order_total)
        self.shared = _label(holds_box)  # why there are fewer members than customers
        self.holds_as_of = _label(holds_box)
        holds_layout = QVBoxLayout(holds_box)
        holds_layout.addLayout(form)
        holds_layout.addWidget(self.shared)
        holds_layout.addWidget(self.holds_as_of)

        chart_box = QGroupBox(f"The last {MAX_BARS} runs: records sent, and failures (hatched)", self)
        chart_layout = QVBoxLayout(chart_box)
        self.chart = RunChart(chart_box)
        self.chart_text = _label(chart_box)  # the chart's figures in words, for everyone
        chart_layout.addWidget(self.chart)
        chart_layout.addWidget(self.chart_text)

        top = QHBoxLayout()
        top.addWidget(self.sentence, 1)
        top.addWidget(self.failures_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.next_run)
        layout.addWidget(holds_box)
        layout.addWidget(chart_box)
        layout.addStretch(1)
        board.changed.connect(self._show_next_run)
        self.refresh()

    # -- what is shown ----------------------------------------------------------------------------------------
    def set_profile(self, name: str | None, profile_id: int | None) -> None:
        self._profile, self._profile_id = name, profile_id
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Re-read the runs (after a run finished, or another profile was chosen)."""
        runs = [] if self._profile_id is None else [
            r for r in store.list_runs(self._profile_id, limit=RUNS_READ) if r.kind != PREVIEW_KIND]
        finished = [r for r in runs if r.finished_at is not None]
        last = finished[0] if finished else None
        if self._profile_id is None:
            self.sentence.setText("No sync profile yet: set one up to connect Dynamics GP to Mailchimp.")
        else:
            self.sentence.setText(last_run_sentence(last, now=self.now()))
        self.failures_button.setVisible(last is not None and records_failed(last) > 0)
        holding = None if self._profile_id is None else store.latest_run_holding(self._profile_id, HOLDS_PATH)
        self._show_holds(holding)
        now = self.now()
        self.chart.set_bars([RunBar(when_words(r.started_at, now), records_sent(r), records_failed(r))
                             for r in reversed(finished[:MAX_BARS])])
        self.chart_text.setText(self.chart.text_alternative())
        self._show_next_run()

    def _show_holds(self, run: RunRow | None) -> None:
        rec = reconciliation_of(run) if run is not None else None
        holds = rec.holds if rec is not None else None
        if rec is None or holds is None:
            for label in (self.members, self.ecommerce_customers, self.orders):
                label.setText("none yet")
            self.order_total.setText("—")
            self.shared.setText("")
            self.holds_as_of.setText("Nothing has been sent to Mailchimp yet.")
            return
        self.members.setText(f"{holds.members:,}")
        self.shared.setText(rec.shared_text() + ".")
        self.ecommerce_customers.setText(f"{holds.ecommerce_customers:,}")
        self.orders.setText(f"{holds.orders:,}")
        self.order_total.setText(format_money(holds.money, rec.currency))
        assert run is not None
        self.holds_as_of.setText(f"As of the run at {when_words(run.started_at, self.now())} "
                                 "(voided invoices and other currencies are not in the total).")

    @Slot()
    def _show_next_run(self) -> None:
        status = self.board.get(self._profile) if self._profile else None
        self.next_run.setText("" if status is None else status.next_run_text)
