"""The diagnostics bundle for IT: one zip with what a support case needs and no secret.

    redactor = Redactor(secrets_to_redact(gp_password, api_key))
    write_bundle(Path("gpmc-diagnostics.zip"), [profile], log_folder=logs, redactor=redactor)

Members: ``versions.txt``; per profile ``profiles/<name>/profile.toml`` (from the one profile schema, which never
holds a secret), ``runs.csv`` (the last runs), ``audit.csv`` (the last 1,000 events) and ``failures.csv`` (the
failure ledger); ``logs/`` (the log files). The store and the log filter already keep secrets out; every member
still passes through the `Redactor` before it is written, the second line of defence for a support file that
leaves the building. Qt-free: the CLI and the app both write it (the app adds its Qt version).
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import re
import sqlite3
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from importlib import metadata
from pathlib import Path

from gpmc_desktop import __version__
from gpmc_desktop.logsetup import api_key_secrets, log_dir, mask_secrets
from gpmc_desktop.profile import Profile, profile_to_mapping, to_toml
from gpmc_desktop.store.audit import CSV_HEADER, AuditFilter, audit_page
from gpmc_desktop.store.clock import to_iso, utc_now
from gpmc_desktop.store.ledger import LedgerEntry, list_failures
from gpmc_desktop.store.migrations import CURRENT_SCHEMA_VERSION
from gpmc_desktop.store.profiles import get_profile
from gpmc_desktop.store.runs import list_runs
from gpmc_desktop.store.secrets_guard import redact

AUDIT_EVENTS = 1000
RUNS = 100
KRB5CCNAME = "KRB5CCNAME"
TICKET_MASK = "[ticket cache]"
# Distributions whose versions explain most support cases (read from their metadata: nothing is imported).
DISTRIBUTIONS = ("peewee", "httpx", "requests", "pyspnego", "requests-ntlm", "zeep", "lxml", "keyring",
                 "platformdirs", "PySide6-Essentials", "PySide6")

_PATH_CHAR = r"[^\s,;\"'()\[\]<>]"
# Kerberos ticket caches: a typed cache name (FILE:/tmp/krb5cc_1000, KCM:1000, ...) or a krb5cc file anywhere.
_TICKET_CACHE = re.compile(rf"\b(?:FILE|DIR|KCM|KEYRING|MSLSA):{_PATH_CHAR}+|{_PATH_CHAR}*krb5cc{_PATH_CHAR}*")
_UNSAFE_NAME = re.compile(r"[^\w.-]+")


def secrets_to_redact(
    gp_password: str | None, mailchimp_api_key: str | None, env: Mapping[str, str] | None = None
) -> list[str]:
    """The known secrets: the GP password, the API key and its part before the dash (the key proper; the rest
    names the data centre), and the Kerberos ticket cache that KRB5CCNAME points at (with and without its type)."""
    env = os.environ if env is None else env
    found = [gp_password or "", *api_key_secrets(mailchimp_api_key)]
    cache = env.get(KRB5CCNAME, "").strip()
    found += [cache, cache.split(":", 1)[1] if ":" in cache else ""]
    return [s for s in found if s]


class Redactor:
    """Masks the known secrets (as the log filter does), ticket cache paths and credential-looking text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = list(secrets)

    def __call__(self, text: str) -> str:
        text = mask_secrets(text, self._secrets)
        text = _TICKET_CACHE.sub(TICKET_MASK, text)
        return redact(text) or text


@dataclass(frozen=True, slots=True)
class BundleSummary:
    path: Path
    members: list[str]
    audit_events: int  # over all profiles


def versions_text(extra: Mapping[str, str] | None = None) -> str:
    lines = [
        f"created_at: {to_iso(utc_now())}",
        f"gpmc_desktop: {__version__}",
        f"frozen: {bool(getattr(sys, 'frozen', False))}",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
        f"os: {platform.platform()}",
        f"sqlite: {sqlite3.sqlite_version}",
        f"state_schema: {CURRENT_SCHEMA_VERSION}",
    ]
    for name in DISTRIBUTIONS:
        try:
            lines.append(f"{name}: {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return "\n".join(lines) + "\n"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def _runs_csv(profile_id: int) -> str:
    header = ("id", "kind", "started_at", "finished_at", "outcome", "counts", "error_summary")
    rows = [(r.id, r.kind, to_iso(r.started_at), r.finished_at and to_iso(r.finished_at), r.outcome,
             json.dumps(r.counts, sort_keys=True), r.error_summary) for r in list_runs(profile_id, limit=RUNS)]
    return _csv(header, rows)


def _audit_csv(profile_id: int) -> tuple[str, int]:
    """The last `AUDIT_EVENTS` events, oldest first (as the audit export has them)."""
    page = audit_page(AuditFilter(profile_id=profile_id), limit=AUDIT_EVENTS, newest_first=True)
    rows = [astuple(row) for row in reversed(page.rows)]
    return _csv(CSV_HEADER, rows), len(rows)


def _failures_csv(profile_id: int) -> str:
    entries = list_failures(profile_id, include_dismissed=True)
    return _csv([f.name for f in fields(LedgerEntry)], [astuple(e) for e in entries])


def _profile_members(profile: Profile, with_state: bool) -> tuple[dict[str, str], int]:
    folder = f"profiles/{_UNSAFE_NAME.sub('_', profile.name) or 'profile'}"
    members = {f"{folder}/profile.toml": to_toml(profile_to_mapping(profile))}
    row = get_profile(profile.name) if with_state else None
    if row is None:  # never synced with this database: there is nothing more to tell
        return members, 0
    audit, events = _audit_csv(row.id)
    members[f"{folder}/runs.csv"] = _runs_csv(row.id)
    members[f"{folder}/audit.csv"] = audit
    members[f"{folder}/failures.csv"] = _failures_csv(row.id)
    return members, events


def _log_members(log_folder: Path | None) -> dict[str, str]:
    if log_folder is None or not log_folder.is_dir():
        return {}
    return {f"logs/{path.name}": path.read_bytes().decode("utf-8", errors="replace")
            for path in sorted(log_folder.iterdir()) if path.is_file()}


def log_folder_of(database: Path) -> Path:
    """Where the logs of the state database at *database* are written (see `logsetup`)."""
    return log_dir(database.parent)


def write_bundle(
    out: Path,
    profiles: Sequence[Profile],
    *,
    log_folder: Path | None,
    redactor: Redactor,
    with_state: bool = True,
    extra_versions: Mapping[str, str] | None = None,
) -> BundleSummary:
    """Write the bundle to *out* (replaced whole: a failed write leaves no half zip). *with_state*: the state
    database is open (``open_store``) and its runs, audit and ledger go in; without it, versions, profiles and
    logs only. Raises OSError when *out* cannot be written."""
    members = {"versions.txt": versions_text(extra_versions)}
    events = 0
    for profile in profiles:
        more, n = _profile_members(profile, with_state)
        members.update(more)
        events += n
    members.update(_log_members(log_folder))
    partial = out.with_name(out.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, text in members.items():
                bundle.writestr(name, redactor(text))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return BundleSummary(out, list(members), events)
