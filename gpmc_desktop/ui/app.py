"""The tray application's entry point (``gpmc-desktop``).

Until the desktop issue lands this opens a plain window that says what the product will do and how to try the
headless demo; the Qt-free core does all real work and the GUI only ever drives it.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from gpmc_desktop import __version__

PLACEHOLDER_TEXT = (
    "<h2>gpmc-desktop</h2>"
    "<p>Moves Microsoft Dynamics GP customers and receivables invoices into Mailchimp.</p>"
    "<p>The setup wizard and the tray icon are not built yet. Try the built-in demo from a terminal:"
    "<br><code>gpmc demo</code></p>"
)


class PlaceholderWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(f"gpmc-desktop {__version__}")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.message = QLabel(PLACEHOLDER_TEXT, body)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.setCentralWidget(body)
        self.resize(520, 220)


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    window = PlaceholderWindow()
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
