"""Keys a new profile must choose (``required_for_new``, e.g. ``[mailchimp] automations``): a document may leave
them out and means what it meant before they existed, the profile remembers that it did not choose, and a choice
once made survives every place a profile is kept, even when it equals the default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop.profile import (
    KEYS,
    ConfigError,
    first_sync_problems,
    from_stored_document,
    load_profile,
    profile_from_mapping,
    profile_to_mapping,
    to_stored_document,
    to_toml,
)
from gpmc_desktop.profile.schema import Kind, key

AUTOMATIONS = ("mailchimp", "automations")


def document(**mailchimp: Any) -> dict[str, dict[str, Any]]:
    return {"gp": {"url": "https://gp", "company": "TWO", "username": "CORP\\u"},
            "mailchimp": {"list_id": "l", "store_id": "s", **mailchimp}}


def test_every_required_for_new_key_is_a_documented_choice() -> None:
    for k in KEYS:
        if k.required_for_new:
            assert k.kind is Kind.CHOICE and not k.required and k.default in k.choices, k.path
            assert tuple(value for value, _ in k.meanings) == k.choices, k.path  # each value explained


def test_left_out_it_keeps_the_old_meaning_and_the_profile_knows_it_was_not_chosen() -> None:
    profile = profile_from_mapping(document())
    assert profile.mailchimp.automations == "on"  # what a file without the key always meant
    assert profile.unchosen == frozenset({AUTOMATIONS})
    assert first_sync_problems(profile) == [
        "[mailchimp] automations is required before a profile's first sync: write automations = \"on\" (once the "
        "first load is done, Mailchimp's order notifications and automations may e-mail customers about every "
        "new invoice, payment and void) or automations = \"off\" (the store stays syncing: Mailchimp sends "
        "nothing about GP invoices, and segmenting still works)"]
    assert "automations" not in profile_to_mapping(profile)["mailchimp"]  # still not chosen when written back
    assert from_stored_document("p", to_stored_document(profile)).unchosen == profile.unchosen


@pytest.mark.parametrize("choice", ["on", "off"])
def test_a_choice_survives_the_database_and_the_file_even_at_the_default(choice: str, tmp_path: Path) -> None:
    profile = profile_from_mapping(document(automations=choice))
    assert profile.unchosen == frozenset() and first_sync_problems(profile) == []
    stored = to_stored_document(profile)
    assert stored["mailchimp"]["automations"] == choice
    assert from_stored_document(profile.name, stored) == profile
    file = tmp_path / "p.toml"
    file.write_text(to_toml(profile_to_mapping(profile)), encoding="utf-8")
    assert load_profile(file) == profile


def test_a_misspelt_or_wrong_choice_is_named_with_every_other_problem() -> None:
    doc = document(automation="off")
    doc["gp"]["tennant"] = "X"
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(doc)
    assert caught.value.problems == ("[gp] tennant is not a key; did you mean tenant?",
                                     "[mailchimp] automation is not a key; did you mean automations?")
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(document(automations="maybe"))
    assert caught.value.problems == ("[mailchimp] automations = 'maybe' is not one of: on, off",)


def test_the_schema_marks_automations() -> None:
    k = key(*AUTOMATIONS)
    assert k.required_for_new and k.default == "on" and k.choices == ("on", "off")
