"""Which parts of Qt the frozen app keeps: the policy behind the hooks in ``installer/hooks/``.

PyInstaller's stock PySide6 hooks collect every plugin of a module (every platform, image format, TLS backend,
Wayland shell ...) and every translation, and the binary analysis then pulls in each plugin's own libraries.
Filtering inside the hooks, before that analysis, keeps those libraries out too.  The app uses QtCore, QtGui,
QtWidgets and QtNetwork (QLocalServer/QLocalSocket only: no TLS, no network information), in English, with
PNG/ICO icons and no SVG or OpenGL.  ``gpmc-desktop --selftest`` proves that what is left is enough.
"""

from __future__ import annotations

from pathlib import PurePath

QT_MODULES_USED = frozenset({"QtCore", "QtGui", "QtWidgets", "QtNetwork"})

KEEP_PLUGINS: dict[str, frozenset[str]] = {
    # windows: the desktop; offscreen: CI and --selftest; xcb: a Linux desktop (development only); cocoa: macOS
    "platforms": frozenset({"qwindows", "qoffscreen", "qxcb", "qcocoa"}),
    # PNG is built into QtGui; ICO for the .ico icons
    "imageformats": frozenset({"qico"}),
    # the native Windows 10/11 look (Qt >= 6.7 ships it as a plugin; older Qt as qwindowsvistastyle); macOS
    "styles": frozenset({"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"}),
    # dead keys and compose sequences when typing on Linux/X11
    "platforminputcontexts": frozenset({"composeplatforminputcontextplugin"}),
}

# Windows extras of PyInstaller's PySide6 hook for OpenGL (ANGLE, the 20 MB software renderer): a widgets app
# paints with the raster engine and never loads them.  ICU (when Qt ships it) stays.
DROPPED_EXTRA_BINARIES = ("opengl32sw", "libegl", "libglesv2", "d3dcompiler")


def _plugin_stem(path: str) -> str:
    stem = PurePath(path.replace("\\", "/")).name.split(".")[0].lower()
    return stem[3:] if stem.startswith("lib") else stem  # libqxcb.so -> qxcb; qwindows.dll -> qwindows


def keep_binary(src: str, dest_dir: str) -> bool:
    parts = PurePath(dest_dir.replace("\\", "/")).parts
    if "plugins" not in parts:
        return True
    rest = parts[parts.index("plugins") + 1:]
    plugin_type = "/".join(rest)
    return _plugin_stem(src) in KEEP_PLUGINS.get(plugin_type, frozenset())


def keep_data(src: str, dest_dir: str) -> bool:
    parts = PurePath(dest_dir.replace("\\", "/")).parts
    return "translations" not in parts  # the UI is English; Qt's own strings need no .qm files


def slim(
    binaries: list[tuple[str, str]], datas: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    return ([b for b in binaries if keep_binary(*b)], [d for d in datas if keep_data(*d)])


def keep_extra_binary(src: str) -> bool:
    name = PurePath(src.replace("\\", "/")).name.lower()
    return not name.startswith(DROPPED_EXTRA_BINARIES)
