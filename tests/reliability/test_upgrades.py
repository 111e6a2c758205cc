"""Upgrades: the golden database of every schema version the app has shipped (tests/store/golden/) migrates to the
current one with a backup made first that holds exactly what the old build left; a migration that fails midway, at
any step, leaves every row and table of the original file as it was, and ``gpmc sync`` says so in plain words
(exit 2) instead of running.  (Opening a file switches it to WAL, which changes two header bytes: the comparison is
of the whole content, table by table and row by row, as ``sqlite3``'s dump gives it.)
The figures go to docs/reliability.md (scripts/reliability.py)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import pytest

from gpmc_desktop.cli.main import main as gpmc
from gpmc_desktop.store import CURRENT_SCHEMA_VERSION, MIGRATIONS, MigrationError, list_backups, open_store
from gpmc_desktop.store.migrations import Migration
from tests.reliability.figures import record
from tests.store.golden import build_golden_db, golden_versions

VERSIONS = golden_versions()


def digest(path: Path) -> str:
    """The whole content of a database file (schema and every row), whatever its journal mode."""
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def failing_at(step: int) -> dict[int, Migration]:
    """The shipped migrations, with step *step* doing part of its work and then failing (a step past the last
    is a future one)."""
    registry = dict(MIGRATIONS)
    real = registry.get(step)

    def half_done(db: peewee.SqliteDatabase) -> None:
        if real is not None:
            real(db)
        else:
            db.execute_sql('ALTER TABLE "runs" ADD COLUMN "future" TEXT')
        db.execute_sql('UPDATE "meta" SET "value" = ? WHERE "key" = ?', ("half", "schema_version"))
        raise OSError("the disk is full")

    registry[step] = half_done
    return registry


@dataclass
class UpgradeFigures:
    versions: list[int] = field(default_factory=list)
    migrated: int = 0  # golden files that opened at the current version
    backups_identical: int = 0  # ... with a backup holding exactly what the old build left
    failures_injected: int = 0  # migrations failed midway, one per step from each golden version
    originals_untouched: int = 0  # ... after which the file held exactly what it held before

    @property
    def ok(self) -> bool:
        return (self.migrated == self.backups_identical == len(self.versions)
                and self.failures_injected == self.originals_untouched)


def test_every_shipped_schema_upgrades_with_a_backup_and_a_failure_midway_changes_nothing(tmp_path: Path) -> None:
    assert list(range(1, CURRENT_SCHEMA_VERSION + 1)) == VERSIONS
    figures = UpgradeFigures(versions=VERSIONS)
    for version in VERSIONS:
        path = build_golden_db(version, tmp_path / f"v{version}" / "state.sqlite")
        before = digest(path)
        with open_store(path) as opened:
            assert opened.schema_version == CURRENT_SCHEMA_VERSION
            backup = opened.migration.backup_path
        figures.migrated += 1
        if version == CURRENT_SCHEMA_VERSION:
            assert backup is None  # nothing to migrate: no backup either
            figures.backups_identical += 1
        else:
            assert backup is not None and digest(backup) == before
            figures.backups_identical += 1

        for step in range(version + 1, CURRENT_SCHEMA_VERSION + 2):
            broken = build_golden_db(version, tmp_path / f"v{version}-fails-at-{step}" / "state.sqlite")
            original = digest(broken)
            figures.failures_injected += 1
            with pytest.raises(MigrationError) as failed:
                open_store(broken, migrations=failing_at(step))
            assert "the disk is full" in str(failed.value) and f"stays at v{version}, as it was" in str(failed.value)
            assert failed.value.from_version == version
            if digest(broken) == original:
                figures.originals_untouched += 1
            assert len(list_backups(broken)) == 1
    record("upgrades", figures)
    assert figures.migrated == figures.backups_identical == len(VERSIONS)
    assert figures.originals_untouched == figures.failures_injected > 0


def test_gpmc_sync_on_a_database_whose_migration_fails_says_so_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    oldest = build_golden_db(VERSIONS[0], tmp_path / "state.sqlite")
    original = digest(oldest)
    profile = tmp_path / "profile.toml"
    profile.write_text(
        f'[profile]\nname = "golden"\ndatabase = "{oldest.as_posix()}"\n'
        '[gp]\nurl = "https://gp.invalid"\ncompany = "TWO"\nusername = "CORP\\\\svc"\n'
        '[mailchimp]\nlist_id = "l1"\nstore_id = "gp-two"\nautomations = "off"\nstatus_if_new = "transactional"\n',
        encoding="utf-8")
    monkeypatch.setenv("GPMC_GP_PASSWORD", "Not-Used-1")
    monkeypatch.setenv("GPMC_MAILCHIMP_API_KEY", "0123456789abcdef0123456789abcdef-us1")
    monkeypatch.setitem(open_store.__kwdefaults__, "migrations", failing_at(VERSIONS[0] + 1))

    code = gpmc(["sync", "--config", str(profile), "--json"])

    out = capsys.readouterr()
    assert code == 2
    line = json.loads(out.out.strip().splitlines()[-1])
    assert line["outcome"] == "failed"
    assert line["error"].startswith("state database: upgrading the state database") and "stays at v1" in line["error"]
    assert "a copy from before is at" in line["error"]
    assert digest(oldest) == original
