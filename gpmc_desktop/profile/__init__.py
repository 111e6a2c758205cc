"""The sync profile: one schema of every key (`schema`), the validated settings the engine uses (`model`) and the
documents a profile is kept in — TOML files, the state database, the app's forms (`document`).

The bottom of the layers: it imports nothing else of gpmc_desktop, so the GP client, the store, the engine and the
app can all use it.
"""

from gpmc_desktop.profile.document import (
    ConfigError,
    Document,
    first_sync_problems,
    from_stored_document,
    load_profile,
    merge_documents,
    profile_from_mapping,
    profile_to_mapping,
    secrets_from_env,
    section_settings,
    to_stored_document,
    to_toml,
)
from gpmc_desktop.profile.model import (
    FieldMapping,
    GPSettings,
    MailchimpSettings,
    Profile,
    Secrets,
    SyncFilters,
    SyncSettings,
)
from gpmc_desktop.profile.schema import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY, KEYS, Key, Kind, Level

__all__ = [
    "ENV_GP_PASSWORD",
    "ENV_MAILCHIMP_API_KEY",
    "KEYS",
    "ConfigError",
    "Document",
    "FieldMapping",
    "GPSettings",
    "Key",
    "Kind",
    "Level",
    "MailchimpSettings",
    "Profile",
    "Secrets",
    "SyncFilters",
    "SyncSettings",
    "first_sync_problems",
    "from_stored_document",
    "load_profile",
    "merge_documents",
    "profile_from_mapping",
    "profile_to_mapping",
    "secrets_from_env",
    "section_settings",
    "to_stored_document",
    "to_toml",
]
