"""``/batches``: accepted at once, run later by a worker in shuffled order, results served as a .tar.gz.

Operations go through the same pipeline as live calls (contract check, handlers, errors) but not through the
connection limit: Mailchimp does not count a submitted batch against the 10 connections (SKILL run-bulk-jobs).
The shuffle is seeded, so a failure it exposes (an order before its product) replays exactly.
With ``batch_operations_per_second`` set, operations run at that pace on the simulator's clock, so
``finished_operations`` grows with time as Mailchimp's does, and a test moves it on with ``clock.advance``.
"""

from __future__ import annotations

import io
import json
import queue
import secrets
import tarfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .batch_faults import injected_fault
from .errors import DETAIL_PENDING_WEBHOOKS, ApiError, invalid_resource, not_found
from .routing import ApiRequest, Reply, Router, SimContext, collection, self_link

STATUSES = ("pending", "preprocessing", "started", "finalizing", "finished")
RESULTS_PREFIX = "/batch-results/"

# (method, path, query, body bytes) -> (status, body text); provided by the server pipeline.
Executor = Callable[[str, str, dict[str, list[str]], bytes], tuple[int, str]]


@dataclass
class Batch:
    id: str
    operations: list[dict[str, Any]]
    submitted_at: float
    status: str = "pending"
    completed_at: float | None = None
    finished_operations: int = 0
    errored_operations: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    execution_order: list[int] = field(default_factory=list)  # submission indexes, in the order they ran
    archive: bytes | None = None
    deleted: bool = False


