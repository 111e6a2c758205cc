"""What was last pushed to Mailchimp for each GP record: the engine's "has it changed?" memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from datetime import datetime
from sys import intern
from typing import NamedTuple, TypeAlias

from gpmc_desktop.store.bulk import insert_rows, statement_chunks
from gpmc_desktop.store.clock import resolve_now, to_iso
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import SyncedRecord, database_proxy
from gpmc_desktop.store.vocab import Entity, check


class SyncedState(NamedTuple):
    content_hash: str
    remote_id: str | None
    # Customers: the address the member was synced as; orders: the address of the buyer the order hangs on.
    remote_email: str | None = None


_TABLE = SyncedRecord._meta.table_name
_UPSERT_HEAD = (
    f'INSERT INTO "{_TABLE}" ("profile_id", "entity", "gp_key", "content_hash", "remote_id", "remote_email", '
    '"last_synced_at")'
)
_UPSERT_TAIL = (
    ' ON CONFLICT ("profile_id", "entity", "gp_key") DO UPDATE SET '
    '"content_hash" = excluded."content_hash", "remote_id" = excluded."remote_id", '
    '"remote_email" = excluded."remote_email", "last_synced_at" = excluded."last_synced_at"'
)
_MAP_SQL = (
    f'SELECT "gp_key", "content_hash", "remote_id", "remote_email" FROM "{_TABLE}" '
    'WHERE "profile_id" = ? AND "entity" = ?'
)


# How a SyncedMap holds one row, without a SyncedState each (400,000 orders held 30 MB of them): the hash alone
# when the remote id is the key and there is no e-mail; (hash, e-mail) when the remote id is the key; else the
# SyncedState itself.
_Packed: TypeAlias = "str | tuple[str, str] | SyncedState"


def _pack(key: str, state: SyncedState) -> _Packed:
    if type(state) is SyncedState and state.remote_id == key:
        return state.content_hash if state.remote_email is None else (state.content_hash, state.remote_email)
    return SyncedState(*state)


class SyncedMap(Mapping[str, SyncedState]):
    """gp_key → SyncedState, held compactly and made on access.  Read-only to its users (no item assignment);
    :meth:`put` and :meth:`drop` are the bookkeeping's."""

    __slots__ = ("_keys_shared", "_rows")

    def __init__(self, rows: dict[str, _Packed] | None = None) -> None:
        self._rows: dict[str, _Packed] = {} if rows is None else rows
        self._keys_shared = False

    def __getitem__(self, key: str) -> SyncedState:
        return _unpack(key, self._rows[key])

    def get(self, key: str, default: SyncedState | None = None) -> SyncedState | None:  # type: ignore[override]
        packed = self._rows.get(key)
        return default if packed is None else _unpack(key, packed)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def keys(self) -> KeysView[str]:
        return self._rows.keys()  # a real keys view: set operations and membership at dict speed

    def hash_of(self, key: str) -> str | None:
        """The content hash synced for *key* (None: never synced), without making its SyncedState."""
        packed = self._rows.get(key)
        if packed is None or type(packed) is str:
            return packed
        return packed[0]

    def share_keys(self, own: Callable[[str], str | None]) -> None:
        """Hold each row under the equal string *own* gives for its key (None: keep its own), once: the plan's
        record numbers, so a poll holds each of 400,000 invoice numbers once, not once more from the database."""
        if not self._keys_shared:
            self._rows = {own(key) or key: packed for key, packed in self._rows.items()}
            self._keys_shared = True

    def put(self, key: str, state: SyncedState) -> None:
        self._rows[key] = _pack(key, state)

    def drop(self, key: str) -> None:
        self._rows.pop(key, None)


_make = tuple.__new__  # a SyncedState without namedtuple's Python-level __new__: half the cost, per record


def _unpack(key: str, packed: _Packed) -> SyncedState:
    kind = type(packed)
    if kind is str:
        return _make(SyncedState, (packed, key, None))  # type: ignore[arg-type]
    if kind is tuple:
        return _make(SyncedState, (packed[0], key, packed[1]))  # type: ignore[arg-type,index]
    return packed  # type: ignore[return-value]


# For a key, the caller's equal key string and its hash (None: it has no such record): see synced_map's *own*.
OwnStrings: TypeAlias = "Callable[[str], tuple[str, str] | None]"


# Keys per lookup of a keyed read: well under SQLite's limit on bound values.
_KEYS_PER_QUERY = 500


def _keyed_rows(profile_id: int, entity: str, keys: Iterable[str]) -> Iterator[tuple[str, str, str | None, str | None]]:
    """The rows of *keys* (those synced), by indexed lookups of a few hundred keys each."""
    for chunk in statement_chunks(dict.fromkeys(keys), _KEYS_PER_QUERY):
        yield from _rows_of(profile_id, entity, chunk)


def _rows_of(profile_id: int, entity: str, keys: list[str]) -> Iterator[tuple[str, str, str | None, str | None]]:
    marks = ", ".join("?" * len(keys))
    yield from database_proxy.execute_sql(f'{_MAP_SQL} AND "gp_key" IN ({marks})', (profile_id, entity, *keys))


