"""Help → About (the versions IT asks for first, and where the data lives) and Help → Documentation (the README,
from the files that came with this copy of the app)."""

from __future__ import annotations

import html
import platform
from importlib import metadata
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from gpmc_desktop import __version__
from gpmc_desktop.resources import PACKAGE, resources_dir
from gpmc_desktop.ui.window_memory import data_folder

DOCS_NAME = "README.md"


def about_facts() -> list[tuple[str, str]]:
    folder = data_folder()
    return [
        ("gpmc-desktop", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Operating system", platform.platform(terse=False)),
        ("Data folder", str(folder) if folder else "none open"),
    ]


def about_text() -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>&nbsp;{html.escape(v)}</td></tr>" for k, v in about_facts())
    return ("<p><b>gpmc-desktop</b> moves Dynamics GP customers and receivables invoices into Mailchimp.</p>"
            f"<table>{rows}</table>"
            "<p>Help → Save diagnostics for IT… puts these versions, the recent runs and the logs in one zip, "
            "without passwords or keys.</p>")


def about_box(parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "About gpmc-desktop", about_text(),
                      QMessageBox.StandardButton.Close, parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    return box


def documentation_file(write_to: Path | None = None) -> Path | None:
    """The README of this copy: the frozen app's bundled copy, a checkout's, or (an installed wheel, which has no
    files beside it) the package metadata's description written to *write_to*. None when none can be found."""
    for candidate in (resources_dir() / "docs" / DOCS_NAME, PACKAGE.parent / DOCS_NAME):
        if candidate.is_file():
            return candidate
    if write_to is None:
        return None
    try:
        text = metadata.metadata("gpmc-desktop").get_payload()  # type: ignore[attr-defined]
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    write_to.mkdir(parents=True, exist_ok=True)
    out = write_to / DOCS_NAME
    out.write_text(str(text), encoding="utf-8")
    return out

