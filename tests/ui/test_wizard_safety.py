"""A wizard you cannot lose by accident, driven offscreen against the simulators: closing asks once work was
done, Tab and Enter stay on the page's fields and check, the step indicator, a failure that clears when its
field changes, editing one page without re-checking the others, and the size on a 1366×768 screen at 125%."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea, QWidget, QWizard

from gpmc_desktop import store
from gpmc_desktop.credentials import CredentialStore, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.scheduling.cadence import Cadence
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.schedule_driver import SCHEDULE_FROM_KEY
from gpmc_desktop.ui.wizard import PageId, SetupWizard
from gpmc_desktop.ui.wizard.base import SAVED_MESSAGE
from gpmc_desktop.ui.wizard.preview_page import first_run_text
from gpmc_desktop.ui.wizard.wizard import DISCARD_QUESTION
from tests.ui import test_wizard as walk
from tests.ui.test_wizard import (
    CHECK_TIMEOUT_MS,
    _save_demo_profile,
    fill_gp,
    finish,
    go_next,
    next_enabled,
)
from tests.ui.test_wizard import env as env  # the simulators, shared with the wizard's other tests

# 1366×768 at 125%: 1092×614 logical pixels, less the taskbar (48 pixels: 38 logical) and the window's title bar
# and frame (about 32 and 16): the wizard's client area must fit in this.
SMALL_SCREEN_CLIENT = QSize(int(1366 / 1.25) - 16, int(768 / 1.25) - 38 - 40)


@pytest.fixture
def credentials(tmp_path: Path) -> Iterator[CredentialStore]:
    with use_test_keyring(), store.open_store(tmp_path / "state.sqlite"):
        yield default_store()


@pytest.fixture
def wizard(qtbot, credentials: CredentialStore) -> Iterator[SetupWizard]:
    w = walk.open_wizard(qtbot, SetupWizard.new_profile(credentials))
    yield w
    w.close()
    w.wait_for_checks()


@pytest.fixture
def saved(env: DemoEnvironment, credentials: CredentialStore) -> str:
    """A profile saved as the app keeps it (weekly on Friday 18:30), secrets in the test keyring."""
    _save_demo_profile(env, credentials)
    return "Fabrikam"


def requests_served(env: DemoEnvironment) -> int:
    return env.gp.request_count + sum(env.mailchimp.request_counts().values())


def press(qtbot, widget: QWidget, key: Qt.Key) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key)


def pass_gp_check(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    fill_gp(wizard, env)
    walk.run_and_wait(qtbot, wizard.gp_page)
    assert next_enabled(wizard), wizard.gp_page.stages.text()


# -- closing asks -----------------------------------------------------------------------------------------------
def test_escape_on_a_checked_wizard_asks_and_no_keeps_it(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    pass_gp_check(qtbot, wizard, env)
    press(qtbot, wizard.gp_page.ca_file, Qt.Key.Key_Escape)
    question = wizard.discard_question
    assert question is not None and question.isVisible()
    assert question.text() == DISCARD_QUESTION
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert wizard.isVisible() and wizard.gp_page.passed()  # kept, check and all

    # Cancel (where Tab-Tab-Space from the last field lands) asks the same; "Discard" closes it.
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    assert question.isVisible()
    with qtbot.waitSignal(wizard.rejected, timeout=5_000):
        qtbot.mouseClick(question.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()


def test_the_close_button_asks_once_a_field_was_typed(qtbot, wizard: SetupWizard) -> None:
    wizard.gp_page.username.setText("CORP\\svc-gp")
    wizard.close()  # the title bar's close button: a close event, which a dialog turns into reject()
    assert wizard.isVisible()
    assert wizard.discard_question is not None and wizard.discard_question.isVisible()
    qtbot.mouseClick(wizard.discard_question.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert wizard.isVisible()


def test_an_untouched_wizard_closes_without_asking(qtbot, wizard: SetupWizard) -> None:
    with qtbot.waitSignal(wizard.rejected, timeout=5_000):
        press(qtbot, wizard.gp_page.url, Qt.Key.Key_Escape)
    assert wizard.discard_question is None
    assert not wizard.isVisible()


# -- keyboard and the step indicator ----------------------------------------------------------------------------
def tab_chain(page: QWidget, start: QWidget, stop: QWidget) -> list[str]:
    """The object names Tab visits from *start* until *stop* (inclusive), as Qt's focus chain gives them."""
    names, widget = [], start
    for _ in range(100):
        widget = widget.nextInFocusChain()
        if widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value and widget.isVisibleTo(page):
            names.append(widget.objectName())
            if widget is stop:
                return names
    raise AssertionError(f"Tab never reached {stop!r}: {names}")


