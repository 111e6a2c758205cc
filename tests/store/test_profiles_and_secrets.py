"""Profiles hold settings only: anything named like a credential is refused, error texts are scrubbed."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.profile import ConfigError
from gpmc_desktop.store import SecretFieldError, Store, batches
from gpmc_desktop.store.models import Profile
from gpmc_desktop.store.secrets_guard import looks_secret, redact
from tests.store.conftest import ACME, T0


def test_save_get_update_list_rename_delete(store: Store) -> None:
    created = st.save_profile("acme", settings=ACME, schedule={"every_minutes": 15}, now=T0)
    assert created.profile() == dataclasses.replace(ACME, name="acme")
    assert created.created_at == T0 == created.updated_at
    moved = dataclasses.replace(ACME, gp=dataclasses.replace(ACME.gp, url="https://gp2", timeout_seconds=30.0))
    updated = st.save_profile("acme", settings=moved, now=T0 + timedelta(hours=1))
    assert updated.id == created.id
    assert updated.profile().gp.url == "https://gp2" and updated.profile().gp.timeout_seconds == 30.0
    assert updated.schedule == {"every_minutes": 15}  # what was not given is kept
    assert st.save_profile("acme", schedule={}).profile() == updated.profile()
    assert updated.created_at == T0 and updated.updated_at == T0 + timedelta(hours=1)
    st.save_profile("beta")
    assert [p.name for p in st.list_profiles()] == ["acme", "beta"]
    assert st.rename_profile("beta", "bravo")
    assert st.get_profile("beta") is None and st.get_profile("bravo") is not None
    assert st.get_profile_by_id(created.id) == st.get_profile("acme")


def test_a_profile_saved_without_settings_says_what_it_lacks(store: Store) -> None:
    row = st.save_profile("draft")
    assert row.settings == {} and row.gp_api == "sba"
    with pytest.raises(ConfigError) as caught:
        row.profile()
    assert "[gp] url is required" in caught.value.problems


def test_the_stored_document_is_the_validated_one(store: Store, db_path: Path) -> None:
    st.save_profile("acme", settings=dataclasses.replace(ACME, database="/elsewhere/state.sqlite"))
    conn = sqlite3.connect(db_path)
    (raw,) = conn.execute("SELECT settings FROM profiles WHERE name = 'acme'").fetchone()
    conn.close()
    # The name lives in its own column and the database path is the file itself: neither is repeated.
    assert json.loads(raw) == {"gp": {"company": "TWO", "url": "https://gp.example", "username": "CORP\\svc"},
                               "mailchimp": {"list_id": "l1", "store_id": "gp-two"}}


def test_deleting_a_profile_removes_its_state(store: Store) -> None:
    pid = st.save_profile("gone").id
    run = st.start_run(pid, "full")
    st.record_audit(run, [st.NewAuditEvent("customer", "C1", "created")])
    st.upsert_synced(pid, "customer", {"C1": st.SyncedState("h", "r")})
    st.record_failure(pid, "order", "O1", category="transient", content_hash="h")
    st.set_state(pid, "k", 1)
    batches.add_batch(pid, "b1", {"member:a@b.c:0": "member:a@b.c"})
    batches.save_work(pid, {"member:a@b.c": {"step": 0}})
    assert st.delete_profile("gone")
    conn = sqlite3.connect(store.path)
    counts = [
        conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("runs", "audit_events", "synced_records", "failure_ledger", "profile_state", "batch_jobs",
                  "batch_work")
    ]
    conn.close()
    assert counts == [0, 0, 0, 0, 0, 0, 0]


def test_credential_keys_inside_json_settings_are_refused(store: Store) -> None:
    with pytest.raises(SecretFieldError):
        st.save_profile("acme", schedule={"smtp": {"Password": "x"}})
    st.save_profile("acme")
    profile = Profile.get(Profile.name == "acme")  # the model itself refuses too
    profile.settings = {"gp": {"password": "x"}}
    with pytest.raises(SecretFieldError):
        profile.save()


def test_engine_state_refuses_credential_keys(store: Store, profile_id: int) -> None:
    with pytest.raises(SecretFieldError):
        st.set_state(profile_id, "oauth_token", "x")
    with pytest.raises(SecretFieldError):
        st.set_state(profile_id, "cursor", {"secret": "x"})


@pytest.mark.parametrize(
    "name",
    [
        "gp_auth",
        "gp_username",
        "gp_key",
        "mailchimp_api_base",
        "mailchimp_status_if_new",
        "gp_ca_bundle",
        "payload_hash",
        "backfill_in_progress",
        "bypass_filter",
        "last_full_compare_at",
    ],
)
def test_ordinary_names_are_not_mistaken_for_credentials(name: str) -> None:
    assert not looks_secret(name)


def test_error_texts_are_scrubbed_before_storage(store: Store, profile_id: int) -> None:
    key = "0123456789abcdef0123456789abcdef-us21"
    run = st.start_run(profile_id, "full")
    st.record_audit(
        run,
        [
            st.NewAuditEvent(
                "customer",
                "C1",
                "failed",
                error_title=f"bad key {key}",
                error_detail=(
                    "GET https://svc:hunter2@gp/api?apikey=abc123 Authorization: Basic dXNlcjpwYXNzd29yZA=="
                ),
            )
        ],
    )
    row = st.audit_page().rows[0]
    stored = f"{row.error_title} {row.error_detail}"
    for secret in (key, "hunter2", "abc123", "dXNlcjpwYXNzd29yZA=="):
        assert secret not in stored
    assert "[redacted]" in stored
    st.finish_run(run, "failed", error_summary=f"401 with key {key}")
    assert key not in (st.get_run(run).error_summary or "")  # type: ignore[union-attr]
    assert redact(None) is None and redact("plain") == "plain"


def test_no_column_of_any_table_is_named_like_a_credential(store: Store, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    columns = [r[1] for t in tables for r in conn.execute(f'PRAGMA table_info("{t}")')]
    conn.close()
    assert [c for c in columns if looks_secret(c)] == []
