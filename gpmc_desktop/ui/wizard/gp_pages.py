"""Pages 1 and 2: the GP connection (reach → TLS → sign-in → company list) and the company (picked from the
server's list, or typed) with a sample customer that proves read access and a check of GP's data (every field
the sync reads, in the customers and the receivables documents)."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop.gp.sources import GPCompany
from gpmc_desktop.profile import ConfigError, GPSettings, schema
from gpmc_desktop.sync.check import GPFacts, StageResult, run_gp
from gpmc_desktop.ui.wizard.base import CheckedPage, buddy_label, hint

URL_LABELS = {"sba": "GP Service &URL:", "soap": "Web Services &URL:"}
# GP Service is addressed by the display name; gpmc finds it from either name through the company list.
SBA_COMPANY_HINT = "database or display name, e.g. TWO or Fabrikam, Inc."
URL_EXAMPLES = {"sba": "https://gp01.corp.example:443", "soap": "http://gp01.corp.example:48620"}
# Every sign-in method the schema allows, so a profile written for Basic keeps it when edited here.
AUTH_CHOICES = (("Automatic (Negotiate)", "negotiate"), ("NTLM", "ntlm"), ("Kerberos", "kerberos"),
                ("Basic (https only)", "basic"))


def field_problem(values: dict[str, Any], password: str) -> str | None:
    """What is wrong with the GP fields before any network call, in words that say what to write: the profile
    schema's rules, with the server URL's example for the API chosen."""
    if schema.form_problem(schema.key("gp", "url"), values.get("url")):
        if values.get("api") == "soap":
            return (f"Server URL: write the address of GP Web Services like {URL_EXAMPLES['soap']} "
                    "(ask IT for the host name and port of Web Services for Microsoft Dynamics GP).")
        return (f"Server URL: write the address of the GP Service like {URL_EXAMPLES['sba']} "
                "(ask IT for the host name and port of Dynamics GP's Service Based Architecture).")
    for name in ("username", "tenant"):
        problem = schema.form_problem(schema.key("gp", name), values.get(name))
        if problem:
            return problem
    if not password:
        return "Password: enter the Windows password of that account."
    return schema.form_problem(schema.key("gp", "ca_bundle"), values.get("ca_bundle"))


class GpPage(CheckedPage):
    busy_text = "Contacting the GP server…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Test connection", parent)
        self.setTitle("Connect to Dynamics GP")
        self.setSubTitle("The wizard signs in the way the sync will and proves each step. The sync only reads "
                         "from GP.")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        api_box = QVBoxLayout()
        self.api_group = QButtonGroup(self)
        self.api_sba = QRadioButton("Service Based Architecture (REST): GP 2015 and later", self)
        self.api_sba.setChecked(True)
        self.api_soap = QRadioButton("Legacy Web Services (SOAP): older GP installs, usually on port 48620", self)
        self.api_group.addButton(self.api_sba)
        self.api_group.addButton(self.api_soap)
        api_box.addWidget(self.api_sba)
        api_box.addWidget(self.api_soap)
        form.addRow("GP API:", api_box)
        self.url = QLineEdit(self)
        self.url_label = buddy_label(URL_LABELS["sba"], self.url, self)
        form.addRow(self.url_label, self.url)
        self.tenant = QLineEdit(schema.default("gp", "tenant"), self)
        form.addRow("&Tenant:", self.tenant)
        self.username = QLineEdit(self)
        self.username.setPlaceholderText("DOMAIN\\user")
        form.addRow("&Windows user:", self.username)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Password:", self.password)
        self.auth = QComboBox(self)
        for label, value in AUTH_CHOICES:
            self.auth.addItem(label, value)
        form.addRow("&Sign-in method:", self.auth)
        ca_row = QHBoxLayout()
        self.ca_file = QLineEdit(self)
        self.ca_file.setPlaceholderText("only for an internal or self-signed certificate")
        self.browse = QPushButton("Browse…", self)
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self._choose_ca)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.browse)
        form.addRow(buddy_label("&CA certificate:", self.ca_file, self), ca_row)
        self.form_area.addLayout(form)
        advanced_row = QHBoxLayout()
        self.advanced_button = QPushButton("Ad&vanced settings…", self)
        self.advanced_button.setAutoDefault(False)
        self.advanced_button.setToolTip("Timeouts, the Kerberos server name, Web Services options, Mailchimp "
                                        "connections: most profiles never need them.")
        self.advanced_button.clicked.connect(self._advanced)
        advanced_row.addStretch(1)
        advanced_row.addWidget(self.advanced_button)
        self.form_area.addLayout(advanced_row)
        self.test_button.clicked.connect(self.test)
        self.watch(self.url.textChanged, self.tenant.textChanged, self.username.textChanged,
                   self.password.textChanged, self.auth.currentIndexChanged, self.ca_file.textChanged,
                   self.api_soap.toggled)
        self.api_soap.toggled.connect(self._api_chosen)
        self._api_chosen()
        self.order_tabs(self.api_sba, self.api_soap, self.url, self.tenant, self.username, self.password, self.auth,
                        self.ca_file, self.browse, self.advanced_button)

    # -- values --------------------------------------------------------------------------------------------
    def auth_method(self) -> str:
        return str(self.auth.currentData())

    def set_auth_method(self, value: str) -> None:
        index = self.auth.findData(value)
        self.auth.setCurrentIndex(max(index, 0))

    def api(self) -> str:
        return "soap" if self.api_soap.isChecked() else "sba"

    def set_api(self, value: str) -> None:
        (self.api_soap if value == "soap" else self.api_sba).setChecked(True)

    @Slot()
    def _api_chosen(self) -> None:
        """The URL's label and example follow the API: SOAP's legacy endpoint is plain HTTP on port 48620."""
        api = self.api()
        self.url_label.setText(URL_LABELS[api])
        self.url.setPlaceholderText(URL_EXAMPLES[api])

    def values(self) -> dict[str, Any]:
        """The GP keys this page shows, as a profile document has them (None: unset, the default applies)."""
        return {
            "api": self.api(),
            "url": self.url.text().strip().rstrip("/"),
            "tenant": self.tenant.text().strip() or None,
            "username": self.username.text().strip(),
            "auth": self.auth_method(),
            "ca_bundle": self.ca_file.text().strip() or None,
        }

    def settings(self, company: str = "") -> GPSettings:
        """Validated GP settings for a check.  This page's stages never read the company (the next page picks
        it), so without one a placeholder stands in."""
        return self.setup_wizard().section("gp", {**self.values(), "company": company or "-"})

    def signature(self) -> Hashable:
        return (tuple(sorted(self.values().items())), repr(self.setup_wizard().document), self.password.text())

    def required_stages(self) -> tuple[str, ...]:
        return ("reach", "tls", "auth", "companies")

    def has_secrets(self) -> bool:
        return bool(self.password.text())

    # -- actions ---------------------------------------------------------------------------------------
    @Slot()
    def _choose_ca(self) -> None:
        start = self.ca_file.text().strip() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate of the GP server", start,
                                              "Certificates (*.pem *.cer *.crt);;All files (*)")
        if path:
            self.ca_file.setText(path)

    @Slot()
    def _advanced(self) -> None:
        self.setup_wizard().edit_advanced()

    @Slot()
    def test(self) -> None:
        problem = field_problem(self.values(), self.password.text())
        if problem is None:
            try:
                settings = self.settings()
            except ConfigError as err:  # an Advanced setting that no longer validates
                problem = f"Advanced settings: {err}"
        if problem:
            self.report(StageResult("gp", "fields", False, problem))
            return
        password = self.password.text()
        self.run_check(lambda report: run_gp(settings, password, report, until="companies"), self._companies_loaded)

    def _companies_loaded(self, facts: GPFacts | None) -> None:
        if facts is not None:
            self.setup_wizard().companies = facts.companies


class CompanyPage(CheckedPage):
    busy_text = "Reading the company…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Check company", parent)
        self.setTitle("Choose the GP company")
        self.setSubTitle("One profile syncs one company. Pick it from the server's list, or type its database "
                         "name or display name if you were told to use a company the list does not show.")
        self.companies = QListWidget(self)
        self.companies.setMaximumHeight(140)
        self.companies.currentItemChanged.connect(self._picked)
        self.companies.hide()  # until the GP page's check listed the server's companies
        self.form_area.addWidget(self.companies)
        form = QFormLayout()
        self.company = QLineEdit(self)
        self.company.setPlaceholderText(SBA_COMPANY_HINT)
        form.addRow("&Company:", self.company)
        self.form_area.addLayout(form)
        self.form_area.addWidget(hint("The check reads the company's customers and receivables documents the way "
                                      "the sync will, and checks that they hold every field the sync needs.", self))
        self.test_button.clicked.connect(self.test)
        self.watch(self.company.textChanged)
        self._listed: list[GPCompany] = []
        self.order_tabs(self.companies, self.company)

    def initializePage(self) -> None:
        wiz = self.setup_wizard()
        # Web Services knows companies by display name (or id), never by SQL database name.
        self.company.setPlaceholderText("company name as GP shows it, e.g. Fabrikam, Inc."
                                        if wiz.gp_page.api() == "soap" else SBA_COMPANY_HINT)
        if wiz.companies != self._listed:
            self._listed = list(wiz.companies)
            typed = self.company.text().strip()
            self.companies.blockSignals(True)
            self.companies.clear()
            for company in self._listed:
                item = QListWidgetItem(company.label(), self.companies)
                item.setData(Qt.ItemDataRole.UserRole, company.database)
                if typed and typed.casefold() in (company.database.casefold(), company.name.casefold()):
                    self.companies.setCurrentItem(item)
            self.companies.blockSignals(False)
            if not typed and len(self._listed) == 1:
                self.companies.setCurrentRow(0)
        self.companies.setVisible(bool(self._listed))  # an edited profile's company is not listed until checked
        self.invalidate()  # the GP page may have changed since this page passed

    @Slot()
    def _picked(self) -> None:
        item = self.companies.currentItem()
        if item is not None:
            self.company.setText(str(item.data(Qt.ItemDataRole.UserRole)))

    def pick(self, database: str) -> bool:
        """Select *database* in the list (tests, prefill); False when the server did not list it."""
        for row in range(self.companies.count()):
            item = self.companies.item(row)
            if str(item.data(Qt.ItemDataRole.UserRole)).casefold() == database.casefold():
                self.companies.setCurrentItem(item)
                return True
        return False

    def company_name(self) -> str:
        return self.company.text().strip()

    def display_name(self) -> str:
        """The company's display name when the server listed it (the profile name's default)."""
        wanted = self.company_name().casefold()
        for company in self.setup_wizard().companies:
            if wanted in (company.database.casefold(), company.name.casefold()):
                return company.name or company.database
        return self.company_name()

    def values(self) -> dict[str, Any]:
        return {"company": self.company_name()}

    def settings(self) -> GPSettings:
        return self.setup_wizard().gp_page.settings(self.company_name())

    def signature(self) -> Hashable:
        return (self.setup_wizard().gp_page.signature(), self.company_name())

    def required_stages(self) -> tuple[str, ...]:
        # "data": the customers and receivables documents hold every field the sync reads, so Next cannot lead
        # to a first sync that would skip everyone or mark every invoice paid.
        return ("company", "sample", "data")

    def has_secrets(self) -> bool:
        return self.setup_wizard().gp_page.has_secrets()

    def show_stage(self, result: StageResult) -> bool:
        # The GP page already showed reach/tls/auth passing; repeat them only if one fails now.
        return result.stage in self.required_stages() or not result.ok

    @Slot()
    def test(self) -> None:
        if not self.company_name():
            self.report(StageResult("gp", "company", False,
                                    "Pick a company from the list or type its database name or display name."))
            return
        settings, password = self.settings(), self.setup_wizard().gp_page.password.text()
        self.run_check(lambda report: run_gp(settings, password, report, until="data"), self._sampled)

    def _sampled(self, facts: GPFacts | None) -> None:
        if facts is not None:
            self.setup_wizard().sample = facts.sample

