"""Running the engine by Mailchimp batches in tests: fast batch timings, the operations each batch carried, the
audit a run wrote."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.demo.mailchimp_sim import BatchFault, MailchimpSimulator
from gpmc_desktop.store import batches as stored
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.engine import ProgressFn
from gpmc_desktop.sync.report import RunReport
from tests.sync.engine_support import FAST_RETRY, Demo

# Every run by batches (more than one write), small batches so a demo takes several, polled often.
BATCHED = BatchSettings(threshold=1, size=120, poll_first=0.02, poll_max=0.1, deadline=60.0)
PER_RECORD = BatchSettings(threshold=0)


def fast_batches(sim: MailchimpSimulator) -> None:
    sim.config.batch_step_seconds = 0.01


def run_engine(
    demo: Demo, settings: BatchSettings = BATCHED, *, progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """One in-process run with *settings*, a fast retry policy and fast batch status steps in the simulator."""
    fast_batches(demo.sim)
    return demo.run(retry=FAST_RETRY, batches=settings, progress=progress, cancel=cancel)


def submitted(sim: MailchimpSimulator) -> Counter[str]:
    """How many times each operation id was submitted in a batch."""
    return Counter(str(op.get("operation_id")) for batch in sim.batches.all() for op in batch.operations)


def audit_actions(demo: Demo, run_id: int | None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The run's audit rows by record: (action, reason) in the order written."""
    rows: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def read(_pid: int) -> None:
        for row in store.iter_audit(store.AuditFilter(run_id=run_id)):
            rows.setdefault((str(row.entity), row.gp_key), []).append((str(row.action), row.reason or ""))

    demo.with_store(read)
    return rows


def in_flight(demo: Demo) -> tuple[int, int]:
    """(batches, records) a run left stored."""
    return demo.with_store(lambda pid: (len(stored.stored_batches(pid)), len(stored.work_items(pid))))


@dataclass(frozen=True)
class FailsOnce(BatchFault):
    """A fault that hits each matching operation the first time it runs only (a 429 that clears)."""

    seen: set[str] = field(default_factory=set, compare=False, hash=False)

    def hits(self, index: int, operation: dict[str, Any]) -> bool:
        op_id = str(operation.get("operation_id"))
        if op_id in self.seen or not super().hits(index, operation):
            return False
        self.seen.add(op_id)
        return True


class KillAfterSubmit(Exception):
    """Stands for the process dying: raised out of the engine once a batch is submitted."""


def kill_after(sim: MailchimpSimulator, batches: int) -> Callable[[str, int, int], None]:
    """A progress callback that "kills" the run once *batches* batches were submitted (and stored)."""

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "batches" and len(sim.batches.all()) >= batches:
            raise KillAfterSubmit

    return progress
