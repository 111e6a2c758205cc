"""Small per-profile engine state as JSON values, e.g. whether a backfill is under way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import ProfileState, StateChanges
from gpmc_desktop.store.secrets_guard import refuse_secret_keys, refuse_secret_names

BACKFILL_IN_PROGRESS = "backfill_in_progress"
BACKFILL_DONE = "backfill_done"  # "1" once the first load (the historical backfill) finished
# The profile's [mailchimp] automations as the last run applied it to the store ("on" / "off"): a change is the
# profile's switch, a store found otherwise was changed in Mailchimp.
AUTOMATIONS_APPLIED = "automations_applied"
LAST_FULL_COMPARE_AT = "last_full_compare_at"  # store as clock.to_iso(...) text


def get_state(profile_id: int, key: str, default: Any = None) -> Any:
    row = (
        ProfileState.select(ProfileState.value)
        .where((ProfileState.profile == profile_id) & (ProfileState.key == key))
        .tuples()
        .first()
    )
    return default if row is None else row[0]


def set_state(profile_id: int, key: str, value: Any, *, now: datetime | None = None) -> None:
    """Store a JSON-serialisable `value`; keys (and nested keys) named like credentials are refused."""
    refuse_secret_names([key], "engine state")
    refuse_secret_keys(value, f"engine state {key!r}")
    with write_transaction():
        (
            ProfileState.insert(profile=profile_id, key=key, value=value, updated_at=resolve_now(now))
            .on_conflict(
                conflict_target=[ProfileState.profile, ProfileState.key],
                preserve=[ProfileState.value, ProfileState.updated_at],
            )
            .execute()
        )


def state_changes(profile_id: int) -> int:
    """How many times the profile's synced state, failure ledger or batches in flight were written, ever (the
    schema's triggers count): equal at two moments means none of them changed in between."""
    row = StateChanges.select(StateChanges.changes).where(StateChanges.profile_id == profile_id).tuples().first()
    return 0 if row is None else int(row[0])


def first_load_done(profile_id: int | None) -> bool:
    """Whether the profile's first load finished (None: a profile never saved, so never synced)."""
    return profile_id is not None and str(get_state(profile_id, BACKFILL_DONE)) == "1"


def delete_state(profile_id: int, key: str) -> bool:
    with write_transaction():
        query = ProfileState.delete().where((ProfileState.profile == profile_id) & (ProfileState.key == key))
        return bool(query.execute())


def all_state(profile_id: int) -> dict[str, Any]:
    query = ProfileState.select(ProfileState.key, ProfileState.value)
    query = query.where(ProfileState.profile == profile_id)
    return {key: value for key, value in query.tuples()}
