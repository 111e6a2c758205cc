"""A keyring for tests: secrets in memory, never in plaintext, reached through the real keyring API.

    from gpmc_desktop.credentials.testing import use_test_keyring

    @pytest.fixture
    def credentials():
        with use_test_keyring():
            yield default_store()     # picks the test keyring up: keyring.set_keyring installed it

The test keyring is an `EncryptedMemoryKeyring`, so `repr()`/`vars()` of it (and pytest's assertion
rewriting, which prints locals) never show a secret. Nothing here touches the user's real keyring.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.core

from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring
from gpmc_desktop.credentials.store import installed_backend


class InMemoryTestKeyring(EncryptedMemoryKeyring):
    """The suite's keyring: like the session fallback, under its own name."""

    __test__ = False  # not a pytest test class, whatever module imports it
    display_name = "in-memory (test)"


@contextmanager
def use_test_keyring() -> Iterator[InMemoryTestKeyring]:
    """Install a fresh test keyring for the block, then put back whatever keyring the process had."""
    previous = installed_backend()
    backend = InMemoryTestKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        # keyring.set_keyring() cannot "unset"; restoring None lets the next default_store() choose afresh.
        keyring.core._keyring_backend = previous
