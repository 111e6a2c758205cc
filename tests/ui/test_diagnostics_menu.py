"""File › Save diagnostics for IT… (and the tray's item): the bundle of every profile, written off the GUI thread,
with the saved credentials masked."""

from __future__ import annotations

from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.profile import profile_from_mapping
from tests.ui.menu_support import save_through, titles_when_cancelled

PASSWORD = "Correct-Horse-Battery-9"
API_KEY = "fedcba9876543210fedcba9876543210-us7"


def test_the_menu_items_write_the_bundle_without_the_saved_secrets(qtbot, make_controller, state, credentials,
                                                                  tmp_path: Path, monkeypatch) -> None:
    profile = profile_from_mapping({
        "profile": {"name": "Fabrikam"},
        "gp": {"url": "https://gp01.corp.example", "company": "TWO", "username": "CORP\\svc-gp"},
        "mailchimp": {"list_id": "a1b2c3d4e5", "store_id": "gp-two", "automations": "off"},
    })
    row = store.save_profile(profile.name, settings=profile)
    run = store.start_run(row.id, store.RunKind.INCREMENTAL)
    store.finish_run(run, store.Outcome.FAILED, error_summary=f"GP refused {PASSWORD} with key {API_KEY[:32]}")
    credentials.set(profile.name, GP_PASSWORD, PASSWORD)
    credentials.set(profile.name, MAILCHIMP_API_KEY, API_KEY)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "gpmc.log").write_text(f"a raw line with {PASSWORD} and {API_KEY}\n", encoding="utf-8")
    controller = make_controller()

    texts = [a.text() for a in controller.window.menuBar().actions()[0].menu().actions()]
    assert "Save &diagnostics for IT…" in texts
    assert controller.tray is not None and controller.tray.diagnostics_action.text() == "Save diagnostics for IT…"

    out = tmp_path / "diag.zip"
    notice, members = save_through(qtbot, controller, controller.window.diagnostics_action, out, monkeypatch)
    assert notice.startswith(f"Diagnostics saved to {out}")
    assert {"versions.txt", "profiles/Fabrikam/profile.toml", "profiles/Fabrikam/runs.csv", "logs/gpmc.log"} <= set(
        members)
    assert "Qt (running): " in members["versions.txt"]
    assert "GP refused ********" in members["profiles/Fabrikam/runs.csv"]
    for name, text in members.items():
        for secret in (PASSWORD, API_KEY, API_KEY[:32]):
            assert secret not in text, f"{secret!r} leaked into {name}"

    # The tray's item asks the same question; a cancelled dialog writes nothing.
    out.unlink()
    assert titles_when_cancelled(controller.tray.diagnostics_action, monkeypatch) == ["Save diagnostics for IT"]
    assert not out.exists()
