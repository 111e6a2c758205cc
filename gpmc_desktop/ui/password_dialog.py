"""Ask for one credential again (after GP or Mailchimp refused it, or from Settings), prove it and only then
save it to the credential store.

Save first signs in with the new secret the way the sync will (GP up to the sign-in stage, Mailchimp up to the
account ping), off the GUI thread; a refused secret is named in the core's plain words and nothing is saved.
A profile whose stored settings cannot be read (so nothing can be checked) saves the secret as typed."""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gpmc_desktop import store
from gpmc_desktop.credentials import MAILCHIMP_API_KEY
from gpmc_desktop.logsetup import register_api_key, register_secret
from gpmc_desktop.profile import ConfigError, Profile
from gpmc_desktop.sync.check import Report, StageResult, run_gp, run_mailchimp
from gpmc_desktop.ui.background import Task
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.status import CREDENTIAL_LABELS
from gpmc_desktop.ui.wizard.background import Background, crash_text

log = logging.getLogger(__name__)

class CredentialWriter(Protocol):
    @property
    def where_text(self) -> str: ...
    def set(self, profile: str, kind: str, value: str) -> None: ...


def stored_profile(name: str) -> Profile | None:
    """The saved profile to check the secret against, or None when it is gone or no longer validates."""
    row = store.get_profile(name)
    if row is None:
        return None
    try:
        return row.profile()
    except ConfigError as err:
        log.warning("profile %r does not validate (%s): its new secret is saved unchecked", name, err)
        return None


def sign_in(profile: Profile, kind: str, secret: str, report: Report) -> bool:
    """The sync's own sign-in with *secret* (runs on a worker thread); True when it was accepted."""
    if kind == MAILCHIMP_API_KEY:
        return run_mailchimp(profile.mailchimp, secret, report, until="ping") is not None
    return run_gp(profile.gp, secret, report, until="auth") is not None


class PasswordDialog(QDialog):
    def __init__(self, profile: str, kind: str, credentials: CredentialWriter, reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.kind = kind
        self.credentials = credentials
        self.background = Background(self)
        self._job: Task | None = None
        self._failures: list[StageResult] = []
        label = CREDENTIAL_LABELS[kind]
        self.setWindowTitle(f"{label} for {profile}")
        intro = QLabel(reason or f"Enter the {label} of profile <b>{profile}</b>.", self)
        intro.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.textChanged.connect(self._edited)
        self.where = QLabel(credentials.where_text, self)
        self.where.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setStyleSheet(colours(self).error_style())  # readable on a light and a dark palette
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
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def value(self) -> str:
        return self.field.text().strip() if self.kind == MAILCHIMP_API_KEY else self.field.text()

    def checking(self) -> bool:
        return self._job is not None and self._job.active()

    @Slot()
    def save(self) -> None:
        """Check the secret, then save it (`_checked`); nothing is saved while or if the check fails."""
        value = self.value()
        if not value:
            self.error.setText("Enter a value, or Cancel.")
            return
        if self.kind == MAILCHIMP_API_KEY:
            register_api_key(value)
        else:
            register_secret(value)
        profile = stored_profile(self.profile)
        if profile is None:
            self._store(value)
            return
        system = "Mailchimp" if self.kind == MAILCHIMP_API_KEY else "GP"
        self.error.setText("")
        self.status.setText(f"Signing in to {system} with it…")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.field.setEnabled(False)
        self._failures = []
        kind = self.kind
        self._job = self.background.start(
            lambda report: sign_in(profile, kind, value, report), name=f"check of the {kind} of {self.profile!r}",
            on_item=self._stage, on_result=lambda ok: self._checked(bool(ok), value), on_error=self._crashed,
            on_finished=self._finished)

    @Slot(object)
    def _stage(self, result: StageResult) -> None:
        if not result.ok:
            self._failures.append(result)

    def _checked(self, ok: bool, value: str) -> None:
        if ok:
            self._store(value)
            return
        why = self._failures[0].message if self._failures else "The sign-in did not succeed."
        self.error.setText(f"{why}\nNothing was saved: correct it and press Save again, or Cancel.")

    @Slot(str)
    def _crashed(self, error: str) -> None:
        self.error.setText(f"{crash_text(error)}\nNothing was saved.")

    @Slot()
    def _finished(self) -> None:
        self._job = None
        self.status.setText("")
        self.field.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    @Slot()
    def _edited(self) -> None:
        self.error.setText("")  # the message was about the value now being replaced

    def _store(self, value: str) -> None:
        try:
            self.credentials.set(self.profile, self.kind, value)
        except Exception as err:  # CredentialError says what to do; anything else is still worth showing
            log.warning("could not save the %s of %r: %s", self.kind, self.profile, type(err).__name__)
            self.error.setText(getattr(err, "message", None) or str(err))
            return
        self.field.clear()
        self.accept()

    def done(self, result: int) -> None:
        self.background.drop_all()  # a check still running answers no one
        super().done(result)

    def wait_for_check(self, msecs: int = 30_000) -> bool:
        """Block until the check ends (tests)."""
        return self.background.wait(msecs)