def test_tab_goes_field_by_field_and_then_to_the_check(wizard: SetupWizard) -> None:
    gp = wizard.gp_page
    for name in ("api_sba", "api_soap", "url", "tenant", "username", "password", "auth", "ca_file", "browse",
                 "advanced_button", "test_button"):
        getattr(gp, name).setObjectName(name)
    # An exclusive radio group is one Tab stop (the arrows move inside it): the unchecked button is skipped.
    assert tab_chain(gp, gp.api_sba, gp.test_button) == [
        "url", "tenant", "username", "password", "auth", "ca_file", "browse", "advanced_button",
        "test_button"]
    mc = wizard.mailchimp_page
    for name in ("api_key", "connect_button", "audience", "store_id", "test_button"):
        getattr(mc, name).setObjectName(name)
    chain = [n for n in tab_chain(mc, mc.api_key, mc.test_button) if n]  # the combo's own line edit has no name
    assert chain == ["connect_button", "audience", "store_id", "test_button"]


def test_enter_runs_the_check_not_next(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    fill_gp(wizard, env)
    press(qtbot, wizard.gp_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not wizard.gp_page.running(), timeout=CHECK_TIMEOUT_MS)
    assert wizard.gp_page.stages.passed("reach", "tls", "auth", "companies"), wizard.gp_page.stages.text()
    assert wizard.currentId() == PageId.GP  # the check ran; the page did not turn
    press(qtbot, wizard.gp_page.url, Qt.Key.Key_Enter)  # the keypad's Enter too, and again: still here
    qtbot.waitUntil(lambda: not wizard.gp_page.running(), timeout=CHECK_TIMEOUT_MS)
    assert wizard.currentId() == PageId.GP and next_enabled(wizard)


def test_the_step_indicator_names_the_page(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    assert wizard.step_text() == "Step 1 of 9 — GP connection"
    assert wizard.steps.heading.isVisible()
    pass_gp_check(qtbot, wizard, env)
    go_next(qtbot, wizard, PageId.COMPANY)
    assert wizard.step_text() == "Step 2 of 9 — GP company"
    assert "<b>2. GP company</b>" in wizard.steps.list.text()


# -- a failure clears when its field changes ------------------------------------------------------------------------
def test_a_failed_check_clears_when_the_field_changes(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    page = wizard.gp_page
    fill_gp(wizard, env, password="wrong password")
    walk.run_and_wait(qtbot, page)
    failure = page.stages.failures()[0]
    assert failure.stage == "auth"
    message = page.stages._rows[page.stages.results.index(failure)][2]
    assert message.styleSheet() == colours(page).error_style() and page.stages.isEnabled()

    page.password.setText(env.secrets.gp_password)  # the value it blamed, corrected
    assert page.stages.stale and not page.stages.isEnabled()
    assert message.styleSheet() == ""  # grey (disabled), no longer red
    assert not next_enabled(wizard)  # not proven yet
    page.password.setText("wrong password")  # back to the value that failed: the failure shows again
    assert not page.stages.stale and message.styleSheet() == colours(page).error_style()

    page.password.setText(env.secrets.gp_password)
    walk.run_and_wait(qtbot, page)
    assert page.passed() and next_enabled(wizard) and not page.stages.stale


# -- editing one page -----------------------------------------------------------------------------------------------
def test_edit_opens_on_the_schedule_and_finishes_without_checking_again(
        qtbot, saved: str, credentials: CredentialStore, env: DemoEnvironment) -> None:
    before = requests_served(env)
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.SCHEDULE))
    sent: list[str] = []
    wizard.sendNow.connect(sent.append)
    try:
        assert wizard.currentId() == PageId.SCHEDULE
        assert wizard.step_text() == "Step 8 of 9 — Schedule"
        assert [r.message for r in wizard.gp_page.stages.results] == [SAVED_MESSAGE]
        schedule = wizard.schedule_page
        schedule.kind.setCurrentIndex(schedule.kind.findData("daily"))
        finish(qtbot, wizard)  # Finish on the schedule page: nothing to prove again
        assert not wizard.isVisible()
    finally:
        wizard.close()
        wizard.wait_for_checks()
    assert requests_served(env) == before  # neither GP nor Mailchimp was asked anything
    row = store.get_profile(saved)
    assert row is not None and Cadence.from_dict(row.schedule) == Cadence.daily("07:00")
    assert sent == []  # an edit waits for the schedule unless the user chooses otherwise


def test_the_fields_page_of_a_saved_profile_reads_gp_on_request_and_saves_the_mapping(
        qtbot, saved: str, credentials: CredentialStore, env: DemoEnvironment) -> None:
    """Settings > GP fields in Mailchimp: the saved profile's places, GP read only when asked (its checks count as
    passed, so there is no sample yet), and Finish keeps the new places."""
    before = requests_served(env)
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.FIELDS))
    try:
        page = wizard.fields_page
        assert wizard.currentId() == PageId.FIELDS and wizard.sample is None
        assert page.values()["customer_class"] == "tags" and page.values()["salesperson"] == "off"  # the file's
        assert page.held["salesperson"].text() == "not read yet" and requests_served(env) == before
        qtbot.mouseClick(page.read_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.running() and wizard.sample is not None, timeout=walk.CHECK_TIMEOUT_MS)
        assert wizard.sample is not None and page.read_status.text() == ""
        values = wizard.sample.fields["salesperson"]
        assert page.held["salesperson"].text().startswith(f"{sum(values.values())} of {wizard.sample.customers} ")
        assert page.read_button.text() == "Read again"
        page.choices["salesperson"].setCurrentIndex(page.choices["salesperson"].findData("tags"))
        finish(qtbot, wizard)
    finally:
        wizard.close()
        wizard.wait_for_checks()
    row = store.get_profile(saved)
    assert row is not None and row.profile().mapping.salesperson == "tags"
    assert row.settings["mapping"]["salesperson"] == "tags"


