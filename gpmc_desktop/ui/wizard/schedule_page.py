"""Page 6: when the profile syncs on its own, as a `Cadence` (the scheduler's stored contract), described in
the scheduler's own words as the user edits it."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QTimeEdit,
    QWidget,
)

from gpmc_desktop.scheduling.cadence import (
    CUSTOM,
    DAILY,
    DAY_NAMES,
    EVERY_HOURS,
    MANUAL,
    MAX_BUSINESS_DAYS_AFTER,
    MAX_HOURS,
    MONTH_END,
    WEEKLY,
    Cadence,
)
from gpmc_desktop.ui.wizard.base import Page, hint

DEFAULT_CADENCE = Cadence.daily("07:00")
_CHOICES = (
    (EVERY_HOURS, "Every few hours"),
    (DAILY, "Daily"),
    (WEEKLY, "Weekly"),
    (MONTH_END, "Month-end close"),
    (MANUAL, "Manual only"),
)


def _time_edit(parent: QWidget) -> QTimeEdit:
    edit = QTimeEdit(QTime(7, 0), parent)
    edit.setDisplayFormat("HH:mm")
    return edit


def _qtime(value: time | None) -> QTime:
    return QTime(7, 0) if value is None else QTime(value.hour, value.minute)


def _pytime(value: QTime) -> time:
    return time(value.hour(), value.minute())


class SchedulePage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("When to sync")
        self.setSubTitle("The tray app syncs on this schedule while you are signed in to Windows; "
                         "\"Sync now\" in the tray menu works whatever you choose.")
        layout = self.body_layout()
        form = QFormLayout()
        self.kind = QComboBox(self)
        for kind, label in _CHOICES:
            self.kind.addItem(label, kind)
        form.addRow("&Cadence:", self.kind)
        layout.addLayout(form)
        self.fields = QStackedWidget(self)
        layout.addWidget(self.fields)

        self.hours = QSpinBox(self)
        self.hours.setRange(1, MAX_HOURS)
        self.hours.setValue(4)
        self.hours.setSuffix(" hours")
        self._panel(EVERY_HOURS, [("Every:", self.hours)])
        self.daily_at = _time_edit(self)
        self._panel(DAILY, [("At:", self.daily_at)])
        self.weekday = QComboBox(self)
        self.weekday.addItems(list(DAY_NAMES))
        self.weekly_at = _time_edit(self)
        self._panel(WEEKLY, [("On:", self.weekday), ("At:", self.weekly_at)])
        self.business_days = QSpinBox(self)
        self.business_days.setRange(0, MAX_BUSINESS_DAYS_AFTER)
        self.business_days.setSpecialValueText("the last business day of the month")
        self.business_days.setSuffix(" business day(s) after month end")
        self.month_end_at = _time_edit(self)
        self._panel(MONTH_END, [("Run on:", self.business_days), ("At:", self.month_end_at)])
        self._panel(MANUAL, [])
        self._custom: Cadence | None = None  # a custom cadence set elsewhere is kept, not edited here
        self._panel(CUSTOM, [])

        self.description = QLabel(self)
        self.description.setWordWrap(True)
        font = self.description.font()
        font.setBold(True)
        self.description.setFont(font)
        layout.addWidget(self.description)
        layout.addWidget(hint("Month-end close runs after GP's period is closed, so the invoices of the month are "
                              "final. Times are this computer's local time.", self))
        layout.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.hours.valueChanged, self.daily_at.timeChanged, self.weekday.currentIndexChanged,
                       self.weekly_at.timeChanged, self.business_days.valueChanged, self.month_end_at.timeChanged):
            signal.connect(self._describe)
        self.set_cadence(DEFAULT_CADENCE)

    def _panel(self, kind: str, rows: list[tuple[str, QWidget]]) -> None:
        panel = QWidget(self)
        form = QFormLayout(panel)
        form.setContentsMargins(0, 0, 0, 0)
        for label, widget in rows:
            form.addRow(label, widget)
        panel.setProperty("kind", kind)
        self.fields.addWidget(panel)

    @Slot()
    def _kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        for index in range(self.fields.count()):
            if self.fields.widget(index).property("kind") == kind:
                self.fields.setCurrentIndex(index)
        self._describe()

    @Slot()
    def _describe(self) -> None:
        self.description.setText(self.cadence().describe())

    def cadence(self) -> Cadence:
        kind = str(self.kind.currentData())
        if kind == EVERY_HOURS:
            return Cadence.every_hours(self.hours.value())
        if kind == DAILY:
            return Cadence.daily(_pytime(self.daily_at.time()))
        if kind == WEEKLY:
            return Cadence.weekly(self.weekday.currentIndex(), _pytime(self.weekly_at.time()))
        if kind == MONTH_END:
            return Cadence.month_end(_pytime(self.month_end_at.time()), self.business_days.value())
        if kind == CUSTOM and self._custom is not None:
            return self._custom
        return Cadence.manual()

    def set_cadence(self, cadence: Cadence) -> None:
        if cadence.kind == CUSTOM:
            self._custom = cadence
            if self.kind.findData(CUSTOM) < 0:
                self.kind.addItem("Custom (as set before)", CUSTOM)
        elif cadence.kind == EVERY_HOURS and cadence.hours:
            self.hours.setValue(cadence.hours)
        elif cadence.kind == DAILY:
            self.daily_at.setTime(_qtime(cadence.at))
        elif cadence.kind == WEEKLY:
            self.weekday.setCurrentIndex(cadence.weekday or 0)
            self.weekly_at.setTime(_qtime(cadence.at))
        elif cadence.kind == MONTH_END:
            self.business_days.setValue(cadence.business_days_after)
            self.month_end_at.setTime(_qtime(cadence.at))
        self.kind.setCurrentIndex(max(self.kind.findData(cadence.kind), 0))
        self._kind_changed()
