"""Schema migrations: golden files from every shipped version open with the current code; a migration backs
the file up first, moves one version per transaction, and a failure leaves the file as it was."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import peewee
import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import CURRENT_SCHEMA_VERSION, MIGRATIONS, MigrationError, list_backups, open_store
from gpmc_desktop.store.migrations import Migration
from tests.store.conftest import T0
from tests.store.golden import build_golden_db, golden_versions
from tests.store.test_schema import _schema

LATEST = CURRENT_SCHEMA_VERSION  # the fake future versions below go on from the newest shipped one


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


def _columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


# A future version, as a test would register it: a column on runs and a new table.
def _fake_v2(db: peewee.SqliteDatabase) -> None:
    db.execute_sql('ALTER TABLE "runs" ADD COLUMN "trigger" TEXT')
    db.execute_sql('CREATE TABLE "notes" ("id" INTEGER PRIMARY KEY, "text" TEXT NOT NULL)')


def _registry(*extra: Migration) -> dict[int, Migration]:
    registry = dict(MIGRATIONS)
    for migration in extra:
        registry[max(registry) + 1] = migration
    return registry


def test_there_is_a_golden_file_for_every_schema_version() -> None:
    assert golden_versions() == list(range(1, CURRENT_SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", golden_versions())
def test_golden_file_opens_with_current_code(version: int, tmp_path: Path) -> None:
    path = build_golden_db(version, tmp_path / "state.sqlite")
    with open_store(path) as s:
        assert s.schema_version == CURRENT_SCHEMA_VERSION
        assert s.journal_mode() == "wal"
        profile = st.get_profile("golden")
        assert profile is not None
        settings = profile.profile()  # v1's columns became one document that validates
        assert (settings.gp.company, settings.gp.url, settings.gp.username) == ("TWO", "https://gp.example:443",
                                                                                "CORP\\sync")
        assert (settings.mailchimp.list_id, settings.mailchimp.store_id) == ("a1b2c3", "gp-two")
        assert settings.filters.customer_classes == ("RETAIL",) and settings.filters.skip_inactive is True
        assert profile.schedule == {"every_minutes": 15}
        run = st.list_runs(profile.id)[0]
        assert run.outcome == "partial"
        assert run.counts == {"customer": {"created": 1, "failed": 1}, "order": {"created": 1}}
        page = st.audit_page(st.AuditFilter(profile_id=profile.id, text="aaron"))
        # From v3 on, the invoice carries its customer: the search finds it too.
        assert [r.gp_key for r in page.rows] == (["INV00001"] if version >= 3 else []) + ["AARONFIT0001"]
        trace = st.record_trace(profile.id, "customer", "BAKERSEM0001")
        assert [(r.action, r.http_status) for r in trace] == [("failed", 400)]
        assert st.synced_map(profile.id, "customer")["AARONFIT0001"].remote_email == "aaron@example.com"
        failure = st.get_failure(profile.id, "customer", "BAKERSEM0001")
        assert failure is not None and failure.category == "permanent"
        assert st.get_state(profile.id, st.BACKFILL_IN_PROGRESS) is False
        # The current code can write to the old file too.
        st.record_audit(
            st.start_run(profile.id, "incremental"), [st.NewAuditEvent("order", "INV2", "created")]
        )
    if version == CURRENT_SCHEMA_VERSION:
        assert list_backups(path) == []  # nothing to migrate, nothing backed up
    else:
        assert list_backups(path)


def test_golden_of_current_version_matches_a_fresh_file(tmp_path: Path) -> None:
    """Catches editing a shipped version's DDL in place instead of adding a migration."""
    golden = build_golden_db(CURRENT_SCHEMA_VERSION, tmp_path / "golden.sqlite")
    fresh = tmp_path / "fresh.sqlite"
    open_store(fresh).close()
    a, b = sqlite3.connect(golden), sqlite3.connect(fresh)
    try:
        assert _schema(a) == _schema(b)
    finally:
        a.close()
        b.close()


