"""Schema versions and how a file moves from one to the next.

Each version's DDL is frozen here as SQL text, never generated from the models: a file written by an old
build must be migrated by exactly what that build created, and the models only describe the newest
version (a test checks that they agree). To change the schema, append a migration; never edit a past one.

Opening a file older than this build: back it up first (SQLite's online backup API, so a live WAL is
included and the copy is consistent), prune old backups, then apply one version per transaction, so a
failure leaves the file at the last version that fully succeeded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import peewee

from gpmc_desktop.store.clock import resolve_now, to_iso
from gpmc_desktop.store.errors import MigrationError, NotAStateFileError, SchemaTooNewError

log = logging.getLogger(__name__)

SCHEMA_VERSION_KEY = "schema_version"
DEFAULT_KEEP_BACKUPS = 3

Migration = Callable[[peewee.SqliteDatabase], None]
"""Moves the schema up by exactly one version. Runs inside a transaction with foreign keys off."""

# ---------------------------------------------------------------------------------------------------------
# v1: the initial schema (frozen).
_V1_DDL: tuple[str, ...] = (
    'CREATE TABLE "meta" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    """CREATE TABLE "profiles" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "name" TEXT NOT NULL,
        "gp_api" TEXT, "gp_url" TEXT, "gp_tenant" TEXT, "gp_company" TEXT, "gp_auth" TEXT,
        "gp_username" TEXT, "gp_ca_bundle" TEXT, "gp_timeout_seconds" REAL,
        "mailchimp_list_id" TEXT, "mailchimp_store_id" TEXT, "mailchimp_status_if_new" TEXT,
        "mailchimp_api_base" TEXT, "mailchimp_max_connections" INTEGER,
        "filters" TEXT NOT NULL, "schedule" TEXT NOT NULL,
        "created_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL)""",
    'CREATE UNIQUE INDEX "profiles_name" ON "profiles" ("name")',
    """CREATE TABLE "runs" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "kind" TEXT NOT NULL,
        "started_at" TEXT NOT NULL, "finished_at" TEXT,
        "outcome" TEXT, "counts" TEXT NOT NULL, "error_summary" TEXT,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE)""",
    'CREATE INDEX "runs_profile_id" ON "runs" ("profile_id")',
    """CREATE TABLE "audit_events" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "at" TEXT NOT NULL,
        "run_id" INTEGER NOT NULL,
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL,
        "gp_key" TEXT NOT NULL COLLATE NOCASE,
        "mailchimp_id" TEXT COLLATE NOCASE,
        "email" TEXT COLLATE NOCASE,
        "action" TEXT NOT NULL,
        "reason" TEXT, "http_status" INTEGER, "error_title" TEXT, "error_detail" TEXT, "payload_hash" TEXT,
        FOREIGN KEY ("run_id") REFERENCES "runs" ("id") ON DELETE CASCADE,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE)""",
    'CREATE INDEX "audit_events_at" ON "audit_events" ("at")',
    'CREATE INDEX "audit_events_run_id" ON "audit_events" ("run_id")',
    'CREATE INDEX "audit_events_profile_id" ON "audit_events" ("profile_id")',
    'CREATE INDEX "audit_events_entity" ON "audit_events" ("entity")',
    'CREATE INDEX "audit_events_gp_key" ON "audit_events" ("gp_key")',
    'CREATE INDEX "audit_events_mailchimp_id" ON "audit_events" ("mailchimp_id")',
    'CREATE INDEX "audit_events_email" ON "audit_events" ("email")',
    'CREATE INDEX "audit_events_action" ON "audit_events" ("action")',
    """CREATE TABLE "synced_records" (
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL, "gp_key" TEXT NOT NULL,
        "content_hash" TEXT NOT NULL, "remote_id" TEXT, "remote_email" TEXT,
        "last_synced_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "entity", "gp_key"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE "failure_ledger" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL, "gp_key" TEXT NOT NULL,
        "attempts" INTEGER NOT NULL, "category" TEXT NOT NULL, "next_retry_at" TEXT,
        "last_error_title" TEXT, "last_error_detail" TEXT, "last_http_status" INTEGER,
        "first_failed_at" TEXT NOT NULL, "last_failed_at" TEXT NOT NULL,
        "content_hash" TEXT, "dismissed" INTEGER NOT NULL,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE)""",
    'CREATE UNIQUE INDEX "failure_ledger_profile_id_entity_gp_key" '
    'ON "failure_ledger" ("profile_id", "entity", "gp_key")',
    'CREATE INDEX "failure_ledger_profile_id_dismissed_next_retry_at" '
    'ON "failure_ledger" ("profile_id", "dismissed", "next_retry_at")',
    """CREATE TABLE "watermarks" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL, "value" TEXT NOT NULL, "updated_at" TEXT NOT NULL,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE)""",
    'CREATE UNIQUE INDEX "watermarks_profile_id_entity" ON "watermarks" ("profile_id", "entity")',
    """CREATE TABLE "profile_state" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "key" TEXT NOT NULL, "value" TEXT NOT NULL, "updated_at" TEXT NOT NULL,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE)""",
    'CREATE UNIQUE INDEX "profile_state_profile_id_key" ON "profile_state" ("profile_id", "key")',
)


