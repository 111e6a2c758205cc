"""The wizard's step indicator: "Step 3 of 8 — Mailchimp" over the list of steps, the current one in bold.

It is the wizard's side widget, so every wizard style shows it (Windows' Aero style hides the page sub-title)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

SIDE_WIDTH = 170


class StepIndicator(QWidget):
    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = names
        self.current = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.heading = QLabel(self)
        self.heading.setObjectName("stepHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.list = QLabel(self)
        self.list.setObjectName("stepList")
        self.list.setWordWrap(True)
        layout.addWidget(self.list)
        layout.addStretch(1)
        self.setFixedWidth(SIDE_WIDTH)
        self.show_step(0)

    def current_text(self) -> str:
        return f"Step {self.current + 1} of {len(self.names)} — {self.names[self.current]}"

    def show_step(self, index: int) -> None:
        self.current = index
        self.heading.setText(self.current_text())
        self.setAccessibleName(self.current_text())
        lines = []
        for n, name in enumerate(self.names):
            text = f"{n + 1}. {html.escape(name)}"
            lines.append(f"<b>{text}</b>" if n == index else text)
        self.list.setText("<br>".join(lines))
