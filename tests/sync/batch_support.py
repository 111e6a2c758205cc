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
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.store import batches as stored
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import make_source, save_profile_settings
from tests.sync.engine_support import FAST_RETRY, Demo

# Every run by batches (more than one write), small batches so a demo takes several, polled often.
BATCHED = BatchSettings(threshold=1, size=120, poll_first=0.02, poll_max=0.1, deadline=60.0)
PER_RECORD = BatchSettings(threshold=0)


def fast_batches(sim: MailchimpSimulator) -> None:
    sim.config.batch_step_seconds = 0.01


def run_engine(
    demo: Demo, settings: BatchSettings = BATCHED, *, progress: ProgressFn | None = None, full: bool = False,
    cancel: threading.Event | None = None,
) -> RunReport:
    """One in-process run with *settings* (as ``Demo.run`` wires it, with a fast retry policy)."""
    profile, secrets = demo.profile(), demo.env.secrets
    with store.open_store(demo.db_path):
        profile_id = save_profile_settings(profile)
        base = api_base_for(secrets.mailchimp_api_key, profile.mailchimp.api_base)
        transport = MailchimpTransport(base, secrets.mailchimp_api_key,
                                       max_connections=profile.mailchimp.max_connections, retry=FAST_RETRY)
        source = make_source(profile, secrets.gp_password)
        try:
            engine = SyncEngine(profile, source, MailchimpApi(transport), Bookkeeping(profile_id),
                                progress=progress, cancel=cancel, batches=settings)
            return engine.run(full=full)
        finally:
            transport.close()
            source.session.close()


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
