"""Errors the store raises on purpose (peewee/sqlite3 errors pass through unchanged)."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class for the store's own errors."""


class StoreAlreadyOpenError(StoreError):
    """The models are bound to one database per process; close it before opening another."""


class NotAStateFileError(StoreError):
    """The file has tables but no schema version: not ours, so it is left alone."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer build; opening it here could lose data."""

    def __init__(self, path: Path, found: int, known: int) -> None:
        super().__init__(
            f"{path} has schema version {found}, this build knows up to {known}: "
            "update gpmc-desktop, or restore one of the backups beside it"
        )
        self.found = found
        self.known = known


class MigrationError(StoreError):
    """A migration step failed and was rolled back: the file stays at `from_version`."""

    def __init__(self, message: str, from_version: int, to_version: int, backup_path: Path | None) -> None:
        super().__init__(message)
        self.from_version = from_version
        self.to_version = to_version
        self.backup_path = backup_path
