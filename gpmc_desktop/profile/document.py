"""A profile as a document — a TOML file, the state database's JSON, a form's values — and back.

One validator serves them all: every problem of a document is collected and reported at once (IT fixes a file in
one pass), unknown keys are named with the nearest known one, and secrets are refused wherever they appear.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from gpmc_desktop.profile.model import (
    SECTION_TYPES,
    FieldMapping,
    GPSettings,
    MailchimpSettings,
    Profile,
    Secrets,
    SyncFilters,
    SyncSettings,
)
from gpmc_desktop.profile.schema import (
    ENV_GP_PASSWORD,
    ENV_MAILCHIMP_API_KEY,
    KEYS,
    KEYS_BY_PATH,
    REQUIRED_SECTIONS,
    SECRET_NAMES,
    SECTIONS,
    Key,
    ValueProblem,
    nearest_section,
    parse_value,
    section_keys,
    suggest,
)

Document = dict[str, dict[str, Any]]


class ConfigError(ValueError):
    """A profile that cannot be used: every problem, each naming its key and what to write instead."""

    def __init__(self, problems: str | list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


def _secret_problem(section: str, name: str) -> str:
    return (f"[{section}] {name}: secrets do not belong in the profile file; set {ENV_GP_PASSWORD} and "
            f"{ENV_MAILCHIMP_API_KEY} in the environment instead (the desktop app uses the keyring)")


def _sections(doc: Mapping[str, Any], problems: list[str]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for name, value in doc.items():
        if name not in SECTIONS:
            near = nearest_section(name)
            if name.lower() in SECRET_NAMES:
                problems.append(_secret_problem("profile", name))
            elif isinstance(value, Mapping):
                problems.append(f"[{name}] is not a section" + (f"; did you mean [{near}]?" if near else
                                                                f"; the sections are {', '.join(SECTIONS)}"))
            elif near:
                problems.append(f"{name} is not a key outside a section; did you mean the [{near}] section?")
            else:
                problems.append(f"{name} is not a key; keys go under a section ({', '.join(SECTIONS)})")
            continue
        if not isinstance(value, Mapping):
            problems.append(f"[{name}] must be a table of keys")
            continue
        found[name] = value
    for name in REQUIRED_SECTIONS:
        if name not in found and not any(p.startswith(f"[{name}] must be") for p in problems):
            problems.append(f"the [{name}] section is missing")
    return found


def _section_values(
    section: str, given: Mapping[str, Any], problems: list[str], unchosen: set[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The section's values (defaults for keys left out); the ``required_for_new`` keys left out go into
    *unchosen*."""
    values: dict[str, Any] = {}
    for name in given:
        if name.lower() in SECRET_NAMES:
            problems.append(_secret_problem(section, name))
        elif (section, name) not in KEYS_BY_PATH:
            problems.append(f"[{section}] {name} is not a key{suggest(section, name)}")
    for k in section_keys(section):
        raw = given.get(k.name)
        if raw is None:
            if k.required:
                problems.append(f"{k.path} is required")
            if k.required_for_new and unchosen is not None:
                unchosen.add((k.section, k.name))
            values[k.name] = k.default
            continue
        try:
            values[k.name] = parse_value(k, raw)
        except ValueProblem as problem:
            problems.append(f"{k.path} {problem}")
    return values


def profile_from_mapping(doc: Mapping[str, Any]) -> Profile:
    """The profile a document describes; ConfigError listing every problem when it cannot be used."""
    problems: list[str] = []
    if not isinstance(doc, Mapping):
        raise ConfigError("a profile is a table of sections (" + ", ".join(f"[{s}]" for s in SECTIONS) + ")")
    sections = _sections(doc, problems)
    unchosen: set[tuple[str, str]] = set()
    values = {name: _section_values(name, sections.get(name, {}), problems, unchosen) for name in SECTIONS}
    gp = values["gp"]
    if gp.get("auth") == "basic" and isinstance(gp.get("url"), str) and not gp["url"].lower().startswith("https://"):
        problems.append("[gp] auth = \"basic\" sends the password in the clear: use an https:// url")
    if problems:
        raise ConfigError(problems)
    return Profile(
        name=values["profile"]["name"],
        database=values["profile"]["database"],
        gp=GPSettings(**values["gp"]),
        mailchimp=MailchimpSettings(**values["mailchimp"]),
        filters=SyncFilters(**values["filters"]),
        unchosen=frozenset(unchosen),
        sync=SyncSettings(**values["sync"]),
        mapping=FieldMapping(**values["mapping"]),
    )


