"""The main window says which ``[mailchimp] automations`` is in force, and a profile saved before the key existed
is asked about it once (offscreen Qt, real syncs against the simulators)."""

from __future__ import annotations

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialStore
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.automations_question import AutomationsQuestion
from gpmc_desktop.ui.controller import DesktopController
from tests.ui.conftest import wait_for_run

ON_WORDS = "Mailchimp may e-mail customers about new invoices, payments and voids"


def save_demo(demo: DemoEnvironment, credentials: CredentialStore, automations: str) -> str:
    """The demo profile saved as the app keeps it; *automations* "" saves it as an older version did."""
    profile = load_profile(demo.write_profile("automations.toml", automations=automations))
    save_profile_settings(profile)
    credentials.set(profile.name, GP_PASSWORD, demo.secrets.gp_password)
    credentials.set(profile.name, MAILCHIMP_API_KEY, demo.api_key)
    return profile.name


def questions(controller: DesktopController) -> list[AutomationsQuestion]:
    """The question dialogs on screen."""
    return [d for d in controller._dialogs if isinstance(d, AutomationsQuestion) and d.isVisible()]


def test_the_main_window_says_off_in_plain_words(qtbot, make_controller, state: store.Store,
                                                 demo: DemoEnvironment, credentials: CredentialStore) -> None:
    save_demo(demo, credentials, "off")
    controller = make_controller()
    controller.start(show_window=True)
    label = controller.window.automations_label
    assert label.isVisible()
    assert label.text() == "Order e-mails and automations: off — Mailchimp sends nothing about GP invoices"
    assert questions(controller) == []  # chosen: nothing to ask


def test_on_is_pending_until_the_first_load_is_done(qtbot, make_controller, state: store.Store,
                                                    demo: DemoEnvironment, credentials: CredentialStore) -> None:
    save_demo(demo, credentials, "on")
    controller = make_controller()
    controller.start(show_window=True)
    label = controller.window.automations_label
    assert label.text() == f"Order e-mails and automations: on once the first load is done — then {ON_WORDS}"
    result = wait_for_run(qtbot, controller)
    assert result.report is not None and result.report.backfill
    assert label.text() == f"Order e-mails and automations: on — {ON_WORDS}"


def test_a_profile_saved_before_the_choice_existed_is_asked_once(
        qtbot, make_controller, state: store.Store, demo: DemoEnvironment, credentials: CredentialStore) -> None:
    name = save_demo(demo, credentials, "")
    controller = make_controller()
    controller.start(show_window=True)
    label = controller.window.automations_label
    assert label.text() == ("Order e-mails and automations: not chosen — the first sync waits until the profile "
                            "says on or off")
    # Never synced and not chosen: a sync is refused in plain words before anything is sent.
    refused = wait_for_run(qtbot, controller)
    assert "[mailchimp] automations is required before a profile's first sync" in refused.error
    assert demo.mailchimp.store(demo.profile_store_id) is None

    [dialog] = questions(controller)  # asked as soon as the window showed the profile
    save = dialog.save_button
    assert not save.isEnabled()  # no silent default
    dialog.choices.buttons["off"].setChecked(True)
    assert save.isEnabled()
    save.click()

    row = store.get_profile(name)
    assert row is not None and row.settings["mailchimp"]["automations"] == "off"
    assert label.text() == "Order e-mails and automations: off — Mailchimp sends nothing about GP invoices"
    ran = wait_for_run(qtbot, controller)
    assert ran.report is not None and ran.report.outcome in ("ok", "partial")
    assert demo.mailchimp.is_syncing_history(demo.profile_store_id) == [True]


def test_not_now_keeps_todays_behaviour_and_is_not_asked_again(
        qtbot, make_controller, state: store.Store, demo: DemoEnvironment, credentials: CredentialStore) -> None:
    name = save_demo(demo, credentials, "")
    row = store.get_profile(name)
    assert row is not None
    store.set_state(row.id, store.BACKFILL_DONE, "1")  # it has synced: it runs on as it always did
    first = make_controller()
    first.start(show_window=True)
    assert first.window.automations_label.text() == (
        f"Order e-mails and automations: on (the profile does not choose; as before) — {ON_WORDS}")
    [dialog] = questions(first)
    dialog.later_button.click()
    assert "automations" not in store.get_profile(name).settings["mailchimp"]  # nothing chosen for them
    first.show_window()
    assert questions(first) == []  # once

    again = make_controller()  # the app's next start
    again.start(show_window=True)
    assert questions(again) == []
    assert not again.needs_automations_question(name)
