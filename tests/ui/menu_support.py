"""The save-a-zip menu items (diagnostics for IT, GP sample for support) driven the same way: the file dialog
answered, the notice awaited, the zip read; or the dialog cancelled."""

from __future__ import annotations

import zipfile
from pathlib import Path

from PySide6.QtGui import QAction

from gpmc_desktop.ui import controller as controller_module
from gpmc_desktop.ui.controller import DesktopController


def save_through(qtbot, controller: DesktopController, action: QAction, out: Path, monkeypatch,
                 timeout_ms: int = 60_000) -> tuple[str, dict[str, str]]:
    """Trigger *action* with the save dialog answering *out*; the notice shown and the zip's members as text."""
    monkeypatch.setattr(controller_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(controller.notice_shown, timeout=timeout_ms) as saved:
        action.trigger()
    with zipfile.ZipFile(out) as bundle:
        return saved.args[0], {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}


def titles_when_cancelled(action: QAction, monkeypatch) -> list[str]:
    """Trigger *action* with the save dialog cancelled; the titles it was asked with."""
    asked: list[str] = []
    monkeypatch.setattr(controller_module.QFileDialog, "getSaveFileName",
                        lambda _parent, title, *a, **k: (asked.append(title), ("", ""))[1])
    action.trigger()
    return asked
