"""`SetupWizard`: create or edit one sync profile, proving both connections stage by stage.

    wizard = SetupWizard.new_profile(credentials)                 # first run, or "Add profile…"
    wizard = SetupWizard.for_demo(env, credentials)               # --demo: simulators pre-filled
    wizard = SetupWizard.edit_profile("Fabrikam", credentials)    # pre-filled from the store and the keyring
    wizard = SetupWizard.reenter_credential("Fabrikam", GP_PASSWORD, credentials)  # after "GP refused…"
    wizard.profileSaved.connect(on_saved)                         # (name) after Finish saved everything
    wizard.open()

Nothing is written anywhere until Finish: the checks and the preview only read.  Finish stores the settings and
the cadence in the state database (`save_profile_settings`, `save_profile(schedule=…)`) and the two secrets in
the credential store under the profile's name; never in SQLite, a settings file or the log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

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
from gpmc_desktop.ui.wizard.automations_page import AutomationsPage
from gpmc_desktop.ui.wizard.background import Background
from gpmc_desktop.ui.wizard.base import Page
from gpmc_desktop.ui.wizard.choices import ContactsPage, FiltersPage
from gpmc_desktop.ui.wizard.gp_pages import CompanyPage, GpPage
from gpmc_desktop.ui.wizard.mailchimp_page import MailchimpPage
from gpmc_desktop.ui.wizard.preview_page import PreviewPage
from gpmc_desktop.ui.wizard.schedule_page import DEFAULT_CADENCE, SchedulePage

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
    SCHEDULE = 6
    PREVIEW = 7


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

    @classmethod
    def stored(cls, name: str, credentials: CredentialStore) -> Prefill:
        """The saved profile *name* (the state store must be open) with its secrets from the credential store.

        A stored document that no longer validates still opens, as it is, so its owner can fix it here.  A
        keyring that cannot be read (locked, not up yet) leaves the secret fields empty with a notice saying
        why, rather than refusing to open the profile."""
        row = store.get_profile(name)
        if row is None:
            raise LookupError(f"there is no profile {name!r}")
        try:
            profile = row.profile()
            settings = profile_to_mapping(profile, with_defaults=True)
            for section, key_name in profile.unchosen:  # shown unset: its owner has a choice to make
                settings[section].pop(key_name, None)
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
        return cls(settings, name, cadence, secrets[GP_PASSWORD], secrets[MAILCHIMP_API_KEY], notice)

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
        self.gp_page = GpPage(self)
        self.company_page = CompanyPage(self)
        self.mailchimp_page = MailchimpPage(self)
        self.contacts_page = ContactsPage(self)
        self.automations_page = AutomationsPage(self)
        self.filters_page = FiltersPage(self)
        self.schedule_page = SchedulePage(self)
        self.preview_page = PreviewPage(self)
        for page_id, page in (
            (PageId.GP, self.gp_page), (PageId.COMPANY, self.company_page), (PageId.MAILCHIMP, self.mailchimp_page),
            (PageId.CONTACTS, self.contacts_page), (PageId.AUTOMATIONS, self.automations_page),
            (PageId.FILTERS, self.filters_page),
            (PageId.SCHEDULE, self.schedule_page), (PageId.PREVIEW, self.preview_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(PageId.GP)
        self.resize(780, 660)
        if prefill is not None:
            self.prefill(prefill, start=start, notice=notice)
        elif edit is not None:
            self.prefill(Prefill.stored(edit, self.credentials), start=start, notice=notice)

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
        self.schedule_page.set_cadence(values.cadence or DEFAULT_CADENCE)
        if values.name:
            self.preview_page.name.setText(values.name)
            self.preview_page._name_typed = True  # a given name wins over the company's
        page_id = PageId.GP if start is None else start
        self.setStartId(page_id)
        page = self.page(page_id)
        notice = notice or values.notice
        if notice and isinstance(page, Page):
            # A refused secret's notice goes once the check passes; the demo's stays.
            page.show_notice(notice, until_passed=self.editing is not None)

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
        return {**self.document.get("gp", {}), **self.gp_page.values(), **self.company_page.values()}

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
        self.credentials.set(name, GP_PASSWORD, secrets.gp_password)
        self.credentials.set(name, MAILCHIMP_API_KEY, secrets.mailchimp_api_key)
        try:
            with store.write_transaction():
                if renamed and old is not None:
                    store.rename_profile(old, name)  # runs, audit and sync state follow the id
                save_profile_settings(profile)
                store.save_profile(name, schedule=cadence.to_dict())
        except Exception:
            if old is None or (renamed and old.casefold() != name.casefold()):
                self.credentials.delete_profile(name)  # no secrets without a profile
            raise
        if renamed and old is not None and old.casefold() != name.casefold():
            self.credentials.delete_profile(old)
        self.saved_profile, self.saved_cadence = profile, cadence
        self.editing = name
        log.info("profile %r saved by the setup wizard (%s)", name, cadence.describe())
        self.profileSaved.emit(name)
        return profile

    # -- closing ---------------------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        # The network calls in flight cannot be interrupted; their answers are dropped, the preview stops.
        self.preview_page.cancel()
        self.background.drop_all()
        super().done(result)

    def wait_for_checks(self, msecs: int = 30_000) -> bool:
        """Block until background checks end (tests; an app quitting with the wizard open)."""
        return self.background.wait(msecs)


__all__ = ["PageId", "Prefill", "SetupWizard"]
