"""The two buttons of a question dialog (a yes and a no in the dialog's own words), below its text."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QDialog, QDialogButtonBox, QPushButton

QUESTION_WIDTH = 560


def add_question_buttons(
    dialog: QDialog, layout: QBoxLayout, yes: str, no: str
) -> tuple[QDialogButtonBox, QPushButton, QPushButton]:
    """*yes* accepts the dialog and *no* rejects it; returns the box and the two buttons."""
    buttons = QDialogButtonBox(dialog)
    yes_button = buttons.addButton(yes, QDialogButtonBox.ButtonRole.AcceptRole)
    no_button = buttons.addButton(no, QDialogButtonBox.ButtonRole.RejectRole)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(QUESTION_WIDTH, 0)
    return buttons, yes_button, no_button