def synced_map(
    profile_id: int, entity: Entity | str, own: OwnStrings | None = None, *, keys: Iterable[str] | None = None
) -> SyncedMap:
    """gp_key → SyncedState for every synced record of `entity`; one indexed range scan, no ORM objects
    (100k rows load in well under a second).  Held compactly (see SyncedMap), and the e-mails (a buyer's many
    orders hold its one) are shared: 400,000 orders hold a third less.  *own*: the strings the caller holds
    already (the plan's record numbers and hashes), kept instead of the database's equal copies as each row is
    read, so a poll never holds both at once.  *keys*: only those records (a shard of a big run), looked up by
    key, so the rest of the table stays in the database."""
    entity = check(Entity, entity, "entity")
    cursor: Iterable[tuple[str, str, str | None, str | None]] = (
        database_proxy.execute_sql(_MAP_SQL, (profile_id, entity)) if keys is None
        else _keyed_rows(profile_id, entity, keys))
    rows: dict[str, _Packed] = {}
    for key, h, rid, email in cursor:
        if own is not None and (mine := own(key)) is not None:
            key, h = mine[0], mine[1] if h == mine[1] else h
        if rid == key:
            rows[key] = h if email is None else (h, intern(email))
        else:
            rows[key] = SyncedState(h, rid, None if email is None else intern(email))
    found = SyncedMap(rows)
    found._keys_shared = own is not None
    return found


def synced_keys(profile_id: int, entity: Entity | str) -> Iterator[str]:
    """Every synced key of *entity*, read as the caller goes (a big table is never held whole)."""
    entity = check(Entity, entity, "entity")
    for (key,) in database_proxy.execute_sql(
            f'SELECT "gp_key" FROM "{_TABLE}" WHERE "profile_id" = ? AND "entity" = ?', (profile_id, entity)):
        yield key


def synced_items(profile_id: int, entity: Entity | str) -> Iterator[tuple[str, SyncedState]]:
    """Every synced record of *entity*, read as the caller goes (a big table is never held whole)."""
    entity = check(Entity, entity, "entity")
    for key, h, rid, email in database_proxy.execute_sql(_MAP_SQL, (profile_id, entity)):
        yield key, SyncedState(h, rid, email)


def emails_held(profile_id: int, entity: Entity | str, emails: Iterable[str]) -> set[str]:
    """Those of *emails* some synced record of *entity* holds (an order: its buyer's), a few hundred at a time."""
    entity = check(Entity, entity, "entity")
    found: set[str] = set()
    for chunk in statement_chunks(dict.fromkeys(emails), _KEYS_PER_QUERY):
        cursor = database_proxy.execute_sql(
            f'SELECT DISTINCT "remote_email" FROM "{_TABLE}" WHERE "profile_id" = ? AND "entity" = ? '
            f'AND "remote_email" IN ({", ".join("?" * len(chunk))})', (profile_id, entity, *chunk))
        found.update(email for (email,) in cursor)
    return found


def synced_count(profile_id: int, entity: Entity | str, *, without_hash: str | None = None) -> int:
    """How many records of *entity* are synced (*without_hash*: not counting those stored with that hash)."""
    entity = check(Entity, entity, "entity")
    sql = f'SELECT COUNT(*) FROM "{_TABLE}" WHERE "profile_id" = ? AND "entity" = ?'
    args: tuple[object, ...] = (profile_id, entity)
    if without_hash is not None:
        sql, args = sql + ' AND "content_hash" != ?', (*args, without_hash)
    return int(database_proxy.execute_sql(sql, args).fetchone()[0])


def get_synced(profile_id: int, entity: Entity | str, gp_key: str) -> SyncedState | None:
    entity = check(Entity, entity, "entity")
    row = database_proxy.execute_sql(_MAP_SQL + ' AND "gp_key" = ?', (profile_id, entity, gp_key)).fetchone()
    return None if row is None else SyncedState(*row[1:])


def upsert_synced(
    profile_id: int,
    entity: Entity | str,
    records: Mapping[str, SyncedState] | Iterable[tuple[str, SyncedState]],
    *,
    now: datetime | None = None,
) -> int:
    """Insert or replace the synced state of each (gp_key, state), in one transaction; returns the count."""
    entity = check(Entity, entity, "entity")
    stamp = to_iso(resolve_now(now))
    items = records.items() if isinstance(records, Mapping) else records

    def rows() -> Iterator[tuple[object, ...]]:
        for gp_key, state in items:
            if not gp_key:
                raise ValueError("a synced record needs a GP key")
            if not state.content_hash:
                raise ValueError(f"synced record {gp_key!r} needs a content hash")
            yield (profile_id, entity, gp_key, state.content_hash, state.remote_id, state.remote_email, stamp)

    with write_transaction():
        return insert_rows(_UPSERT_HEAD, 7, rows(), _UPSERT_TAIL)


def delete_synced(profile_id: int, entity: Entity | str, gp_keys: Iterable[str]) -> int:
    """Forget records (deleted in GP, or to force a re-push); returns how many existed."""
    entity = check(Entity, entity, "entity")
    with write_transaction():
        cursor = database_proxy.cursor()
        cursor.executemany(
            f'DELETE FROM "{_TABLE}" WHERE "profile_id" = ? AND "entity" = ? AND "gp_key" = ?',
            ((profile_id, entity, key) for key in gp_keys),
        )
        return int(cursor.rowcount)
