"""Look for the GP password, the Mailchimp API key and the key's part before the dash in everything the product
writes: files under a folder (the state database with its WAL and shared memory, logs, exports), zip files
opened member by member (the diagnostics bundle, the GP sample), and captured output (``--json`` lines, stderr).

Each secret is looked for as UTF-8, as UTF-16 (what Windows APIs and some SQLite text use), URL-encoded and
JSON-escaped, so a secret is not missed for its spelling."""

from __future__ import annotations

import json
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gpmc_desktop.logsetup import api_key_secrets


@dataclass(frozen=True)
class Hit:
    where: str
    what: str


def needles(gp_password: str, api_key: str) -> dict[str, set[bytes]]:
    """By what it is, every spelling of each secret to look for."""
    key, *before_dash = api_key_secrets(api_key)
    named = {"the GP password": gp_password, "the Mailchimp API key": key}
    if before_dash:
        named["the API key's part before the dash"] = before_dash[0]
    found: dict[str, set[bytes]] = {}
    for what, secret in named.items():
        spellings = {secret, urllib.parse.quote(secret, safe=""), json.dumps(secret)[1:-1]}
        found[what] = {s.encode("utf-8") for s in spellings} | {secret.encode("utf-16-le")}
    return found


def scan_bytes(where: str, data: bytes, wanted: dict[str, set[bytes]]) -> list[Hit]:
    return [Hit(where, what) for what, spellings in wanted.items() if any(s in data for s in spellings)]


def scan_text(where: str, text: str, wanted: dict[str, set[bytes]]) -> list[Hit]:
    return scan_bytes(where, text.encode("utf-8"), wanted)


def scan_file(path: Path, wanted: dict[str, set[bytes]]) -> list[Hit]:
    hits = scan_bytes(str(path), path.read_bytes(), wanted)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                hits += scan_bytes(f"{path}!{name}", archive.read(name), wanted)
    return hits


def scan_tree(root: Path, wanted: dict[str, set[bytes]]) -> tuple[list[Hit], int]:
    """Every file under *root*: (hits, files read)."""
    hits: list[Hit] = []
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    for path in files:
        hits += scan_file(path, wanted)
    return hits, len(files)
