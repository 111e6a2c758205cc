"""Where an Export CSV… dialog starts: the user's Documents folder (not the working folder, which for an installed
app on Windows is the install folder) and a dated name, ``gpmc-audit-2026-12-04.csv``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QStandardPaths


def documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def default_export_path(what: str, today: date | None = None) -> Path:
    """*what* names the list ("audit", "failures")."""
    return documents_folder() / f"gpmc-{what}-{(today or date.today()).isoformat()}.csv"
