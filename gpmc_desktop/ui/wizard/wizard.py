"""`SetupWizard`: create or edit one sync profile, proving both connections stage by stage.

    wizard = SetupWizard.new_profile(credentials)                 # first run, or "Add profile…"
    wizard = SetupWizard.for_demo(env, credentials)               # --demo: simulators pre-filled
    wizard = SetupWizard.edit_profile("Fabrikam", credentials)    # pre-filled from the store and the keyring
    wizard = SetupWizard.reenter_credential("Fabrikam", GP_PASSWORD, credentials)  # after "GP refused…"
    wizard.profileSaved.connect(on_saved)                         # (name) after Finish saved everything
    wizard.sendNow.connect(sync_now)                              # (name) then, if "Send now" was chosen
    wizard.open()

Nothing is written anywhere until Finish: the checks and the preview only read.  Closing a wizard the user
worked in (Escape, Cancel, the window's close button) asks before discarding it.  An edited profile's pages
count as checked until a field on them (or on a page they depend on) changes, and Finish saves from any page
then; the last page says what Finish does (send now, or wait for the schedule) and lets the user choose.

Finish stores the settings and the cadence in the state database (`save_profile_settings`,
`save_profile(schedule=…)`) and the two secrets in the credential store under the profile's name; never in
SQLite, a settings file or the log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QPushButton, QWidget, QWizard

from gpmc_desktop import store
from gpmc_desktop.credentials import (
    GP_PASSWORD,
    MAILCHIMP_API_KEY,
    CredentialError,
    CredentialStore,
    default_store,
)
from gpmc_desktop.gp.sources import GPCompany
from gpmc_desktop.profile import (
    ConfigError,
    Document,
    Profile,
    Secrets,
    SyncFilters,
    merge_documents,
    profile_from_mapping,
    profile_to_mapping,
    schema,
    section_settings,
)
from gpmc_desktop.scheduling.cadence import Cadence, CadenceError
from gpmc_desktop.sync.check import CompanySample
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog
from gpmc_desktop.ui.icons import app_icon
from gpmc_desktop.ui.schedule_driver import SCHEDULE_FROM_KEY
from gpmc_desktop.ui.wizard.automations_page import AutomationsPage
from gpmc_desktop.ui.wizard.background import Background
from gpmc_desktop.ui.wizard.base import CheckedPage, Page
from gpmc_desktop.ui.wizard.choices import ContactsPage, FiltersPage
from gpmc_desktop.ui.wizard.fields_page import FieldsPage
from gpmc_desktop.ui.wizard.gp_pages import CompanyPage, GpPage
from gpmc_desktop.ui.wizard.mailchimp_page import MailchimpPage
from gpmc_desktop.ui.wizard.preview_page import PreviewPage
from gpmc_desktop.ui.wizard.schedule_page import DEFAULT_CADENCE, SchedulePage
from gpmc_desktop.ui.wizard.steps import StepIndicator

if TYPE_CHECKING:
    from gpmc_desktop.demo.environment import DemoEnvironment

log = logging.getLogger(__name__)


DEMO_NOTICE = ("Demo: the fields point at the built-in GP and Mailchimp simulators on this computer. Press the "
               "check button on each page to see every stage pass.")


class PageId(IntEnum):
    GP = 0
    COMPANY = 1
    MAILCHIMP = 2
    CONTACTS = 3
    AUTOMATIONS = 4
    FILTERS = 5
    FIELDS = 6
    SCHEDULE = 7
    PREVIEW = 8


# What the step indicator calls each page.
STEP_NAMES = {
    PageId.GP: "GP connection", PageId.COMPANY: "GP company", PageId.MAILCHIMP: "Mailchimp",
    PageId.CONTACTS: "New contacts", PageId.AUTOMATIONS: "Order e-mails", PageId.FILTERS: "Customers to sync",
    PageId.FIELDS: "GP fields in Mailchimp",
    PageId.SCHEDULE: "Schedule", PageId.PREVIEW: "Preview and finish",
}
# The wizard must fit a 1366×768 screen at 125% (1092×614 logical pixels, less a 48-pixel taskbar and the title
# bar): the pages scroll inside this size instead of pushing the buttons off the screen.
PREFERRED_SIZE = QSize(900, 520)
DISCARD_QUESTION = "Discard the settings you checked?"


@dataclass(frozen=True)
class Prefill:
    """What the wizard opens with: a profile document (sections of keys as a profile file has them; keys left
    out start at the schema's value for a new profile), plus what is not a profile key.  A document without
    ``status_if_new`` or ``automations`` makes the user choose (the demo, a new profile, an older profile that
    never chose); an edited profile keeps its owner's choices.  Secrets are held only for the dialog."""

    settings: Document = field(default_factory=dict)
    name: str = ""
    cadence: Cadence | None = None
    gp_password: str = field(default="", repr=False)
    mailchimp_api_key: str = field(default="", repr=False)
    notice: str = ""  # shown on the first page (e.g. the keyring could not be read)
    saved: bool = False  # the settings are a stored profile's, valid as saved: its pages count as checked

    @classmethod
    def stored(cls, name: str, credentials: CredentialStore) -> Prefill:
        """The saved profile *name* (the state store must be open) with its secrets from the credential store.

        A stored document that no longer validates still opens, as it is, so its owner can fix it here.  A
        keyring that cannot be read (locked, not up yet) leaves the secret fields empty with a notice saying
        why, rather than refusing to open the profile."""
        row = store.get_profile(name)
        if row is None:
            raise LookupError(f"there is no profile {name!r}")
        saved = False
        try:
            profile = row.profile()
            settings = profile_to_mapping(profile, with_defaults=True)
            for section, key_name in profile.unchosen:  # shown unset: its owner has a choice to make
                settings[section].pop(key_name, None)
            saved = True
        except ConfigError as err:
            log.warning("profile %r: stored settings do not validate (%s); the wizard shows them as stored",
                        name, err)
            settings = dict(row.settings)
        try:
            cadence = Cadence.from_dict(row.schedule)
        except CadenceError:
            log.warning("profile %r: stored schedule unreadable; the wizard offers the default", name)
            cadence = None
        secrets: dict[str, str] = {}
        problems: list[str] = []
        for kind in (GP_PASSWORD, MAILCHIMP_API_KEY):
            try:
                secrets[kind] = credentials.get(name, kind) or ""
            except CredentialError as err:
                secrets[kind] = ""
                problems.append(err.message)
        notice = f"{problems[0]} Until then, type the password and the API key again." if problems else ""
        return cls(settings, name, cadence, secrets[GP_PASSWORD], secrets[MAILCHIMP_API_KEY], notice, saved)

    @classmethod
    def for_demo(cls, env: DemoEnvironment) -> Prefill:
        """The running simulators' addresses and throwaway credentials; the user still walks every page."""
        from gpmc_desktop.demo.environment import DEMO_COMPANY, DEMO_DOMAIN, DEMO_USER

        company = env.dataset.find_company(DEMO_COMPANY)
        if env.gp_soap is not None and env.gp_api == "soap":  # Web Services: plain HTTP, company by name
            gp: dict[str, Any] = {"api": "soap", "url": env.gp_soap.base_url,
                                  "company": company.name if company else DEMO_COMPANY}
        else:
            gp = {"url": env.gp.base_url, "ca_bundle": str(env.gp.ca_path), "company": DEMO_COMPANY}
        settings: Document = {
            "gp": {**gp, "username": f"{DEMO_DOMAIN}\\{DEMO_USER}", "auth": "ntlm"},
            "mailchimp": {"api_base": env.mailchimp.api_base, "list_id": env.profile_list_id,
                          "store_id": env.profile_store_id},
        }
        return cls(settings, "Demo (Fabrikam)", gp_password=env.secrets.gp_password,
                   mailchimp_api_key=env.api_key)


class SetupWizard(QWizard):
    profileSaved = Signal(str)  # the profile's name, after Finish saved it
    sendNow = Signal(str)  # the profile's name, after profileSaved, when the user chose to sync it at once

    def __init__(
        self,
        credentials: CredentialStore | None = None,
        parent: QWidget | None = None,
        *,
        edit: str | None = None,
        prefill: Prefill | None = None,
        profile_name: str | None = None,
        start: PageId | None = None,
        notice: str = "",
    ) -> None:
        """*credentials* defaults to the process's store (`default_store()`); *edit* (or *profile_name*) opens
        that stored profile for editing, pre-filled from the store and the keyring unless *prefill* is given."""
        super().__init__(parent)
        edit = edit or profile_name
        self.credentials = credentials if credentials is not None else default_store()
        self.editing = edit  # the stored name of the profile being edited, None for a new one
        self.background = Background(self)
        self.companies: list[GPCompany] = []
        self.sample: CompanySample | None = None
        # The profile document being edited: the pages' fields are laid over it, so the keys no page shows
        # (Advanced settings, keys a later version adds) are kept as they are.
        self.document: Document = {}
        self.saved_profile: Profile | None = None
        self.saved_cadence: Cadence | None = None
        self._editing_id: int | None = None
        if edit is not None:
            row = store.get_profile(edit)
            self._editing_id = row.id if row is not None else None
        self.setWindowTitle(f"Edit profile {edit}" if edit else "Set up a sync profile")
        self.setWindowIcon(app_icon())
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, True)  # Enter in a field must not page on
        self.setOption(QWizard.WizardOption.HaveFinishButtonOnEarlyPages, edit is not None)
        self.discard_question: QMessageBox | None = None
        self._discard_confirmed = False
        self._opened_with: str = ""
        self.gp_page = GpPage(self)
        self.company_page = CompanyPage(self)
        self.mailchimp_page = MailchimpPage(self)
        self.contacts_page = ContactsPage(self)
        self.automations_page = AutomationsPage(self)
        self.filters_page = FiltersPage(self)
        self.fields_page = FieldsPage(self)
        self.schedule_page = SchedulePage(self)
        self.preview_page = PreviewPage(self)
        for page_id, page in (
            (PageId.GP, self.gp_page), (PageId.COMPANY, self.company_page), (PageId.MAILCHIMP, self.mailchimp_page),
            (PageId.CONTACTS, self.contacts_page), (PageId.AUTOMATIONS, self.automations_page),
            (PageId.FILTERS, self.filters_page), (PageId.FIELDS, self.fields_page),
            (PageId.SCHEDULE, self.schedule_page), (PageId.PREVIEW, self.preview_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(PageId.GP)
        self.steps = StepIndicator([STEP_NAMES[PageId(i)] for i in self.pageIds()], self)
        self.setSideWidget(self.steps)
        self.currentIdChanged.connect(self._show_step)
        self._fit_screen()
        if edit is not None:  # Finish from any page while every page holds
            for page_id in self.pageIds():
                self.page(page_id).completeChanged.connect(self._offer_early_finish)
            self.currentIdChanged.connect(self._offer_early_finish)
        if prefill is not None:
            self.prefill(prefill, start=start, notice=notice)
        elif edit is not None:
            self.prefill(Prefill.stored(edit, self.credentials), start=start, notice=notice)
        self._opened_with = self.snapshot()

    # -- ways to open it ------------------------------------------------------------------------------------
    @classmethod
    def new_profile(cls, credentials: CredentialStore | None = None, parent: QWidget | None = None) -> SetupWizard:
        return cls(credentials, parent)

    @classmethod
    def for_demo(cls, env: DemoEnvironment, credentials: CredentialStore | None = None,
                 parent: QWidget | None = None) -> SetupWizard:
        """Pre-filled with the running simulators; the user still presses each check and chooses the rest."""
        return cls(credentials, parent, prefill=Prefill.for_demo(env), notice=DEMO_NOTICE)

    @classmethod
    def edit_profile(cls, name: str, credentials: CredentialStore, parent: QWidget | None = None, *,
                     start: PageId = PageId.GP) -> SetupWizard:
        """Pre-filled from the state store and the credential store; Finish updates that profile."""
        return cls(credentials, parent, edit=name, start=start)

    @classmethod
    def reenter_credential(cls, name: str, kind: str, credentials: CredentialStore,
                           parent: QWidget | None = None) -> SetupWizard:
        """After an authentication failure: open at the page of the refused secret, its field empty."""
        values = Prefill.stored(name, credentials)
        if kind == MAILCHIMP_API_KEY:
            wizard = cls(credentials, parent, edit=name, start=PageId.MAILCHIMP,
                         prefill=dataclasses.replace(values, mailchimp_api_key=""), notice=(
                             "Mailchimp refused the saved API key. Paste a current key (Profile > Extras > API keys "
                             "in Mailchimp), then check the audience and store again."))
            wizard.mailchimp_page.api_key.setFocus()
        else:
            username = values.settings.get("gp", {}).get("username", "")
            wizard = cls(credentials, parent, edit=name, start=PageId.GP,
                         prefill=dataclasses.replace(values, gp_password=""), notice=(
                             f"GP refused the saved password of {username}. Enter the current Windows "
                             "password, then press Test connection."))
            wizard.gp_page.password.setFocus()
        return wizard

    def prefill(self, values: Prefill, *, start: PageId | None = None, notice: str = "") -> None:
        """Fill every page from *values*; *start* opens at that page, *notice* is shown on top of it."""
        self.document = {section: dict(keys) for section, keys in values.settings.items()}
        gp = self.gp_page
        gp.set_api(self.value("gp", "api"))
        gp.url.setText(self.value("gp", "url") or "")
        gp.tenant.setText(self.value("gp", "tenant"))
        gp.username.setText(self.value("gp", "username") or "")
        gp.password.setText(values.gp_password)
        gp.set_auth_method(self.value("gp", "auth"))
        gp.ca_file.setText(self.value("gp", "ca_bundle") or "")
        self.company_page.company.setText(self.value("gp", "company") or "")
        mc = self.mailchimp_page
        mc.set_api_base(self.value("mailchimp", "api_base") or "")
        mc.api_key.setText(values.mailchimp_api_key)
        mc.audience.setEditText(self.value("mailchimp", "list_id") or "")
        if self.value("mailchimp", "store_id"):
            mc.set_store_id(self.value("mailchimp", "store_id"))
        self.contacts_page.set_mode(self.document.get("mailchimp", {}).get("status_if_new"))
        self.automations_page.set_choice(self.document.get("mailchimp", {}).get("automations"))
        self.filters_page.set_filters(SyncFilters(
            skip_inactive=bool(self.value("filters", "skip_inactive")),
            skip_on_hold=bool(self.value("filters", "skip_on_hold")),
            customer_classes=tuple(self.value("filters", "customer_classes"))))
        self.fields_page.set_mapping({k.name: self.value("mapping", k.name) for k in schema.section_keys("mapping")})
        self.fields_page.set_order_lines(self.value("gp", "order_lines"))
        self.schedule_page.set_cadence(values.cadence or DEFAULT_CADENCE)
        if values.name:
            self.preview_page.name.setText(values.name)
            self.preview_page._name_typed = True  # a given name wins over the company's
        self.preview_page.set_first_run_default(send_now=self.editing is None)
        page_id = PageId.GP if start is None else start
        if values.saved and self.editing is not None:
            for checked in (self.gp_page, self.company_page, self.mailchimp_page):
                if checked.has_secrets():
                    checked.accept_saved()
            self._walk_to(page_id)  # through the pages before it, so Back leads to them
        else:
            self.setStartId(page_id)
        page = self.page(page_id)
        notice = notice or values.notice
        if notice and isinstance(page, Page):
            # A refused secret's notice goes once the check passes; the demo's stays.
            page.show_notice(notice, until_passed=self.editing is not None)

    def _walk_to(self, page_id: PageId) -> None:
        """Open at *page_id* with the pages before it in the history; stop early at a page that is not complete
        (a secret the keyring could not give, a choice an older profile never made)."""
        self.setStartId(PageId.GP)
        self.restart()
        while self.currentId() != page_id and self.currentPage().isComplete():
            before = self.currentId()
            self.next()
            if self.currentId() == before:
                break

    def _fit_screen(self) -> None:
        """Open at the preferred size, or smaller when the screen is (its available area, taskbar excluded)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = QSize(PREFERRED_SIZE)
        if screen is not None:
            size = size.boundedTo(screen.availableGeometry().size() - QSize(16, 40))  # frame and title bar
        self.resize(size)

    @Slot(int)
    def _show_step(self, page_id: int) -> None:
        if page_id >= 0:
            self.steps.show_step(self.pageIds().index(page_id))

    def step_text(self) -> str:
        """"Step 3 of 8 — Mailchimp": the indicator's line for the current page."""
        return self.steps.current_text()

    def value(self, section: str, name: str) -> Any:
        """The document's value of a key, or what a new profile starts with (the schema's)."""
        found = self.document.get(section, {}).get(name)
        return schema.key(section, name).initial if found is None else found

    def edit_advanced(self) -> bool:
        """Open Advanced settings over the document; True when the user changed it."""
        dialog = AdvancedSettingsDialog(self.document, self)
        if dialog.exec() != AdvancedSettingsDialog.DialogCode.Accepted:
            return False
        return self.apply_advanced(dialog.values())

    def apply_advanced(self, changes: Document) -> bool:
        """Lay *changes* (``None``: back to the default) over the document; the checks that depend on them must
        pass again.  True when something changed."""
        before = self.document
        self.document = merge_documents(self.document, changes)
        self.mailchimp_page.set_api_base(self.value("mailchimp", "api_base") or "")
        for page in (self.gp_page, self.company_page, self.mailchimp_page):
            page.invalidate()  # a changed timeout or server name must be proven again
        return self.document != before

    # -- what the pages hold ---------------------------------------------------------------------------------
    def gp_values(self) -> dict[str, Any]:
        """The GP section as the pages show it, over the document's other GP keys."""
        return {**self.document.get("gp", {}), **self.gp_page.values(), **self.company_page.values(),
                "order_lines": self.fields_page.order_lines()}

    def section(self, section: str, shown: dict[str, Any]) -> Any:
        """One section's validated settings: the document's keys with the page's *shown* values over them."""
        return section_settings(section, {**self.document.get(section, {}), **shown})

    def profile(self, name: str | None = None) -> Profile:
        """The profile the pages describe (ConfigError naming every problem if they do not make one)."""
        name = name if name is not None else self.preview_page.name.text().strip()
        changes: Document = {
            "profile": {"name": name},
            "gp": self.gp_values(),
            # Unchosen (None) leaves the key out: the preview runs, Finish waits for the page's choice.
            "mailchimp": {**self.mailchimp_page.values(self.contacts_page.mode() or "transactional"),
                          "automations": self.automations_page.choice()},
            "filters": self.filters_page.values(),
            "mapping": self.fields_page.values(),
        }
        return profile_from_mapping(merge_documents(self.document, changes))

    def secrets(self) -> Secrets:
        return Secrets(gp_password=self.gp_page.password.text(), mailchimp_api_key=self.mailchimp_page.key())

    def secrets_key(self) -> Hashable:
        return (self.gp_page.password.text(), self.mailchimp_page.key())

    def cadence(self) -> Cadence:
        return self.schedule_page.cadence()

    def schedule_text(self) -> str:
        return self.cadence().describe()

    def editing_id(self) -> int | None:
        return self._editing_id

    def default_profile_name(self) -> str:
        if self.editing:
            return self.editing
        base = self.company_page.display_name() or "GP to Mailchimp"
        name, n = base, 2
        while self.name_problem(name) is not None:
            name, n = f"{base} ({n})", n + 1
        return name

    def name_problem(self, name: str) -> str | None:
        """Why *name* cannot be this profile's name, or None.  Windows Credential Manager ignores case, so two
        profiles may not differ only in case."""
        if not name:
            return "Give the profile a name (it appears in the tray menu)."
        if self.editing is not None and name.casefold() == self.editing.casefold():
            return None
        for row in store.list_profiles():
            if row.name.casefold() == name.casefold():
                return f"A profile named {row.name!r} already exists: choose another name, or edit that profile."
        return None

    def can_finish_early(self) -> bool:
        """Editing, and every page holds: its checks (saved or run here), its choices and a usable name."""
        if self.editing is None:
            return False
        pages_hold = all(page.passed() for page in (self.gp_page, self.company_page, self.mailchimp_page))
        chosen = self.contacts_page.isComplete() and self.automations_page.isComplete()
        return pages_hold and chosen and self.name_problem(self.preview_page.name.text().strip()) is None

    @Slot()
    def _offer_early_finish(self) -> None:
        """Editing: Finish saves from any page (only the schedule changed, say: nothing needs proving again)."""
        early = self.can_finish_early()
        for page_id in self.pageIds():
            if page_id != PageId.PREVIEW:
                self.page(page_id).setFinalPage(early)

    def snapshot(self) -> str:
        """Everything the pages hold, to tell whether the user changed anything since the wizard opened."""
        return repr((self.gp_page.values(), self.gp_page.password.text(), self.company_page.values(),
                     self.mailchimp_page.values(), self.mailchimp_page.key(), self.contacts_page.mode(),
                     self.automations_page.choice(), self.filters_page.values(), self.fields_page.values(),
                     self.fields_page.order_lines(),
                     self.cadence(), self.preview_page.name.text(), self.document))

    def has_work(self) -> bool:
        """A check passed here or a field was changed: closing would lose something."""
        checked = any(page.passed_here for page in (self.gp_page, self.company_page, self.mailchimp_page))
        return checked or self.snapshot() != self._opened_with

    # -- Finish ------------------------------------------------------------------------------------------------
    def save(self, name: str) -> Profile:
        """Store everything; called by the last page's validatePage (Finish).  The secrets go first: if the
        keyring refuses, the state database is left as it was."""
        problem = self.name_problem(name)
        if problem:
            raise ValueError(problem)
        profile, secrets, cadence = self.profile(name), self.secrets(), self.cadence()
        old = self.editing
        renamed = old is not None and old != name
        send_now = self.preview_page.send_now()
        self.credentials.set(name, GP_PASSWORD, secrets.gp_password)
        self.credentials.set(name, MAILCHIMP_API_KEY, secrets.mailchimp_api_key)
        try:
            with store.write_transaction():
                if renamed and old is not None:
                    store.rename_profile(old, name)  # runs, audit and sync state follow the id
                save_profile_settings(profile)
                row = store.save_profile(name, schedule=cadence.to_dict())
                # "Wait for the schedule": a profile that never synced counts its slots from now, rather than
                # being due at once (the scheduler reads this when there is no successful run yet).
                if send_now:
                    store.delete_state(row.id, SCHEDULE_FROM_KEY)
                else:
                    store.set_state(row.id, SCHEDULE_FROM_KEY, store.to_iso(datetime.now(UTC)))
        except Exception:
            if old is None or (renamed and old.casefold() != name.casefold()):
                self.credentials.delete_profile(name)  # no secrets without a profile
            raise
        if renamed and old is not None and old.casefold() != name.casefold():
            self.credentials.delete_profile(old)
        self.saved_profile, self.saved_cadence = profile, cadence
        self.editing = name
        log.info("profile %r saved by the setup wizard (%s; %s)", name, cadence.describe(),
                 "first run now" if send_now else "waits for the schedule")
        self.profileSaved.emit(name)
        if send_now:
            self.sendNow.emit(name)
        return profile

    def _finish(self) -> bool:
        """Finish: save, or say why nothing was saved and keep the wizard open."""
        try:
            self.save(self.preview_page.name.text().strip())
        except Exception as exc:  # the keyring or the state database refused
            text = f"Nothing was saved: {exc}"
            if self.currentId() == PageId.PREVIEW:
                self.preview_page.show_save_error(text)
            else:
                QMessageBox.warning(self, "Profile not saved", text)
            return False
        return True

    # -- keys ------------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter runs the current page's check (or presses the focused button), never Next or Finish."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            elif isinstance(focused, QAbstractButton):
                pass  # a radio button or a check box: Enter is not a choice
            elif isinstance(self.currentPage(), CheckedPage):
                self.currentPage().enter_pressed()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- closing ---------------------------------------------------------------------------------------------
    def reject(self) -> None:
        """Escape, Cancel and the close button (QDialog's closeEvent rejects): ask first when the user checked or
        changed anything."""
        if self._discard_confirmed or not self.has_work():
            super().reject()
            return
        if self.discard_question is None:
            box = QMessageBox(QMessageBox.Icon.Question, self.windowTitle(), DISCARD_QUESTION,
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.setInformativeText("Nothing is saved until Finish: discarding closes the wizard and forgets what "
                                   "you typed and checked.")
            box.button(QMessageBox.StandardButton.Yes).setText("Discard")
            box.button(QMessageBox.StandardButton.No).setText("Keep editing")
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.setEscapeButton(QMessageBox.StandardButton.No)
            box.finished.connect(self._discard_answered)
            self.discard_question = box
        self.discard_question.open()

    @Slot(int)
    def _discard_answered(self, answer: int) -> None:
        if answer == QMessageBox.StandardButton.Yes:
            self._discard_confirmed = True
            self.reject()

    def discard(self) -> None:
        """Close without asking (the app quitting with the wizard open)."""
        self._discard_confirmed = True
        self.reject()

    def done(self, result: int) -> None:
        if result == QWizard.DialogCode.Accepted and not (self.validateCurrentPage() and self._finish()):
            return
        # The network calls in flight cannot be interrupted; their answers are dropped, the preview stops.
        self.preview_page.cancel()
        self.background.drop_all()
        super().done(result)

    def wait_for_checks(self, msecs: int = 30_000) -> bool:
        """Block until background checks end (tests; an app quitting with the wizard open)."""
        return self.background.wait(msecs)


__all__ = ["PageId", "Prefill", "SetupWizard"]
