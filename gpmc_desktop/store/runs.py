"""Sync runs: one row per run (its kind says what started it: vocab.RunKind), with its outcome and
per-entity/action counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import AuditEvent, Profile, Run
from gpmc_desktop.store.run_lock import ProfileBusyError, profile_run_lock
from gpmc_desktop.store.secrets_guard import redact
from gpmc_desktop.store.vocab import Outcome, RunKind, check

Counts = dict[str, dict[str, int]]  # {entity: {action: n}}, and the engine's notes under RUN_NOTES
# Not an entity: what the engine notes beside the counts ({"to_send": n, "new_failures": n, ...}, see
# sync/report.py), so a run read back after a restart says what it said when it finished.
RUN_NOTES = "run"

INTERRUPTED = "interrupted: the program running it stopped before the run finished"


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    profile_id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None  # None while running
    counts: Counts
    error_summary: str | None


_COLUMNS = (Run.id, Run.profile, Run.kind, Run.started_at, Run.finished_at, Run.outcome, Run.counts,
            Run.error_summary)


def _rows(query: peewee.ModelSelect) -> list[RunRow]:
    return [RunRow(*t) for t in query.tuples()]


def start_run(profile_id: int, kind: RunKind | str, *, now: datetime | None = None) -> int:
    """Insert a running run and return its id (the audit events' `run_id`)."""
    kind = check(RunKind, kind, "run kind")
    with write_transaction():
        query = Run.insert(profile=profile_id, kind=kind, started_at=resolve_now(now), counts={})
        return int(query.execute())


def run_counts(run_id: int) -> Counts:
    """Counts per entity and action, from the run's audit events (walks the run_id index)."""
    counts: Counts = {}
    query = (
        AuditEvent.select(AuditEvent.entity, AuditEvent.action, peewee.fn.COUNT(AuditEvent.id))
        .where(AuditEvent.run == run_id)
        .group_by(AuditEvent.entity, AuditEvent.action)
        .tuples()
    )
    for entity, action, n in query:
        counts.setdefault(entity, {})[action] = n
    return counts


def finish_run(
    run_id: int,
    outcome: Outcome | str,
    *,
    counts: Counts | None = None,
    error_summary: str | None = None,
    now: datetime | None = None,
) -> RunRow:
    """Close a run. Without `counts`, they are tallied from the run's audit events."""
    outcome = check(Outcome, outcome, "run outcome")
    with write_transaction():
        run = Run.get_or_none(Run.id == run_id)
        if run is None:
            raise LookupError(f"no run {run_id}")
        if run.finished_at is not None:
            raise ValueError(f"run {run_id} already finished ({run.outcome})")
        run.counts = run_counts(run_id) if counts is None else counts
        run.outcome = outcome
        run.error_summary = redact(error_summary)
        run.finished_at = resolve_now(now)
        run.save()
    found = get_run(run_id)
    assert found is not None
    return found


def get_run(run_id: int) -> RunRow | None:
    rows = _rows(Run.select(*_COLUMNS).where(Run.id == run_id))
    return rows[0] if rows else None


def list_runs(
    profile_id: int | None = None, *, before_id: int | None = None, limit: int = 50
) -> list[RunRow]:
    """Newest first; for the next page pass the last row's id as `before_id` (keyset, not OFFSET)."""
    query = Run.select(*_COLUMNS)
    if profile_id is not None:
        query = query.where(Run.profile == profile_id)
    if before_id is not None:
        query = query.where(Run.id < before_id)
    return _rows(query.order_by(Run.id.desc()).limit(limit))


def run_id_range(profile_id: int) -> tuple[int, int] | None:
    """The first and last run ids of a profile (None: it has no run yet), for a message naming the runs."""
    low, high = (Run.select(peewee.fn.MIN(Run.id), peewee.fn.MAX(Run.id)).where(Run.profile == profile_id)
                 .tuples().get())
    return None if low is None else (int(low), int(high))


def running_runs(profile_id: int | None = None) -> list[RunRow]:
    query = Run.select(*_COLUMNS).where(Run.finished_at.is_null())
    if profile_id is not None:
        query = query.where(Run.profile == profile_id)
    return _rows(query.order_by(Run.id))


def close_interrupted_runs(
    *, profile_id: int | None = None, program: str = "gpmc sync", now: datetime | None = None
) -> int:
    """Mark as failed the runs a process that died left open: the running runs of *profile_id* (or of every
    profile) whose profile's run lock is free, closed while holding it, so a run another process is doing right
    now is never touched (store/run_lock.py).  Safe at any time.  *program* names this process in the message a
    run refused meanwhile gives."""
    closed = 0
    for pid, name in _profiles_with_open_runs(profile_id):
        try:
            with profile_run_lock(name, program=program):
                closed += _close_open_runs(pid, resolve_now(now))
        except ProfileBusyError:
            continue
    return closed


def close_runs_left_open(profile_id: int, *, now: datetime | None = None) -> int:
    """`close_interrupted_runs` for a caller that holds *profile_id*'s run lock itself."""
    return _close_open_runs(profile_id, resolve_now(now))


def _profiles_with_open_runs(profile_id: int | None) -> list[tuple[int, str]]:
    query = (Profile.select(Profile.id, Profile.name).join(Run, on=(Run.profile == Profile.id))
             .where(Run.finished_at.is_null()).distinct())
    if profile_id is not None:
        query = query.where(Profile.id == profile_id)
    return [(int(i), str(n)) for i, n in query.tuples()]


def _close_open_runs(profile_id: int, moment: datetime) -> int:
    closed = 0
    with write_transaction():
        for run in running_runs(profile_id):
            fields: dict[str, Any] = {
                "outcome": str(Outcome.FAILED),
                "finished_at": moment,
                "error_summary": INTERRUPTED,
                "counts": run_counts(run.id),
            }
            closed += Run.update(**fields).where(Run.id == run.id).execute()
    return closed


def latest_run_holding(profile_id: int, json_path: str) -> RunRow | None:
    """The newest finished run whose counts hold *json_path* (e.g. ``$.reconciliation.holds``: what Mailchimp
    held after it), or None.  A run that failed before reading GP holds no reconciliation; the summary then
    shows the figures of the last run that did."""
    found = peewee.fn.json_extract(Run.counts, json_path).is_null(False)
    query = (Run.select(*_COLUMNS).where((Run.profile == profile_id) & Run.finished_at.is_null(False) & found)
             .order_by(Run.id.desc()).limit(1))
    rows = _rows(query)
    return rows[0] if rows else None
