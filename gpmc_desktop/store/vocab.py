"""The closed vocabularies stored as text (kept out of SQL CHECK constraints: SQLite can only change a
constraint by rebuilding the table, so a new entity or action would cost a migration)."""

from __future__ import annotations

from enum import StrEnum


class Entity(StrEnum):
    CUSTOMER = "customer"
    ORDER = "order"
    PRODUCT = "product"
    STORE = "store"
    MERGE_FIELD = "merge_field"
    MEMBER = "member"  # an audience member, keyed by e-mail (several GP customers may share one)
    # Synced-state only: a customer of the store, keyed by its id (one per e-mail; the old build's one per GP
    # customer while it waits to be deleted).
    ECOMMERCE_CUSTOMER = "ecommerce_customer"
    CUSTOMER_SKIP = "customer_skip"  # synced-state only: the skip reason last audited, so it is not repeated
    ORDER_SKIP = "order_skip"


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


class RunKind(StrEnum):
    """What started a run, as the runs table stores it (TEXT: a new kind needs no migration)."""

    FIRST_LOAD = "first-load"  # nothing synced before for the profile, whatever triggered it
    SCHEDULED = "scheduled"  # the app's schedule, or `gpmc sync` (what Task Scheduler runs)
    SYNC_NOW = "sync-now"  # a person pressed Sync now (window or tray)
    RETRY = "retry"  # a person asked to retry failed records
    FULL = "full"  # a full comparison: "Full comparison now" or `gpmc sync --full`
    DRY_RUN = "dry-run"  # a preview: nothing sent
    INCREMENTAL = "incremental"  # earlier builds' every run that was not full: read only


RUN_KIND_LABELS: dict[str, str] = {
    RunKind.FIRST_LOAD: "First load",
    RunKind.SCHEDULED: "Scheduled",
    RunKind.SYNC_NOW: "Sync now",
    RunKind.RETRY: "Retry",
    RunKind.FULL: "Full comparison",
    RunKind.DRY_RUN: "Preview",
    RunKind.INCREMENTAL: "Sync",
}


def run_kind_label(kind: str) -> str:
    """The words a person reads for a stored run kind (an unknown one, from a newer build, as stored)."""
    return RUN_KIND_LABELS.get(kind, kind)


class Outcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FailureCategory(StrEnum):
    TRANSIENT = "transient"  # worth retrying as is: timeouts, 429, 5xx
    PERMANENT = "permanent"  # the data is wrong: retried only when the GP record changes or on replay


def check(enum: type[StrEnum], value: str, what: str) -> str:
    """`value` as its plain string if it belongs to `enum`, else ValueError naming the allowed values."""
    try:
        return str(enum(value))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValueError(f"{what} {value!r} is not one of: {allowed}") from None
