"""Settings: the profiles (set up, edit, re-enter a credential, remove), where secrets are kept, and
"Start with Windows"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.ui.autostart import Autostart, launch_command
from gpmc_desktop.ui.wizard.wizard import PageId


class SettingsDialog(QDialog):
    setup_requested = Signal()  # a new profile: the setup wizard
    edit_requested = Signal(str)  # profile: the wizard on an existing profile
    edit_page_requested = Signal(str, int)  # profile, wizard PageId: the wizard opened on that page
    advanced_requested = Signal(str)  # profile: its Advanced settings
    credential_requested = Signal(str, str)  # profile, kind
    remove_requested = Signal(str)
    log_folder_requested = Signal()

    def __init__(self, profiles: list[str], where_text: str, autostart: Autostart | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("gpmc-desktop settings")
        self.autostart = autostart

        self.profile_list = QListWidget(self)
        self.profile_list.addItems(profiles)
        if profiles:
            self.profile_list.setCurrentRow(0)
        self.new_button = QPushButton("New profile…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setToolTip("Every page of the setup wizard, from the GP connection on.")
        # Straight to one page: the saved pages count as checked, so a new schedule needs no connection check.
        self.schedule_button = QPushButton("Schedule…", self)
        self.filters_button = QPushButton("Customers to sync…", self)
        self.fields_button = QPushButton("GP fields in Mailchimp…", self)
        self.advanced_button = QPushButton("Advanced settings…", self)
        self.gp_button = QPushButton("GP password…", self)
        self.mc_button = QPushButton("Mailchimp API key…", self)
        self.remove_button = QPushButton("Remove…", self)
        buttons = QVBoxLayout()
        for b in (self.new_button, self.edit_button, self.schedule_button, self.filters_button,
                  self.fields_button, self.advanced_button, self.gp_button, self.mc_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.profile_list, 1)
        row.addLayout(buttons)
        where = QLabel(where_text, self)
        where.setWordWrap(True)
        profiles_box = QGroupBox("Sync profiles", self)
        box_layout = QVBoxLayout(profiles_box)
        box_layout.addLayout(row)
        box_layout.addWidget(where)

        self.autostart_check = QCheckBox("Start with Windows (when I log in)", self)
        self.autostart_check.setEnabled(autostart is not None)
        self.autostart_check.setChecked(bool(autostart and autostart.is_enabled()))
        self.autostart_check.toggled.connect(self.set_autostart)
        self.log_button = QPushButton("Open log folder", self)
        self.log_button.clicked.connect(self.log_folder_requested)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(profiles_box)
        layout.addWidget(self.autostart_check)
        layout.addWidget(self.log_button)
        layout.addWidget(close)

        self.new_button.clicked.connect(self.setup_requested)
        self.edit_button.clicked.connect(lambda: self._emit_for_current(self.edit_requested))
        self.schedule_button.clicked.connect(lambda: self._edit_page(PageId.SCHEDULE))
        self.filters_button.clicked.connect(lambda: self._edit_page(PageId.FILTERS))
        self.fields_button.clicked.connect(lambda: self._edit_page(PageId.FIELDS))
        self.advanced_button.clicked.connect(lambda: self._emit_for_current(self.advanced_requested))
        self.gp_button.clicked.connect(lambda: self._credential(GP_PASSWORD))
        self.mc_button.clicked.connect(lambda: self._credential(MAILCHIMP_API_KEY))
        self.remove_button.clicked.connect(self._confirm_remove)
        self.profile_list.currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def current_profile(self) -> str | None:
        item = self.profile_list.currentItem()
        return item.text() if item else None

    def _update_buttons(self) -> None:
        chosen = self.current_profile() is not None
        for b in (self.edit_button, self.schedule_button, self.filters_button, self.fields_button,
                  self.advanced_button,
                  self.gp_button, self.mc_button, self.remove_button):
            b.setEnabled(chosen)

    def _emit_for_current(self, signal: Signal) -> None:
        name = self.current_profile()
        if name:
            signal.emit(name)  # type: ignore[attr-defined]

    def _edit_page(self, page: PageId) -> None:
        name = self.current_profile()
        if name:
            self.edit_page_requested.emit(name, int(page))

    def _credential(self, kind: str) -> None:
        name = self.current_profile()
        if name:
            self.credential_requested.emit(name, kind)

    def _confirm_remove(self) -> None:
        name = self.current_profile()
        if not name:
            return
        answer = QMessageBox.question(
            self, "Remove profile",
            f"Remove profile {name!r}, its history and its saved credentials? Mailchimp keeps what was synced.")
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_requested.emit(name)
            self.profile_list.takeItem(self.profile_list.currentRow())

    def set_autostart(self, enabled: bool) -> None:
        if self.autostart is None:
            return
        if enabled:
            self.autostart.enable(launch_command())
        else:
            self.autostart.disable()
