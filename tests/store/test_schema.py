"""Creating a store: tables, schema version, WAL, pragmas, and that the models match the frozen DDL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import peewee
import pytest

from gpmc_desktop.store import (
    CURRENT_SCHEMA_VERSION,
    DATA_DIR_ENV,
    NotAStateFileError,
    SchemaTooNewError,
    Store,
    StoreAlreadyOpenError,
    data_dir,
    open_store,
    state_db_path,
)
from gpmc_desktop.store.models import MODELS

TABLES = {
    "meta",
    "profiles",
    "runs",
    "audit_events",
    "synced_records",
    "failure_ledger",
    "profile_state",
}


def _schema(conn: sqlite3.Connection) -> dict[str, object]:
    """Columns, indexes and foreign keys per table, in a form that ignores DDL formatting."""
    out: dict[str, object] = {}
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for t in tables:
        cols = [r[1:6] for r in conn.execute(f'PRAGMA table_info("{t}")')]
        idx = sorted(
            (r[1], r[2], tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{r[1]}")')))
            for r in conn.execute(f'PRAGMA index_list("{t}")')
        )
        fks = sorted(r[2:] for r in conn.execute(f'PRAGMA foreign_key_list("{t}")'))
        collations = sorted(
            (c[2], c[4])
            for r in conn.execute(f'PRAGMA index_list("{t}")')
            for c in conn.execute(f'PRAGMA index_xinfo("{r[1]}")')
            if c[5]
        )
        out[t] = (cols, idx, fks, collations)
    return out


def test_new_store_has_every_table_and_the_current_version(store: Store, db_path: Path) -> None:
    assert db_path.exists()
    conn = sqlite3.connect(db_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= TABLES
    version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    conn.close()
    assert int(version) == CURRENT_SCHEMA_VERSION == store.schema_version
    assert store.migration.backup_path is None  # a new file has nothing to back up


def test_models_describe_the_migrated_schema(store: Store, db_path: Path, tmp_path: Path) -> None:
    scratch = peewee.SqliteDatabase(str(tmp_path / "from_models.sqlite"))
    with scratch.bind_ctx(MODELS):
        scratch.create_tables(MODELS)
    scratch.close()
    migrated = sqlite3.connect(db_path)
    from_models = sqlite3.connect(tmp_path / "from_models.sqlite")
    try:
        assert _schema(migrated) == _schema(from_models)
    finally:
        migrated.close()
        from_models.close()


def test_wal_is_on_for_every_thread(store: Store, db_path: Path) -> None:
    assert store.journal_mode() == "wal"
    seen: list[str] = []

    def worker() -> None:
        with store.thread_connection():
            seen.append(store.journal_mode())
            seen.append(str(store.db.execute_sql("PRAGMA foreign_keys").fetchone()[0]))
            seen.append(str(store.db.execute_sql("PRAGMA busy_timeout").fetchone()[0]))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == ["wal", "1", "15000"]
    raw = sqlite3.connect(db_path)  # WAL is a property of the file, not only of our connections
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_only_one_store_per_process(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreAlreadyOpenError):
        open_store(tmp_path / "other.sqlite")


def test_close_unbinds_and_allows_reopening(db_path: Path) -> None:
    first = open_store(db_path)
    first.close()
    first.close()  # idempotent
    with open_store(db_path) as second:
        assert second.is_open
        assert second.migration.from_version == CURRENT_SCHEMA_VERSION  # nothing to migrate
    assert not second.is_open


def test_refuses_a_foreign_database(tmp_path: Path) -> None:
    path = tmp_path / "someone_else.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAStateFileError):
        open_store(path)
    with open_store(tmp_path / "fine.sqlite"):  # the failed open left nothing bound
        pass


def test_refuses_a_file_from_a_newer_build(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(CURRENT_SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError) as info:
        open_store(db_path)
    assert info.value.found == CURRENT_SCHEMA_VERSION + 1


def test_data_dir_explicit_then_env_then_per_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    per_user = data_dir()
    assert "gpmc-desktop" in per_user.parts
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert state_db_path() == tmp_path / "env" / "state.sqlite"


def test_default_path_comes_from_the_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nested" / "dir"))
    with open_store() as s:
        assert s.path == tmp_path / "nested" / "dir" / "state.sqlite"
        assert s.path.exists()
