"""``gpmc diagnose``: the bundle holds what IT needs and none of the secrets, wherever they were planted."""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.cli.main import main
from gpmc_desktop.logsetup import LOG_NAME, MASK, register_secret, setup_logging
from gpmc_desktop.profile import (
    ENV_GP_PASSWORD,
    ENV_MAILCHIMP_API_KEY,
    Document,
    Profile,
    profile_from_mapping,
    to_toml,
)
from gpmc_desktop.store.diagnostics import AUDIT_EVENTS, KRB5CCNAME, Redactor, secrets_to_redact

GP_PASSWORD = "Tr0ub4dor&3 horse"
API_KEY = "0123456789abcdef0123456789abcdef-us21"
KEY_BEFORE_DASH = API_KEY.split("-")[0]
TICKET_CACHE = "/tmp/krb5cc_4242_gpmc"
KRB5CCNAME_VALUE = f"FILE:{TICKET_CACHE}"
SECRETS = (GP_PASSWORD, API_KEY, KEY_BEFORE_DASH, TICKET_CACHE)
# Every secret in one message, as an HTTP or Kerberos library's error might echo them.
LEAKY = (f"auth failed: password {GP_PASSWORD}; key {API_KEY}; bare {KEY_BEFORE_DASH}; "
         f"ticket cache {KRB5CCNAME_VALUE} expired")
EVENTS = AUDIT_EVENTS + 150


def _document(name: str, database: Path) -> Document:
    return {
        "profile": {"name": name, "database": str(database)},
        "gp": {"url": "https://gp01.corp.example", "company": "TWO", "username": "CORP\\svc-gp"},
        "mailchimp": {"list_id": "a1b2c3d4e5", "store_id": "gp-two", "automations": "off"},
    }


def _plant_state(profile: Profile) -> int:
    """Runs, >1,000 audit events, a ledger entry and log lines, the secrets in each free-text place."""
    row = store.save_profile(profile.name, settings=profile)
    first = store.start_run(row.id, store.RunKind.FULL)
    store.record_audit(first, (store.NewAuditEvent(store.Entity.CUSTOMER, f"C{i:05}", store.Action.UNCHANGED)
                               for i in range(EVENTS - 1)))
    store.finish_run(first, store.Outcome.OK)
    second = store.start_run(row.id, store.RunKind.INCREMENTAL)
    store.record_audit(second, [store.NewAuditEvent(
        store.Entity.MEMBER, "LEAKY", store.Action.FAILED, reason=LEAKY, http_status=401, error_title=LEAKY,
        error_detail=LEAKY)])
    store.record_failure(row.id, store.Entity.MEMBER, "LEAKY", category=store.FailureCategory.PERMANENT,
                         content_hash="h1", error_title=LEAKY, error_detail=LEAKY, http_status=401)
    store.finish_run(second, store.Outcome.FAILED, error_summary=LEAKY)
    return row.id


def _plant_logs(data: Path) -> None:
    folder = setup_logging(data)
    register_secret(GP_PASSWORD)  # as the runner registers them: the log masks these two itself
    register_secret(API_KEY)
    logger = logging.getLogger("gpmc_desktop")
    try:
        logging.getLogger("gpmc_desktop.gp.test").error("GP said: %s", LEAKY)
    finally:
        for handler in [h for h in logger.handlers if getattr(h, "_gpmc", False)]:
            logger.removeHandler(handler)
            handler.close()
    with open(folder / LOG_NAME, "a", encoding="utf-8") as log:  # a raw line the log filter never saw
        log.write(f"2026-12-04 22:00:00 ERROR   raw: {LEAKY}\n")
    (folder / f"{LOG_NAME}.2026-12-03").write_text(f"older day: {LEAKY}\n", encoding="utf-8")


