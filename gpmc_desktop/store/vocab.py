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
    FULL = "full"
    INCREMENTAL = "incremental"
    DRY_RUN = "dry-run"


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
