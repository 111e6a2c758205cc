"""The app's side of the diagnostics bundle (``store/diagnostics.py``): every saved profile, the secrets to mask
read from the credential store (and those the log filter knows), and the Qt versions the Qt-free core cannot know.
`write_app_bundle` runs on a pool thread (``ui/background.py``)."""

from __future__ import annotations

import logging
from pathlib import Path

import PySide6
from PySide6.QtCore import qVersion

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialError, CredentialStore
from gpmc_desktop.logsetup import registered_secrets
from gpmc_desktop.profile import ConfigError, Profile
from gpmc_desktop.store.diagnostics import BundleSummary, Redactor, secrets_to_redact, write_bundle

log = logging.getLogger(__name__)


def qt_versions() -> dict[str, str]:
    return {"PySide6 (running)": PySide6.__version__, "Qt (running)": qVersion()}


def _secrets(credentials: CredentialStore, profile: str) -> list[str]:
    try:
        return secrets_to_redact(credentials.get(profile, GP_PASSWORD), credentials.get(profile, MAILCHIMP_API_KEY))
    except CredentialError:  # a keyring that cannot answer now holds nothing this session could have logged
        log.warning("diagnostics: the saved credentials of %r could not be read to mask them", profile)
        return secrets_to_redact(None, None)


def write_app_bundle(
    out: Path, credentials: CredentialStore, log_folder: Path | None, extra_versions: dict[str, str]
) -> BundleSummary:
    """The bundle of every saved profile (a stored profile that no longer validates is left out, and logged)."""
    profiles: list[Profile] = []
    secrets = registered_secrets()  # this session's: also one typed in the wizard and never saved
    for row in store.list_profiles():
        secrets += _secrets(credentials, row.name)
        try:
            profiles.append(row.profile())
        except ConfigError as err:
            log.warning("diagnostics: profile %r left out: %s", row.name, err)
    return write_bundle(out, profiles, log_folder=log_folder, redactor=Redactor(secrets),
                        extra_versions=extra_versions)
