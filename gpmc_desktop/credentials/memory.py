"""An in-memory keyring backend that never holds a secret in plaintext.

Used when no system keyring exists (a bare Linux box, CI without D-Bus: secrets last for this session only)
and, through `testing`, by the test suite.  Values are kept as Fernet tokens under a random key made once per
process and held outside the instance, so `repr()` or `vars()` of the backend never show a secret.  This is
obfuscation against accidental disclosure (a debugger, a dump of objects, a log line), not protection from
code running in the same process.
"""

from __future__ import annotations

import threading

from cryptography.fernet import Fernet
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

_key_lock = threading.Lock()
_fernet: Fernet | None = None


def _cipher() -> Fernet:
    global _fernet
    with _key_lock:
        if _fernet is None:
            _fernet = Fernet(Fernet.generate_key())
        return _fernet


class EncryptedMemoryKeyring(KeyringBackend):
    """Secrets for this process only, stored encrypted."""

    display_name = "in-memory (this session only)"

    @properties.classproperty
    def priority(cls) -> float:
        # Not viable for keyring's own discovery: it is only ever installed explicitly (keyring.set_keyring).
        raise RuntimeError("installed explicitly by gpmc-desktop, never auto-selected")

    def __init__(self) -> None:
        super().__init__()
        self._vault: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            token = self._vault.get((service, username))
        return None if token is None else _cipher().decrypt(token).decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        token = _cipher().encrypt(password.encode("utf-8"))
        with self._lock:
            self._vault[(service, username)] = token

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._vault.pop((service, username), None) is None:
                raise PasswordDeleteError("no such password")

    def entries(self) -> list[tuple[str, str]]:
        """The (service, username) pairs held: names only, for tests and diagnostics."""
        with self._lock:
            return sorted(self._vault)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._vault)} secret(s), encrypted>"

    __str__ = __repr__  # KeyringBackend.__str__ reads `priority`, which raises here by design
