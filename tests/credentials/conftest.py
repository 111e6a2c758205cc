"""Credential fixtures: every test starts with no keyring chosen and ends with the process's keyring restored.

`credentials` is the fixture other suites can copy: a `CredentialStore` on the encrypted in-memory test
keyring, installed through `keyring.set_keyring` (see `gpmc_desktop.credentials.testing`)."""

from __future__ import annotations

from collections.abc import Iterator

import keyring.core
import pytest

from gpmc_desktop.credentials import CredentialStore, default_store
from gpmc_desktop.credentials.testing import InMemoryTestKeyring, use_test_keyring


@pytest.fixture(autouse=True)
def _isolated_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Nothing here may reach the developer's real keyring, nor depend on their keyring configuration.
    for var in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    yield


@pytest.fixture
def test_keyring() -> Iterator[InMemoryTestKeyring]:
    with use_test_keyring() as backend:
        yield backend


@pytest.fixture
def credentials(test_keyring: InMemoryTestKeyring) -> CredentialStore:
    return default_store(sleep=lambda _seconds: None)