def _to_v1(db: peewee.SqliteDatabase) -> None:
    for statement in _V1_DDL:
        db.execute_sql(statement)


# ---------------------------------------------------------------------------------------------------------
# v2: the watermarks table goes (the one incremental GP reader, SOAP, keeps its mark with its snapshot of the
# last read); and a profile's settings are one document (the TOML file's sections as JSON) instead of one column
# per key, so a key added to the profile schema needs no migration and no key is lost on the way through.
# The v1 columns, frozen here: column → (section, key).
_V1_PROFILE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("gp_api", "gp", "api"), ("gp_url", "gp", "url"), ("gp_tenant", "gp", "tenant"),
    ("gp_company", "gp", "company"), ("gp_auth", "gp", "auth"), ("gp_username", "gp", "username"),
    ("gp_ca_bundle", "gp", "ca_bundle"), ("gp_timeout_seconds", "gp", "timeout_seconds"),
    ("mailchimp_list_id", "mailchimp", "list_id"), ("mailchimp_store_id", "mailchimp", "store_id"),
    ("mailchimp_status_if_new", "mailchimp", "status_if_new"), ("mailchimp_api_base", "mailchimp", "api_base"),
    ("mailchimp_max_connections", "mailchimp", "max_connections"),
)
_V1_FILTER_KEYS = ("skip_inactive", "skip_on_hold", "customer_classes")


def _v1_settings(row: Mapping[str, object]) -> str:
    doc: dict[str, dict[str, object]] = {}
    for column, section, key in _V1_PROFILE_COLUMNS:
        if row[column] is not None:
            doc.setdefault(section, {})[key] = row[column]
    filters = json.loads(str(row["filters"] or "{}"))
    if isinstance(filters, dict):
        kept = {k: filters[k] for k in _V1_FILTER_KEYS if k in filters}
        if kept:
            doc["filters"] = kept
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _to_v2(db: peewee.SqliteDatabase) -> None:
    db.execute_sql("""CREATE TABLE "profiles_v2" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "name" TEXT NOT NULL,
        "settings" TEXT NOT NULL,
        "schedule" TEXT NOT NULL,
        "created_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL)""")
    cursor = db.execute_sql('SELECT * FROM "profiles"')
    names = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        db.execute_sql(
            'INSERT INTO "profiles_v2" ("id", "name", "settings", "schedule", "created_at", "updated_at") '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (row["id"], row["name"], _v1_settings(row), row["schedule"], row["created_at"], row["updated_at"]),
        )
    db.execute_sql('DROP TABLE "profiles"')
    db.execute_sql('ALTER TABLE "profiles_v2" RENAME TO "profiles"')
    db.execute_sql('CREATE UNIQUE INDEX "profiles_name" ON "profiles" ("name")')
    db.execute_sql('DROP TABLE "watermarks"')


# ---------------------------------------------------------------------------------------------------------
# v3: an audit row says whose record it is — an order's customer number, the customer's name, an order's amount
# and currency — so a search for a customer finds its invoices; a ledger entry carries the e-mail and the
# customer, so the failures list names them without reading the audit. All nullable: older rows have none.
_V3_DDL: tuple[str, ...] = (
    'ALTER TABLE "audit_events" ADD COLUMN "customer_number" TEXT COLLATE NOCASE',
    'ALTER TABLE "audit_events" ADD COLUMN "customer_name" TEXT COLLATE NOCASE',
    'ALTER TABLE "audit_events" ADD COLUMN "amount" TEXT',
    'ALTER TABLE "audit_events" ADD COLUMN "currency" TEXT',
    'CREATE INDEX "audit_events_customer_number" ON "audit_events" ("customer_number")',
    'CREATE INDEX "audit_events_customer_name" ON "audit_events" ("customer_name")',
    'ALTER TABLE "failure_ledger" ADD COLUMN "email" TEXT',
    'ALTER TABLE "failure_ledger" ADD COLUMN "customer_number" TEXT',
    'ALTER TABLE "failure_ledger" ADD COLUMN "customer_name" TEXT',
)


