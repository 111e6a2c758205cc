"""Sync profiles: one GP company to one Mailchimp audience/store.

A row keeps the profile's settings as one document that `gpmc_desktop.profile` validated (see
`profile.to_stored_document`) plus the desktop app's schedule.  A row created without settings (a store test, a
profile being set up) has an empty document and is not usable until settings are saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gpmc_desktop.profile import Profile as ProfileSettings
from gpmc_desktop.profile import from_stored_document, to_stored_document
from gpmc_desktop.profile.schema import default
from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import Profile
from gpmc_desktop.store.secrets_guard import refuse_secret_keys


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A detached copy of a profile row: safe to hand to another thread or a Qt signal."""

    id: int
    name: str
    settings: dict[str, Any]  # the stored document: sections of keys, as a TOML file has them
    schedule: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def profile(self) -> ProfileSettings:
        """The validated settings (ConfigError naming every problem when the stored document is incomplete)."""
        return from_stored_document(self.name, self.settings)

    @property
    def gp_api(self) -> str:
        """Which GP API the profile reads, without validating the rest (menus and labels need only this)."""
        return str(self.settings.get("gp", {}).get("api", default("gp", "api")))


def _row(p: Profile) -> ProfileRow:
    return ProfileRow(p.id, p.name, dict(p.settings or {}), dict(p.schedule or {}), p.created_at, p.updated_at)


def save_profile(
    name: str,
    *,
    settings: ProfileSettings | None = None,
    schedule: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProfileRow:
    """Create the profile *name*, or update what is given of an existing one: its *settings* (a validated
    profile; its own name is ignored, the row's is kept) and its *schedule* (``{}`` clears it).

    Refuses (SecretFieldError) a schedule key named like a credential.
    """
    if not name.strip():
        raise ValueError("a profile needs a name")
    changes: dict[str, Any] = {}
    if settings is not None:
        changes["settings"] = to_stored_document(settings)
    if schedule is not None:
        refuse_secret_keys(schedule, f"profile {name!r} schedule")
        changes["schedule"] = schedule
    moment = resolve_now(now)
    with write_transaction():
        profile = Profile.get_or_none(Profile.name == name)
        if profile is None:
            profile = Profile(name=name, created_at=moment)
        for column, value in changes.items():
            setattr(profile, column, value)
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
    """Delete the profile and, by cascade, its runs, audit events, sync state and failures."""
    with write_transaction():
        return bool(Profile.delete().where(Profile.name == name).execute())
