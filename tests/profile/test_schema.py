"""One profile schema: every key survives TOML → state database → engine → TOML, typos are named with the
nearest key, and a profile with several problems reports all of them at once."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.profile import (
    KEYS,
    ConfigError,
    Key,
    Kind,
    Level,
    Profile,
    load_profile,
    profile_from_mapping,
    profile_to_mapping,
    to_toml,
)
from gpmc_desktop.profile.schema import form_problem, key
from gpmc_desktop.sync.runner import make_api, make_source, save_profile_settings


def not_default(k: Key) -> Any:
    """A valid value for *k* that differs from its default, derived from the schema so a new key is covered."""
    if k.kind is Kind.CHOICE:
        return next(c for c in reversed(k.choices) if c != k.default)
    if k.kind is Kind.BOOL:
        return not k.default
    if k.kind is Kind.INTEGER:
        return int(k.minimum or 0) + 1
    if k.kind is Kind.NUMBER:
        return float(k.minimum or 0) + 1.5
    if k.kind is Kind.LIST:
        return ["RETAIL", "EDU"]
    if k.example is not None and k.example != k.default:
        return k.example
    return f"{k.default}-2"  # a text key whose example is its default (the tenant)


def every_key_document() -> dict[str, dict[str, Any]]:
    doc: dict[str, dict[str, Any]] = {}
    for k in KEYS:
        doc.setdefault(k.section, {})[k.name] = not_default(k)
    doc["gp"]["url"] = "https://gp01.corp.example:8443"  # basic (a non-default auth) needs https
    return doc


def test_every_key_round_trips_toml_database_engine_toml(tmp_path: Path) -> None:
    doc = every_key_document()
    file = tmp_path / "profile.toml"
    file.write_text(to_toml(doc), encoding="utf-8")
    loaded = load_profile(file)
    assert profile_to_mapping(loaded) == doc  # every key read, none at its default

    with store.open_store(tmp_path / "state.sqlite"):
        profile_id = save_profile_settings(loaded)
        row = store.get_profile_by_id(profile_id)
        assert row is not None
        from_db = row.profile()
    # The database keeps everything but the file's own database path (it *is* the database).
    assert from_db == Profile(loaded.name, loaded.gp, loaded.mailchimp, loaded.filters, database=None,
                              sync=loaded.sync, mapping=loaded.mapping)

    # What the engine is built from: the SOAP source and the Mailchimp transport see the stored values.
    _api, transport = make_api(from_db, "0123456789abcdef0123456789abcdef-us6")
    source = make_source(from_db, "pw")
    try:
        assert source.endpoint.endswith(doc["gp"]["soap_path"])
        assert source.list_cap == doc["gp"]["soap_list_cap"]
        assert source.settings.spn_host == doc["gp"]["spn_host"]
        assert transport.api_base == doc["mailchimp"]["api_base"]
        assert transport.max_connections == doc["mailchimp"]["max_connections"]
    finally:
        transport.close()
        source.session.close()

    again = tmp_path / "again.toml"
    again.write_text(to_toml(profile_to_mapping(from_db)), encoding="utf-8")
    assert load_profile(again) == from_db


def test_defaults_are_left_out_and_written_back_on_request() -> None:
    minimal = {"gp": {"url": "https://gp", "company": "TWO", "username": "CORP\\u"},
               "mailchimp": {"list_id": "l", "store_id": "s"}}
    profile = profile_from_mapping(minimal)
    assert profile_to_mapping(profile) == {**minimal, "gp": {**minimal["gp"]}}  # name "default" is the default
    full = profile_to_mapping(profile, with_defaults=True)
    for k in KEYS:
        if k.default is not None:
            assert full[k.section][k.name] == (list(k.default) if isinstance(k.default, tuple) else k.default)


@pytest.mark.parametrize(
    ("section", "typo", "expected"),
    [
        ("filters", "customer_class", "[filters] customer_class is not a key; did you mean customer_classes?"),
        ("filters", "skip_inactve", "[filters] skip_inactve is not a key; did you mean skip_inactive?"),
        ("gp", "tennant", "[gp] tennant is not a key; did you mean tenant?"),
        ("gp", "customer_classes", "[gp] customer_classes is not a key; did you mean customer_classes under "
                                   "[filters]?"),
        ("mailchimp", "zzz", "[mailchimp] zzz is not a key"),
    ],
)
def test_unknown_keys_name_the_nearest_known_key(section: str, typo: str, expected: str) -> None:
    doc = every_key_document()
    doc[section][typo] = "x"
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(doc)
    assert caught.value.problems == (expected,)


def test_unknown_section_and_stray_keys() -> None:
    doc: dict[str, Any] = {**every_key_document(), "filter": {"skip_inactive": False}, "tenant": "X"}
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(doc)
    assert caught.value.problems == (
        "[filter] is not a section; did you mean [filters]?",
        "tenant is not a key; keys go under a section (profile, gp, mailchimp, filters, mapping, sync)",
    )


def test_all_problems_are_reported_at_once() -> None:
    doc = every_key_document()
    doc["gp"].pop("company")
    doc["gp"]["timeout_seconds"] = 0
    doc["gp"]["tennant"] = "X"
    doc["mailchimp"]["max_connections"] = 11
    doc["mailchimp"]["api_key"] = "abc-us6"
    doc["filters"]["customer_classes"] = "EDU"
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(doc)
    problems = caught.value.problems
    assert len(problems) == 6, problems
    text = str(caught.value)
    assert text.startswith("6 problems:")
    for needle in ("[gp] company is required", "[gp] timeout_seconds must be a number between 1 and 3600",
                   "did you mean tenant?", "[mailchimp] max_connections must be a whole number from 1 to 10",
                   "[mailchimp] api_key: secrets do not belong", "[filters] customer_classes must be a list"):
        assert needle in text


def test_every_key_is_documented_and_placed() -> None:
    for k in KEYS:
        assert k.label and k.help.endswith("."), k.path
        assert isinstance(k.level, Level)
        assert not (k.required and k.default is not None), k.path
        if k.default is not None:  # a default must itself be valid
            value = list(k.default) if isinstance(k.default, tuple) else k.default
            assert form_problem(k, value) is None, k.path
        if k.new_profile_value is not None:
            assert k.new_profile_value != k.default and form_problem(k, k.new_profile_value) is None


def test_forms_get_the_same_rules_in_their_own_words(tmp_path: Path) -> None:
    assert form_problem(key("gp", "url"), "gp01") == (
        "Server URL: write a server URL like https://gp01.corp.example:443.")
    assert form_problem(key("gp", "company"), "  ") == "Company is required."
    assert form_problem(key("gp", "spn_host"), "") is None  # optional: empty is "not set"
    assert form_problem(key("gp", "username"), "svc") == "Windows user: write it with its domain, like CORP\\svc."
    assert "there is no file" in (form_problem(key("gp", "ca_bundle"), str(tmp_path / "nope.pem")) or "")
    not_pem = tmp_path / "ca.cer"
    not_pem.write_bytes(b"\x30\x82binary DER")
    assert "not a Base-64 (PEM) certificate" in (form_problem(key("gp", "ca_bundle"), str(not_pem)) or "")
    assert form_problem(key("mailchimp", "max_connections"), 0) == (
        "Mailchimp connections: write a whole number from 1 to 10.")


def test_cli_refuses_a_misspelt_profile_before_reading_or_writing(tmp_path: Path) -> None:
    doc = every_key_document()
    doc["profile"]["database"] = str(tmp_path / "data" / "state.sqlite")
    doc["filters"]["customer_class"] = ["EDU"]
    doc["gp"]["tennant"] = "X"
    file = tmp_path / "typo.toml"
    file.write_text(to_toml(doc), encoding="utf-8")
    env = {**os.environ, "GPMC_GP_PASSWORD": "pw", "GPMC_MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us6",
           "GPMC_DATA_DIR": str(tmp_path / "data")}
    for command in ("sync", "check", "audit"):
        done = subprocess.run([sys.executable, "-m", "gpmc_desktop.cli.main", command, "--config", str(file)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (command, done.stderr)
        assert "[filters] customer_class is not a key; did you mean customer_classes?" in done.stderr
        assert "[gp] tennant is not a key; did you mean tenant?" in done.stderr
    assert not (tmp_path / "data").exists()  # nothing was opened, let alone written


def test_readme_example_uses_only_known_keys() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    import re

    block = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert block is not None
    profile_from_mapping(tomllib.loads(block.group(1)))  # raises on any unknown key


def test_the_reference_and_the_readme_example_are_written_from_the_schema() -> None:
    from gpmc_desktop.profile import reference

    assert reference.main(["--check"]) == 0, "run: python -m gpmc_desktop.profile.reference"
    doc = reference.DOC.read_text(encoding="utf-8")
    for k in KEYS:
        assert f"| `{k.name}` |" in doc
