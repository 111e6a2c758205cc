"""The app's side of the GP sample for support (``sync/gp_sample.py``): the shown profile, its GP password from
the credential store, the secrets to mask, and the Qt versions the Qt-free core cannot know.
`write_app_sample` runs on a pool thread (``ui/background.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialStore
from gpmc_desktop.logsetup import registered_secrets
from gpmc_desktop.store.diagnostics import secrets_to_redact
from gpmc_desktop.sync.gp_sample import SampleSummary, write_gp_sample


class NoSample(Exception):
    """Why no sample could be read (shown to the user as is)."""


def write_app_sample(
    out: Path, profile_name: str, credentials: CredentialStore, extra_versions: Mapping[str, str]
) -> SampleSummary:
    row = store.get_profile(profile_name)
    if row is None:
        raise NoSample(f"there is no profile {profile_name!r} any more")
    password = credentials.get(profile_name, GP_PASSWORD)
    if not password:
        raise NoSample(f"profile {profile_name!r} has no GP password saved: enter it in Settings first")
    secrets = registered_secrets() + secrets_to_redact(password, credentials.get(profile_name, MAILCHIMP_API_KEY))
    return write_gp_sample(out, row.profile(), password, secrets=secrets, extra_versions=extra_versions)