def _to_v3(db: peewee.SqliteDatabase) -> None:
    for statement in _V3_DDL:
        db.execute_sql(statement)
    # Entries failed before v3: the e-mail of the record's last failed audit row (one index lookup each; a
    # ledger holds tens of rows), and a customer is its own customer.
    db.execute_sql("""UPDATE "failure_ledger" SET "email" = (
        SELECT a."email" FROM "audit_events" AS a
        WHERE a."gp_key" = "failure_ledger"."gp_key" AND a."entity" = "failure_ledger"."entity"
          AND a."profile_id" = "failure_ledger"."profile_id" AND a."action" = 'failed'
        ORDER BY a."id" DESC LIMIT 1)""")
    db.execute_sql('UPDATE "failure_ledger" SET "customer_number" = "gp_key" WHERE "entity" = \'customer\'')


# ---------------------------------------------------------------------------------------------------------
# v4: a backfill through Mailchimp batch operations survives a kill.  ``batch_jobs``: the batches submitted and
# not yet applied, each with its operations (operation id → the record's work key, as JSON);
# ``batch_work``: each record in flight between batches, with what its success means (JSON).  Both are emptied
# as results are applied.
_V4_DDL: tuple[str, ...] = (
    """CREATE TABLE "batch_jobs" (
        "profile_id" INTEGER NOT NULL,
        "batch_id" TEXT NOT NULL,
        "operations" TEXT NOT NULL,
        "submitted_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "batch_id"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE "batch_work" (
        "profile_id" INTEGER NOT NULL,
        "work_key" TEXT NOT NULL,
        "item" TEXT NOT NULL,
        "updated_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "work_key"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID""",
)


def _to_v4(db: peewee.SqliteDatabase) -> None:
    for statement in _V4_DDL:
        db.execute_sql(statement)


# ---------------------------------------------------------------------------------------------------------
# v5: ``state_changes`` counts, per profile, every row written to or deleted from the tables a run's decisions
# read (the synced state, the failure ledger, the batches in flight), whoever writes them: triggers keep it, so
# a poll can trust that nothing changed since an earlier run without reading those tables.
_V5_WATCHED: tuple[str, ...] = ("synced_records", "failure_ledger", "batch_jobs", "batch_work")
_V5_DDL: tuple[str, ...] = (
    """CREATE TABLE "state_changes" (
        "profile_id" INTEGER NOT NULL PRIMARY KEY,
        "changes" INTEGER NOT NULL)""",
    *(f"""CREATE TRIGGER "{table}_{event.lower()}_counts" AFTER {event} ON "{table}" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES ({row}."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END""" for table in _V5_WATCHED for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))),
)


def _to_v5(db: peewee.SqliteDatabase) -> None:
    for statement in _V5_DDL:
        db.execute_sql(statement)


# Key = the version a migration produces. Append only.
MIGRATIONS: Mapping[int, Migration] = MappingProxyType({1: _to_v1, 2: _to_v2, 3: _to_v3, 4: _to_v4, 5: _to_v5})
CURRENT_SCHEMA_VERSION: int = max(MIGRATIONS)


@dataclass(frozen=True, slots=True)
class MigrationReport:
    from_version: int
    to_version: int
    backup_path: Path | None  # None when nothing was migrated or the file was new


def read_schema_version(db: peewee.SqliteDatabase) -> int:
    """0 for an empty file; NotAStateFileError for a file with someone else's tables."""
    tables = {t for t in db.get_tables() if not t.startswith("sqlite_")}
    if "meta" not in tables:
        if tables:
            names = ", ".join(sorted(tables))
            raise NotAStateFileError(f"{db.database} has tables ({names}) but no meta table")
        return 0
    row = db.execute_sql('SELECT "value" FROM "meta" WHERE "key" = ?', (SCHEMA_VERSION_KEY,)).fetchone()
    if row is None:
        raise NotAStateFileError(f"{db.database} has a meta table without {SCHEMA_VERSION_KEY}")
    return int(row[0])


def _write_schema_version(db: peewee.SqliteDatabase, version: int) -> None:
    db.execute_sql(
        'INSERT INTO "meta" ("key", "value") VALUES (?, ?) '
        'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
        (SCHEMA_VERSION_KEY, str(version)),
    )


# ---------------------------------------------------------------------------------------------------------
# Backups: "<db name>.bak-v<version>-<UTC timestamp>[-<n>]" beside the database.
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def _backup_pattern(db_path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(db_path.name) + r"\.bak-v(\d+)-(\d{8}T\d{6}Z)(?:-(\d+))?$")


