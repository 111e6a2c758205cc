"""Start with Windows (or with the desktop session on Linux), per user, no admin rights.

* Windows: a value in ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`` (QSettings' native format);
* Linux: an XDG autostart entry, ``$XDG_CONFIG_HOME/autostart/gpmc-desktop.desktop``.

Both sit behind `Autostart` so tests can point them at an INI file or a temp folder.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSettings

APP_ID = "gpmc-desktop"
RUN_KEY = r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run"


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self, command: list[str]) -> None: ...
    def disable(self) -> None: ...


def launch_command() -> list[str]:
    """How to start this app again from a login: the frozen exe, the installed script, or python -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which(APP_ID)
    if script:
        return [script]
    return [sys.executable, "-m", "gpmc_desktop.ui.app"]


class RegistryRunAutostart:
    """The per-user Run key. `settings` defaults to the real registry; tests pass an INI-backed QSettings."""

    def __init__(self, settings: QSettings | None = None, name: str = APP_ID) -> None:
        self.settings = settings or QSettings(RUN_KEY, QSettings.Format.NativeFormat)
        self.name = name

    def is_enabled(self) -> bool:
        return bool(self.settings.value(self.name))

    def enable(self, command: list[str]) -> None:
        # The Run value is one command line; Windows quoting rules, not POSIX ones.
        self.settings.setValue(self.name, subprocess.list2cmdline(command))
        self.settings.sync()

    def disable(self) -> None:
        self.settings.remove(self.name)
        self.settings.sync()

    def command(self) -> str | None:
        value = self.settings.value(self.name)
        return str(value) if value else None


def xdg_autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "autostart"


class XdgAutostart:
    def __init__(self, folder: Path | None = None, name: str = APP_ID) -> None:
        self.folder = folder or xdg_autostart_dir()
        self.path = self.folder / f"{name}.desktop"

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self, command: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        exec_line = " ".join(shlex.quote(part) for part in command)
        self.path.write_text(
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=gpmc-desktop\n"
            "Comment=Sync Dynamics GP customers and invoices into Mailchimp\n"
            f"Exec={exec_line}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n",
            encoding="utf-8",
        )

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def default_autostart() -> Autostart:
    return RegistryRunAutostart() if sys.platform == "win32" else XdgAutostart()