class ResultsGone(Exception):
    """The results URL expired (or never existed): answered like S3 would."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BatchRunner:
    def __init__(self, ctx: SimContext, execute: Executor) -> None:
        self.ctx = ctx
        self._execute = execute
        self._batches: dict[str, Batch] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (batch id, expiry)
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name="mailchimp-batches", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- API --------------------------------------------------------------------------------------------------

    def submit(self, operations: list[dict[str, Any]]) -> Batch:
        config = self.ctx.config
        with self._lock:
            pending = sum(1 for b in self._batches.values() if b.status != "finished" and not b.deleted)
            if pending >= config.batch_max_pending:
                raise ApiError(429, config.too_many_requests_title,
                               f"You have more than {config.batch_max_pending} pending batches.")
            if config.pending_webhook_events >= 500:
                raise ApiError(429, config.too_many_requests_title, DETAIL_PENDING_WEBHOOKS)
            if config.batch_max_operations is not None and len(operations) > config.batch_max_operations:
                raise invalid_resource([{"field": "operations",
                                         "message": f"At most {config.batch_max_operations} operations."}])
            batch = Batch(uuid.uuid4().hex[:10], operations, self.ctx.clock.now())
            self._batches[batch.id] = batch
        self._queue.put(batch.id)
        return batch

    def get(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self._batches.get(batch_id)
        if batch is None or batch.deleted or self._expired(batch):
            raise not_found()
        return batch

    def all(self) -> list[Batch]:
        with self._lock:
            return [b for b in self._batches.values() if not b.deleted and not self._expired(b)]

    def delete(self, batch_id: str) -> None:
        self.get(batch_id).deleted = True

    def batch_json(self, batch: Batch) -> dict[str, Any]:
        clock = self.ctx.clock
        return {
            "id": batch.id,
            "status": batch.status,
            "total_operations": len(batch.operations),
            "finished_operations": batch.finished_operations,
            "errored_operations": batch.errored_operations,
            "submitted_at": clock.iso(batch.submitted_at),
            "completed_at": clock.iso(batch.completed_at) if batch.completed_at else "",
            "response_body_url": self._mint_url(batch) if batch.status == "finished" else "",
            "_links": self_link(f"/batches/{batch.id}"),
        }

    def archive_for(self, token: str) -> bytes:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            raise ResultsGone(404, "NoSuchKey", "The specified key does not exist.")
        batch_id, expires = entry
        if self.ctx.clock.now() > expires:
            raise ResultsGone(403, "AccessDenied", "Request has expired")
        batch = self._batches.get(batch_id)
        if batch is None or batch.archive is None or batch.deleted:
            raise ResultsGone(404, "NoSuchKey", "The specified key does not exist.")
        return batch.archive

    # --- internals --------------------------------------------------------------------------------------------

    def _expired(self, batch: Batch) -> bool:
        return self.ctx.clock.now() - batch.submitted_at > self.ctx.config.batch_retention_seconds

    def _mint_url(self, batch: Batch) -> str:
        """Each GET of a finished batch issues a fresh URL, valid for 10 minutes (batch-operations.mdx)."""
        token = secrets.token_urlsafe(16)
        now = self.ctx.clock.now()
        with self._lock:
            # Pollers mint a URL per GET: forget long-expired ones (a day on, so an expired URL still says so).
            self._tokens = {t: entry for t, entry in self._tokens.items() if entry[1] >= now - 86400}
            self._tokens[token] = (batch.id, now + self.ctx.config.batch_url_ttl_seconds)
        return f"{self.ctx.base_url()}{RESULTS_PREFIX}{token}.tar.gz"

    def _pause(self) -> bool:
        """Wait one status step; False when the simulator is stopping."""
        return not self._stop.wait(self.ctx.config.batch_step_seconds)

    def _work(self) -> None:
        while not self._stop.is_set():
            batch_id = self._queue.get()
            if batch_id is None:
                return
            batch = self._batches.get(batch_id)
            if batch is not None:
                self._run(batch)

    def _run(self, batch: Batch) -> None:
        for status in ("preprocessing", "started"):
            if not self._pause() or batch.deleted:
                return
            batch.status = status
        order = list(range(len(batch.operations)))
        if self.ctx.config.batch_shuffle:
            self.ctx.rng.shuffle(order)  # Mailchimp does not promise any order; make that visible
        started_at = self.ctx.clock.now()
        for index in order:
            if not self._wait_for_turn(batch, started_at) or batch.deleted:
                return
            operation = batch.operations[index]
            status, text = self._run_operation(index, operation)
            batch.results.append({"status_code": status, "operation_id": operation.get("operation_id"),
                                  "response": text})
            batch.execution_order.append(index)
            if not 200 <= status < 300:
                batch.errored_operations += 1
            batch.finished_operations += 1
        batch.status = "finalizing"
        if not self._pause():
            return
        batch.archive = self._pack(batch)
        batch.completed_at = self.ctx.clock.now()
        batch.status = "finished"

    def _wait_for_turn(self, batch: Batch, started_at: float) -> bool:
        """Hold the next operation until the processing rate allows it; False when the simulator is stopping.

        The rate is read on every pass, so a test may change it (or clear it) while a batch runs."""
        while not self._stop.is_set():
            rate = self.ctx.config.batch_operations_per_second
            if not rate or batch.deleted:
                return True
            remaining = started_at + (batch.finished_operations + 1) / rate - self.ctx.clock.now()
            if remaining <= 0:
                return True
            self._stop.wait(min(remaining, 0.02))  # short naps: clock.advance must take effect promptly
        return False

    def _run_operation(self, index: int, operation: dict[str, Any]) -> tuple[int, str]:
        fault = injected_fault(self.ctx.config.batch_faults, index, operation)
        if fault is not None:  # refused before it runs, so it changes nothing in the account
            error = fault.error(self.ctx.config.too_many_requests_title)
            return error.status, json.dumps(error.body(str(uuid.uuid4())))
        body = operation.get("body")
        if body is not None and not isinstance(body, str):
            # Reachable only with strict_contract off: the SKILL says an object body fails when it runs.
            error = invalid_resource([{"field": "body", "message": "Body must be a JSON string."}])
            return 400, json.dumps(error.body(str(uuid.uuid4())))
        params = operation.get("params") or {}
        query = {str(k): [str(v)] for k, v in params.items()} if isinstance(params, dict) else {}
        path = str(operation.get("path", ""))
        if path.startswith("/3.0/"):
            path = path[4:]
        return self._execute(str(operation.get("method", "")).upper(), path, query, (body or "").encode())

    def _pack(self, batch: Batch) -> bytes:
        per_file = max(1, self.ctx.config.batch_results_per_file)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for n, start in enumerate(range(0, len(batch.results), per_file)):
                data = json.dumps(batch.results[start:start + per_file]).encode("utf-8")
                info = tarfile.TarInfo(f"{batch.id}-{n}.json")
                info.size = len(data)
                info.mtime = int(self.ctx.clock.now())
                archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()


# --- routes -------------------------------------------------------------------------------------------------


def register(router: Router) -> None:
    router.add("GET", "/batches", get_batches)
    router.add("POST", "/batches", post_batch)
    router.add("GET", "/batches/{batch_id}", get_batch)
    router.add("DELETE", "/batches/{batch_id}", delete_batch)


def _runner(ctx: SimContext) -> BatchRunner:
    if ctx.batches is None:  # pragma: no cover - the simulator wires it at construction
        raise RuntimeError("no batch runner")
    return ctx.batches


def post_batch(ctx: SimContext, req: ApiRequest) -> Reply:
    operations = req.json.get("operations")
    if not isinstance(operations, list):
        raise invalid_resource([{"field": "operations", "message": "This value should be an array."}])
    runner = _runner(ctx)
    return Reply(200, runner.batch_json(runner.submit(operations)))


def get_batches(ctx: SimContext, req: ApiRequest) -> Reply:
    runner = _runner(ctx)
    return collection(req, "batches", [runner.batch_json(b) for b in runner.all()])


def get_batch(ctx: SimContext, req: ApiRequest) -> Reply:
    runner = _runner(ctx)
    return Reply(200, runner.batch_json(runner.get(req.params["batch_id"])))


def delete_batch(ctx: SimContext, req: ApiRequest) -> Reply:
    _runner(ctx).delete(req.params["batch_id"])
    return Reply(204)
