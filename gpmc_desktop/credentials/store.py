"""`CredentialStore`: the GP password and the Mailchimp API key of each profile, in the OS keyring only.

Naming scheme (one keyring entry per profile and kind):

    service  = "gpmc-desktop/<profile name>"     e.g. "gpmc-desktop/Fabrikam"
    username = the kind: "gp_password" or "mailchimp_api_key"

Windows Credential Manager shows the first entry of a service as target "gpmc-desktop/<profile>" and the
second as "<kind>@gpmc-desktop/<profile>" (keyring's compound name); Secret Service stores the attributes
service=…, username=…, application="Python keyring library".  A keyring cannot list its entries without
storing their names elsewhere, so deleting a profile deletes every known kind, present or not.

Secrets never go to SQLite, settings, logs or exports, and there is no plaintext fallback: without a system
keyring the store keeps them in memory for this session (`persistent` is False and `where_text` says so).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, PasswordDeleteError

from gpmc_desktop.credentials.backends import describe_backend, system_backend, system_store_for
from gpmc_desktop.credentials.errors import CredentialError, KeyringNotReadyError, SecretTooLongError
from gpmc_desktop.credentials.memory import EncryptedMemoryKeyring

log = logging.getLogger(__name__)

GP_PASSWORD: Final = "gp_password"
MAILCHIMP_API_KEY: Final = "mailchimp_api_key"
KINDS: Final = (GP_PASSWORD, MAILCHIMP_API_KEY)
KIND_LABELS: Final = {GP_PASSWORD: "GP password", MAILCHIMP_API_KEY: "Mailchimp API key"}

SERVICE_PREFIX: Final = "gpmc-desktop/"

# Windows Credential Manager refuses blobs over CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512 = 2,560 bytes; error 1783)
# and keyring writes UTF-16. Stay well below, on every platform, so a profile moves between machines unchanged.
MAX_SECRET_UTF16_BYTES: Final = 2048

# keyring backends are not thread-safe (the D-Bus connection, the Win32 calls): one caller at a time,
# across every store in the process. Re-entrant because rename_profile calls get/set/delete.
_LOCK = threading.RLock()

T = TypeVar("T")


def service_name(profile: str) -> str:
    """The keyring service of a profile's secrets."""
    if not isinstance(profile, str) or not profile.strip():
        raise ValueError("a profile needs a name")
    return SERVICE_PREFIX + profile


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown secret kind {kind!r}: expected one of {', '.join(KINDS)}")


def _not_ready(exc: BaseException) -> bool:
    """A locked collection, a keyring daemon not up yet, a D-Bus hiccup: worth one more try."""
    if isinstance(exc, KeyringLocked | InitError | ConnectionError | TimeoutError):
        return True
    return type(exc).__module__.split(".")[0] in {"secretstorage", "jeepney"}