def test_edit_on_a_page_keeps_back_and_rechecks_what_changed(
        qtbot, saved: str, credentials: CredentialStore, env: DemoEnvironment) -> None:
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.FILTERS))
    try:
        assert wizard.currentId() == PageId.FILTERS
        back = wizard.button(QWizard.WizardButton.BackButton)
        assert back.isVisible()
        for expect in (PageId.AUTOMATIONS, PageId.CONTACTS, PageId.MAILCHIMP):
            qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
            assert wizard.currentId() == expect
        assert next_enabled(wizard)
        wizard.mailchimp_page.store_id.setText("gp-other")  # changed: this page must be checked again
        assert not next_enabled(wizard)
        assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
        wizard.mailchimp_page.store_id.setText("gp-two")  # back to the saved value: checked again
        assert next_enabled(wizard)
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
        assert wizard.currentId() == PageId.GP
        wizard.gp_page.url.setText(env.gp.base_url + "/")  # the same server written differently: no change
        assert next_enabled(wizard)
        wizard.gp_page.username.setText("CORP\\someone-else")  # the company page depends on this one
        assert not wizard.gp_page.passed() and not wizard.company_page.passed()
    finally:
        wizard.close()
        wizard.wait_for_checks()


# -- what Finish does ----------------------------------------------------------------------------------------------
def test_the_last_page_says_what_finish_does_and_wait_starts_nothing(
        qtbot, saved: str, credentials: CredentialStore, env: DemoEnvironment) -> None:
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.PREVIEW))
    sent: list[str] = []
    wizard.sendNow.connect(sent.append)
    try:
        page = wizard.preview_page
        walk.wait_preview(qtbot, wizard)
        assert page.wait_button.isChecked()  # an edited profile waits unless told otherwise
        first = first_run_text(Cadence.weekly("fri", "18:30"))
        assert first.startswith("18:30 ")
        assert page.wait_button.text() == f"Wait for the schedule (first run at {first})"
        assert page.finish_line.text() == f"Finish saves the profile; nothing is sent now. First run at {first}."
        page.send_now_button.setChecked(True)
        report = page.report
        assert report is not None
        rec = report.reconciliation
        assert rec is not None
        # The reconciliation's figures: contacts are e-mail addresses (customers sharing one are one contact).
        contacts = rec.members["created"] + rec.members["updated"]
        invoices = rec.orders["created"] + rec.orders["updated"]
        assert contacts > 0 and invoices > 0 and rec.money_sent > 0
        assert page.finish_line.text() == (f"Finish saves the profile and sends {contacts:,} contacts and "
                                           f"{invoices:,} invoices ({rec.money(rec.money_sent)}) to Mailchimp now.")
        page.wait_button.setChecked(True)
        finish(qtbot, wizard)
    finally:
        wizard.close()
        wizard.wait_for_checks()
    assert sent == []
    row = store.get_profile(saved)
    assert row is not None and store.get_state(row.id, SCHEDULE_FROM_KEY)  # the scheduler counts from Finish


