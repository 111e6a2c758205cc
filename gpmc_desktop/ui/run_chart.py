"""A small bar chart of the last runs: the records each sent (a bar in the palette's highlight colour) and its
failures (stacked on top, hatched, so they show without relying on colour), drawn with QPainter.  Screen readers
get the same figures as text (``text_alternative``, also the accessible description and the tooltip)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

MAX_BARS = 30


@dataclass(frozen=True, slots=True)
class RunBar:
    label: str  # when the run started, in words ("Mon 07:00")
    sent: int  # contacts and invoices sent (new or changed)
    failed: int


class RunChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[RunBar] = []
        self.setAccessibleName("Records sent and failures per run")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_bars([])

    def sizeHint(self) -> QSize:
        return QSize(420, 110)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 110)

    @property
    def bars(self) -> list[RunBar]:
        return list(self._bars)

    def set_bars(self, bars: list[RunBar]) -> None:
        """Oldest first; only the last :data:`MAX_BARS` are kept."""
        self._bars = list(bars)[-MAX_BARS:]
        text = self.text_alternative()
        self.setAccessibleDescription(text)
        self.setToolTip(text)
        self.update()

    def text_alternative(self) -> str:
        """The chart in words: totals, the busiest run and the last one."""
        if not self._bars:
            return "No runs yet."
        n = len(self._bars)
        sent = sum(b.sent for b in self._bars)
        failed = sum(b.failed for b in self._bars)
        busiest = max(self._bars, key=lambda b: b.sent)
        last = self._bars[-1]
        runs = "run" if n == 1 else f"{n} runs"
        head = f"Last {runs}: {sent:,} records sent, {failed:,} failures."
        return (f"{head} Most sent: {busiest.sent:,} ({busiest.label}). "
                f"Latest ({last.label}): {last.sent:,} sent, {last.failed:,} failed.")

    # -- drawing ----------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, p: QPainter) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        area = QRectF(self.rect()).adjusted(4, 4, -4, -18)
        p.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        if not self._bars:
            p.setPen(text)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "No runs yet")
            return
        top = max(1, max(b.sent + b.failed for b in self._bars))
        slot = area.width() / MAX_BARS  # a fixed slot per run: bars keep their width as runs accumulate
        width = max(2.0, slot * 0.7)
        start = area.right() - slot * len(self._bars)
        p.setPen(Qt.PenStyle.NoPen)
        for i, bar in enumerate(self._bars):
            x = start + i * slot + (slot - width) / 2
            sent_h = area.height() * bar.sent / top
            failed_h = area.height() * bar.failed / top
            p.setBrush(palette.color(QPalette.ColorRole.Highlight))
            p.drawRect(QRectF(x, area.bottom() - sent_h, width, sent_h))
            if bar.failed:
                p.setBrush(QBrush(text, Qt.BrushStyle.BDiagPattern))
                p.drawRect(QRectF(x, area.bottom() - sent_h - failed_h, width, failed_h))
        p.setPen(text)
        caption = QRectF(area.left(), area.bottom() + 2, area.width(), 16)
        p.drawText(caption, Qt.AlignmentFlag.AlignLeft, f"tallest bar: {top:,} records")
        p.drawText(caption, Qt.AlignmentFlag.AlignRight, "latest run")
