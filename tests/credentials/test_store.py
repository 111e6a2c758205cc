"""CredentialStore on the test keyring: round trips, namespacing, delete, rename, guards, retry, locking."""

from __future__ import annotations

import threading
import time

import keyring
import pytest
from keyring.errors import KeyringLocked, PasswordDeleteError

from gpmc_desktop.credentials import (
    GP_PASSWORD,
    KINDS,
    MAILCHIMP_API_KEY,
    MAX_SECRET_UTF16_BYTES,
    CredentialError,
    CredentialStore,
    KeyringNotReadyError,
    SecretTooLongError,
    default_store,
    service_name,
)
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring
from gpmc_desktop.credentials.testing import InMemoryTestKeyring, use_test_keyring

PW = "Gp-pa55word!"
KEY = "0123456789abcdef0123456789abcdef-us21"


def test_secrets_round_trip(credentials: CredentialStore) -> None:
    assert credentials.get("Fabrikam", GP_PASSWORD) is None
    credentials.set("Fabrikam", GP_PASSWORD, PW)
    credentials.set("Fabrikam", MAILCHIMP_API_KEY, KEY)
    assert credentials.get("Fabrikam", GP_PASSWORD) == PW
    assert credentials.get("Fabrikam", MAILCHIMP_API_KEY) == KEY
    credentials.set("Fabrikam", GP_PASSWORD, "changed")
    assert credentials.get("Fabrikam", GP_PASSWORD) == "changed"


def test_the_store_goes_through_the_keyring_api(credentials: CredentialStore) -> None:
    credentials.set("Fabrikam", GP_PASSWORD, PW)
    # Whatever else in the process uses keyring sees the same, vetted backend under the documented names.
    assert keyring.get_password("gpmc-desktop/Fabrikam", "gp_password") == PW
    assert credentials.backend is keyring.get_keyring()
    assert credentials.backend_name == "in-memory (test)"
    assert credentials.persistent is False
    assert "this session only" in credentials.where_text


def test_profiles_are_namespaced(credentials: CredentialStore, test_keyring: InMemoryTestKeyring) -> None:
    credentials.set("Fabrikam", GP_PASSWORD, "fabrikam-pw")
    credentials.set("Contoso", GP_PASSWORD, "contoso-pw")
    credentials.set("Contoso", MAILCHIMP_API_KEY, KEY)
    assert credentials.get("Fabrikam", GP_PASSWORD) == "fabrikam-pw"
    assert credentials.get("Contoso", GP_PASSWORD) == "contoso-pw"
    assert credentials.get("Fabrikam", MAILCHIMP_API_KEY) is None
    assert test_keyring.entries() == [
        ("gpmc-desktop/Contoso", "gp_password"),
        ("gpmc-desktop/Contoso", "mailchimp_api_key"),
        ("gpmc-desktop/Fabrikam", "gp_password"),
    ]


def test_delete_profile_removes_every_kind_and_only_that_profile(credentials: CredentialStore) -> None:
    for profile in ("Fabrikam", "Contoso"):
        credentials.set(profile, GP_PASSWORD, f"{profile}-pw")
        credentials.set(profile, MAILCHIMP_API_KEY, f"{profile}-key")
    credentials.delete_profile("Fabrikam")
    assert [credentials.get("Fabrikam", k) for k in KINDS] == [None, None]
    assert [credentials.get("Contoso", k) for k in KINDS] == ["Contoso-pw", "Contoso-key"]
    credentials.delete_profile("Fabrikam")  # nothing left: still fine
    credentials.delete_profile("never-existed")


def test_delete_one_kind(credentials: CredentialStore) -> None:
    credentials.set("Fabrikam", GP_PASSWORD, PW)
    assert credentials.delete("Fabrikam", GP_PASSWORD) is True
    assert credentials.delete("Fabrikam", GP_PASSWORD) is False
    assert credentials.get("Fabrikam", GP_PASSWORD) is None


def test_rename_moves_secrets_and_clears_stale_ones(credentials: CredentialStore) -> None:
    credentials.set("Old", GP_PASSWORD, PW)
    credentials.set("New", MAILCHIMP_API_KEY, "stale key of a profile deleted long ago")
    credentials.rename_profile("Old", "New")
    assert credentials.get("New", GP_PASSWORD) == PW
    assert credentials.get("New", MAILCHIMP_API_KEY) is None  # Old had none: New must not inherit one
    assert [credentials.get("Old", k) for k in KINDS] == [None, None]
    credentials.rename_profile("New", "New")  # no-op
    assert credentials.get("New", GP_PASSWORD) == PW


class CaseInsensitiveKeyring(InMemoryTestKeyring):
    """Like Windows Credential Manager, whose target names ignore case."""

    def get_password(self, service: str, username: str) -> str | None:
        return super().get_password(service.casefold(), username)

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service.casefold(), username, password)

    def delete_password(self, service: str, username: str) -> None:
        super().delete_password(service.casefold(), username)


def test_rename_that_only_changes_case_keeps_the_secrets() -> None:
    store = CredentialStore(CaseInsensitiveKeyring())
    store.set("acme", GP_PASSWORD, PW)
    store.set("acme", MAILCHIMP_API_KEY, KEY)
    store.rename_profile("acme", "ACME")
    assert store.get("ACME", GP_PASSWORD) == PW
    assert store.get("ACME", MAILCHIMP_API_KEY) == KEY


