"""The tray icon: the board's state as an icon and a tooltip, a menu (Sync now, Pause/Resume, Open,
Settings, Save diagnostics, Save a GP sample, Quit) and the toasts. Where the desktop has no tray, the controller
keeps the window instead."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from gpmc_desktop.ui.icons import state_icon
from gpmc_desktop.ui.status import Health, State, StatusBoard, Toast

TOAST_MS = 10_000
_TOAST_ICONS = {
    Health.OK: QSystemTrayIcon.MessageIcon.Information,
    Health.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Health.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class Tray(QObject):
    sync_requested = Signal()  # all profiles
    pause_requested = Signal(bool)  # all profiles: pause (True) or resume (False)
    open_requested = Signal()
    settings_requested = Signal()
    diagnostics_requested = Signal()
    gp_sample_requested = Signal()
    quit_requested = Signal()
    toast_clicked = Signal(object)  # the Toast that was clicked

    def __init__(self, board: StatusBoard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.sync_action = self.menu.addAction("Sync now")
        self.pause_action = self.menu.addAction("Pause syncing")
        self.menu.addSeparator()
        self.open_action = self.menu.addAction("Open")
        self.settings_action = self.menu.addAction("Settings…")
        self.diagnostics_action = self.menu.addAction("Save diagnostics for IT…")
        self.gp_sample_action = self.menu.addAction("Save a GP sample for support…")
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("Quit")
        self.sync_action.triggered.connect(self.sync_requested)
        self.pause_action.triggered.connect(self._on_pause)
        self.open_action.triggered.connect(self.open_requested)
        self.settings_action.triggered.connect(self.settings_requested)
        self.diagnostics_action.triggered.connect(self.diagnostics_requested)
        self.gp_sample_action.triggered.connect(self.gp_sample_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(self._on_message_clicked)
        self.last_toast: Toast | None = None
        self._shown_state: State | None = None
        board.changed.connect(self.refresh)
        self.refresh()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def all_paused(self) -> bool:
        statuses = self.board.statuses()
        return bool(statuses) and all(s.paused for s in statuses)

    @Slot()
    def refresh(self) -> None:
        state = self.board.state
        if state is not self._shown_state:  # progress changes the tooltip 20 times a second, rarely the icon
            self.icon.setIcon(state_icon(state))
            self._shown_state = state
        self.icon.setToolTip(self.board.tooltip())
        has_profiles = bool(self.board.names())
        self.sync_action.setEnabled(has_profiles)
        self.pause_action.setEnabled(has_profiles)
        self.pause_action.setText("Resume syncing" if self.all_paused() else "Pause syncing")

    def show_toast(self, toast: Toast) -> None:
        self.last_toast = toast
        self.icon.showMessage(toast.title, toast.message, _TOAST_ICONS[toast.level], TOAST_MS)

    def _on_pause(self) -> None:
        self.pause_requested.emit(not self.all_paused())

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    def _on_message_clicked(self) -> None:
        if self.last_toast is not None:
            self.toast_clicked.emit(self.last_toast)