def test_send_now_asks_for_the_first_run(qtbot, saved: str, credentials: CredentialStore) -> None:
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.PREVIEW))
    sent: list[str] = []
    wizard.sendNow.connect(sent.append)
    try:
        walk.wait_preview(qtbot, wizard)
        wizard.preview_page.send_now_button.setChecked(True)
        finish(qtbot, wizard)
    finally:
        wizard.close()
        wizard.wait_for_checks()
    assert sent == [saved]
    row = store.get_profile(saved)
    assert row is not None and store.get_state(row.id, SCHEDULE_FROM_KEY) is None


def test_first_run_text_names_the_day() -> None:
    from datetime import UTC, datetime, timedelta

    from gpmc_desktop.scheduling import local_zone

    now = datetime.now(local_zone()).replace(hour=12, minute=0, second=0, microsecond=0)
    assert first_run_text(Cadence.daily("07:00"), now.astimezone(UTC)) == "07:00 tomorrow"
    assert first_run_text(Cadence.daily("18:00"), now.astimezone(UTC)) == "18:00 today"
    assert first_run_text(Cadence.manual(), now) == ""
    in_two_days = (now + timedelta(days=3)).strftime("%A")
    assert in_two_days in first_run_text(Cadence.weekly(in_two_days[:3].lower(), "07:00"), now)


# -- size ----------------------------------------------------------------------------------------------------------
def test_the_wizard_fits_1366x768_at_125_percent(qtbot, saved: str, credentials: CredentialStore) -> None:
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(saved, credentials, start=PageId.PREVIEW))
    try:
        for page_id in reversed(wizard.pageIds()):  # every page, the preview's long table included
            while wizard.currentId() != page_id:
                wizard.back()
            QApplication.processEvents()
            sizes = {"size": wizard.size(), "hint": wizard.sizeHint(), "minimum": wizard.minimumSizeHint()}
            for what, size in sizes.items():
                assert size.width() <= SMALL_SCREEN_CLIENT.width(), (PageId(page_id).name, what, size)
                assert size.height() <= SMALL_SCREEN_CLIENT.height(), (PageId(page_id).name, what, size)
            scroll = wizard.currentPage().findChild(QScrollArea, "pageScroll")
            assert scroll is not None  # the page scrolls (down: sideways its text wraps, nothing is cut off)
            body = scroll.widget().minimumSizeHint().width()
            assert body <= scroll.viewport().width(), (PageId(page_id).name, body, scroll.viewport().width())
        button = wizard.button(QWizard.WizardButton.NextButton)
        assert wizard.rect().contains(button.geometry())
    finally:
        wizard.close()
        wizard.wait_for_checks()


def test_the_newest_stage_row_scrolls_into_view(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    page = wizard.gp_page
    pass_gp_check(qtbot, wizard, env)
    viewport = page.scroll.viewport()

    def newest_row_in_view() -> bool:
        row = page.stages.latest_row()
        assert row is not None
        top = row.mapTo(viewport, QPoint(0, 0)).y()
        return top >= 0 and top + row.height() <= viewport.height()

    qtbot.waitUntil(newest_row_in_view, timeout=5_000)