def _members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_bundle_holds_runs_audit_ledger_profile_and_logs_and_no_secret(tmp_path: Path) -> None:
    data = tmp_path / "data"
    document = _document("Fabrikam", data / "state.sqlite")
    profile = profile_from_mapping(document)
    config = tmp_path / "fabrikam.toml"
    config.write_text(to_toml(document), encoding="utf-8")
    with store.open_store(data / "state.sqlite"):
        _plant_state(profile)
        updated_at = store.get_profile(profile.name).updated_at
    _plant_logs(data)
    raw_log = (data / "logs" / LOG_NAME).read_text(encoding="utf-8")
    assert MASK in raw_log and TICKET_CACHE in raw_log and KEY_BEFORE_DASH in raw_log  # the bundle must mask these

    out = tmp_path / "out" / "diag.zip"
    out.parent.mkdir()
    env = {**os.environ, ENV_GP_PASSWORD: GP_PASSWORD, ENV_MAILCHIMP_API_KEY: API_KEY,
           KRB5CCNAME: KRB5CCNAME_VALUE, "GPMC_DATA_DIR": str(tmp_path / "elsewhere")}
    done = subprocess.run([sys.executable, "-m", "gpmc_desktop.cli.main", "diagnose", "--config", str(config),
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    assert list(out.parent.iterdir()) == [out]  # no partial file left beside it

    members = _members(out)
    for name, text in members.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {name}"
    folder = "profiles/Fabrikam"
    assert set(members) == {"versions.txt", f"{folder}/profile.toml", f"{folder}/runs.csv", f"{folder}/audit.csv",
                            f"{folder}/failures.csv", f"logs/{LOG_NAME}", f"logs/{LOG_NAME}.2026-12-03"}
    assert "gpmc_desktop: " in members["versions.txt"] and "python: " in members["versions.txt"]
    assert profile_from_mapping(tomllib.loads(members[f"{folder}/profile.toml"])) == profile

    runs = _rows(members[f"{folder}/runs.csv"])
    assert [r["outcome"] for r in runs] == ["failed", "ok"]
    assert "auth failed" in runs[0]["error_summary"] and MASK in runs[0]["error_summary"]
    audit = _rows(members[f"{folder}/audit.csv"])
    assert len(audit) == AUDIT_EVENTS  # the last 1,000 of 1,150, oldest first
    assert audit[0]["gp_key"] == f"C{EVENTS - AUDIT_EVENTS:05}" and audit[-1]["gp_key"] == "LEAKY"
    assert f"ticket cache {MASK} expired" in audit[-1]["error_detail"]  # KRB5CCNAME's value is a known secret
    failures = _rows(members[f"{folder}/failures.csv"])
    assert [(f["gp_key"], f["category"]) for f in failures] == [("LEAKY", "permanent")]
    assert "auth failed" in failures[0]["last_error_detail"]
    assert members[f"logs/{LOG_NAME}"].count("auth failed") == 2  # the logged line and the raw one
    with store.open_store(data / "state.sqlite"):  # read only, like `gpmc audit`
        assert store.get_profile(profile.name).updated_at == updated_at


def test_the_redactor_masks_known_secrets_ticket_caches_and_credential_patterns() -> None:
    redactor = Redactor(secrets_to_redact(GP_PASSWORD, API_KEY, {KRB5CCNAME: KRB5CCNAME_VALUE}))
    text = redactor(f"{LEAKY}, cache KCM:1000 and C:\\Temp\\krb5cc_jdoe; url https://u:pw@h/ token=abc123")
    for secret in (*SECRETS, "KCM:1000", "krb5cc_jdoe", ":pw@", "abc123"):
        assert secret not in text
    assert Redactor(["abc"])("abc stays: too short to mask safely") == "abc stays: too short to mask safely"


def test_a_bad_config_or_an_unwritable_path_exits_2_with_a_plain_message(tmp_path: Path, capsys) -> None:
    assert main(["diagnose", "--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "d.zip")]) == 2
    assert "does not exist" in capsys.readouterr().err
    config = tmp_path / "p.toml"
    config.write_text(to_toml(_document("P", tmp_path / "state.sqlite")), encoding="utf-8")
    assert main(["diagnose", "--config", str(config), "--out", str(tmp_path / "no" / "such" / "d.zip")]) == 2
    assert "cannot write" in capsys.readouterr().err
    # A profile that never synced here: versions and the profile, and no state database created.
    assert main(["diagnose", "--config", str(config), "--out", str(tmp_path / "d.zip")]) == 0
    assert set(_members(tmp_path / "d.zip")) == {"versions.txt", "profiles/P/profile.toml"}
    assert not (tmp_path / "state.sqlite").exists()


@pytest.fixture(autouse=True)
def _no_store_left_open() -> Iterator[None]:
    yield
    from gpmc_desktop.store.models import database_proxy

    assert database_proxy.obj is None
