"""The tray icon: the board's state as an icon and a tooltip, the toasts, and a menu laid out like Nextcloud's:
what is going on first (a status line, the last result, the next run, "Failures (3)…", the last few
notifications), then the actions (Sync now, Pause/Resume, Open, Settings, Save diagnostics, Save a GP sample,
Quit). Where the desktop has no tray, the controller keeps the window instead."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from gpmc_desktop import store
from gpmc_desktop.ui.icons import state_icon
from gpmc_desktop.ui.status import STATE_WORDS, Health, ProfileStatus, State, StatusBoard, Toast
from gpmc_desktop.ui.windows_limits import fit_toast, fit_tooltip, shorten

TOAST_MS = 10_000
RECENT_TOASTS = 3  # notifications repeated in the menu, newest first
MENU_TEXT_MAX = 80  # a menu line longer than this makes the menu as wide as the screen
_TOAST_ICONS = {
    Health.OK: QSystemTrayIcon.MessageIcon.Information,
    Health.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Health.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def menu_text(text: str) -> str:
    """One menu line: shortened, and "&" doubled (a single one would underline the next letter)."""
    return shorten(text, MENU_TEXT_MAX).replace("&", "&&")


def _when(moment: datetime, now: datetime | None = None) -> str:
    """07:00 today, "Thu 07:00" another day."""
    local, today = moment.astimezone(), (now or datetime.now()).astimezone().date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a %H:%M}"


def status_line(board: StatusBoard, now: datetime | None = None) -> str:
    """The menu's first line: "Up to date · last run 07:00", "Syncing · Contacts: 10 of 70"."""
    statuses = board.statuses()
    if not statuses:
        return "No sync profile yet"
    words = STATE_WORDS[board.state]
    syncing = [s for s in statuses if s.syncing]
    if syncing:
        return f"{words} · {syncing[0].progress_text}"
    finished = [s.last.finished_at for s in statuses if s.last is not None and s.last.finished_at is not None]
    if not finished:
        return words if board.state is State.NEVER_RUN else f"{words} · not synced yet"
    return f"{words} · last run {_when(max(finished), now)}"


def _latest(statuses: list[ProfileStatus]) -> ProfileStatus | None:
    """The profile whose run finished last (its result is the one the user waits for)."""
    done = [s for s in statuses if s.last is not None]
    return max(done, key=lambda s: s.last.finished_at.timestamp() if s.last and s.last.finished_at else 0.0,
               default=None)


class Tray(QObject):
    sync_requested = Signal()  # all profiles
    pause_requested = Signal(bool)  # all profiles: pause (True) or resume (False)
    open_requested = Signal()
    failures_requested = Signal()  # open the window on its failures page
    settings_requested = Signal()
    diagnostics_requested = Signal()
    gp_sample_requested = Signal()
    quit_requested = Signal()
    toast_clicked = Signal(object)  # the Toast that was clicked (the balloon or its line in the menu)

    def __init__(self, board: StatusBoard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        # -- what is going on: information lines that open the window (a disabled item would be greyed out to
        # about 2.6:1 contrast, too faint to read the one thing the menu is opened for)
        self.status_action = self._info_line()
        self.result_action = self._info_line()
        self.next_run_action = self._info_line()
        self.failures_action = self.menu.addAction("Failures…")
        self.failures_action.triggered.connect(self.failures_requested)
        self.menu.addSeparator()
        self.recent_actions: list[QAction] = []
        for _ in range(RECENT_TOASTS):
            action = self.menu.addAction("")
            action.setVisible(False)
            action.triggered.connect(lambda _checked=False, a=action: self._on_recent_clicked(a))
            self.recent_actions.append(action)
        self._recent_separator = self.menu.addSeparator()
        # -- actions
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
        self.menu.aboutToShow.connect(self.refresh_failures)  # a store query: when the menu opens, not per tick
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(self._on_message_clicked)
        self.last_toast: Toast | None = None
        self.recent: deque[Toast] = deque(maxlen=RECENT_TOASTS)
        self.messages: list[tuple[str, str]] = []  # every balloon shown (title, text), as Windows got them
        self._shown_state: State | None = None
        board.changed.connect(self.refresh)
        self.refresh()
        self.refresh_failures()
        self._show_recent()

    def _info_line(self) -> QAction:
        action = self.menu.addAction("")
        action.triggered.connect(self.open_requested)
        return action

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
        self.icon.setToolTip(fit_tooltip(self.board.tooltip()))
        has_profiles = bool(self.board.names())
        self.sync_action.setEnabled(has_profiles)
        self.pause_action.setEnabled(has_profiles)
        self.pause_action.setText("Resume syncing" if self.all_paused() else "Pause syncing")
        self._show_summary()

    def _show_summary(self) -> None:
        statuses = self.board.statuses()
        self.status_action.setText(menu_text(status_line(self.board)))
        latest = _latest(statuses)
        if latest is not None and latest.last is not None:
            prefix = f"{latest.name}: " if len(statuses) > 1 else ""
            self.result_action.setText(menu_text(prefix + latest.last.text))
        self.result_action.setVisible(latest is not None)
        runs = [s for s in statuses if s.next_run is not None and not s.paused]
        soonest = min(runs, key=lambda s: s.next_run.timestamp() if s.next_run else 0.0, default=None)
        if soonest is not None:
            self.next_run_action.setText(menu_text(soonest.next_run_text))
        elif statuses:
            self.next_run_action.setText(menu_text(statuses[0].next_run_text))
        self.next_run_action.setVisible(bool(statuses))

    @Slot()
    def refresh_failures(self) -> int:
        """"Failures (3)…" from the failure ledger of every profile; hidden when there are none."""
        count = sum(len(store.list_failures(s.profile_id)) for s in self.board.statuses())
        self.failures_action.setText(f"Failures ({count})…")
        self.failures_action.setVisible(count > 0)
        return count

    def show_toast(self, toast: Toast) -> None:
        self.last_toast = toast
        self.recent.appendleft(toast)
        self._show_recent()
        self.show_message(toast.title, toast.message, _TOAST_ICONS[toast.level])

    def show_message(self, title: str, text: str,
                     icon: QSystemTrayIcon.MessageIcon = QSystemTrayIcon.MessageIcon.Information) -> None:
        """A balloon within Windows' limits (title 63, text 255 characters)."""
        title, text = fit_toast(title, text)
        self.messages.append((title, text))
        self.icon.showMessage(title, text, icon, TOAST_MS)

    def _show_recent(self) -> None:
        toasts = list(self.recent)
        for i, action in enumerate(self.recent_actions):
            toast = toasts[i] if i < len(toasts) else None
            action.setVisible(toast is not None)
            if toast is not None:
                first_line = toast.message.splitlines()[0] if toast.message else ""
                action.setText(menu_text(f"{toast.title}: {first_line}"))
                action.setToolTip(toast.message)
        self._recent_separator.setVisible(bool(toasts))

    def _on_recent_clicked(self, action: QAction) -> None:
        index = self.recent_actions.index(action)
        if index < len(self.recent):
            self.toast_clicked.emit(self.recent[index])

    def _on_pause(self) -> None:
        self.pause_requested.emit(not self.all_paused())

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    def _on_message_clicked(self) -> None:
        if self.last_toast is not None:
            self.toast_clicked.emit(self.last_toast)
