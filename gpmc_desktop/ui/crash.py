"""Uncaught exceptions: logged (masked, through the log file's secret filter) and shown in a dialog instead
of silently killing a tray app nobody is watching. Worker threads' exceptions reach the dialog through a
queued signal (widgets may only be touched on the GUI thread)."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox

from gpmc_desktop.logsetup import mask

log = logging.getLogger("gpmc_desktop.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class CrashReporter(QObject):
    crashed = Signal(str, str)  # summary, details (both masked)

    def __init__(self, log_folder_text: str = "", show_dialog: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_folder_text = log_folder_text
        self.show_dialog = show_dialog
        self._previous: tuple[Callable[..., object], Callable[..., object]] | None = None
        self.crashed.connect(self._show)

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous  # type: ignore[assignment]
            self._previous = None

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))  # SecretFilter masks it
        summary = mask(f"{exc_type.__name__}: {exc}")
        details = mask("".join(traceback.format_exception(exc_type, exc, tb)))
        self.crashed.emit(summary, details)  # queued when raised off the GUI thread

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if not self.show_dialog:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "gpmc-desktop: unexpected error",
                          f"Something went wrong inside gpmc-desktop:\n\n{summary}\n\n"
                          f"The details are in the log{self.log_folder_text}. The app keeps running.")
        box.setDetailedText(details)
        box.exec()
