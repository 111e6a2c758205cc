"""Local state: a peewee/SQLite database (WAL) in the per-user data folder, shared by the sync engine, the
CLI and the GUI. Qt-free.

    store = open_store()                     # creates, or backs up and migrates, then binds the models
    run_id = start_run(profile.id, RunKind.SCHEDULED)
    record_audit(run_id, events)
    finish_run(run_id, Outcome.OK)
    store.close()

Modules: `paths` (where), `connection` (open/close, pragmas, threads), `migrations` (versions, backups),
`models` (tables), and one module per concern: `profiles`, `runs`, `audit`, `synced`, `ledger`,
`engine_state`, `batches` (a backfill's Mailchimp batches in flight), `run_lock` (one sync of a profile at a
time across processes). Nothing here stores a credential: see
`secrets_guard`.
"""

from __future__ import annotations

from gpmc_desktop.store.audit import (
    CSV_HEADER,
    AuditEventRow,
    AuditFilter,
    AuditPage,
    NewAuditEvent,
    audit_page,
    count_audit,
    export_audit_csv,
    iter_audit,
    record_audit,
    record_trace,
)
from gpmc_desktop.store.clock import Clock, from_iso, to_iso, utc_now
from gpmc_desktop.store.connection import Store, open_store, write_transaction
from gpmc_desktop.store.engine_state import (
    AUTOMATIONS_APPLIED,
    BACKFILL_DONE,
    BACKFILL_IN_PROGRESS,
    LAST_FULL_COMPARE_AT,
    all_state,
    delete_state,
    first_load_done,
    get_state,
    set_state,
    state_changes,
)
from gpmc_desktop.store.errors import (
    MigrationError,
    NotAStateFileError,
    SchemaTooNewError,
    StoreAlreadyOpenError,
    StoreError,
)
from gpmc_desktop.store.ledger import (
    DEFAULT_BACKOFF,
    BackoffPolicy,
    LedgerEntry,
    dismiss_failure,
    due_for_retry,
    failure_map,
    get_failure,
    list_failures,
    next_retry_time,
    record_failure,
    replay_failure,
    replay_failures,
    resolve_failure,
    undismiss_failure,
)
from gpmc_desktop.store.migrations import CURRENT_SCHEMA_VERSION, MIGRATIONS, Migration, list_backups
from gpmc_desktop.store.paths import DATA_DIR_ENV, data_dir, state_db_path
from gpmc_desktop.store.profiles import (
    ProfileRow,
    delete_profile,
    get_profile,
    get_profile_by_id,
    list_profiles,
    rename_profile,
    save_profile,
)
from gpmc_desktop.store.run_lock import ProfileBusyError, open_database_path, profile_run_lock
from gpmc_desktop.store.runs import (
    RunRow,
    close_interrupted_runs,
    close_runs_left_open,
    finish_run,
    get_run,
    latest_run_holding,
    list_runs,
    run_counts,
    run_id_range,
    running_runs,
    start_run,
)
from gpmc_desktop.store.secrets_guard import SecretFieldError
from gpmc_desktop.store.synced import (
    SyncedMap,
    SyncedState,
    delete_synced,
    emails_held,
    get_synced,
    synced_count,
    synced_items,
    synced_keys,
    synced_map,
    upsert_synced,
)
from gpmc_desktop.store.vocab import Action, Entity, FailureCategory, Outcome, RunKind, run_kind_label

__all__ = [
    "AUTOMATIONS_APPLIED",
    "BACKFILL_DONE",
    "BACKFILL_IN_PROGRESS",
    "CSV_HEADER",
    "CURRENT_SCHEMA_VERSION",
    "DATA_DIR_ENV",
    "DEFAULT_BACKOFF",
    "LAST_FULL_COMPARE_AT",
    "MIGRATIONS",
    "Action",
    "AuditEventRow",
    "AuditFilter",
    "AuditPage",
    "BackoffPolicy",
    "Clock",
    "Entity",
    "FailureCategory",
    "LedgerEntry",
    "Migration",
    "MigrationError",
    "NewAuditEvent",
    "NotAStateFileError",
    "Outcome",
    "ProfileBusyError",
    "ProfileRow",
    "RunKind",
    "RunRow",
    "SchemaTooNewError",
    "SecretFieldError",
    "Store",
    "StoreAlreadyOpenError",
    "StoreError",
    "SyncedMap",
    "SyncedState",
    "all_state",
    "audit_page",
    "close_interrupted_runs",
    "close_runs_left_open",
    "count_audit",
    "data_dir",
    "delete_profile",
    "delete_state",
    "delete_synced",
    "dismiss_failure",
    "due_for_retry",
    "emails_held",
    "export_audit_csv",
    "failure_map",
    "finish_run",
    "first_load_done",
    "from_iso",
    "get_failure",
    "get_profile",
    "get_profile_by_id",
    "get_run",
    "get_state",
    "get_synced",
    "iter_audit",
    "latest_run_holding",
    "list_backups",
    "list_failures",
    "list_profiles",
    "list_runs",
    "next_retry_time",
    "open_database_path",
    "open_store",
    "profile_run_lock",
    "record_audit",
    "record_failure",
    "record_trace",
    "rename_profile",
    "replay_failure",
    "replay_failures",
    "resolve_failure",
    "run_counts",
    "run_id_range",
    "run_kind_label",
    "running_runs",
    "save_profile",
    "set_state",
    "start_run",
    "state_changes",
    "state_db_path",
    "synced_count",
    "synced_items",
    "synced_keys",
    "synced_map",
    "to_iso",
    "undismiss_failure",
    "upsert_synced",
    "utc_now",
    "write_transaction",
]
