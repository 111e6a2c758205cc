"""Transitional: the profile moved to `gpmc_desktop.profile` (the bottom of the layers)."""

from gpmc_desktop.profile import (  # noqa: F401
    ENV_GP_PASSWORD,
    ENV_MAILCHIMP_API_KEY,
    ConfigError,
    GPSettings,
    MailchimpSettings,
    Profile,
    Secrets,
    SyncFilters,
    load_profile,
    profile_from_mapping,
    secrets_from_env,
)
