"""The audit log: one event per record action, written in batches, browsed with keyset paging.

Paging is keyset on ``id`` (insertion order, so also time order), never OFFSET: fetching page 5,000 of a
million rows costs the same as page 1. Each filter column has its own index, and SQLite stores the rowid
at the end of every index entry, so ``WHERE <col> = ? AND id < ? ORDER BY id DESC LIMIT n`` reads exactly
n index entries. Text search is a case-insensitive *prefix* match on GP key, Mailchimp id and e-mail,
answered from those three indexes (a substring match would have to scan every row).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TextIO

import peewee

from gpmc_desktop.store.bulk import insert_rows
from gpmc_desktop.store.clock import from_iso, resolve_now, to_iso
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import AuditEvent, Run, database_proxy
from gpmc_desktop.store.secrets_guard import redact
from gpmc_desktop.store.vocab import Action, Entity, check

_ENTITIES = frozenset(e.value for e in Entity)
_ACTIONS = frozenset(a.value for a in Action)
# Sorts after every character a key, id or address can contain: the exclusive upper bound of a prefix.
_PREFIX_END = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    """One record action, as the engine reports it. Free-text fields are scrubbed of credentials."""

    entity: Entity | str
    gp_key: str
    action: Action | str
    mailchimp_id: str | None = None
    email: str | None = None  # the address the record was synced as
    reason: str | None = None
    http_status: int | None = None
    error_title: str | None = None
    error_detail: str | None = None
    payload_hash: str | None = None
    at: datetime | None = None  # default: the batch's time


@dataclass(frozen=True, slots=True)
class AuditEventRow:
    id: int
    at: datetime
    run_id: int
    profile_id: int
    entity: str
    gp_key: str
    mailchimp_id: str | None
    email: str | None
    action: str
    reason: str | None
    http_status: int | None
    error_title: str | None
    error_detail: str | None
    payload_hash: str | None


CSV_HEADER: tuple[str, ...] = tuple(f.name for f in fields(AuditEventRow))
_SELECT = tuple(AuditEvent._meta.columns[name] for name in CSV_HEADER)
_INSERT_COLUMNS = CSV_HEADER[1:]  # all but id
_INSERT_HEAD = 'INSERT INTO "{}" ({})'.format(
    AuditEvent._meta.table_name, ", ".join(f'"{c}"' for c in _INSERT_COLUMNS)
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """All given criteria must hold. `text` is a prefix of the GP key, Mailchimp id or e-mail (any case)."""

    profile_id: int | None = None
    run_id: int | None = None
    entity: Entity | str | None = None
    action: Action | str | None = None
    gp_key: str | None = None  # exact (case-insensitive)
    text: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditEventRow]
    next_cursor: int | None  # pass as `after` for the following page; None when this is the last


# ---------------------------------------------------------------------------------------------------------
def record_audit(run_id: int, events: Iterable[NewAuditEvent], *, now: datetime | None = None) -> int:
    """Insert `events` for run `run_id` in one transaction; returns how many were written.

    Multi-row INSERTs without per-row ORM objects (see `bulk`): tens of thousands of rows per second.
    An invalid event aborts the whole batch.
    """
    profile_row = Run.select(Run.profile).where(Run.id == run_id).tuples().first()
    if profile_row is None:
        raise LookupError(f"no run {run_id}")
    profile_id = profile_row[0]
    default_at = to_iso(resolve_now(now))

    def rows() -> Iterator[tuple[object, ...]]:
        for e in events:
            entity = str(e.entity)
            action = str(e.action)
            if entity not in _ENTITIES:
                check(Entity, entity, "audit entity")
            if action not in _ACTIONS:
                check(Action, action, "audit action")
            if not e.gp_key:
                raise ValueError("an audit event needs a GP key")
            yield (
                default_at if e.at is None else to_iso(e.at),
                run_id,
                profile_id,
                entity,
                e.gp_key,
                e.mailchimp_id,
                e.email,
                action,
                redact(e.reason),
                e.http_status,
                redact(e.error_title),
                redact(e.error_detail),
                e.payload_hash,
            )

    with write_transaction():
        return insert_rows(_INSERT_HEAD, len(_INSERT_COLUMNS), rows())


# ---------------------------------------------------------------------------------------------------------
def _no_index(column: peewee.Field) -> peewee.NodeList:
    """``+column``: SQLite's documented way to keep the planner off that column's index."""
    return peewee.NodeList((peewee.SQL("+"), column), glue="")


def _where(f: AuditFilter) -> list[peewee.Expression]:
    conds: list[peewee.Expression] = []
    # The planner may not have statistics yet (a young file), and then it likes any equality index that
    # also yields id order. Two such choices are always poor: profile_id (one profile usually owns every
    # row, so its index filters nothing) and entity next to a GP key (the key's index finds a handful).
    if f.profile_id is not None:
        conds.append(_no_index(AuditEvent.profile) == f.profile_id)
    if f.run_id is not None:
        conds.append(AuditEvent.run == f.run_id)
    if f.entity is not None:
        entity_col = AuditEvent.entity if f.gp_key is None else _no_index(AuditEvent.entity)
        conds.append(entity_col == check(Entity, f.entity, "audit entity"))
    if f.action is not None:
        conds.append(AuditEvent.action == check(Action, f.action, "audit action"))
    if f.gp_key is not None:
        conds.append(AuditEvent.gp_key == f.gp_key)
    if f.since is not None:
        conds.append(AuditEvent.at >= f.since)
    if f.until is not None:
        conds.append(AuditEvent.at < f.until)
    text = (f.text or "").strip()
    if text:
        # An IN over a UNION of three index range scans: left to itself, the planner prefers walking
        # the table backwards by id, which is a full scan whenever the search matches few rows.
        lo, hi = text, text + _PREFIX_END
        matching = (
            AuditEvent.select(AuditEvent.id).where((AuditEvent.gp_key >= lo) & (AuditEvent.gp_key < hi))
            | AuditEvent.select(AuditEvent.id).where(
                (AuditEvent.mailchimp_id >= lo) & (AuditEvent.mailchimp_id < hi)
            )
            | AuditEvent.select(AuditEvent.id).where((AuditEvent.email >= lo) & (AuditEvent.email < hi))
        )
        conds.append(AuditEvent.id.in_(matching))
    return conds


def _fetch(
    conds: list[peewee.Expression], newest_first: bool, limit: int | None = None
) -> list[tuple[object, ...]]:
    """Raw rows (timestamps still ISO text): peewee builds the SQL, sqlite3 runs it without per-row
    model machinery, which is most of the cost of a page or an export."""
    query = AuditEvent.select(*_SELECT)
    if conds:
        query = query.where(*conds)
    query = query.order_by(AuditEvent.id.desc() if newest_first else AuditEvent.id.asc())
    if limit is not None:
        query = query.limit(limit)
    sql, params = query.sql()
    return database_proxy.execute_sql(sql, params).fetchall()


def _row(raw: tuple[object, ...]) -> AuditEventRow:
    return AuditEventRow(raw[0], from_iso(raw[1]), *raw[2:])  # type: ignore[arg-type]


def _raw_chunks(
    filters: AuditFilter | None, newest_first: bool, chunk_size: int
) -> Iterator[list[tuple[object, ...]]]:
    """Keyset chunks of raw rows until the filter is exhausted; each chunk is its own short read."""
    base = _where(filters or AuditFilter())
    after: int | None = None
    while True:
        conds = list(base)
        if after is not None:
            conds.append(AuditEvent.id < after if newest_first else AuditEvent.id > after)
        chunk = _fetch(conds, newest_first, chunk_size)
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        after = int(chunk[-1][0])  # type: ignore[call-overload]


def audit_page(
    filters: AuditFilter | None = None,
    *,
    after: int | None = None,
    limit: int = 100,
    newest_first: bool = True,
) -> AuditPage:
    """One page of events matching `filters`, continuing after the cursor `after` (a previous page's
    `next_cursor`). Pages never overlap or skip rows, even while new events are being inserted."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    conds = _where(filters or AuditFilter())
    if after is not None:
        conds.append(AuditEvent.id < after if newest_first else AuditEvent.id > after)
    raw = _fetch(conds, newest_first, limit + 1)  # one extra row tells whether another page exists
    rows = [_row(t) for t in raw[:limit]]
    return AuditPage(rows, rows[-1].id if len(raw) > limit else None)