def list_backups(db_path: Path) -> list[Path]:
    """Backups of `db_path`, newest first."""
    pattern = _backup_pattern(db_path)
    found: list[tuple[str, int, Path]] = []
    if db_path.parent.is_dir():
        for candidate in db_path.parent.iterdir():
            match = pattern.match(candidate.name)
            if match:
                found.append((match.group(2), int(match.group(3) or 0), candidate))
    found.sort(reverse=True)
    return [path for _, _, path in found]


def prune_backups(db_path: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns what was deleted."""
    doomed = list_backups(db_path)[max(keep, 0) :]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup_database(db: peewee.SqliteDatabase, db_path: Path, version: int, *, now: datetime) -> Path:
    """Consistent copy of the open database, written under a temporary name and renamed when complete."""
    stem = f"{db_path.name}.bak-v{version}-{now.strftime(_STAMP_FORMAT)}"
    target = db_path.with_name(stem)
    n = 1
    while target.exists():  # two migrations within one second (tests, retries)
        target = db_path.with_name(f"{stem}-{n}")
        n += 1
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        db.connection().backup(dest)
    except BaseException:
        dest.close()
        partial.unlink(missing_ok=True)
        raise
    dest.close()
    os.replace(partial, target)
    return target


def _restore(db: peewee.SqliteDatabase, backup: Path) -> bool:
    """Copy *backup* over the open database (SQLite's online backup: page by page, in one go); False if that
    failed too, logged."""
    try:
        source = sqlite3.connect(backup)
        try:
            source.backup(db.connection())
        finally:
            source.close()
    except Exception:
        log.exception("could not put back %s after a failed migration", backup)
        return False
    return True


# ---------------------------------------------------------------------------------------------------------
def _check_registry(migrations: Mapping[int, Migration]) -> int:
    versions = sorted(migrations)
    if not versions or versions != list(range(1, versions[-1] + 1)):
        raise ValueError(f"migrations must be numbered 1..N without gaps, got {versions}")
    return versions[-1]


def migrate(
    db: peewee.SqliteDatabase,
    db_path: Path,
    *,
    migrations: Mapping[int, Migration] = MIGRATIONS,
    keep_backups: int = DEFAULT_KEEP_BACKUPS,
    now: datetime | None = None,
) -> MigrationReport:
    """Bring `db` to the newest version in `migrations` (tests pass their own registry)."""
    target = _check_registry(migrations)
    current = read_schema_version(db)
    if current > target:
        raise SchemaTooNewError(db_path, current, target)
    if current == target:
        return MigrationReport(current, current, None)

    moment = resolve_now(now)
    backup: Path | None = None
    if current > 0:  # a new, empty file has nothing to lose
        try:
            backup = backup_database(db, db_path, current, now=moment)
        except Exception as exc:
            raise MigrationError(
                f"could not back up {db_path} before migrating: {exc}", current, current + 1, None
            ) from exc
        prune_backups(db_path, keep_backups)
        log.info("backed up schema v%d to %s", current, backup)

    # Foreign keys off for the duration (the pragma is a no-op inside a transaction, hence out here):
    # a table rebuild's DROP TABLE would otherwise cascade-delete children. Each step checks them instead.
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for version in range(current + 1, target + 1):
            try:
                with db.atomic("IMMEDIATE"):
                    migrations[version](db)
                    broken = db.execute_sql("PRAGMA foreign_key_check").fetchmany(5)
                    if broken:
                        raise RuntimeError(f"foreign key violations after migration: {broken}")
                    _write_schema_version(db, version)
                    if version == 1:
                        created = ("created_at", to_iso(moment))
                        db.execute_sql('INSERT INTO "meta" ("key", "value") VALUES (?, ?)', created)
            except Exception as exc:
                # Steps before this one committed: put the file back as the old build left it, so it is never
                # left half-upgraded (and that build can still open it).
                restored = version - 1 == current or (backup is not None and _restore(db, backup))
                stays = current if restored else version - 1
                raise MigrationError(
                    f"upgrading the state database {db_path} from schema v{current} failed at v{version}: {exc}; "
                    f"the file stays at v{stays}, as it was" + ("" if restored else " after the steps before")
                    + (f" (a copy from before is at {backup})" if backup else ""),
                    stays,
                    version,
                    backup,
                ) from exc
            log.info("migrated %s to schema v%d", db_path, version)
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")
    return MigrationReport(current, target, backup)
