"""A backfill's Mailchimp batches in flight (schema v4), so a run killed after submitting is finished by the next.

``batch_jobs`` holds each submitted batch until its results are applied, with the work key of every operation
in it; ``batch_work`` holds each record between its batches (what to send next, what its success means), as a
JSON document the sync writes and reads back (``sync/batch_backfill.py``).  The sync writes both in the same
transaction as the results it applies, so no result is applied twice and none is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from gpmc_desktop.store.bulk import insert_rows
from gpmc_desktop.store.clock import from_iso, resolve_now, to_iso
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import BatchJob, BatchWork, database_proxy

WORK_TEXT_PER_STATEMENT = 256 * 1024
_JOBS = BatchJob._meta.table_name
_WORK = BatchWork._meta.table_name
_WORK_UPSERT = (f'INSERT INTO "{_WORK}" ("profile_id", "work_key", "item", "updated_at")',
                ' ON CONFLICT ("profile_id", "work_key") DO UPDATE SET "item" = excluded."item", '
                '"updated_at" = excluded."updated_at"')


class StoredBatch(NamedTuple):
    batch_id: str
    operations: dict[str, str]  # operation id → work key
    submitted_at: datetime


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stored_batches(profile_id: int) -> list[StoredBatch]:
    """The batches submitted and not yet applied, oldest first."""
    cursor = database_proxy.execute_sql(
        f'SELECT "batch_id", "operations", "submitted_at" FROM "{_JOBS}" WHERE "profile_id" = ? '
        'ORDER BY "submitted_at", "batch_id"', (profile_id,))
    return [StoredBatch(bid, json.loads(ops), from_iso(at)) for bid, ops, at in cursor]


def add_batch(profile_id: int, batch_id: str, operations: Mapping[str, str], *, now: datetime | None = None) -> None:
    with write_transaction():
        database_proxy.execute_sql(
            f'INSERT INTO "{_JOBS}" ("profile_id", "batch_id", "operations", "submitted_at") VALUES (?, ?, ?, ?)',
            (profile_id, batch_id, _json(dict(operations)), to_iso(resolve_now(now))))


def remove_batch(profile_id: int, batch_id: str) -> None:
    with write_transaction():
        database_proxy.execute_sql(f'DELETE FROM "{_JOBS}" WHERE "profile_id" = ? AND "batch_id" = ?',
                                   (profile_id, batch_id))


def work_items(profile_id: int) -> dict[str, dict[str, Any]]:
    """Every record in flight, by work key."""
    cursor = database_proxy.execute_sql(
        f'SELECT "work_key", "item" FROM "{_WORK}" WHERE "profile_id" = ? ORDER BY "work_key"', (profile_id,))
    return {key: json.loads(item) for key, item in cursor}


def save_work(
    profile_id: int, items: Mapping[str, Any] | Iterable[tuple[str, Any]], *, now: datetime | None = None
) -> int:
    """Insert or replace each work item (JSON-serialisable), by work key, in one transaction.

    *items* is read as the statements go: given pairs from a generator, only a statement's items exist at once.
    A member group's item holds every customer of its e-mail, and an address on hundreds of GP customers makes
    items of half a megabyte: all of a batch's items built first held 25 MB more at 100,000 customers."""
    stamp = to_iso(resolve_now(now))
    pairs = items.items() if isinstance(items, Mapping) else items
    rows = ((profile_id, key, _json(item), stamp) for key, item in pairs)
    changed = 0
    with write_transaction():
        for group in _by_size(rows):
            changed += insert_rows(_WORK_UPSERT[0], 4, group, _WORK_UPSERT[1])
    return changed


def _by_size(rows: Iterable[tuple[int, str, str, str]]) -> Iterator[list[tuple[int, str, str, str]]]:
    """*rows* in groups of at most WORK_TEXT_PER_STATEMENT characters of items (one row at least): a cached
    statement keeps the values last bound to it (store/bulk.py), so no statement keeps more than that."""
    group: list[tuple[int, str, str, str]] = []
    size = 0
    for row in rows:
        if group and size + len(row[2]) > WORK_TEXT_PER_STATEMENT:
            yield group
            group, size = [], 0
        group.append(row)
        size += len(row[2])
    if group:
        yield group


def drop_work(profile_id: int, keys: Iterable[str]) -> None:
    with write_transaction():
        database_proxy.cursor().executemany(
            f'DELETE FROM "{_WORK}" WHERE "profile_id" = ? AND "work_key" = ?', ((profile_id, k) for k in keys))


def has_batches(profile_id: int) -> bool:
    """Whether a backfill left batches or records in flight (the next real run finishes them first)."""
    for table in (_JOBS, _WORK):
        row = database_proxy.execute_sql(f'SELECT 1 FROM "{table}" WHERE "profile_id" = ? LIMIT 1',
                                         (profile_id,)).fetchone()
        if row is not None:
            return True
    return False
