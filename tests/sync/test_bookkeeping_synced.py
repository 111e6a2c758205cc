"""The engine's synced state (sync/bookkeeping.py): read from the database once per run and entity, then kept as
the run marks and forgets records, so every reader in the run sees what a flush and a fresh read would show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.store import Entity, SyncedState
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from tests.store.conftest import ACME


@pytest.fixture(name="book")
def _book(tmp_path: Path) -> Iterator[Bookkeeping]:
    opened = store.open_store(tmp_path / "state.sqlite")
    try:
        pid = store.save_profile("acme", settings=ACME).id
        store.upsert_synced(pid, Entity.ORDER, {"INV1": SyncedState("h1", "INV1", "a@x.com"),
                                                "INV2": SyncedState("h2", "INV2", "a@x.com")})
        yield Bookkeeping(pid)
    finally:
        opened.close()


def reads_of_synced(book: Bookkeeping, entity: Entity) -> int:
    """How many times *book* read *entity*'s synced rows from the database, counted by a read that changes them
    behind its back (a cached view does not see it)."""
    store.upsert_synced(book.profile_id, entity, {"BEHIND": SyncedState("x", None)})
    return int("BEHIND" in book.synced(entity))


def test_the_synced_state_is_read_once_and_follows_the_runs_marks(book: Bookkeeping) -> None:
    first = book.synced(Entity.ORDER)
    assert dict(first) == {"INV1": SyncedState("h1", "INV1", "a@x.com"), "INV2": SyncedState("h2", "INV2", "a@x.com")}
    assert reads_of_synced(book, Entity.ORDER) == 0  # not read again

    book.mark_synced(Entity.ORDER, "INV3", SyncedState("h3", "INV3", "b@x.com"))
    book.forget(Entity.ORDER, "INV1")
    assert set(book.synced(Entity.ORDER)) == {"INV2", "INV3"}  # before any flush, as a flush and a read would show
    book.flush()
    fresh = store.synced_map(book.profile_id, Entity.ORDER)
    assert set(fresh) == {"INV2", "INV3", "BEHIND"} and fresh["INV3"] == SyncedState("h3", "INV3", "b@x.com")

    book.forget_known()
    assert "BEHIND" in book.synced(Entity.ORDER)  # read again when asked to


def test_marks_made_before_the_first_read_are_in_it(book: Bookkeeping) -> None:
    book.mark_synced(Entity.CUSTOMER, "C1", SyncedState("c", "buyer", "a@x.com"))
    book.forget(Entity.ORDER, "INV2")
    assert dict(book.synced(Entity.CUSTOMER)) == {"C1": SyncedState("c", "buyer", "a@x.com")}
    assert set(book.synced(Entity.ORDER)) == {"INV1"}


def test_the_view_cannot_be_changed_by_its_readers(book: Bookkeeping) -> None:
    with pytest.raises(TypeError):
        book.synced(Entity.ORDER)["INV9"] = SyncedState("h", None)  # type: ignore[index]


def test_an_order_remote_id_equal_to_its_key_is_the_same_string(book: Bookkeeping) -> None:
    rows = store.synced_map(book.profile_id, Entity.ORDER)
    assert all(state.remote_id is key for key, state in rows.items())
    assert rows["INV1"].remote_email is rows["INV2"].remote_email  # one e-mail string for a buyer's orders


def test_a_scope_reads_only_its_keys_and_counts_stay_whole(book: Bookkeeping) -> None:
    many = {f"INV{n:04}": SyncedState(f"h{n}", f"INV{n:04}", "a@x.com") for n in range(10, 1300)}  # > one lookup
    store.upsert_synced(book.profile_id, Entity.ORDER, many)
    wanted = [f"INV{n:04}" for n in range(10, 1300, 2)] + ["INV1", "NEVER"]
    book.scope({Entity.ORDER: wanted})
    view = book.synced(Entity.ORDER)
    assert set(view) == set(wanted) - {"NEVER"}
    assert view["INV0012"] == SyncedState("h12", "INV0012", "a@x.com")

    book.mark_synced(Entity.ORDER, "NEVER", SyncedState("hn", "NEVER", "b@x.com"))
    book.mark_synced(Entity.ORDER, "INV0011", SyncedState("gone", "INV0011", "b@x.com"))  # outside the scope
    assert book.synced_count(Entity.ORDER) == 2 + 1290 + 1  # the whole table, this run's marks included
    assert book.synced_count(Entity.ORDER, without_hash="gone") == 2 + 1290
    assert len(list(book.synced_keys(Entity.ORDER))) == 1293

    book.scope({Entity.ORDER: ["INV0011"]})  # the next shard sees what the last one wrote
    assert dict(book.synced(Entity.ORDER)) == {"INV0011": SyncedState("gone", "INV0011", "b@x.com")}
    assert set(book.synced(Entity.CUSTOMER)) == set()  # an entity the scope does not name is read whole
    book.scope(None)
    assert len(book.synced(Entity.ORDER)) == 1293


def test_synced_records_and_the_emails_they_hold_are_read_by_key(book: Bookkeeping) -> None:
    book.mark_synced(Entity.ORDER, "INV9", SyncedState("h9", "INV9", "b@x.com"))  # unflushed: included
    assert dict(book.synced_items(Entity.ORDER)) == {"INV1": SyncedState("h1", "INV1", "a@x.com"),
                                                     "INV2": SyncedState("h2", "INV2", "a@x.com"),
                                                     "INV9": SyncedState("h9", "INV9", "b@x.com")}
    many = [f"n{n}@x.com" for n in range(1200)] + ["a@x.com", "b@x.com", "c@x.com"]  # more than one lookup
    assert book.emails_held(Entity.ORDER, many) == {"a@x.com", "b@x.com"}
    assert book.emails_held(Entity.CUSTOMER, many) == set()
