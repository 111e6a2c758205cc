"""The synced state held compactly in memory (store/synced.py SyncedMap): every shape of row reads back as it was
written, the common ones are held without a SyncedState each, and the database keeps the hashes byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.store import Entity, SyncedMap, SyncedState
from gpmc_desktop.store.bulk import MAX_ROWS_PER_STATEMENT, statement_chunks
from gpmc_desktop.store.models import SyncedRecord, database_proxy
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from tests.store.conftest import ACME

HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ROWS = {
    "INV1": SyncedState(HASH, "INV1", "a@x.com"),  # an order: remote id is its number, its buyer's e-mail
    "INV2": SyncedState("deleted, to be created again", "INV2", None),
    "C1": SyncedState(HASH, "c4ca4238a0b923820dcc509a6f75849b", "a@x.com"),  # a customer: its buyer's id
    "S1": SyncedState(HASH, None),  # a skip: no remote id
    "P1": SyncedState("legacy-hash", "OTHER", None),
}


@pytest.fixture(name="pid")
def _pid(tmp_path: Path) -> Iterator[int]:
    opened = store.open_store(tmp_path / "state.sqlite")
    try:
        yield store.save_profile("acme", settings=ACME).id
    finally:
        opened.close()


def stored_rows(pid: int) -> set[tuple[object, ...]]:
    table = SyncedRecord._meta.table_name
    sql = f'SELECT gp_key, content_hash, remote_id, remote_email FROM "{table}" WHERE profile_id = ?'
    return set(database_proxy.execute_sql(sql, (pid,)).fetchall())


def test_every_shape_reads_back_as_written(pid: int) -> None:
    store.upsert_synced(pid, Entity.ORDER, ROWS)
    rows = store.synced_map(pid, Entity.ORDER)
    assert dict(rows) == ROWS and len(rows) == len(ROWS)
    assert rows.get("missing") is None and "INV1" in rows and "missing" not in rows
    assert set(rows.keys()) - {"INV1"} == set(ROWS) - {"INV1"}  # a real keys view (set operations)


def test_common_rows_hold_no_state_object_and_share_their_hash(pid: int) -> None:
    store.upsert_synced(pid, Entity.ORDER, ROWS)
    rows = store.synced_map(pid, Entity.ORDER)
    assert not any(isinstance(rows._rows[k], SyncedState) for k in ("INV1", "INV2"))
    assert rows["INV1"].content_hash is rows["INV1"].content_hash  # one string, which the plan can share
    assert rows["INV1"].remote_id == "INV1"


def test_marks_and_forgets_go_through_unchanged_to_the_database(pid: int) -> None:
    book = Bookkeeping(pid)
    view = book.synced(Entity.ORDER)
    assert isinstance(view, SyncedMap) and len(view) == 0
    for key, state in ROWS.items():
        book.mark_synced(Entity.ORDER, key, state)
    book.forget(Entity.ORDER, "P1")
    assert dict(view) == {k: s for k, s in ROWS.items() if k != "P1"}
    book.flush()
    assert stored_rows(pid) == {(k, *s) for k, s in ROWS.items() if k != "P1"}
    with pytest.raises(TypeError):
        view["X"] = ROWS["INV1"]  # type: ignore[index]


def test_the_plans_equal_key_strings_are_held_once_and_hashes_read_without_a_state(pid: int) -> None:
    store.upsert_synced(pid, Entity.ORDER, ROWS)
    rows = store.synced_map(pid, Entity.ORDER)
    plan_keys = {"".join(["INV", "1"]): 1, "".join(["C", "1"]): 2}  # equal strings, other objects
    rows.share_keys(lambda key: next((k for k in plan_keys if k == key), None))
    held = {k: k for k in rows}
    assert all(held[k] is k for k in plan_keys)  # the plan's objects
    assert dict(rows) == ROWS  # nothing else changed
    assert rows.hash_of("INV1") == HASH and rows.hash_of("S1") == HASH and rows.hash_of("P1") == "legacy-hash"
    assert rows.hash_of("missing") is None


def test_read_with_the_callers_strings_it_holds_them_and_nothing_else_changes(pid: int) -> None:
    store.upsert_synced(pid, Entity.ORDER, ROWS)
    mine = {"".join(["INV", "1"]): "".join([HASH[:10], HASH[10:]]), "".join(["P", "1"]): "other-hash"}
    rows = store.synced_map(pid, Entity.ORDER, lambda key: next(((k, h) for k, h in mine.items() if k == key), None))
    assert dict(rows) == ROWS  # a hash that differs stays the database's
    held = {k: k for k in rows}
    assert all(held[k] is k for k in mine)
    assert rows["INV1"].content_hash is mine["INV1"]


def test_keyed_reads_and_writes_compile_a_dozen_statements_whatever_the_counts(pid: int) -> None:
    """Every count of keys or rows up to a statement's full size goes in powers of two: the connection's statement
    cache keeps a dozen programs, not one per count (each a large one, tens of MB that grew with the company)."""
    sizes: set[int] = set()
    for n in range(1, 1200):
        parts = list(statement_chunks(range(n), 500))
        assert [i for part in parts for i in part] == list(range(n))
        sizes.update(len(part) for part in parts)
    assert sizes == {500} | {1 << bit for bit in range(9)}

    texts: list[str] = []
    connection = database_proxy.connection()
    connection.set_trace_callback(texts.append)
    try:
        for n in (3, 77, 300, 499, 501, 1234):
            keys = [f"K{i}" for i in range(n)]
            store.upsert_synced(pid, Entity.ORDER, {k: SyncedState(HASH, k, "a@x.com") for k in keys})
            assert len(store.synced_map(pid, Entity.ORDER, keys=keys)) == n
    finally:
        connection.set_trace_callback(None)
    # The trace shows each statement with its values: how many keys it looked up, or rows it wrote.
    table = SyncedRecord._meta.table_name
    looked_up = [text.split(' IN (', 1)[1].split(")", 1)[0].count(",") + 1 for text in texts if " IN (" in text]
    # (a statement whose triggers run is traced again for each: the same text, in a row)
    statements = [text for i, text in enumerate(texts) if i == 0 or texts[i - 1] != text]
    written = [text.count("), (") + 1 for text in statements if text.startswith(f'INSERT INTO "{table}"')]
    allowed = {500} | {1 << bit for bit in range(9)}
    assert set(looked_up) <= allowed and set(written) <= allowed
    # A cached statement keeps the values last bound to it: a write binds a few dozen rows, not hundreds.
    assert max(written) == MAX_ROWS_PER_STATEMENT <= 64
    assert sum(looked_up) == sum(written) == 3 + 77 + 300 + 499 + 501 + 1234
