"""Errors of the credential store: each carries a short title and a message that says what to do.

Messages never contain the secret itself (they reach the UI, the log and support e-mails)."""

from __future__ import annotations


class CredentialError(Exception):
    """A secret could not be read, written or kept safely."""

    def __init__(self, message: str, *, title: str = "Password store problem") -> None:
        super().__init__(message)
        self.title = title
        self.message = message


class KeyringNotReadyError(CredentialError):
    """The system keyring is locked, or its service is not up yet (typically just after logging in)."""


class SecretTooLongError(CredentialError, ValueError):
    """The value does not fit in every supported store (Windows Credential Manager is the smallest)."""


class UnsafeBackendError(CredentialError):
    """A keyring backend that is not a system store (plaintext/encrypted file, chainer, fail, null)."""