def first_sync_problems(profile: Profile) -> list[str]:
    """What keeps *profile* from its first sync: each key a new profile must choose that it leaves out, named
    with what each of its values does (empty when nothing is missing)."""
    return [KEYS_BY_PATH[path].first_sync_problem() for path in sorted(profile.unchosen)]


def section_settings(section: str, values: Mapping[str, Any]) -> Any:
    """One section's settings (`GPSettings`, `MailchimpSettings`, `SyncFilters` or `SyncSettings`) from a form's
    values, validated alone: the app checks the GP connection before the Mailchimp page is filled in."""
    problems: list[str] = []
    parsed = _section_values(section, {k: v for k, v in values.items() if v is not None}, problems)
    if problems:
        raise ConfigError(problems)
    return SECTION_TYPES[section](**parsed)


def _value(profile: Profile, k: Key) -> Any:
    holder: Any = profile if k.section == "profile" else getattr(profile, k.section)
    return getattr(holder, k.name)


def profile_to_mapping(profile: Profile, *, with_defaults: bool = False) -> Document:
    """The document that loads back into *profile*: keys left unset (None) are left out, and so are keys at
    their default unless *with_defaults*.  A choice a new profile must make is kept once made, even when it is
    the default, so it stays made."""
    doc: Document = {}
    for k in KEYS:
        value = _value(profile, k)
        if value is None:
            continue
        chosen = k.required_for_new and (k.section, k.name) not in profile.unchosen
        if not with_defaults and value == k.default and not chosen:
            continue
        doc.setdefault(k.section, {})[k.name] = list(value) if isinstance(value, tuple) else value
    return doc


def merge_documents(document: Mapping[str, Mapping[str, Any]], changes: Mapping[str, Mapping[str, Any]]) -> Document:
    """*document* with *changes* applied section by section; a change to ``None`` removes the key (it goes back
    to its default)."""
    merged: Document = {section: dict(values) for section, values in document.items()}
    for section, values in changes.items():
        target = merged.setdefault(section, {})
        for name, value in values.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = list(value) if isinstance(value, tuple) else value
    return {section: values for section, values in merged.items() if values}


# -------------------------------------------------------------------------------------------- the database
def to_stored_document(profile: Profile) -> Document:
    """What the state database keeps: the whole profile but its name (the row's own column) and its database
    (the file it is stored in)."""
    doc = profile_to_mapping(profile)
    section = doc.get("profile", {})
    section.pop("name", None)
    section.pop("database", None)
    if not section:
        doc.pop("profile", None)
    return doc


def from_stored_document(name: str, doc: Mapping[str, Any]) -> Profile:
    """A profile stored in the state database; validated like a file, so a bad row is named, not half-used."""
    merged: dict[str, Any] = {section: dict(values) for section, values in doc.items() if isinstance(values, Mapping)}
    merged["profile"] = {**merged.get("profile", {}), "name": name}
    return profile_from_mapping(merged)


# -------------------------------------------------------------------------------------------------- files
def load_profile(path: str | os.PathLike[str]) -> Profile:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    return profile_from_mapping(doc)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def to_toml(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """A profile document as a TOML file (sections in the schema's order)."""
    lines: list[str] = []
    for section in SECTIONS:
        values = doc.get(section)
        if not values:
            continue
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        lines += [f"{name} = {toml_value(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def secrets_from_env(env: Mapping[str, str] | None = None) -> Secrets:
    env = os.environ if env is None else env
    missing = [name for name in (ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY) if not env.get(name)]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} in the environment (headless runs read them there)")
    return Secrets(gp_password=env[ENV_GP_PASSWORD], mailchimp_api_key=env[ENV_MAILCHIMP_API_KEY].strip())


def _check_model_matches_schema() -> None:
    # A key in the schema without a field to hold it (or the reverse) would be silently dropped.
    for section, holder in SECTION_TYPES.items():
        names = {f.name for f in fields(holder)}
        keys = {k.name for k in section_keys(section)}
        if names != keys:
            raise RuntimeError(f"[{section}] schema keys {sorted(keys)} differ from {holder.__name__}'s fields")


_check_model_matches_schema()
