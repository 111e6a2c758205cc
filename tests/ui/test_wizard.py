"""The setup wizard driven end to end against the GP and Mailchimp simulators (offscreen Qt, real HTTP).

Every check runs on the wizard's worker pool; the tests wait for it with ``qtbot.waitUntil``, never a sleep.
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialStore, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.profile import KEYS, Level, Secrets, SyncFilters, profile_from_mapping
from gpmc_desktop.profile.schema import key
from gpmc_desktop.scheduling.cadence import Cadence
from gpmc_desktop.sync.merge_fields import FieldMisfit, Misfit
from gpmc_desktop.sync.runner import make_api, run_profile
from gpmc_desktop.ui.advanced_settings import AdvancedSettingsDialog
from gpmc_desktop.ui.wizard import PageId, Prefill, SetupWizard
from gpmc_desktop.ui.wizard.automations_page import AUTOMATION_CHOICES, EXPLANATION
from gpmc_desktop.ui.wizard.base import CheckedPage
from gpmc_desktop.ui.wizard.choices import CONTACT_MODES
from gpmc_desktop.ui.wizard.gp_pages import AUTH_CHOICES
from gpmc_desktop.ui.wizard.mailchimp_page import suggested_store_id

CHECK_TIMEOUT_MS = 60_000  # generous: two cores, a TLS handshake and NTLM per check


# -- fixtures -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    demo = DemoEnvironment(customers=80, workdir=tmp_path_factory.mktemp("demo")).start()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[store.Store]:
    opened = store.open_store(tmp_path / "state.sqlite")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def credentials() -> Iterator[CredentialStore]:
    with use_test_keyring():
        yield default_store()


def open_wizard(qtbot, wizard: SetupWizard) -> SetupWizard:
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


@pytest.fixture
def wizard(qtbot, state: store.Store, credentials: CredentialStore) -> Iterator[SetupWizard]:
    w = open_wizard(qtbot, SetupWizard.new_profile(credentials))
    yield w
    w.close()
    w.wait_for_checks()  # before the store closes: no worker may still be reading it


# -- helpers (the failure tests import them) ------------------------------------------------------------------
def next_enabled(wizard: SetupWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def go_next(qtbot, wizard: SetupWizard, expect: PageId) -> None:
    button = wizard.button(QWizard.WizardButton.NextButton)
    assert button.isEnabled(), f"Next is disabled on page {PageId(wizard.currentId()).name}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == expect


def run_and_wait(qtbot, page: CheckedPage, button=None) -> None:
    qtbot.mouseClick(button or page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running(), timeout=CHECK_TIMEOUT_MS)


def fill_gp(wizard: SetupWizard, env: DemoEnvironment, *, url: str | None = None, password: str | None = None,
            ca: bool = True) -> None:
    gp = wizard.gp_page
    gp.url.setText(env.gp.base_url if url is None else url)
    gp.username.setText("CORP\\svc-gp")
    gp.password.setText(env.secrets.gp_password if password is None else password)
    gp.set_auth_method("ntlm")
    gp.ca_file.setText(str(env.gp.ca_path) if ca else "")


def pass_gp(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    fill_gp(wizard, env)
    assert not next_enabled(wizard)
    run_and_wait(qtbot, wizard.gp_page)
    assert wizard.gp_page.stages.passed("reach", "tls", "auth", "companies"), wizard.gp_page.stages.text()
    assert next_enabled(wizard)
    go_next(qtbot, wizard, PageId.COMPANY)


def pass_company(qtbot, wizard: SetupWizard) -> None:
    page = wizard.company_page
    assert page.companies.count() == 2  # read from the server
    assert not next_enabled(wizard)
    assert page.pick(DEMO_COMPANY)
    assert page.company.text() == DEMO_COMPANY
    run_and_wait(qtbot, page)
    assert page.stages.passed("company", "sample", "data"), page.stages.text()
    assert [r.stage for r in page.stages.results] == ["company", "sample", "data"]
    assert "receivables documents: " in page.stages.results[-1].message
    assert next_enabled(wizard)
    go_next(qtbot, wizard, PageId.MAILCHIMP)


def connect_mailchimp(qtbot, wizard: SetupWizard, env: DemoEnvironment, key: str | None = None) -> None:
    page = wizard.mailchimp_page
    page.set_api_base(env.mailchimp.api_base)
    page.api_key.setText(env.api_key if key is None else key)
    run_and_wait(qtbot, page, page.connect_button)


def pass_mailchimp(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    page = wizard.mailchimp_page
    assert page.store_id.text() == "gp-two"  # suggested from the company
    connect_mailchimp(qtbot, wizard, env)
    assert page.stages.passed("key", "ping", "audiences"), page.stages.text()
    assert "us6" in page.datacenter.text()
    assert page.audience.count() == 1 and page.list_id() == env.profile_list_id
    assert not next_enabled(wizard)  # the audience and store are not proven yet
    run_and_wait(qtbot, page)
    assert page.stages.passed("key", "ping", "audience", "store"), page.stages.text()
    assert next_enabled(wizard)
    go_next(qtbot, wizard, PageId.CONTACTS)


def click_choice(qtbot, wizard: SetupWizard, button) -> None:
    assert not next_enabled(wizard)  # no silent default
    # On the indicator: a radio button ignores clicks in the empty space right of its label.
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def choose_contacts(qtbot, wizard: SetupWizard, mode: str = "transactional") -> None:
    click_choice(qtbot, wizard, wizard.contacts_page.buttons[mode])
    assert wizard.contacts_page.mode() == mode
    go_next(qtbot, wizard, PageId.AUTOMATIONS)


def choose_automations(qtbot, wizard: SetupWizard, choice: str = "off") -> None:
    click_choice(qtbot, wizard, wizard.automations_page.buttons[choice])
    assert wizard.automations_page.choice() == choice
    go_next(qtbot, wizard, PageId.FILTERS)


def wait_preview(qtbot, wizard: SetupWizard) -> None:
    page = wizard.preview_page
    qtbot.waitUntil(lambda: not page.running() and (page.report is not None or page.error), timeout=CHECK_TIMEOUT_MS)
    assert page.report is not None, page.error


def walk_to_preview(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    """From the company page to a finished preview, choosing "pending" for new contacts and no order e-mails."""
    pass_company(qtbot, wizard)
    pass_mailchimp(qtbot, wizard, env)
    choose_contacts(qtbot, wizard, "pending")
    choose_automations(qtbot, wizard, "off")
    go_next(qtbot, wizard, PageId.FIELDS)
    go_next(qtbot, wizard, PageId.SCHEDULE)
    go_next(qtbot, wizard, PageId.PREVIEW)
    wait_preview(qtbot, wizard)


def finish(qtbot, wizard: SetupWizard) -> None:
    button = wizard.button(QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(button.isEnabled, timeout=5_000)
    with qtbot.waitSignal(wizard.profileSaved, timeout=10_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def db_bytes(state: store.Store) -> bytes:
    """The database file and its WAL: a secret must be in neither."""
    path = Path(state.path)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


# -- the happy path -------------------------------------------------------------------------------------------
def test_new_profile_end_to_end(qtbot, wizard: SetupWizard, env: DemoEnvironment, state: store.Store,
                                credentials: CredentialStore) -> None:
    assert wizard.currentId() == PageId.GP
    pass_gp(qtbot, wizard, env)
    pass_company(qtbot, wizard)
    pass_mailchimp(qtbot, wizard, env)
    choose_contacts(qtbot, wizard, "transactional")
    choose_automations(qtbot, wizard, "on")

    filters = wizard.filters_page
    assert filters.with_email.isChecked() and not filters.with_email.isEnabled()
    assert filters.classes.count() >= 2  # the classes found in the sample
    filters.skip_on_hold.setChecked(True)
    go_next(qtbot, wizard, PageId.FIELDS)

    # What the company's sampled customers hold in each field, and a new profile's places for them.
    fields = wizard.fields_page
    sample = wizard.sample
    assert sample is not None and sample.fields["salesperson"]
    top = next(iter(sample.fields["sales_territory"]))
    assert fields.held["sales_territory"].text().startswith(f"{sum(sample.fields['sales_territory'].values())} of ")
    assert f"{top} ({sample.fields['sales_territory'][top]})" in fields.held["sales_territory"].text()
    assert fields.values() == {"customer_class": "tags", "salesperson": "merge_field", "sales_territory": "tags",
                               "price_level": "tags", "payment_terms": "off", "user_defined_1": "off",
                               "user_defined_2": "off"}
    territory = fields.choices["sales_territory"]
    assert territory.currentText() == "Tags \u201cGP territory: \u2026\u201d"
    assert territory.itemData(territory.currentIndex(), Qt.ItemDataRole.ToolTipRole) == (
        f"Each value its own tag, like \u201cGP territory: {top}\u201d")
    assert fields.choices["salesperson"].currentText() == "Audience field SALESREP"
    fields.choices["price_level"].setCurrentIndex(fields.choices["price_level"].findData("off"))
    fields.choices["user_defined_1"].setCurrentIndex(fields.choices["user_defined_1"].findData("tags"))
    go_next(qtbot, wizard, PageId.SCHEDULE)

    schedule = wizard.schedule_page
    schedule.kind.setCurrentIndex(schedule.kind.findData("month_end"))
    schedule.business_days.setValue(2)
    assert schedule.description.text() == Cadence.month_end("07:00", 2).describe()
    go_next(qtbot, wizard, PageId.PREVIEW)

    # The dry run, off the GUI thread, with the engine's own counts.
    wait_preview(qtbot, wizard)
    report = wizard.preview_page.report
    assert report is not None and report.dry_run and report.outcome == "ok"
    assert report.customers["created"] > 0 and report.customers["skipped"] > 0
    assert report.new_contacts > 0 and report.skip_reasons
    shown = wizard.preview_page.result.text()
    assert f"{report.new_contacts:,} new contact" in shown
    assert f"{report.customers['created']:,}" in shown
    assert "no e-mail" in shown  # a skip reason, in words
    # The demo audience's phone field takes US numbers only: the numbers that do not fit are counted, in words.
    phones = report.fields_left_out[FieldMisfit("PHONE", Misfit.NOT_US_PHONE)]
    assert phones > 1
    assert html.escape(f"{phones:,} phone numbers do not fit the audience's US phone format and will be left "
                       "out") in shown
    # Where the mapped fields go, counted by the same dry run.
    assert report.mapped is not None and report.mapped.kinds == {
        "customer_class": "tags", "salesperson": "merge_field", "sales_territory": "tags", "user_defined_1": "tags"}
    for line in report.mapped.lines():
        assert html.escape(line) in shown
    assert "Salesperson: the audience field SALESREP, filled on" in shown
    # Nothing saved before Finish: not the profile, not a run, not a secret.
    assert store.list_profiles() == []
    name = wizard.preview_page.name.text()
    assert name == "Fabrikam, Inc."  # defaults to the company's display name
    assert credentials.get(name, GP_PASSWORD) is None

    finish(qtbot, wizard)

    row = store.get_profile(name)
    assert row is not None
    settings = row.profile()
    assert settings.gp.url == env.gp.base_url and settings.gp.company == DEMO_COMPANY and settings.gp.auth == "ntlm"
    assert settings.mailchimp.list_id == env.profile_list_id and settings.mailchimp.store_id == "gp-two"
    assert settings.mailchimp.status_if_new == "transactional"
    assert settings.mailchimp.automations == "on" and settings.unchosen == frozenset()
    assert row.settings["mailchimp"]["automations"] == "on"  # stored although it is the default: it was chosen
    assert settings.filters.skip_on_hold is True
    assert (settings.mapping.salesperson, settings.mapping.price_level, settings.mapping.user_defined_1) == (
        "merge_field", "off", "tags")
    assert settings.gp.order_lines == "sales_invoices"  # a new profile's choice, from the same page
    assert Cadence.from_dict(row.schedule) == Cadence.month_end("07:00", 2)
    assert store.list_runs(row.id) == []  # the preview recorded no run
    assert row.profile() == wizard.saved_profile
    assert credentials.get(name, GP_PASSWORD) == env.secrets.gp_password
    assert credentials.get(name, MAILCHIMP_API_KEY) == env.api_key
    raw = db_bytes(state)
    assert env.secrets.gp_password.encode() not in raw and env.api_key.encode() not in raw

    # The saved profile really syncs, with the secrets the wizard put in the credential store.
    secrets = Secrets(credentials.get(name, GP_PASSWORD) or "", credentials.get(name, MAILCHIMP_API_KEY) or "")
    real = run_profile(row.profile(), secrets)
    assert real.outcome == "ok"
    assert real.customers["created"] == report.customers["created"]


def test_advanced_settings_go_from_the_wizard_to_the_database_and_the_engine(
        qtbot, wizard: SetupWizard, env: DemoEnvironment, state: store.Store, credentials: CredentialStore) -> None:
    fill_gp(wizard, env)
    run_and_wait(qtbot, wizard.gp_page)
    assert next_enabled(wizard)

    dialog = AdvancedSettingsDialog(wizard.document, wizard)
    # Every ADVANCED key of the schema has a field, so a key added later is editable without UI code.
    assert set(dialog.fields) == {(k.section, k.name) for k in KEYS if k.level is Level.ADVANCED}
    dialog.widget("gp", "spn_host").setText("https://gp01")  # breaks the rule: named in the form's words
    assert dialog.problems() == ["Kerberos server name: write the GP server's name as registered for Kerberos, "
                                 "like gp01.corp.example (no https://, no port)."]
    dialog.widget("gp", "spn_host").setText("gp01.corp.example")
    dialog.widget("gp", "timeout_seconds").setValue(600)
    dialog.widget("gp", "full_compare_days").setValue(3)
    dialog.widget("mailchimp", "max_connections").setValue(3)
    assert dialog.problems() == []
    assert wizard.apply_advanced(dialog.values())
    assert not next_enabled(wizard)  # a changed setting must be proven again
    dialog.close()

    run_and_wait(qtbot, wizard.gp_page)
    go_next(qtbot, wizard, PageId.COMPANY)
    walk_to_preview(qtbot, wizard, env)
    finish(qtbot, wizard)

    row = store.get_profile(wizard.preview_page.name.text())
    assert row is not None
    saved = row.profile()
    assert (saved.gp.spn_host, saved.gp.timeout_seconds, saved.gp.full_compare_days) == (
        "gp01.corp.example", 600.0, 3.0)
    assert saved.mailchimp.max_connections == 3 and saved.gp.soap_list_cap == 1000  # untouched: the default
    assert "soap_list_cap" not in row.settings["gp"]  # defaults are not pinned in the stored document
    # The engine is built from what was stored.
    _api, transport = make_api(saved, env.api_key)
    try:
        assert transport.max_connections == 3
    finally:
        transport.close()

    # Opening the saved profile again shows the stored values in the same form.
    again = open_wizard(qtbot, SetupWizard.edit_profile(row.name, credentials))
    try:
        reopened = AdvancedSettingsDialog(again.document, again)
        assert reopened.widget("gp", "spn_host").text() == "gp01.corp.example"
        assert reopened.widget("mailchimp", "max_connections").value() == 3
        reopened.restore_defaults()
        assert again.apply_advanced(reopened.values())
        assert again.profile(row.name).gp.spn_host is None
        assert again.profile(row.name).mailchimp.max_connections == 5
        reopened.close()
    finally:
        again.close()


def test_editing_a_field_after_a_pass_disables_next(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    fill_gp(wizard, env)
    run_and_wait(qtbot, wizard.gp_page)
    assert next_enabled(wizard)
    wizard.gp_page.password.setText("something else")
    assert not next_enabled(wizard)
    wizard.gp_page.password.setText(env.secrets.gp_password)  # back to the proven values
    assert next_enabled(wizard)


def test_cancel_saves_nothing(qtbot, wizard: SetupWizard, env: DemoEnvironment,
                              credentials: CredentialStore) -> None:
    pass_gp(qtbot, wizard, env)
    walk_to_preview(qtbot, wizard, env)
    wizard.reject()
    assert store.list_profiles() == []
    assert credentials.backend.entries() == []  # type: ignore[attr-defined]


def _save_demo_profile(env: DemoEnvironment, credentials: CredentialStore, name: str = "Fabrikam", *,
                       automations: str | None = "off") -> None:
    """*automations* None: saved as a version before the key did (the stored document does not say)."""
    from gpmc_desktop.profile import merge_documents, profile_from_mapping
    from gpmc_desktop.sync.runner import save_profile_settings

    demo = Prefill.for_demo(env).settings
    save_profile_settings(profile_from_mapping(merge_documents(demo, {
        "profile": {"name": name},
        "gp": {"company": DEMO_COMPANY},
        "mailchimp": {"store_id": "gp-two", "status_if_new": "subscribed", "automations": automations},
        "filters": {"skip_inactive": False, "customer_classes": ["RETAIL"]},
    })))
    store.save_profile(name, schedule=Cadence.weekly("fri", "18:30").to_dict())
    credentials.set(name, GP_PASSWORD, env.secrets.gp_password)
    credentials.set(name, MAILCHIMP_API_KEY, env.api_key)


def test_edit_mode_prefills_and_updates(qtbot, state: store.Store, credentials: CredentialStore,
                                        env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials)
    wizard = open_wizard(qtbot, SetupWizard.edit_profile("Fabrikam", credentials))
    try:
        gp, mc = wizard.gp_page, wizard.mailchimp_page
        assert wizard.windowTitle() == "Edit profile Fabrikam"
        assert gp.url.text() == env.gp.base_url and gp.username.text() == "CORP\\svc-gp"
        assert gp.password.text() == env.secrets.gp_password  # from the credential store
        assert gp.auth_method() == "ntlm" and gp.ca_file.text() == str(env.gp.ca_path)
        assert wizard.company_page.company.text() == DEMO_COMPANY
        assert mc.key() == env.api_key and mc.list_id() == env.profile_list_id
        assert mc.store_id.text() == "gp-two" and not mc.api_base.isHidden()
        assert wizard.contacts_page.mode() == "subscribed"  # the owner's earlier choice, not a default
        assert wizard.automations_page.choice() == "off"
        assert wizard.filters_page.filters().customer_classes == ("RETAIL",)
        assert not wizard.filters_page.skip_inactive.isChecked()
        assert wizard.cadence() == Cadence.weekly("fri", "18:30")
        assert next_enabled(wizard)  # the saved values count as checked until a field changes

        run_and_wait(qtbot, gp)  # and each check may still be run again
        go_next(qtbot, wizard, PageId.COMPANY)
        assert wizard.company_page.companies.currentItem().text().startswith(DEMO_COMPANY)
        run_and_wait(qtbot, wizard.company_page)
        go_next(qtbot, wizard, PageId.MAILCHIMP)
        assert mc.store_id.text() == "gp-two"
        run_and_wait(qtbot, mc)  # the stored audience is checked without pressing Connect
        go_next(qtbot, wizard, PageId.CONTACTS)
        go_next(qtbot, wizard, PageId.AUTOMATIONS)
        go_next(qtbot, wizard, PageId.FILTERS)
        go_next(qtbot, wizard, PageId.FIELDS)
        go_next(qtbot, wizard, PageId.SCHEDULE)
        wizard.schedule_page.kind.setCurrentIndex(wizard.schedule_page.kind.findData("every_hours"))
        wizard.schedule_page.hours.setValue(6)
        go_next(qtbot, wizard, PageId.PREVIEW)
        assert wizard.preview_page.name.text() == "Fabrikam"
        wait_preview(qtbot, wizard)
        # Only RETAIL customers: everyone else is left out with the reason.
        assert any("is not selected" in reason for reason in wizard.preview_page.report.skip_reasons)
        finish(qtbot, wizard)
    finally:
        wizard.close()
        wizard.wait_for_checks()
    rows = store.list_profiles()
    assert [r.name for r in rows] == ["Fabrikam"]
    assert Cadence.from_dict(rows[0].schedule) == Cadence.every_hours(6)


def test_editing_a_profile_that_never_chose_asks_for_the_choice(qtbot, state: store.Store,
                                                                 credentials: CredentialStore,
                                                                 env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials, automations=None)
    row = store.get_profile("Fabrikam")
    assert row is not None and "automations" not in row.settings["mailchimp"]
    wizard = open_wizard(qtbot, SetupWizard.edit_profile("Fabrikam", credentials))
    try:
        assert wizard.automations_page.choice() is None  # shown unset, not as the default it runs on
        run_and_wait(qtbot, wizard.gp_page)
        go_next(qtbot, wizard, PageId.COMPANY)
        run_and_wait(qtbot, wizard.company_page)
        go_next(qtbot, wizard, PageId.MAILCHIMP)
        run_and_wait(qtbot, wizard.mailchimp_page)
        go_next(qtbot, wizard, PageId.CONTACTS)
        go_next(qtbot, wizard, PageId.AUTOMATIONS)
        assert "Order e-mails" in wizard.automations_page.title()
        choose_automations(qtbot, wizard, "on")  # asserts Next waited for the choice
        go_next(qtbot, wizard, PageId.FIELDS)
        go_next(qtbot, wizard, PageId.SCHEDULE)
        go_next(qtbot, wizard, PageId.PREVIEW)
        wait_preview(qtbot, wizard)
        finish(qtbot, wizard)
    finally:
        wizard.close()
        wizard.wait_for_checks()
    row = store.get_profile("Fabrikam")
    assert row is not None and row.settings["mailchimp"]["automations"] == "on"
    assert row.profile().unchosen == frozenset()


def test_edit_mode_can_rename(qtbot, state: store.Store, credentials: CredentialStore, env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials, "Old name")
    wizard = open_wizard(qtbot, SetupWizard.edit_profile("Old name", credentials))
    try:
        wizard.save("New name")  # what Finish calls, once every page passed
    finally:
        wizard.close()
    assert [r.name for r in store.list_profiles()] == ["New name"]
    assert credentials.get("New name", MAILCHIMP_API_KEY) == env.api_key
    assert credentials.get("Old name", MAILCHIMP_API_KEY) is None


def test_a_second_profile_needs_its_own_name(qtbot, wizard: SetupWizard, credentials: CredentialStore,
                                             env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials, "Fabrikam, Inc.")
    assert wizard.name_problem("fabrikam, inc.")  # Windows Credential Manager ignores case
    assert wizard.name_problem("Fabrikam 2") is None
    wizard.company_page.company.setText(DEMO_COMPANY)
    wizard.companies = []
    assert wizard.default_profile_name() == DEMO_COMPANY


def test_reenter_password_opens_at_gp_page(qtbot, state: store.Store, credentials: CredentialStore,
                                           env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials)
    wizard = open_wizard(qtbot, SetupWizard.reenter_credential("Fabrikam", GP_PASSWORD, credentials))
    try:
        assert wizard.currentId() == PageId.GP
        assert wizard.gp_page.password.text() == ""
        assert wizard.gp_page.banner.isVisible() and "refused the saved password" in wizard.gp_page.banner.text()
        wizard.gp_page.password.setText(env.secrets.gp_password)
        run_and_wait(qtbot, wizard.gp_page)
        assert next_enabled(wizard)
        assert not wizard.gp_page.banner.isVisible()  # solved: the notice goes
    finally:
        wizard.close()
        wizard.wait_for_checks()


def test_reenter_api_key_opens_at_mailchimp_page(qtbot, state: store.Store, credentials: CredentialStore,
                                                 env: DemoEnvironment) -> None:
    _save_demo_profile(env, credentials)
    wizard = open_wizard(qtbot, SetupWizard.reenter_credential("Fabrikam", MAILCHIMP_API_KEY, credentials))
    try:
        assert wizard.currentId() == PageId.MAILCHIMP
        assert wizard.mailchimp_page.key() == "" and wizard.mailchimp_page.banner.isVisible()
    finally:
        wizard.close()


def test_demo_prefill_still_walks_every_stage(qtbot, state: store.Store, credentials: CredentialStore,
                                              env: DemoEnvironment) -> None:
    wizard = open_wizard(qtbot, SetupWizard.for_demo(env, credentials))
    try:
        assert wizard.gp_page.banner.isVisible()
        assert not next_enabled(wizard)  # pre-filled, not pre-passed
        run_and_wait(qtbot, wizard.gp_page)
        assert wizard.gp_page.banner.isVisible()  # the demo's notice stays
        go_next(qtbot, wizard, PageId.COMPANY)
        run_and_wait(qtbot, wizard.company_page)
        go_next(qtbot, wizard, PageId.MAILCHIMP)
        run_and_wait(qtbot, wizard.mailchimp_page)
        go_next(qtbot, wizard, PageId.CONTACTS)
        assert wizard.contacts_page.mode() is None and not next_enabled(wizard)
        assert wizard.automations_page.choice() is None  # the demo chooses for nobody either
    finally:
        wizard.close()
        wizard.wait_for_checks()


def test_contact_modes_are_the_cores() -> None:
    assert tuple(CONTACT_MODES) == key("mailchimp", "status_if_new").choices


def test_automation_choices_are_the_cores() -> None:
    assert tuple(AUTOMATION_CHOICES) == key("mailchimp", "automations").choices
    assert EXPLANATION.count(". ") + 1 == 2  # explained in two sentences


@pytest.mark.parametrize(("company", "store_id"), [("TWO", "gp-two"), ("Fab Inc.", "gp-fab-inc"), ("", "")])
def test_suggested_store_id(company: str, store_id: str) -> None:
    assert suggested_store_id(company) == store_id


def test_offscreen() -> None:
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"


def test_closing_during_a_check_neither_blocks_nor_crashes(qtbot, state: store.Store, credentials: CredentialStore,
                                                           env: DemoEnvironment) -> None:
    env.gp.set_latency(1.0, "Companies")  # the sign-in stage hangs for a second
    try:
        wizard = SetupWizard.new_profile(credentials)
        qtbot.addWidget(wizard)
        wizard.show()
        fill_gp(wizard, env)
        qtbot.mouseClick(wizard.gp_page.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(wizard.gp_page.stages.results) >= 1, timeout=CHECK_TIMEOUT_MS)  # reach passed
        assert wizard.gp_page.running()
        wizard.reject()
        wizard.deleteLater()  # what the app does on `finished`: must not wait for the worker
        qtbot.wait(0)
        assert wizard_pool_done(CHECK_TIMEOUT_MS)  # the worker ends on its own; its answers go nowhere
    finally:
        env.gp.set_latency(0.0)


def wizard_pool_done(msecs: int) -> bool:
    from gpmc_desktop.ui.wizard.background import worker_pool

    return worker_pool().waitForDone(msecs)


def test_edit_with_a_locked_keyring_opens_with_empty_secrets(qtbot, state: store.Store, credentials: CredentialStore,
                                                             env: DemoEnvironment, monkeypatch) -> None:
    from gpmc_desktop.credentials import KeyringNotReadyError

    _save_demo_profile(env, credentials)

    def locked(profile: str, kind: str) -> str | None:
        raise KeyringNotReadyError("Could not read the GP password: the keyring is locked. Unlock it.")

    monkeypatch.setattr(credentials, "get", locked)
    wizard = open_wizard(qtbot, SetupWizard.edit_profile("Fabrikam", credentials))
    try:
        assert wizard.gp_page.password.text() == "" and wizard.mailchimp_page.key() == ""
        assert wizard.gp_page.url.text() == env.gp.base_url  # everything else is there
        assert "keyring is locked" in wizard.gp_page.banner.text() and wizard.gp_page.banner.isVisible()
    finally:
        wizard.close()


def test_prefill_from_a_profile_document(qtbot, state: store.Store, credentials: CredentialStore,
                                         env: DemoEnvironment) -> None:
    values = Prefill(
        settings={"gp": {"url": env.gp.base_url, "company": DEMO_COMPANY, "auth": "kerberos",
                         "username": "CORP\\svc-gp"},
                  "mailchimp": {"list_id": "a1b2c3d4e5", "store_id": "gp-two"},
                  "filters": {"skip_on_hold": True, "customer_classes": ["EDU"]}},
        name="Demo", cadence=Cadence.daily("06:30"), gp_password="pw", mailchimp_api_key=env.api_key)
    wizard = open_wizard(qtbot, SetupWizard(credentials, prefill=values))
    try:
        assert wizard.gp_page.auth_method() == "kerberos" and wizard.gp_page.password.text() == "pw"
        assert wizard.gp_page.tenant.text() == "DefaultTenant"  # the schema's default
        assert wizard.cadence() == Cadence.daily("06:30")
        assert wizard.filters_page.filters().customer_classes == ("EDU",)
        assert wizard.contacts_page.mode() is None  # never chosen: the user must choose
        assert wizard.automations_page.choice() is None
    finally:
        wizard.close()


def test_every_key_survives_the_wizard_to_the_database(qtbot, state: store.Store,
                                                        credentials: CredentialStore) -> None:
    """A profile with every key away from its default, opened in the wizard and saved untouched, is stored as it
    was: no page drops or rewrites a key it does not understand."""
    from tests.profile.test_schema import every_key_document

    doc = every_key_document()
    expected = profile_from_mapping(doc)
    assert {value for _label, value in AUTH_CHOICES} == set(key("gp", "auth").choices)
    wizard = open_wizard(qtbot, SetupWizard(credentials, prefill=Prefill(settings=doc, name=expected.name)))
    try:
        shown = wizard.profile(expected.name)
        assert shown == expected
        store.save_profile(expected.name, settings=shown)
        row = store.get_profile(expected.name)
        # The database keeps all but the state file's own path (the app's database is that file).
        assert row is not None and row.profile() == dataclasses.replace(expected, database=None)
    finally:
        wizard.close()


def test_a_new_profile_starts_with_the_schemas_values(qtbot, state: store.Store,
                                                      credentials: CredentialStore) -> None:
    wizard = open_wizard(qtbot, SetupWizard.new_profile(credentials))
    try:
        assert wizard.gp_page.auth_method() == key("gp", "auth").initial == "negotiate"
        assert wizard.gp_page.api() == key("gp", "api").default
        assert wizard.filters_page.filters() == SyncFilters()
    finally:
        wizard.close()
