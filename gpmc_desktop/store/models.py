"""The peewee models: the ORM's view of the schema that `migrations` creates.

The DDL of each schema version is frozen in `migrations`; these classes must describe the newest one
(a test compares the two). Models are bound to `database_proxy`, which `connection.open_store` points at
the open database: one state database per process, shared by the GUI, its worker threads and the CLI.
"""

from __future__ import annotations

from typing import Any, ClassVar

import peewee

from gpmc_desktop.store.fields import DecimalTextField, JsonTextField, UtcDateTimeField
from gpmc_desktop.store.secrets_guard import refuse_secret_keys, refuse_secret_names

database_proxy = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class StoreMeta(BaseModel):
    """Key/value facts about the file itself; ``schema_version`` is the one that matters."""

    key = peewee.TextField(primary_key=True)
    value = peewee.TextField()

    class Meta:
        table_name = "meta"


class Profile(BaseModel):
    """A sync profile: its settings as one document (the TOML file's sections, validated by
    `gpmc_desktop.profile` before they are stored) and the desktop app's schedule.  Credentials live in the OS
    credential store (desktop) or the environment (headless), never here."""

    id = peewee.AutoField()
    name = peewee.TextField(unique=True)
    settings = JsonTextField(default=dict)
    schedule = JsonTextField(default=dict)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "profiles"

    def save(self, *args: Any, **kwargs: Any) -> int:
        # Last line of defence for code that bypasses `profiles.save_profile`.
        refuse_secret_keys(self.settings, "profile settings")
        refuse_secret_keys(self.schedule, "profile schedule")
        return int(super().save(*args, **kwargs))


class Run(BaseModel):
    id = peewee.AutoField()
    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id")
    kind = peewee.TextField()
    started_at = UtcDateTimeField()
    finished_at = UtcDateTimeField(null=True)
    outcome = peewee.TextField(null=True)  # NULL while running
    counts = JsonTextField(default=dict)  # {entity: {action: n}}
    error_summary = peewee.TextField(null=True)

    class Meta:
        table_name = "runs"


class AuditEvent(BaseModel):
    """One row per record action. ``id`` is the keyset-paging key: it grows with insertion, i.e. with time.

    Search columns use NOCASE so their indexes serve case-insensitive prefix search.
    Single-column indexes on purpose: SQLite appends the rowid to every index entry, so ``WHERE col = ?
    ORDER BY id DESC`` walks one index in page order with no sort; composite indexes would lose that.
    """

    id = peewee.AutoField()
    at = UtcDateTimeField(index=True)
    run = peewee.ForeignKeyField(Run, on_delete="CASCADE", column_name="run_id")  # indexed by peewee
    # Denormalised from the run: filters and the per-record trace stay on one table.
    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id")
    entity = peewee.TextField(index=True)
    gp_key = peewee.TextField(collation="NOCASE", index=True)
    mailchimp_id = peewee.TextField(null=True, collation="NOCASE", index=True)
    email = peewee.TextField(null=True, collation="NOCASE", index=True)  # as synced, for search
    action = peewee.TextField(index=True)
    reason = peewee.TextField(null=True)
    http_status = peewee.IntegerField(null=True)
    error_title = peewee.TextField(null=True)
    error_detail = peewee.TextField(null=True)
    payload_hash = peewee.TextField(null=True)
    # v3, whose record it is: an order's customer, the customer's name (both searched), an order's amount.
    customer_number = peewee.TextField(null=True, collation="NOCASE", index=True)
    customer_name = peewee.TextField(null=True, collation="NOCASE", index=True)
    amount = DecimalTextField(null=True)
    currency = peewee.TextField(null=True)

    class Meta:
        table_name = "audit_events"


class SyncedRecord(BaseModel):
    """What was last pushed for each GP record: the engine skips records whose content hash is unchanged.

    WITHOUT ROWID, clustered on (profile, entity, gp_key): loading one entity's map is one contiguous
    range read instead of an index walk plus a table lookup per row (half the time at 100k records).
    """

    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id", index=False)
    entity = peewee.TextField()
    gp_key = peewee.TextField()
    content_hash = peewee.TextField()
    remote_id = peewee.TextField(null=True)
    remote_email = peewee.TextField(null=True)  # customers: the address the member was synced as
    last_synced_at = UtcDateTimeField()

    class Meta:
        table_name = "synced_records"
        primary_key = peewee.CompositeKey("profile", "entity", "gp_key")
        without_rowid = True


class FailureLedger(BaseModel):
    """Records that failed and are waiting for a retry (transient), a GP change or a person (permanent)."""

    id = peewee.AutoField()
    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id", index=False)
    entity = peewee.TextField()
    gp_key = peewee.TextField()
    attempts = peewee.IntegerField(default=0)
    category = peewee.TextField()
    next_retry_at = UtcDateTimeField(null=True)  # NULL: not by time (permanent and not replayed)
    last_error_title = peewee.TextField(null=True)
    last_error_detail = peewee.TextField(null=True)
    last_http_status = peewee.IntegerField(null=True)
    first_failed_at = UtcDateTimeField()
    last_failed_at = UtcDateTimeField()
    content_hash = peewee.TextField(null=True)  # of the GP record when it failed
    dismissed = peewee.BooleanField(default=False)
    # v3: who the failed record belongs to, so the failures list names them (an order's customer is its buyer).
    email = peewee.TextField(null=True)
    customer_number = peewee.TextField(null=True)
    customer_name = peewee.TextField(null=True)

    class Meta:
        table_name = "failure_ledger"
        indexes: ClassVar = (
            (("profile", "entity", "gp_key"), True),
            (("profile", "dismissed", "next_retry_at"), False),
        )


class ProfileState(BaseModel):
    """Small per-profile engine state as JSON values (``backfill_in_progress``, ``last_full_compare_at``)."""

    id = peewee.AutoField()
    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id", index=False)
    key = peewee.TextField()
    value = JsonTextField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "profile_state"
        indexes: ClassVar = ((("profile", "key"), True),)


class BatchJob(BaseModel):
    """A Mailchimp batch submitted and not yet applied (v4): its operations, operation id → work key."""

    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id", index=False)
    batch_id = peewee.TextField()
    operations = JsonTextField()
    submitted_at = UtcDateTimeField()

    class Meta:
        table_name = "batch_jobs"
        primary_key = peewee.CompositeKey("profile", "batch_id")
        without_rowid = True


class BatchWork(BaseModel):
    """A record in flight through batches (v4): its next operations and what their success means."""

    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE", column_name="profile_id", index=False)
    work_key = peewee.TextField()
    item = JsonTextField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "batch_work"
        primary_key = peewee.CompositeKey("profile", "work_key")
        without_rowid = True


class StateChanges(BaseModel):
    """How many rows of a profile's synced state, ledger and batches were ever written or deleted (v5): kept by
    triggers, read to know that nothing changed between two runs.  No foreign key: a profile's cascade delete
    fires the triggers too."""

    profile_id = peewee.IntegerField(primary_key=True)
    changes = peewee.IntegerField()

    class Meta:
        table_name = "state_changes"


MODELS: tuple[type[BaseModel], ...] = (
    StoreMeta, Profile, Run, AuditEvent, SyncedRecord, FailureLedger, ProfileState, BatchJob, BatchWork,
    StateChanges,
)

# A column named like a credential is a design mistake: fail at import, before anything is written.
for _model in MODELS:
    refuse_secret_names(_model._meta.columns, f"table {_model._meta.table_name}")
