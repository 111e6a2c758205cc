"""Big runs (the first load, a ``--full`` re-send, a big import in GP) through Mailchimp batch operations.

One ``POST /batches`` carries up to :data:`BATCH_SIZE` operations, so 100,000 customers and 500,000 invoices
take a few hundred requests instead of 750,000.  Mailchimp runs a batch's operations in any order, so the work
goes in dependent steps (``sync/batch_work.py``): every member first; then the tags their answers call for and
the e-commerce customers (after the members: a store customer made first would make a transactional contact,
and ``status_if_new`` would no longer apply); then, decided once those are applied, the orders.  A step's
batches are finished and applied before the next step's are submitted.

Few batches are pending at once (:data:`MAX_PENDING`: the account's limit of 500 is shared with every other
integration); their status is polled with a backoff, within an overall deadline.  A failed operation is
treated as the per-record path treats a failed call: a 4xx is a verdict on the record (ledgered, never sent
again blindly), a 429 or 5xx is sent again in a later batch a few times and then ledgered as transient.

Every submitted batch and every record in flight is stored (``store/batches.py``) in the same transaction as
the results applied, so a run killed while Mailchimp works is finished by the next run, before it plans,
without sending anything twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gpmc_desktop import store
from gpmc_desktop.mailchimp.batches import BatchClient, BatchStatus, Operation, OperationResult
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.store import batches as stored
from gpmc_desktop.sync.batch_work import Work
from gpmc_desktop.sync.progress_throttle import ProgressCallback

log = logging.getLogger(__name__)

# Operations per batch: Mailchimp documents no cap, and its guidance is batches of a few hundred to a thousand
# (smaller batches finish and report sooner; each is one request).
BATCH_SIZE = 500
MAX_PENDING = 3  # batches of ours unfinished at once (the account's 500 are shared)
RESUBMITS = 3  # times an operation answered 429/5xx is sent again before it is ledgered as transient
POLL_FIRST, POLL_MAX = 1.0, 30.0  # seconds between status polls, doubling while nothing finishes
DEADLINE = 8 * 3600.0  # seconds a run waits for Mailchimp's processing before it stops (resumed next run)

ProgressFn = ProgressCallback  # phase, done, total (sync/progress_throttle.py)
Apply = Callable[[list[Work]], None]


@dataclass(frozen=True)
class BatchSettings:
    """*threshold*: ``[sync] batch_threshold``, the writes above which a run goes by batches (0: never)."""

    threshold: int
    size: int = BATCH_SIZE
    max_pending: int = MAX_PENDING
    resubmits: int = RESUBMITS
    poll_first: float = POLL_FIRST
    poll_max: float = POLL_MAX
    deadline: float = DEADLINE

    def wanted(self, writes: int) -> bool:
        return self.threshold > 0 and writes > self.threshold


class BatchesUnfinished(Exception):
    """Mailchimp did not finish the batches within the deadline: the run stops, the batches stay stored."""


class BatchBackfill:
    def __init__(
        self, client: BatchClient, profile_id: int, settings: BatchSettings, *, flush: Callable[[], None],
        progress: ProgressFn | None = None, cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.profile_id = profile_id
        self.settings = settings
        self._flush = flush  # the engine's buffered audit and synced writes, committed with the batch's rows
        self.progress = progress or (lambda phase, done, total: None)
        self.cancel = cancel or threading.Event()
        self.clock = clock
        self.items: dict[str, Work] = {}
        self.jobs: dict[str, dict[str, str]] = {}  # batch id → operation id → work key
        self._running: dict[str, int] = {}  # batch id → operations Mailchimp reports finished
        self.handed_back: list[Work] = []  # left to the per-record path
        self.batches_submitted = 0
        self.operations_submitted = 0
        self.operations_done = 0
        self.operations_failed = 0

    # ---------------------------------------------------------------------------------------------- public
    def has_stored(self) -> bool:
        return stored.has_batches(self.profile_id)

    def resume(self, apply: Apply) -> None:
        """Finish what a killed run left: poll its batches, apply their results, send its records' next steps."""
        self.items = {k: Work.from_state(v) for k, v in stored.work_items(self.profile_id).items()}
        self.jobs = {b.batch_id: b.operations for b in stored.stored_batches(self.profile_id)}
        for batch_id, operations in list(self.jobs.items()):
            if not any(key in self.items for key in operations.values()):  # nothing left to learn from it
                stored.remove_batch(self.profile_id, batch_id)
                del self.jobs[batch_id]
        log.info("resuming %d batches and %d records in flight", len(self.jobs), len(self.items))
        self.run([], apply)

    def run(self, items: Iterable[Work], apply: Apply) -> None:
        """Send *items* by batches until each is done (applied through *apply*) or handed back.  Returns early
        when the run is cancelled (everything in flight stays stored); raises :class:`BatchesUnfinished` past
        the deadline."""
        for work in items:
            self.items[work.key] = work
        deadline = self.clock() + self.settings.deadline
        pause = self.settings.poll_first
        while self.items and not self.cancel.is_set():
            self._submit_ready()
            if self._poll(apply):
                pause = self.settings.poll_first
                continue
            self._report()
            if self.clock() >= deadline:
                raise BatchesUnfinished(
                    f"Mailchimp has not finished the batches of this run after {self.settings.deadline / 60:.0f} "
                    "minutes. Nothing is lost: they stay recorded, and the next sync carries on from them.")
            self.cancel.wait(pause)
            pause = min(pause * 2, self.settings.poll_max)
        self._report()

    def counts(self) -> dict[str, int]:
        """What the run's ``--json`` line says of its batches."""
        return {"submitted": self.batches_submitted, "operations": self.operations_submitted,
                "finished": self.operations_done, "failed": self.operations_failed}

    # ---------------------------------------------------------------------------------------------- submit
    def _ready(self) -> list[tuple[Work, Operation]]:
        """This step's operations not in a batch yet (a later step waits until the earlier one is applied)."""
        if not self.items:
            return []
        step = min(w.step for w in self.items.values())
        in_flight = {op for ops in self.jobs.values() for op in ops}
        return [(w, p.op) for w in self.items.values() if w.step == step
                for p in w.todo.values() if p.op.operation_id not in in_flight]

    def _submit_ready(self) -> None:
        ready = self._ready()
        while ready and len(self.jobs) < self.settings.max_pending and not self.cancel.is_set():
            chunk, ready = ready[:self.settings.size], ready[self.settings.size:]
            try:
                status = self.client.submit([op for _w, op in chunk])
            except MailchimpError as err:
                if err.category is not Category.TRANSIENT:
                    raise
                # The account's pending batches are at their limit (or Mailchimp is busy): wait for ours.
                log.info("batch not accepted yet (%s): waiting", err)
                return
            operations = {op.operation_id: w.key for w, op in chunk}
            with store.write_transaction():
                works = {w.key: w for w, _op in chunk}  # a record's item once, however many of its operations
                stored.save_work(self.profile_id, ((k, w.to_state()) for k, w in works.items()))
                stored.add_batch(self.profile_id, status.id, operations)
            self.jobs[status.id] = operations
            self.batches_submitted += 1
            self.operations_submitted += len(chunk)
            self._report()

    # ---------------------------------------------------------------------------------------------- results
    def _poll(self, apply: Apply) -> bool:
        """Read each pending batch's status; apply those finished.  True when one was applied."""
        applied = False
        for batch_id in list(self.jobs):
            try:
                status = self.client.status(batch_id)
                if status.done:
                    self._apply_batch(status, list(self.client.results(status)), apply)
                    applied = True
                else:
                    self._running[batch_id] = status.finished
            except MailchimpError as err:
                if err.is_not_found:  # expired (7 days) or deleted: its operations are sent again
                    self._apply_batch(BatchStatus(batch_id, "lost", 0, 0, 0, ""), [], apply)
                    applied = True
                elif err.category is not Category.TRANSIENT:
                    raise
                else:
                    log.info("batch %s not readable yet (%s)", batch_id, err)
        return applied

    def _apply_batch(self, status: BatchStatus, results: list[OperationResult], apply: Apply) -> None:
        operations = self.jobs[status.id]
        touched: dict[str, Work] = {}
        answered: set[str] = set()
        for result in results:
            work = self.items.get(operations.get(result.operation_id, ""))
            if work is None:
                continue
            answered.add(result.operation_id)
            if work.answer(result, self.settings.resubmits):
                self.operations_done += 1
                self.operations_failed += int(not result.ok)
            touched[work.key] = work
        for operation, key in operations.items():
            if operation not in answered and (work := self.items.get(key)) is not None:
                work.lost(operation, self.settings.resubmits)
                touched[key] = work
        finished = [w for w in touched.values() if w.done or w.handed_back]
        ended = {w.key for w in finished}
        with store.write_transaction():
            apply([w for w in finished if not w.handed_back])
            self._flush()
            stored.save_work(self.profile_id, ((k, w.to_state()) for k, w in touched.items() if k not in ended))
            stored.drop_work(self.profile_id, [w.key for w in finished])
            stored.remove_batch(self.profile_id, status.id)
        for work in finished:
            del self.items[work.key]
            if work.handed_back:
                self.handed_back.append(work)
        del self.jobs[status.id]
        self._running.pop(status.id, None)
        log.info("batch %s applied: %d results, %d records done", status.id, len(results), len(finished))

    def _report(self) -> None:
        """"batches": operations Mailchimp finished of those submitted or ready to submit."""
        in_flight = sum(len(ops) for ops in self.jobs.values())
        waiting = sum(len(w.todo) for w in self.items.values()) - in_flight
        done = self.operations_done + sum(self._running.values())
        self.progress("batches", done, self.operations_done + in_flight + max(waiting, 0))
