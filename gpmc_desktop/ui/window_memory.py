"""What the window remembers between starts: its size and place, and that the "still running in the tray" notice
was shown. Kept in ``window.ini`` beside the state database (so a ``--data-dir`` or a test's folder keeps its own),
read and written through QSettings.

A remembered place is only used on a screen that still exists (a laptop undocked from its second monitor would
otherwise open the window off every screen), and the size is clamped to that screen's available area."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from gpmc_desktop.store.models import database_proxy

SETTINGS_FILE = "window.ini"
GEOMETRY_KEY = "window/geometry"  # x, y, width, height of the normal (not maximised) window
MAXIMIZED_KEY = "window/maximized"
TRAY_NOTICE_KEY = "notices/still_running_in_tray"


def data_folder() -> Path | None:
    """The folder of the open state database (the app's data folder), or None when none is open."""
    db = database_proxy.obj
    path = getattr(db, "database", None)
    return Path(path).resolve().parent if path and path != ":memory:" else None


def window_settings() -> QSettings | None:
    folder = data_folder()
    if folder is None:
        return None
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)


def save_geometry(window: QWidget, settings: QSettings) -> None:
    normal = window.normalGeometry() if window.isMaximized() else window.geometry()
    settings.setValue(GEOMETRY_KEY, [normal.x(), normal.y(), normal.width(), normal.height()])
    settings.setValue(MAXIMIZED_KEY, window.isMaximized())
    settings.sync()


def fit_on_screen(rect: QRect) -> QRect:
    """*rect* on the screen that holds its centre (the primary screen when none does), shrunk to that screen's
    available area and moved inside it."""
    screen = QGuiApplication.screenAt(rect.center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return rect
    area = screen.availableGeometry()
    width, height = min(rect.width(), area.width()), min(rect.height(), area.height())
    x = min(max(rect.x(), area.left()), area.right() + 1 - width)
    y = min(max(rect.y(), area.top()), area.bottom() + 1 - height)
    return QRect(x, y, width, height)


def restore_geometry(window: QWidget, settings: QSettings) -> bool:
    """Put *window* where it was; False when nothing was remembered."""
    saved = settings.value(GEOMETRY_KEY)
    try:
        x, y, width, height = (int(v) for v in saved)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return False
    if width <= 0 or height <= 0:
        return False
    window.setGeometry(fit_on_screen(QRect(x, y, width, height)))
    if _as_bool(settings.value(MAXIMIZED_KEY, False)):
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    return True


def _as_bool(value: object) -> bool:
    """QSettings' INI files hand booleans back as "true"/"false"."""
    return value is True or str(value).lower() == "true"


def once(settings: QSettings | None, key: str) -> bool:
    """True the first time *key* is asked for (and remembers it); always True without settings."""
    if settings is None:
        return True
    if _as_bool(settings.value(key, False)):
        return False
    settings.setValue(key, True)
    settings.sync()
    return True
