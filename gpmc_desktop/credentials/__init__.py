"""Secrets (the GP Windows password, the Mailchimp API key) in the OS keyring only. Qt-free.

    store = default_store()                  # Windows Credential Manager / macOS Keychain / Secret Service
    store.set("Fabrikam", GP_PASSWORD, pw)   # or, with no system keyring, memory for this session only
    store.get("Fabrikam", MAILCHIMP_API_KEY)
    store.where_text                         # the one line the UI shows

Modules: `store` (CredentialStore, naming scheme, selection), `backends` (which backends are accepted),
`memory` (the encrypted in-memory backend), `testing` (a test keyring for the suite), `errors`.
"""

from __future__ import annotations

from gpmc_desktop.credentials.errors import (
    CredentialError,
    KeyringNotReadyError,
    SecretTooLongError,
    UnsafeBackendError,
)
from gpmc_desktop.credentials.store import (
    GP_PASSWORD,
    KIND_LABELS,
    KINDS,
    MAILCHIMP_API_KEY,
    MAX_SECRET_UTF16_BYTES,
    CredentialStore,
    default_store,
    service_name,
)

__all__ = [
    "GP_PASSWORD",
    "KINDS",
    "KIND_LABELS",
    "MAILCHIMP_API_KEY",
    "MAX_SECRET_UTF16_BYTES",
    "CredentialError",
    "CredentialStore",
    "KeyringNotReadyError",
    "SecretTooLongError",
    "UnsafeBackendError",
    "default_store",
    "service_name",
]
