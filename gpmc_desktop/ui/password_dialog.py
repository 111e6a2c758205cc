"""Ask for one credential again (after GP or Mailchimp refused it) and save it to the credential store."""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gpmc_desktop.logsetup import register_secret
from gpmc_desktop.ui.status import CREDENTIAL_LABELS

log = logging.getLogger(__name__)


class CredentialWriter(Protocol):
    @property
    def where_text(self) -> str: ...
    def set(self, profile: str, kind: str, value: str) -> None: ...


class PasswordDialog(QDialog):
    def __init__(self, profile: str, kind: str, credentials: CredentialWriter, reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.kind = kind
        self.credentials = credentials
        label = CREDENTIAL_LABELS[kind]
        self.setWindowTitle(f"{label} for {profile}")
        intro = QLabel(reason or f"Enter the {label} of profile <b>{profile}</b>.", self)
        intro.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.where = QLabel(credentials.where_text, self)
        self.where.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b3261e")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(f"{label}:", self.field)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.where)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        value = self.field.text().strip() if self.kind == "mailchimp_api_key" else self.field.text()
        if not value:
            self.error.setText("Enter a value, or Cancel.")
            return
        register_secret(value)
        try:
            self.credentials.set(self.profile, self.kind, value)
        except Exception as err:  # CredentialError says what to do; anything else is still worth showing
            log.warning("could not save the %s of %r: %s", self.kind, self.profile, type(err).__name__)
            self.error.setText(getattr(err, "message", None) or str(err))
            return
        self.field.clear()
        self.accept()
