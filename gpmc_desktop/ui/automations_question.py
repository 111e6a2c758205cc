"""The one-time question for a profile saved before ``[mailchimp] automations`` existed: it runs on as it always
did (Mailchimp may e-mail customers once the first load is done) until its owner chooses here or in the wizard."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from gpmc_desktop.ui.question_buttons import add_question_buttons
from gpmc_desktop.ui.wizard.automations_page import AUTOMATION_CHOICES, EXPLANATION
from gpmc_desktop.ui.wizard.choices import RadioChoices


class AutomationsQuestion(QDialog):
    chosen = Signal(str, str)  # profile, "on" / "off"

    def __init__(self, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle(f"Order e-mails and automations – {profile}")
        layout = QVBoxLayout(self)
        intro = QLabel(f"<b>{profile}</b> was set up before this choice existed, so Mailchimp may e-mail its "
                       f"customers about new invoices. {EXPLANATION}", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.choices = RadioChoices(AUTOMATION_CHOICES, "automations", self)
        layout.addWidget(self.choices)
        self.buttons, self.save_button, self.later_button = add_question_buttons(self, layout, "Save", "Not now")
        self.save_button.setEnabled(False)  # no silent default
        self.choices.changed.connect(lambda: self.save_button.setEnabled(self.choices.choice() is not None))

    @Slot()
    def accept(self) -> None:
        choice = self.choices.choice()
        if choice is None:
            return
        self.chosen.emit(self.profile, choice)
        super().accept()
