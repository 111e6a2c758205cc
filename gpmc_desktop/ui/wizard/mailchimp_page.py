"""Page 3: the Mailchimp API key (its data centre shown as typed), the audience picked from the account, and the
store id, proven key → ping → audience → store before Next."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for, datacenter
from gpmc_desktop.profile import ConfigError, MailchimpSettings
from gpmc_desktop.sync.check import MailchimpFacts, StageResult, run_mailchimp
from gpmc_desktop.ui.wizard.base import CheckedPage, buddy_label, hint

_STORE_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def suggested_store_id(company: str) -> str:
    """``gp-<company database, lower-cased>``: stable, readable in Mailchimp, unique per GP company."""
    slug = _STORE_UNSAFE.sub("-", company.strip().lower()).strip("-")
    return f"gp-{slug}" if slug else ""


class MailchimpPage(CheckedPage):
    busy_text = "Talking to Mailchimp…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Check audience and store", parent)
        self.setTitle("Connect to Mailchimp")
        self.setSubTitle("Paste an API key, pick the audience the GP customers go to, and name the e-commerce "
                         "store their invoices appear in.")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        key_row = QHBoxLayout()
        self.api_key = QLineEdit(self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("0123456789abcdef0123456789abcdef-us6")
        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setAutoDefault(False)
        self.connect_button.clicked.connect(self.connect_account)
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.connect_button)
        form.addRow(buddy_label("&API key:", self.api_key, self), key_row)
        self.datacenter = QLabel("—", self)
        self.datacenter.setWordWrap(True)
        self.datacenter.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Data centre:", self.datacenter)
        # Not for end users: only shown when a profile points at another API address (the demo's simulator).
        self.api_base = QLineEdit(self)
        self.api_base_label = QLabel("API address:", self)
        form.addRow(self.api_base_label, self.api_base)
        self.audience = QComboBox(self)
        self.audience.setEditable(True)  # an audience id from Mailchimp's settings may be typed too
        self.audience.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.audience.lineEdit().setPlaceholderText("press Connect to list the audiences")
        form.addRow("A&udience:", self.audience)
        self.store_id = QLineEdit(self)
        form.addRow("&Store id:", self.store_id)
        self.form_area.addLayout(form)
        self.form_area.addWidget(hint(
            "Find the key in Mailchimp under Profile > Extras > API keys. A store that does not exist yet is "
            "created at the first sync; a store belongs to one audience for good.", self))
        self.test_button.clicked.connect(self.test)
        self.api_key.textChanged.connect(self._show_datacenter)
        self.api_base.textChanged.connect(self._show_datacenter)
        self.store_id.textEdited.connect(self._store_edited)
        self.watch(self.api_key.textChanged, self.api_base.textChanged, self.audience.currentTextChanged,
                   self.store_id.textChanged)
        self._store_typed = False  # once the user typed a store id, stop suggesting one
        self._connect_job_key: tuple[str, str] | None = None
        self.set_api_base("")
        self._show_datacenter()
        self.order_tabs(self.api_key, self.connect_button, self.api_base, self.audience, self.store_id)

    def enter_pressed(self) -> None:
        """Enter in the key field connects (lists the audiences); elsewhere it runs the full check."""
        if self.api_key.hasFocus() or (self.audience.count() == 0 and not self.list_id()):
            if self.connect_button.isEnabled():
                self.connect_button.click()
            return
        super().enter_pressed()

    def initializePage(self) -> None:
        if not self._store_typed or not self.store_id.text().strip():
            suggestion = suggested_store_id(self.setup_wizard().company_page.company_name())
            if suggestion:
                self.store_id.setText(suggestion)
        self.invalidate()

    # -- values -----------------------------------------------------------------------------------------
    def set_api_base(self, value: str) -> None:
        self.api_base.setText(value)
        self.api_base.setVisible(bool(value))
        self.api_base_label.setVisible(bool(value))

    def key(self) -> str:
        return self.api_key.text().strip()

    def list_id(self) -> str:
        text = self.audience.currentText().strip()
        index = self.audience.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0 and self.audience.itemData(index):
            return str(self.audience.itemData(index))
        return text

    def set_store_id(self, value: str) -> None:
        self.store_id.setText(value)
        self._store_typed = bool(value)

    def values(self, status_if_new: str | None = None) -> dict[str, Any]:
        """The Mailchimp keys this page shows (and the contacts page's choice), as a profile document has them."""
        return {
            "list_id": self.list_id(),
            "store_id": self.store_id.text().strip(),
            "api_base": self.api_base.text().strip().rstrip("/") or None,
            "status_if_new": status_if_new,
        }

    def settings(self, status_if_new: str | None = None) -> MailchimpSettings:
        return self.setup_wizard().section("mailchimp", self.values(status_if_new))

    def signature(self) -> Hashable:
        return (tuple(sorted(self.values().items())), repr(self.setup_wizard().document), self.key())

    def required_stages(self) -> tuple[str, ...]:
        return ("key", "ping", "audience", "store")

    def has_secrets(self) -> bool:
        return bool(self.key())

    @Slot()
    def _store_edited(self) -> None:
        self._store_typed = True

    @Slot()
    def _show_datacenter(self) -> None:
        key = self.key()
        if not key:
            self.datacenter.setText("— (shown from the key as you type it)")
            return
        try:
            dc = datacenter(key)
        except BadApiKey:
            self.datacenter.setText("not a complete key yet: it ends with the data centre, like -us6")
            return
        base = api_base_for(key, self.api_base.text().strip() or None)
        self.datacenter.setText(f"{dc}  ({base})")

    def pick_audience(self, list_id: str) -> bool:
        index = self.audience.findData(list_id)
        if index < 0:
            return False
        self.audience.setCurrentIndex(index)
        return True

    # -- actions -----------------------------------------------------------------------------------------
    @Slot()
    def connect_account(self) -> None:
        """key → ping, then fill the audience picker; Next still waits for the full check."""
        key, base = self.key(), self.api_base.text().strip() or None
        self.connect_button.setEnabled(False)
        unchosen = MailchimpSettings(list_id="", store_id="", api_base=base)  # the audiences are listed first
        self.run_check(lambda report: run_mailchimp(unchosen, key, report, until="audiences"), self._audiences_loaded)

    def _audiences_loaded(self, facts: MailchimpFacts | None) -> None:
        if facts is None:
            return
        audiences = facts.audiences
        wanted = self.list_id()
        self.audience.blockSignals(True)
        self.audience.clear()
        for audience in audiences:
            self.audience.addItem(audience.label(), audience.id)
        self.audience.blockSignals(False)
        if not (wanted and self.pick_audience(wanted)):
            if len(audiences) == 1:
                self.audience.setCurrentIndex(0)
            else:
                self.audience.setCurrentIndex(-1)
                self.audience.setEditText("")
        self.audience.lineEdit().setPlaceholderText("pick the audience")

    @Slot()
    def test(self) -> None:
        key = self.key()
        if not self.list_id():
            self.report(StageResult("mailchimp", "audience", False,
                                    "Pick an audience: press Connect to list this account's audiences."))
            return
        if not self.store_id.text().strip():
            self.report(StageResult("mailchimp", "store", False, "Give the store an id, for example gp-two."))
            return
        try:
            settings = self.settings()
        except ConfigError as err:  # the API address typed, or an Advanced setting, breaks its rule
            self.report(StageResult("mailchimp", "fields", False, str(err)))
            return
        self.run_check(lambda report: run_mailchimp(settings, key, report))

    @Slot()
    def _finished(self) -> None:
        super()._finished()
        self.connect_button.setEnabled(True)
