# Replaces PyInstaller's hook for PySide6.QtWidgets (user hooks take precedence): the same collection, slimmed by
# installer/qtslim.py before PyInstaller analyses the collected plugins' own libraries.
from PyInstaller.utils.hooks.qt import add_qt6_dependencies
from qtslim import slim  # installer/ is on sys.path: the spec puts it there

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries, datas = slim(binaries, datas)