@pytest.mark.parametrize("profile", ["", "   "])
def test_a_profile_needs_a_name(credentials: CredentialStore, profile: str) -> None:
    with pytest.raises(ValueError, match="name"):
        credentials.get(profile, GP_PASSWORD)
    with pytest.raises(ValueError, match="name"):
        service_name(profile)


def test_unknown_kinds_and_empty_values_are_refused(credentials: CredentialStore) -> None:
    with pytest.raises(ValueError, match="unknown secret kind"):
        credentials.set("Fabrikam", "smtp_password", PW)
    with pytest.raises(ValueError, match="empty"):
        credentials.set("Fabrikam", GP_PASSWORD, "")


def test_length_guard(credentials: CredentialStore) -> None:
    longest = "k" * (MAX_SECRET_UTF16_BYTES // 2)
    credentials.set("Fabrikam", MAILCHIMP_API_KEY, longest)
    assert credentials.get("Fabrikam", MAILCHIMP_API_KEY) == longest
    with pytest.raises(SecretTooLongError, match="too long") as err:
        credentials.set("Fabrikam", MAILCHIMP_API_KEY, longest + "k")
    assert longest not in str(err.value)
    # The bound is in UTF-16 bytes, as Windows counts them: a character outside the BMP takes two units.
    with pytest.raises(SecretTooLongError):
        credentials.set("Fabrikam", GP_PASSWORD, "\U0001f511" * (MAX_SECRET_UTF16_BYTES // 4 + 1))
    assert credentials.get("Fabrikam", MAILCHIMP_API_KEY) == longest  # the refused value changed nothing


def test_test_keyring_never_shows_plaintext(credentials: CredentialStore, test_keyring: InMemoryTestKeyring) -> None:
    credentials.set("Fabrikam", GP_PASSWORD, PW)
    credentials.set("Fabrikam", MAILCHIMP_API_KEY, KEY)
    shown = " ".join([repr(test_keyring), str(test_keyring), repr(vars(test_keyring)), repr(credentials)])
    shown += repr(vars(credentials))
    for secret in (PW, KEY):
        assert secret not in shown
        assert secret.encode() not in repr(vars(test_keyring)).encode()
    assert "2 secret(s), encrypted" in repr(test_keyring)


def test_use_test_keyring_restores_the_previous_backend() -> None:
    outer = EncryptedMemoryKeyring()
    keyring.set_keyring(outer)
    with use_test_keyring() as inner:
        assert keyring.get_keyring() is inner
        assert isinstance(inner, InMemoryTestKeyring)
    assert keyring.get_keyring() is outer


class FlakyKeyring(InMemoryTestKeyring):
    """Raises `error` for the first `failures` calls, then works."""

    def __init__(self, failures: int, error: Exception) -> None:
        super().__init__()
        self.failures = failures
        self.error = error
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail()
        super().set_password(service, username, password)


def test_a_locked_keyring_is_retried_once() -> None:
    sleeps: list[float] = []
    store = CredentialStore(FlakyKeyring(1, KeyringLocked("Failed to unlock the collection!")), sleep=sleeps.append)
    store.set("Fabrikam", GP_PASSWORD, PW)
    assert sleeps == [2.0]
    assert store.get("Fabrikam", GP_PASSWORD) == PW


def test_a_keyring_still_locked_after_the_retry_says_unlock_it() -> None:
    sleeps: list[float] = []
    backend = FlakyKeyring(2, KeyringLocked(f"cannot store {PW}"))  # a backend that (wrongly) echoes the value
    store = CredentialStore(backend, sleep=sleeps.append)
    with pytest.raises(KeyringNotReadyError, match="Unlock your keyring") as err:
        store.set("Fabrikam", GP_PASSWORD, PW)
    assert PW not in str(err.value)
    assert err.value.title == "Keyring locked"
    assert backend.calls == 2
    assert sleeps == [2.0]


def test_other_backend_failures_become_credential_errors() -> None:
    store = CredentialStore(FlakyKeyring(2, OSError(1783, "The stub received bad data")), sleep=lambda _s: None)
    with pytest.raises(CredentialError, match="Could not read the GP password") as err:
        store.get("Fabrikam", GP_PASSWORD)
    assert not isinstance(err.value, KeyringNotReadyError)


def test_a_missing_secret_is_not_retried() -> None:
    backend = FlakyKeyring(0, RuntimeError())
    store = CredentialStore(backend, sleep=lambda _s: pytest.fail("no retry for a missing secret"))
    assert store.delete("Fabrikam", GP_PASSWORD) is False
    with pytest.raises(PasswordDeleteError):
        backend.delete_password("gpmc-desktop/Fabrikam", GP_PASSWORD)


class OneAtATimeKeyring(InMemoryTestKeyring):
    """Records how many callers are inside the backend at once."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.most_inside = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.0005)  # give another thread the chance to enter, were there no lock
        super().set_password(service, username, password)
        self.inside -= 1


def test_backend_calls_are_serialised_across_threads() -> None:
    backend = OneAtATimeKeyring()
    stores = [CredentialStore(backend), CredentialStore(backend)]  # the lock is per process, not per store

    def work(n: int) -> None:
        for i in range(20):
            stores[n % 2].set(f"profile-{n}", GP_PASSWORD, f"pw-{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert backend.most_inside == 1
    assert stores[0].get("profile-5", GP_PASSWORD) == "pw-5-19"


def test_default_store_keeps_an_installed_test_keyring(test_keyring: InMemoryTestKeyring) -> None:
    store = default_store()
    assert store.backend is test_keyring
    assert default_store().backend is test_keyring
