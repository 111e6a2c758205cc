"""Settings → a profile: the GP password and the Mailchimp key are proven before they are saved, and "Schedule…"
opens the wizard on its page, where Finish saves without checking the connections again and, unless the user
chooses "Send now", starts no sync.  Real controller, real simulators, the test keyring."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QDialog, QDialogButtonBox

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialStore
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.scheduling.cadence import Cadence
from gpmc_desktop.ui.controller import DesktopController
from gpmc_desktop.ui.password_dialog import PasswordDialog
from gpmc_desktop.ui.wizard import PageId, SetupWizard
from tests.ui.conftest import SYNC_TIMEOUT_MS
from tests.ui.test_wizard import finish

CHECK_TIMEOUT_MS = 60_000


def save_in(qtbot, dialog: PasswordDialog, value: str) -> None:
    dialog.field.setText(value)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.checking(), timeout=CHECK_TIMEOUT_MS)


def test_a_wrong_gp_password_is_refused_and_nothing_saved(qtbot, state, demo: DemoEnvironment, demo_profile: str,
                                                            credentials: CredentialStore) -> None:
    dialog = PasswordDialog(demo_profile, GP_PASSWORD, credentials)
    qtbot.addWidget(dialog)
    dialog.show()
    results: list[int] = []
    dialog.finished.connect(results.append)
    save_in(qtbot, dialog, "not the password")
    assert results == [] and dialog.isVisible()
    assert "password" in dialog.error.text() and "Nothing was saved" in dialog.error.text()
    assert credentials.get(demo_profile, GP_PASSWORD) == demo.secrets.gp_password  # the old one stays

    dialog.field.setText(demo.secrets.gp_password)
    assert dialog.error.text() == ""  # the message was about the value just replaced
    save_in(qtbot, dialog, demo.secrets.gp_password)
    assert results == [QDialog.DialogCode.Accepted.value]
    assert credentials.get(demo_profile, GP_PASSWORD) == demo.secrets.gp_password


def test_a_right_mailchimp_key_is_proven_then_saved(qtbot, state, demo: DemoEnvironment, demo_profile: str,
                                                      credentials: CredentialStore) -> None:
    new_key = "fedcba9876543210fedcba9876543210-us6"
    dialog = PasswordDialog(demo_profile, MAILCHIMP_API_KEY, credentials)
    qtbot.addWidget(dialog)
    dialog.show()
    save_in(qtbot, dialog, new_key)  # not a key of this account
    assert dialog.isVisible() and "Nothing was saved" in dialog.error.text()
    assert credentials.get(demo_profile, MAILCHIMP_API_KEY) == demo.api_key

    demo.mailchimp.api_keys.add(new_key)  # created in Mailchimp
    with qtbot.waitSignal(dialog.accepted, timeout=CHECK_TIMEOUT_MS):
        save_in(qtbot, dialog, new_key)
    assert credentials.get(demo_profile, MAILCHIMP_API_KEY) == new_key


def open_schedule_from_settings(qtbot, controller: DesktopController, profile: str, *,
                                page: PageId = PageId.SCHEDULE) -> SetupWizard:
    settings = controller.open_settings()
    {PageId.SCHEDULE: settings.schedule_button, PageId.FIELDS: settings.fields_button}[page].click()
    wizard = next(d for d in controller._dialogs if isinstance(d, SetupWizard))
    qtbot.waitExposed(wizard)
    assert wizard.editing == profile and wizard.currentId() == page
    settings.close()
    return wizard


def test_settings_open_the_gp_fields_page(qtbot, make_controller, demo_profile: str) -> None:
    controller = make_controller()
    controller.start(show_window=True)
    wizard = open_schedule_from_settings(qtbot, controller, demo_profile, page=PageId.FIELDS)
    assert wizard.fields_page.title() == "GP fields in Mailchimp"
    wizard.close()


def test_finish_with_wait_starts_no_sync(qtbot, make_controller, demo: DemoEnvironment, demo_profile: str) -> None:
    controller = make_controller()
    controller.start(show_window=True)
    assert not controller.manager.running()
    wizard = open_schedule_from_settings(qtbot, controller, demo_profile)
    schedule = wizard.schedule_page
    schedule.kind.setCurrentIndex(schedule.kind.findData("daily"))
    assert not wizard.preview_page.send_now()  # an edit waits for its schedule unless told otherwise
    finish(qtbot, wizard)

    assert not controller.manager.running()  # Finish started nothing ...
    assert controller.schedule.tick() == []  # ... and the never-synced profile is not "due now" either
    next_run = controller.board[demo_profile].next_run
    assert next_run is not None and next_run > datetime.now(UTC)
    assert f"{next_run.astimezone():%H:%M}" == "07:00"
    row = store.get_profile(demo_profile)
    assert row is not None and Cadence.from_dict(row.schedule) == Cadence.daily("07:00")


def test_finish_with_send_now_starts_the_first_run(qtbot, make_controller, demo_profile: str) -> None:
    controller = make_controller()
    controller.start(show_window=True)
    wizard = controller.open_setup(edit=demo_profile, start=PageId.PREVIEW)
    qtbot.waitUntil(lambda: wizard.preview_page.report is not None, timeout=CHECK_TIMEOUT_MS)
    wizard.preview_page.send_now_button.setChecked(True)
    assert "to Mailchimp now" in wizard.preview_page.finish_line.text()
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as run:
        finish(qtbot, wizard)
    assert run.args[0].profile == demo_profile and run.args[0].report is not None