class CredentialStore:
    """Per-profile secrets in one accepted keyring backend (see `backends`). Thread-safe."""

    def __init__(
        self,
        backend: KeyringBackend,
        *,
        retry_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._info = describe_backend(backend, service_hint=f'"{SERVICE_PREFIX}<profile name>"')
        self._backend = backend
        self._retry_delay = retry_delay
        self._sleep = sleep

    @property
    def backend(self) -> KeyringBackend:
        return self._backend

    @property
    def backend_name(self) -> str:
        return self._info.name

    @property
    def persistent(self) -> bool:
        return self._info.persistent

    @property
    def where_text(self) -> str:
        return self._info.where_text

    def __repr__(self) -> str:
        return f"<CredentialStore {self.backend_name} persistent={self.persistent}>"

    # -- reading and writing ------------------------------------------------------------------------------

    def get(self, profile: str, kind: str) -> str | None:
        """The secret, or None when none is stored."""
        _check_kind(kind)
        service = service_name(profile)
        return self._call(f"read the {KIND_LABELS[kind]}", lambda: self._backend.get_password(service, kind))

    def set(self, profile: str, kind: str, value: str) -> None:
        _check_kind(kind)
        service = service_name(profile)
        label = KIND_LABELS[kind]
        if not isinstance(value, str) or not value:
            raise ValueError(f"the {label} is empty: use delete() to remove it")
        size = len(value.encode("utf-16-le"))
        if size > MAX_SECRET_UTF16_BYTES:
            raise SecretTooLongError(
                f"This {label} is too long to keep in the system keyring ({size // 2} characters; at most "
                f"{MAX_SECRET_UTF16_BYTES // 2}). Windows Credential Manager cannot hold longer values.",
                title="Secret too long",
            )
        self._call(f"save the {label}", lambda: self._backend.set_password(service, kind, value), secret=value)

    def delete(self, profile: str, kind: str) -> bool:
        """Remove one secret; False when there was none."""
        _check_kind(kind)
        service = service_name(profile)
        try:
            self._call(f"delete the {KIND_LABELS[kind]}", lambda: self._backend.delete_password(service, kind))
        except PasswordDeleteError:
            return False
        return True

    def delete_profile(self, profile: str) -> None:
        """Remove every kind of secret of `profile` (the keyring cannot list them: try each)."""
        with _LOCK:
            for kind in KINDS:
                self.delete(profile, kind)

    def rename_profile(self, old: str, new: str) -> None:
        """Move every secret of `old` to `new`; kinds `old` lacks are cleared under `new` (no stale secrets)."""
        service_name(new)
        if old == new:
            return
        with _LOCK:
            values = {kind: self.get(old, kind) for kind in KINDS}
            # Windows target names ignore case: "Acme" -> "ACME" is the same entry, so clear it before writing.
            # Otherwise write the new entries first, so a failure half-way loses nothing.
            if old.casefold() == new.casefold():
                self.delete_profile(old)
                self._write_all(new, values)
            else:
                self._write_all(new, values)
                self.delete_profile(old)

    def _write_all(self, profile: str, values: dict[str, str | None]) -> None:
        for kind, value in values.items():
            if value is None:
                self.delete(profile, kind)
            else:
                self.set(profile, kind, value)

    # -- one backend call, retried once -------------------------------------------------------------------

    def _call(self, what: str, action: Callable[[], T], *, secret: str | None = None) -> T:
        with _LOCK:
            try:
                return action()
            except PasswordDeleteError:
                raise
            except Exception as exc:
                # Nextcloud does the same: just after login the keyring daemon may not be ready yet.
                log.warning("%s: could not %s (%s); trying once more", self.backend_name, what, type(exc).__name__)
            self._sleep(self._retry_delay)
            try:
                return action()
            except PasswordDeleteError:
                raise
            except Exception as exc:
                raise self._error(what, exc, secret) from exc

    def _error(self, what: str, exc: Exception, secret: str | None) -> CredentialError:
        detail = f"{type(exc).__name__}: {exc}"[:300]
        if secret:
            detail = detail.replace(secret, "***")  # belt and braces: a backend message should never echo it
        if _not_ready(exc):
            return KeyringNotReadyError(
                f"Could not {what}: {self.backend_name} is locked or not ready. Unlock your keyring (log in to "
                f"your desktop session or unlock your password manager), then try again. ({detail})",
                title="Keyring locked",
            )
        return CredentialError(f"Could not {what} in {self.backend_name}: {detail}")


def installed_backend() -> KeyringBackend | None:
    """The backend put in place with `keyring.set_keyring` in this process, without running keyring's discovery.

    keyring has no public "is one set?" call and `keyring.get_keyring()` would run the entry-point discovery
    we avoid on purpose, so read its module attribute (stable across keyring 25; pinned <26)."""
    return getattr(keyring.core, "_keyring_backend", None)


def default_store(
    platform: str | None = None,
    *,
    retry_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CredentialStore:
    """The store the app uses: the platform's system keyring, else memory for this session.

    A backend already installed with `keyring.set_keyring` (the test keyring, or an earlier call's choice) is
    kept when it is an accepted one; a refused one (plaintext file, chainer, fail, null) is replaced."""
    with _LOCK:
        current = installed_backend()
        if current is not None:
            try:
                return CredentialStore(current, retry_delay=retry_delay, sleep=sleep)
            except CredentialError as exc:
                log.warning("%s Choosing the system keyring instead.", exc)
        backend = system_backend(platform)
        if backend is None and _may_come_up(platform):
            sleep(retry_delay)  # at login the Secret Service daemon can start a moment after us
            backend = system_backend(platform)
        if backend is None:
            log.warning("no system keyring: secrets are kept in memory for this session only")
            backend = EncryptedMemoryKeyring()
        else:
            log.info("secrets are kept in %s", system_store_for(platform).name)
        keyring.set_keyring(backend)  # the whole process (and any library using keyring) shares the vetted one
        return CredentialStore(backend, retry_delay=retry_delay, sleep=sleep)


def _may_come_up(platform: str | None) -> bool:
    platform = sys.platform if platform is None else platform
    # Only a desktop session (a D-Bus session bus exists) may have a keyring daemon still starting.
    return platform not in {"win32", "darwin"} and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
