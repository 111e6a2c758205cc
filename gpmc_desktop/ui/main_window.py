"""The main window: per profile its status, next run, progress with honest counts, the last runs, the audit
log and the failure ledger. It only shows the `StatusBoard` and asks the controller (through signals) to act.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop import __version__
from gpmc_desktop.ui.about import about_box, documentation_file
from gpmc_desktop.ui.audit_view import AuditView
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.icons import app_icon, state_pixmap
from gpmc_desktop.ui.ledger_view import LedgerView
from gpmc_desktop.ui.runs_model import RunsTableModel
from gpmc_desktop.ui.status import CREDENTIAL_LABELS, STATE_WORDS, ProfileStatus, State, StatusBoard
from gpmc_desktop.ui.summary_view import SummaryView
from gpmc_desktop.ui.window_memory import (
    TRAY_NOTICE_KEY,
    data_folder,
    once,
    restore_geometry,
    save_geometry,
    window_settings,
)

NOTICE_MS = 8000


class MainWindow(QMainWindow):
    sync_requested = Signal(str)
    full_sync_requested = Signal(str)  # a sync that re-reads and compares everything (run_profile(full=True))
    retry_requested = Signal(str)  # a sync retrying the failed records a person replayed (recorded as Retry)
    stop_requested = Signal(str)  # cancel the running sync of that profile
    pause_requested = Signal(str, bool)  # profile, pause (True) or resume (False)
    credential_requested = Signal(str, str)  # profile, kind
    profile_shown = Signal(str)  # the profile the window now shows (chosen, or the first one)
    settings_requested = Signal()
    setup_requested = Signal()
    log_folder_requested = Signal()
    diagnostics_requested = Signal()  # save the diagnostics bundle for IT (the controller asks where)
    gp_sample_requested = Signal()  # save a redacted GP sample for support (the controller asks where)
    quit_requested = Signal()
    closed_to_tray = Signal()  # the window was closed into the tray for the first time: say it still runs

    def __init__(self, board: StatusBoard, *, stands_in_for_tray: bool = False) -> None:
        super().__init__()
        self.board = board
        self.stands_in_for_tray = stands_in_for_tray  # no tray: closing the window quits the app
        self.setWindowTitle(f"gpmc-desktop {__version__}")
        self.setWindowIcon(app_icon())

        # -- header: profile, state, next run, actions -----------------------------------------------------
        self.profile_box = QComboBox(self)
        self.state_icon = QLabel(self)
        self.state_label = QLabel(self)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_run_label = QLabel(self)
        self.full_compare_label = QLabel(self)  # SOAP profiles: when the full comparison last ran
        self.full_compare_label.setWordWrap(True)
        self.full_compare_label.hide()
        self.automations_label = QLabel(self)  # which [mailchimp] automations is in force
        self.automations_label.setWordWrap(True)
        self.automations_label.hide()
        self.sync_button = QPushButton("Sync now", self)
        self.pause_button = QPushButton("Pause", self)
        self.credential_button = QPushButton(self)
        self.credential_button.hide()
        self.setup_button = QPushButton("Set up a profile…", self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel(self)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setFrameShape(QFrame.Shape.StyledPanel)
        self.notice.setStyleSheet(colours(self).notice_style())  # readable on a light and a dark palette
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)

        # -- pages ---------------------------------------------------------------------------------------
        self.runs_model = RunsTableModel(self)
        self.runs_table = QTableView(self)
        self.runs_table.setModel(self.runs_model)
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.verticalHeader().hide()
        self.runs_table.horizontalHeader().setStretchLastSection(True)
        self.runs_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs_table.doubleClicked.connect(self._show_run_in_audit)
        self.audit_view = AuditView(self)
        self.ledger_view = LedgerView(self)
        self.summary_view = SummaryView(board, self)  # the first page: last night at a glance
        self.summary_view.failures_requested.connect(lambda: self.tabs.setCurrentWidget(self.ledger_view))
        self.tabs = QTabWidget(self)
        # Scrolls rather than setting the window's minimum height: the window must fit small and scaled screens.
        summary_page = QScrollArea(self)
        summary_page.setWidget(self.summary_view)
        summary_page.setWidgetResizable(True)
        summary_page.setFrameShape(QFrame.Shape.NoFrame)
        self.tabs.addTab(summary_page, "Summary")
        self.tabs.addTab(self.runs_table, "Runs")
        self.tabs.addTab(self.audit_view, "Audit log")
        self.tabs.addTab(self.ledger_view, "Failures")

        header = QHBoxLayout()
        header.addWidget(self.state_icon)
        texts = QVBoxLayout()
        texts.addWidget(self.state_label)
        texts.addWidget(self.result_label)
        texts.addWidget(self.next_run_label)
        texts.addWidget(self.full_compare_label)
        texts.addWidget(self.automations_label)
        header.addLayout(texts, 1)
        for w in (self.profile_box, self.sync_button, self.pause_button, self.credential_button, self.setup_button):
            header.addWidget(w, 0, Qt.AlignmentFlag.AlignTop)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.progress_label)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addLayout(header)
        layout.addLayout(progress_row)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(body)
        self._build_menu()
        self.resize(1100, 700)
        self.settings = window_settings()  # None without an open state database (nothing to remember it in)
        if self.settings is not None:
            restore_geometry(self, self.settings)
        self.about_dialog: QWidget | None = None

        self.profile_box.currentIndexChanged.connect(self._on_profile_chosen)
        self.sync_button.clicked.connect(self._on_sync_clicked)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.credential_button.clicked.connect(self._on_credential_clicked)
        self.setup_button.clicked.connect(self.setup_requested)
        self.ledger_view.sync_requested.connect(self.retry_requested)
        board.changed.connect(self.refresh_status)
        board.profiles_changed.connect(self._fill_profiles)
        self._fill_profiles()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.triggered.connect(self.settings_requested)
        self.log_action = QAction("Open &log folder", self)
        self.log_action.triggered.connect(self.log_folder_requested)
        self.diagnostics_action = QAction("Save &diagnostics for IT…", self)
        self.diagnostics_action.setToolTip("A zip of versions, profiles, recent runs, audit, failures and logs, "
                                           "without passwords or keys")
        self.diagnostics_action.triggered.connect(self.diagnostics_requested)
        self.gp_sample_action = QAction("Save a &GP sample for support…", self)
        self.gp_sample_action.setToolTip("A zip of what the GP server answers for a few customers and documents, "
                                         "with names, e-mails, phones and addresses replaced")
        self.gp_sample_action.triggered.connect(self.gp_sample_requested)
        self.quit_action = QAction("&Quit", self)
        # Ctrl+Q everywhere (Windows has no standard Quit key, so StandardKey.Quit would be none there).
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.quit_requested)
        self.export_action = QAction("&Export CSV…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setToolTip("Save the audit log or the failures list shown as a CSV file for Excel")
        self.export_action.triggered.connect(self.export_csv)
        for action in (self.settings_action, self.log_action, self.export_action, self.diagnostics_action,
                       self.gp_sample_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        self.find_action = QAction("&Find…", self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.triggered.connect(self.focus_search)
        edit_menu.addAction(self.find_action)
        sync_menu = self.menuBar().addMenu("&Sync")
        self.sync_action = QAction("Sync &now", self)
        self.sync_action.setShortcut(QKeySequence("F5"))
        self.sync_action.triggered.connect(self._on_sync_action)
        self.full_sync_action = QAction("&Full comparison now", self)
        self.full_sync_action.setToolTip("Re-read every GP record and compare it with Mailchimp (catches edits "
                                         "that an incremental sync cannot see, such as e-mail-only changes)")
        self.full_sync_action.triggered.connect(self._on_full_sync_action)
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self.full_sync_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.docs_action = QAction("&Documentation", self)
        self.docs_action.setShortcut(QKeySequence("F1"))
        self.docs_action.triggered.connect(self.open_documentation)
        self.about_action = QAction("&About gpmc-desktop", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.docs_action)
        help_menu.addAction(self.diagnostics_action)  # the same action as in File: IT looks for it under Help
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    # -- profile selection ---------------------------------------------------------------------------------
    @property
    def current_profile(self) -> str | None:
        return self.profile_box.currentData()

    def current_status(self) -> ProfileStatus | None:
        name = self.current_profile
        return None if name is None else self.board.get(name)

    def select_profile(self, name: str) -> None:
        index = self.profile_box.findData(name)
        if index >= 0:
            self.profile_box.setCurrentIndex(index)

    @Slot()
    def _fill_profiles(self) -> None:
        current = self.current_profile
        self.profile_box.blockSignals(True)
        self.profile_box.clear()
        for name in self.board.names():
            self.profile_box.addItem(name, name)
        index = self.profile_box.findData(current)
        self.profile_box.setCurrentIndex(index if index >= 0 else (0 if self.board.names() else -1))
        self.profile_box.blockSignals(False)
        self.profile_box.setVisible(self.profile_box.count() > 1)
        self._on_profile_chosen()

    @Slot()
    def _on_profile_chosen(self) -> None:
        status = self.current_status()
        profile_id = status.profile_id if status else None
        self.runs_model.set_profile(profile_id)
        self.audit_view.set_profile(profile_id)
        self.ledger_view.set_profile(status.name if status else None, profile_id)
        self.summary_view.set_profile(status.name if status else None, profile_id)
        self.refresh_status()
        if status is not None:
            self.profile_shown.emit(status.name)

    # -- status --------------------------------------------------------------------------------------------
    @Slot()
    def refresh_status(self) -> None:
        status = self.current_status()
        has_profile = status is not None
        self.setup_button.setVisible(not has_profile)
        for w in (self.sync_button, self.pause_button):
            w.setEnabled(has_profile)
        for action in (self.sync_action, self.full_sync_action):
            action.setEnabled(has_profile and not status.syncing)
        full_text = status.full_compare_text() if status is not None else ""
        self.full_compare_label.setText(full_text)
        self.full_compare_label.setVisible(bool(full_text))
        automations_text = status.automations_text if status is not None else ""
        self.automations_label.setText(automations_text)
        self.automations_label.setVisible(bool(automations_text))
        if status is None:
            self.state_icon.setPixmap(state_pixmap(State.NOT_SET_UP))
            self.state_label.setText(f"<b>{STATE_WORDS[State.NOT_SET_UP]}</b>")
            self.result_label.setText("Set up a profile to connect Dynamics GP to Mailchimp.")
            self.next_run_label.setText("")
            self.progress.hide()
            self.progress_label.setText("")
            self.credential_button.hide()
            return
        state = status.state
        self.state_icon.setPixmap(state_pixmap(state))
        self.state_label.setText(f"<b>{status.name}</b> — {STATE_WORDS[state]}")
        self.result_label.setText(status.last_result_text)
        schedule = f"{status.schedule_text} · " if status.schedule_text else ""
        self.next_run_label.setText(schedule + status.next_run_text)
        self.pause_button.setText("Resume" if status.paused else "Pause")
        self.sync_button.setText("Stop sync" if status.syncing else "Sync now")
        kind = status.last.credential_kind if status.last else None
        self.credential_button.setVisible(bool(kind) and not status.syncing)
        if kind:
            self.credential_button.setText(f"Enter {CREDENTIAL_LABELS[kind]}…")
        self._show_progress(status)

    def _show_progress(self, status: ProfileStatus) -> None:
        self.progress.setVisible(status.syncing)
        self.progress_label.setText(status.progress_text)
        if not status.syncing:
            return
        if status.total and status.phase != "gp":
            self.progress.setRange(0, status.total)
            self.progress.setValue(status.done)
            self.progress.setFormat("%v of %m")  # the words of progress_text
        else:
            self.progress.setRange(0, 0)  # busy: GP is being read, no count to show yet

    def refresh_data(self, profile: str | None = None) -> None:
        """Re-read runs, audit and ledger after a run of `profile` (all pages if None) finished."""
        if profile is not None and profile != self.current_profile:
            return
        self.runs_model.reload()
        self.summary_view.refresh()
        self.audit_view.refresh()
        self.ledger_view.reload()

    def show_notice(self, text: str, ms: int = NOTICE_MS) -> None:
        """A message in the window (the tray's balloon when there is no tray, or a refused action)."""
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start(ms)

    # -- actions -------------------------------------------------------------------------------------------
    def _on_sync_clicked(self) -> None:
        status = self.current_status()
        if status is None:
            return
        if status.syncing:
            self.stop_requested.emit(status.name)  # the engine stops between records; the run says "cancelled"
        else:
            self.sync_requested.emit(status.name)

    @Slot()
    def _on_sync_action(self) -> None:
        if self.current_profile:
            self.sync_requested.emit(self.current_profile)

    @Slot()
    def _on_full_sync_action(self) -> None:
        if self.current_profile:
            self.full_sync_requested.emit(self.current_profile)

    def _on_pause_clicked(self) -> None:
        status = self.current_status()
        if status:
            self.pause_requested.emit(status.name, not status.paused)

    def _on_credential_clicked(self) -> None:
        status = self.current_status()
        if status and status.last and status.last.credential_kind:
            self.credential_requested.emit(status.name, status.last.credential_kind)

    def _show_run_in_audit(self, index: QModelIndex) -> None:
        """Double-click on a run: its audit events."""
        if index.isValid():
            self.audit_view.set_run(self.runs_model.row_at(index.row()).id)
            self.tabs.setCurrentWidget(self.audit_view)

    def show_failures(self) -> None:
        """The failures page in view (the tray's "Failures (3)…")."""
        self.tabs.setCurrentWidget(self.ledger_view)
        self.bring_forward()

    def bring_forward(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    # -- shortcuts: Ctrl+F and Ctrl+E act on the page shown -------------------------------------------------
    @Slot()
    def focus_search(self) -> None:
        """Ctrl+F: the search field of the page shown (the audit log's from a page without one)."""
        page = self.tabs.currentWidget()
        if hasattr(page, "focus_search"):
            page.focus_search()
            return
        self.tabs.setCurrentWidget(self.audit_view)
        self.audit_view.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.audit_view.search.selectAll()

    @Slot()
    def export_csv(self) -> None:
        """Ctrl+E: export the page shown (the audit log or the failures) as CSV."""
        page = self.tabs.currentWidget()
        if hasattr(page, "export_csv"):
            page.export_csv()
        elif page is self.audit_view:
            self.audit_view.ask_export()
        else:
            self.show_notice("Export CSV saves the audit log or the failures list: open one of those tabs first.")

    # -- Help ----------------------------------------------------------------------------------------------
    @Slot()
    def open_documentation(self) -> bool:
        folder = data_folder()
        path = documentation_file(folder / "docs" if folder else None)
        if path is None:
            self.show_notice("The documentation is not installed with this copy of gpmc-desktop: ask IT for the "
                             "README of the version you run.")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    @Slot()
    def show_about(self) -> QWidget:
        if self.about_dialog is None:
            self.about_dialog = about_box(self)
        self.about_dialog.show()
        self.about_dialog.raise_()
        return self.about_dialog

    # -- window manners ------------------------------------------------------------------------------------
    def hideEvent(self, event: QHideEvent) -> None:
        # Closing into the tray and quitting both hide the window: its size and place are remembered here.
        if self.settings is not None and not event.spontaneous():
            save_geometry(self, self.settings)
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        if self.stands_in_for_tray:
            # Without a tray the window is the app: closing it means quitting (cleanly, via the controller).
            self.quit_requested.emit()
            return
        self.hide()  # the tray keeps the app (and its schedule) running
        if once(self.settings, TRAY_NOTICE_KEY):
            self.closed_to_tray.emit()
