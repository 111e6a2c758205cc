# Replaces PyInstaller's hook for the PySide6 package: the same hidden imports, and of its Windows extras only
# ICU (when present), not the OpenGL ones (see installer/qtslim.py).
from PyInstaller.utils.hooks import check_requirement
from PyInstaller.utils.hooks.qt import ensure_single_qt_bindings_package, pyside6_library_info
from qtslim import keep_extra_binary

ensure_single_qt_bindings_package("PySide6")

hiddenimports: list[str] = []
binaries: list[tuple[str, str]] = []
if pyside6_library_info.version is not None:
    hiddenimports = ["shiboken6", "inspect"]
    if check_requirement("PySide6 >= 6.4.0"):
        hiddenimports += ["PySide6.support.deprecated"]  # the | and & operators on Qt enums
    binaries = [b for b in pyside6_library_info.collect_extra_binaries() if keep_extra_binary(b[0])]