def count_audit(filters: AuditFilter | None = None) -> int:
    """How many events match `filters` (what a page of them leaves out)."""
    query = AuditEvent.select(peewee.fn.COUNT(AuditEvent.id))
    conds = _where(filters or AuditFilter())
    return int((query.where(*conds) if conds else query).scalar())


def iter_audit(
    filters: AuditFilter | None = None, *, newest_first: bool = False, chunk_size: int = 2000
) -> Iterator[AuditEventRow]:
    """Every matching event, fetched `chunk_size` at a time: memory stays flat and no read transaction is
    held between chunks (a long-lived reader would stop the WAL from being checkpointed)."""
    for chunk in _raw_chunks(filters, newest_first, chunk_size):
        yield from map(_row, chunk)


def record_trace(profile_id: int, entity: Entity | str, gp_key: str) -> list[AuditEventRow]:
    """Every event for one GP record, oldest first: the record's history across runs."""
    f = AuditFilter(profile_id=profile_id, entity=entity, gp_key=gp_key)
    return [_row(t) for t in _fetch(_where(f), newest_first=False)]


# ---------------------------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object, excel_safe: bool) -> object:
    if value is None:
        return ""
    if excel_safe and isinstance(value, str) and value.startswith(_FORMULA_START):
        # A GP field or an error text beginning with "=" would run as a formula when the CSV is opened
        # in a spreadsheet; the leading apostrophe makes it literal text.
        return "'" + value
    return value


def export_audit_csv(
    out: TextIO,
    filters: AuditFilter | None = None,
    *,
    chunk_size: int = 2000,
    excel_safe: bool = True,
) -> int:
    """Stream matching events, oldest first, as CSV with a header row to `out`; returns the row count.

    Open `out` with ``newline=""`` (the csv module writes its own line ends); ``encoding="utf-8-sig"``
    lets Excel detect UTF-8.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    n = 0
    for chunk in _raw_chunks(filters, newest_first=False, chunk_size=chunk_size):
        # Raw rows: the timestamp is already the stored ISO 8601 UTC text, written as is.
        writer.writerows([_cell(v, excel_safe) for v in row] for row in chunk)
        n += len(chunk)
    return n
