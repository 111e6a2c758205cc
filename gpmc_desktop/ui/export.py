"""CSV export of the audit log in a pool thread: a million rows take seconds, and the window must not freeze."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from gpmc_desktop import store
from gpmc_desktop.store import AuditFilter
from gpmc_desktop.ui.threads import release_store_connection

log = logging.getLogger(__name__)


class ExportSignals(QObject):
    finished = Signal(int, str)  # rows written, file
    failed = Signal(str)


class AuditCsvExport(QRunnable):
    def __init__(self, path: Path, filters: AuditFilter) -> None:
        super().__init__()
        self.path = path
        self.filters = filters
        self.signals = ExportSignals()  # created on the GUI thread, so its receivers get queued calls

    def run(self) -> None:
        try:
            # utf-8-sig: Excel recognises UTF-8 by the BOM; newline="": the csv module writes its own line ends.
            with self.path.open("w", encoding="utf-8-sig", newline="") as out:
                n = store.export_audit_csv(out, self.filters)
        except Exception as err:
            log.exception("audit export to %s failed", self.path)
            self.signals.failed.emit(f"{type(err).__name__}: {err}")
        else:
            self.signals.finished.emit(n, str(self.path))
        finally:
            release_store_connection()


def start_export(path: Path, filters: AuditFilter, pool: QThreadPool | None = None) -> AuditCsvExport:
    task = AuditCsvExport(path, filters)
    task.setAutoDelete(False)  # the caller keeps it (and its signals) alive until `finished`/`failed`
    (pool or QThreadPool.globalInstance()).start(task)
    return task
