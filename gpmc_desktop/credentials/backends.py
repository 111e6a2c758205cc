"""Which keyring backends may hold our secrets, and how to pick the system one explicitly.

keyring's own discovery goes through package entry points, which a frozen (PyInstaller) build loses: it then
silently settles on the `fail` backend (jaraco/keyring #324, #399).  It would also accept whatever a
keyringrc.cfg or PYTHON_KEYRING_BACKEND names, including keyrings.alt's plaintext file.  So we never call it:
the platform's one system store is named explicitly, and only these classes are accepted:

* Windows: keyring.backends.Windows.WinVaultKeyring (Windows Credential Manager);
* macOS:   keyring.backends.macOS.Keyring (the login Keychain);
* Linux and other Unix: keyring.backends.SecretService.Keyring, when its `priority` check passes (a D-Bus
  session bus and a Secret Service provider such as gnome-keyring or KeePassXC);
* our own `EncryptedMemoryKeyring` (this session only, never written anywhere).

Everything else is refused: keyrings.alt plaintext/encrypted files, `chainer` (it can fall through to any of
them), `fail` and `null` (they store nothing and would lose secrets silently).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from keyring.backend import KeyringBackend
from keyring.backends import SecretService, Windows, macOS

from gpmc_desktop.credentials.errors import UnsafeBackendError
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemStore:
    backend_class: type[KeyringBackend]
    name: str  # shown in the UI
    where: str  # the same, inside a sentence

    @property
    def module(self) -> str:
        return self.backend_class.__module__

    @property
    def class_name(self) -> str:
        return self.backend_class.__name__


# Imported statically (each module guards its OS-specific imports) so a PyInstaller build sees and bundles them.
WINDOWS = SystemStore(Windows.WinVaultKeyring, "Windows Credential Manager", "Windows Credential Manager")
MACOS = SystemStore(macOS.Keyring, "macOS Keychain", "the macOS Keychain")
SECRET_SERVICE = SystemStore(SecretService.Keyring, "Secret Service", "your desktop keyring (Secret Service)")
SYSTEM_STORES = (WINDOWS, MACOS, SECRET_SERVICE)

MEMORY_WHERE_TEXT = (
    "No system keyring is available: passwords and API keys are kept in memory for this session only "
    "and must be entered again after a restart."
)


def system_store_for(platform: str | None = None) -> SystemStore:
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return WINDOWS
    if platform == "darwin":
        return MACOS
    return SECRET_SERVICE  # Linux, the BSDs: freedesktop Secret Service over D-Bus


def system_backend(platform: str | None = None) -> KeyringBackend | None:
    """An instance of the platform's system keyring backend, or None when it cannot work here."""
    store = system_store_for(platform)
    cls = store.backend_class
    try:
        cls.priority  # noqa: B018  (keyring's viability check: raises with the reason when unusable)
    except Exception as exc:
        log.info("%s is not available: %s", store.name, exc)
        return None
    return cls()


@dataclass(frozen=True)
class BackendInfo:
    name: str
    persistent: bool
    where_text: str


def _refusal_reason(backend: KeyringBackend) -> str:
    module = type(backend).__module__
    name = type(backend).__name__.lower()
    if module.startswith("keyrings.alt") or "plaintext" in name or "file" in name:
        return "keeps secrets in a file on disk"
    if module.endswith(".chainer"):
        return "may hand secrets to whichever backend it finds, including file-based ones"
    if module.endswith((".fail", ".null")):
        return "stores nothing, so secrets would be lost without a word"
    return "is not a system keyring"


def describe_backend(backend: KeyringBackend, *, service_hint: str) -> BackendInfo:
    """Name, persistence and the UI's one line for an accepted backend; UnsafeBackendError for any other."""
    if isinstance(backend, EncryptedMemoryKeyring):
        return BackendInfo(backend.display_name, False, MEMORY_WHERE_TEXT)
    for store in SYSTEM_STORES:
        if isinstance(backend, store.backend_class):
            where = f"Passwords and API keys are kept in {store.where}, under {service_hint}."
            return BackendInfo(store.name, True, where)
    kind = f"{type(backend).__module__}.{type(backend).__qualname__}"
    raise UnsafeBackendError(
        f"Refusing the keyring backend {kind}: it {_refusal_reason(backend)}. gpmc-desktop keeps passwords only "
        "in the system keyring (Windows Credential Manager, the macOS Keychain or Secret Service).",
        title="Unsafe password store",
    )