def test_migration_backs_up_first_then_bumps_the_version(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")
    before = _dump(path)
    seen_during_migration: list[list[Path]] = []

    def v2(db: peewee.SqliteDatabase) -> None:
        seen_during_migration.append(list_backups(path))  # the backup must already exist here
        _fake_v2(db)

    with open_store(path, migrations=_registry(v2), now=T0) as s:
        assert (s.migration.from_version, s.migration.to_version) == (LATEST, LATEST + 1)
        backup = s.migration.backup_path
    assert backup is not None
    assert seen_during_migration == [[backup]]
    assert re.fullmatch(rf"state\.sqlite\.bak-v{LATEST}-20250301T090000Z", backup.name)
    assert _version(path) == LATEST + 1
    assert "trigger" in _columns(path, "runs")
    # The backup is a complete, consistent copy of the file as it was.
    assert _version(backup) == LATEST
    assert _dump(backup) == before
    # Opening again with the same registry does nothing more.
    with open_store(path, migrations=_registry(v2)) as s:
        assert s.migration.backup_path is None
    assert list_backups(path) == [backup]


def test_failing_migration_leaves_the_file_and_version_unchanged(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")
    before = _dump(path)

    def broken_v2(db: peewee.SqliteDatabase) -> None:
        _fake_v2(db)  # half the work done...
        db.execute_sql('UPDATE "runs" SET "trigger" = ?', ("schedule",))
        raise RuntimeError("disk on fire")  # ...then the step fails

    with pytest.raises(MigrationError) as info:
        open_store(path, migrations=_registry(broken_v2), now=T0)
    assert (info.value.from_version, info.value.to_version) == (LATEST, LATEST + 1)
    assert "disk on fire" in str(info.value)
    assert info.value.backup_path is not None and info.value.backup_path.exists()
    assert _version(path) == LATEST
    assert _dump(path) == before  # the DDL and the UPDATE were rolled back together
    with open_store(path) as s:  # and the current code still opens it
        assert s.schema_version == LATEST
        assert st.get_profile("golden") is not None


def test_a_failure_after_a_step_committed_puts_the_file_back_as_it_was(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")
    before = _dump(path)

    def broken_v3(db: peewee.SqliteDatabase) -> None:
        db.execute_sql('ALTER TABLE "notes" ADD COLUMN "author" TEXT')
        raise RuntimeError("v3 fails")

    with pytest.raises(MigrationError) as info:
        open_store(path, migrations=_registry(_fake_v2, broken_v3), now=T0)
    # Each version is its own transaction, so the first step had committed: the backup made first is put back.
    assert (info.value.from_version, info.value.to_version) == (LATEST, LATEST + 2)
    assert f"stays at v{LATEST}, as it was" in str(info.value) and "v3 fails" in str(info.value)
    assert _version(path) == LATEST
    assert _dump(path) == before
    assert "notes" not in {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}


def test_a_migration_that_breaks_foreign_keys_is_rolled_back(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")

    def orphaning_v2(db: peewee.SqliteDatabase) -> None:
        db.execute_sql('DELETE FROM "profiles"')  # foreign keys are off while migrating: checked after

    with pytest.raises(MigrationError, match="foreign key"):
        open_store(path, migrations=_registry(orphaning_v2))
    assert _version(path) == LATEST
    with open_store(path):
        assert st.get_profile("golden") is not None


def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")
    registry = _registry()
    made: list[Path] = []
    for step in range(5):  # five versions, one migration per opening, a minute apart
        registry = _registry(*[_noop] * (step + 1))
        with open_store(path, migrations=registry, keep_backups=3, now=T0 + timedelta(minutes=step)) as s:
            assert s.migration.backup_path is not None
            made.append(s.migration.backup_path)
    assert _version(path) == LATEST + 5
    assert list_backups(path) == list(reversed(made[-3:]))
    assert [p.name.split("-")[1] for p in list_backups(path)] == [f"v{LATEST + n}" for n in (4, 3, 2)]


def test_backups_made_within_one_second_get_distinct_names(tmp_path: Path) -> None:
    path = build_golden_db(LATEST, tmp_path / "state.sqlite")
    with open_store(path, migrations=_registry(_noop), now=T0) as s:
        first = s.migration.backup_path
    with open_store(path, migrations=_registry(_noop, _noop), now=T0) as s:
        second = s.migration.backup_path
    assert first is not None and second is not None and first != second
    assert list_backups(path)[0] == second


def _noop(db: peewee.SqliteDatabase) -> None:
    db.execute_sql("SELECT 1")


def test_registry_must_have_no_gaps(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        open_store(tmp_path / "s.sqlite", migrations={1: MIGRATIONS[1], 3: _noop})


def test_v1_profile_columns_become_one_document(tmp_path: Path) -> None:
    path = build_golden_db(1, tmp_path / "state.sqlite")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            'UPDATE "profiles" SET "gp_timeout_seconds" = 30, "mailchimp_max_connections" = 3, "gp_auth" = '
            "'negotiate', \"mailchimp_api_base\" = 'http://127.0.0.1:9100/3.0', \"filters\" = "
            "'{\"skip_on_hold\": true, \"customer_classes\": [\"EDU\"], \"stray\": 1}'"
        )
    conn.close()
    with open_store(path):
        settings = st.get_profile("golden").profile()  # type: ignore[union-attr]
    assert (settings.gp.timeout_seconds, settings.gp.auth) == (30.0, "negotiate")
    assert (settings.mailchimp.max_connections, settings.mailchimp.api_base) == (3, "http://127.0.0.1:9100/3.0")
    assert (settings.filters.skip_on_hold, settings.filters.customer_classes) == (True, ("EDU",))
    assert _columns(path, "profiles") == ["id", "name", "settings", "schedule", "created_at", "updated_at"]


@pytest.mark.parametrize("version", [1, 2])
def test_v3_adds_whose_record_it_is_to_audit_and_ledger_after_a_backup(version: int, tmp_path: Path) -> None:
    path = build_golden_db(version, tmp_path / "state.sqlite")
    before = _dump(path)
    with open_store(path, now=T0) as s:
        assert (s.migration.from_version, s.migration.to_version) == (version, CURRENT_SCHEMA_VERSION)
        backup = s.migration.backup_path
        profile_id = st.get_profile("golden").id  # type: ignore[union-attr]
        # The failed customer of the old file: its e-mail comes from its last failed audit row.
        entry = st.get_failure(profile_id, "customer", "BAKERSEM0001")
        assert entry is not None
        assert (entry.email, entry.customer_number, entry.customer_name) == ("bad@", "BAKERSEM0001", None)
        # Old audit rows have no customer; new ones do, and a search by the customer's name finds the invoice.
        assert all(e.customer_name is None for e in st.iter_audit())
        run_id = st.start_run(profile_id, st.RunKind.INCREMENTAL, now=T0)
        st.record_audit(run_id, [st.NewAuditEvent("order", "INV00002", "created", customer_number="AARONFIT0001",
                                                  customer_name="Aaron Fitz Electrical", amount=Decimal("12.50"),
                                                  currency="USD")], now=T0)
        found = st.audit_page(st.AuditFilter(profile_id=profile_id, text="aaron fitz")).rows
        assert [(e.gp_key, e.amount) for e in found] == [("INV00002", Decimal("12.50"))]
    assert backup is not None and _version(backup) == version and _dump(backup) == before
    assert {"customer_number", "customer_name", "amount", "currency"} <= set(_columns(path, "audit_events"))
    assert {"email", "customer_number", "customer_name"} <= set(_columns(path, "failure_ledger"))
