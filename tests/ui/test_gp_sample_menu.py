"""File › Save a GP sample for support… (and the tray's item): the shown profile's redacted GP sample, read off
the GUI thread with the saved GP password, which is nowhere in it."""

from __future__ import annotations

import json
from pathlib import Path

from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.demo.environment import DemoEnvironment
from tests.ui.menu_support import save_through, titles_when_cancelled


def test_the_menu_items_save_the_shown_profiles_sample_without_names_or_secrets(
        qtbot, make_controller, demo: DemoEnvironment, demo_profile: str, credentials, tmp_path: Path,
        monkeypatch) -> None:
    password = credentials.get(demo_profile, GP_PASSWORD)
    api_key = credentials.get(demo_profile, MAILCHIMP_API_KEY)
    data = demo.dataset.companies["TWO"]
    first = data.customers[sorted(data.customers)[0]]
    first.custname = f"Planted {password}"  # a secret where a careless sample would copy it from
    controller = make_controller()
    controller.start(show_window=True)

    texts = [a.text() for a in controller.window.menuBar().actions()[0].menu().actions()]
    assert "Save a &GP sample for support…" in texts
    assert controller.tray is not None and controller.tray.gp_sample_action.text() == "Save a GP sample for support…"

    out = tmp_path / "sample.zip"
    notice, members = save_through(qtbot, controller, controller.window.gp_sample_action, out, monkeypatch)
    assert notice.startswith(f"GP sample saved to {out}"), notice
    assert {"versions.txt", "profile.toml", "check.txt", "gp/customers.json", "gp/receivables.json"} <= set(members)
    assert "Qt (running): " in members["versions.txt"]
    customers = json.loads(members["gp/customers.json"])["Payload"]
    assert len(customers) == 5 and len(customers[0]["CustomerName"]) == len(first.custname)  # same shape
    assert customers[0]["CustomerName"].split(" ")[0] != "Planted"
    for name, text in members.items():
        for secret in (password, api_key, first.custname.strip()):
            assert secret and secret not in text, f"{secret!r} leaked into {name}"
    # GP's company name is replaced in GP's answers and the check (the profile's own name is the user's label).
    assert not [name for name, text in members.items() if "Fabrikam" in text and name != "profile.toml"]

    # The tray's item asks the same question; a cancelled dialog writes nothing.
    out.unlink()
    assert titles_when_cancelled(controller.tray.gp_sample_action, monkeypatch) == ["Save a GP sample for support"]
    assert not out.exists()


def test_without_a_profile_the_item_says_what_to_do_first(qtbot, make_controller, monkeypatch) -> None:
    controller = make_controller()
    with qtbot.waitSignal(controller.notice_shown, timeout=5_000) as shown:
        assert titles_when_cancelled(controller.window.gp_sample_action, monkeypatch) == []
    assert shown.args[0].startswith("Set up a profile first")
