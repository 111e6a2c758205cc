"""Backend choice: only system keyrings (or session memory) are accepted; never plaintext, chainer, fail, null."""

from __future__ import annotations

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.macOS
import keyring.backends.null
import keyring.backends.SecretService
import keyring.backends.Windows
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties

from gpmc_desktop.credentials import GP_PASSWORD, CredentialStore, UnsafeBackendError, default_store
from gpmc_desktop.credentials import store as store_module
from gpmc_desktop.credentials.backends import system_backend, system_store_for
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring


class PlaintextKeyring(KeyringBackend):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed: we never want it near the app)."""

    @properties.classproperty
    def priority(cls) -> float:
        # keyring registers every backend class it sees: keep this double out of its own discovery.
        raise RuntimeError("a test double, never auto-selected")

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("a refused backend must never be used")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a refused backend must never be used")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("a refused backend must never be used")


PlaintextKeyring.__module__ = "keyrings.alt.file"


class EncryptedKeyring(PlaintextKeyring):
    pass


EncryptedKeyring.__module__ = "keyrings.alt.file"


def _bare(cls: type[KeyringBackend]) -> KeyringBackend:
    # Build without __init__: some backends' constructors reach for OS APIs this machine lacks.
    return cls.__new__(cls)


@pytest.mark.parametrize(
    ("cls", "name", "where"),
    [
        (keyring.backends.Windows.WinVaultKeyring, "Windows Credential Manager", "Windows Credential Manager"),
        (keyring.backends.macOS.Keyring, "macOS Keychain", "the macOS Keychain"),
        (keyring.backends.SecretService.Keyring, "Secret Service", "your desktop keyring (Secret Service)"),
    ],
)
def test_system_backends_are_accepted(cls: type[KeyringBackend], name: str, where: str) -> None:
    store = CredentialStore(_bare(cls))
    assert store.backend_name == name
    assert store.persistent is True
    assert store.where_text == f'Passwords and API keys are kept in {where}, under "gpmc-desktop/<profile name>".'


def test_session_memory_is_accepted_and_says_so() -> None:
    store = CredentialStore(EncryptedMemoryKeyring())
    assert store.backend_name == "in-memory (this session only)"
    assert store.persistent is False
    assert "must be entered again after a restart" in store.where_text


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (PlaintextKeyring(), "keeps secrets in a file on disk"),
        (EncryptedKeyring(), "keeps secrets in a file on disk"),
        (keyring.backends.chainer.ChainerBackend(), "may hand secrets to whichever backend"),
        (keyring.backends.fail.Keyring(), "stores nothing"),
        (keyring.backends.null.Keyring(), "stores nothing"),
    ],
)
def test_unsafe_backends_are_refused(backend: KeyringBackend, reason: str) -> None:
    with pytest.raises(UnsafeBackendError, match=reason) as err:
        CredentialStore(backend)
    assert err.value.title == "Unsafe password store"


def test_default_store_replaces_a_refused_backend_installed_in_the_process() -> None:
    keyring.set_keyring(PlaintextKeyring())  # e.g. a keyringrc.cfg or PYTHON_KEYRING_BACKEND got there first
    store = default_store(platform="linux", sleep=lambda _s: pytest.fail("no D-Bus session: nothing to wait for"))
    assert not isinstance(store.backend, PlaintextKeyring)
    assert keyring.get_keyring() is store.backend  # the process-wide keyring is the vetted one now
    store.set("Fabrikam", GP_PASSWORD, "pw")  # and PlaintextKeyring, which would raise, is never called


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_without_a_system_keyring_secrets_stay_in_memory_for_the_session(platform: str) -> None:
    # This machine has no D-Bus session (the autouse fixture drops it), no Windows and no macOS.
    store = default_store(platform=platform, sleep=lambda _s: pytest.fail("no desktop session: no wait"))
    assert type(store.backend) is EncryptedMemoryKeyring
    assert store.persistent is False
    assert store.backend_name == "in-memory (this session only)"
    assert "this session only" in store.where_text
    store.set("Fabrikam", GP_PASSWORD, "pw")
    assert default_store(platform=platform).get("Fabrikam", GP_PASSWORD) == "pw"  # same session, same secrets


def test_a_desktop_session_whose_keyring_is_not_up_is_asked_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/gpmc-test-bus")
    probes: list[str | None] = []
    real_check = store_module.system_backend

    def probe(platform: str | None = None) -> KeyringBackend | None:
        probes.append(platform)
        return real_check(platform)  # the real check: this bus does not exist

    monkeypatch.setattr(store_module, "system_backend", probe)
    sleeps: list[float] = []
    store = default_store(platform="linux", retry_delay=10.0, sleep=sleeps.append)
    assert sleeps == [10.0]
    assert probes == ["linux", "linux"]
    assert store.persistent is False


def test_system_store_per_platform() -> None:
    assert system_store_for("win32").class_name == "WinVaultKeyring"
    assert system_store_for("darwin").module == "keyring.backends.macOS"
    assert system_store_for("linux").module == "keyring.backends.SecretService"
    assert system_store_for("freebsd14").module == "keyring.backends.SecretService"
    assert system_backend("win32") is None  # pywin32-ctypes is not on Linux: not viable, no exception
