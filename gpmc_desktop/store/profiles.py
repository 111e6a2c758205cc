"""Sync profiles: one GP company to one Mailchimp audience/store, with its non-secret settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import Profile
from gpmc_desktop.store.secrets_guard import refuse_secret_keys, refuse_secret_names

# Everything a caller may set besides the name; id and timestamps are the store's.
PROFILE_SETTINGS: frozenset[str] = frozenset(
    f.name for f in Profile._meta.sorted_fields if f.name not in {"id", "name", "created_at", "updated_at"}
)


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A detached copy of a profile row: safe to hand to another thread or a Qt signal."""

    id: int
    name: str
    gp_api: str | None
    gp_url: str | None
    gp_tenant: str | None
    gp_company: str | None
    gp_auth: str | None
    gp_username: str | None
    gp_ca_bundle: str | None
    gp_timeout_seconds: float | None
    mailchimp_list_id: str | None
    mailchimp_store_id: str | None
    mailchimp_status_if_new: str | None
    mailchimp_api_base: str | None
    mailchimp_max_connections: int | None
    filters: dict[str, Any]
    schedule: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _row(p: Profile) -> ProfileRow:
    return ProfileRow(**{name: getattr(p, name) for name in ProfileRow.__dataclass_fields__})


def save_profile(name: str, *, now: datetime | None = None, **settings: Any) -> ProfileRow:
    """Create the profile `name`, or update only the given settings of an existing one (None clears).

    Refuses (SecretFieldError) any setting, or any key inside `filters`/`schedule`, named like a credential.
    """
    where = f"profile {name!r}"
    refuse_secret_names(settings, where)  # before the unknown-name check: say *why* it is refused
    unknown = sorted(set(settings) - PROFILE_SETTINGS)
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    for json_field in ("filters", "schedule"):
        if json_field in settings:
            refuse_secret_keys(settings[json_field], f"{where} {json_field}")
            if settings[json_field] is None:
                settings[json_field] = {}
    if not name.strip():
        raise ValueError("a profile needs a name")
    moment = resolve_now(now)
    with write_transaction():
        profile = Profile.get_or_none(Profile.name == name)
        if profile is None:
            profile = Profile(name=name, created_at=moment)
        for key, value in settings.items():
            setattr(profile, key, value)
        profile.updated_at = moment
        profile.save()
        saved = Profile.get_by_id(profile.id)  # read back: the row as stored, types as the columns give them
    return _row(saved)


def get_profile(name: str) -> ProfileRow | None:
    profile = Profile.get_or_none(Profile.name == name)
    return None if profile is None else _row(profile)


def get_profile_by_id(profile_id: int) -> ProfileRow | None:
    profile = Profile.get_or_none(Profile.id == profile_id)
    return None if profile is None else _row(profile)


def list_profiles() -> list[ProfileRow]:
    return [_row(p) for p in Profile.select().order_by(Profile.name)]


def rename_profile(old_name: str, new_name: str, *, now: datetime | None = None) -> bool:
    """Rename in place: runs, audit and sync state follow because they reference the id."""
    if not new_name.strip():
        raise ValueError("a profile needs a name")
    with write_transaction():
        query = Profile.update(name=new_name, updated_at=resolve_now(now)).where(Profile.name == old_name)
        changed = query.execute()
    return bool(changed)


def delete_profile(name: str) -> bool:
    """Delete the profile and, by cascade, its runs, audit events, sync state, failures and watermarks."""
    with write_transaction():
        return bool(Profile.delete().where(Profile.name == name).execute())
