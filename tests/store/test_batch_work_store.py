"""A backfill's records in flight as the store writes them (store/batches.py): read back as written, built one
statement's worth at a time, and no statement binding more than its share of text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gpmc_desktop.store import batches
from gpmc_desktop.store.batches import WORK_TEXT_PER_STATEMENT
from gpmc_desktop.store.models import database_proxy


@pytest.fixture(name="pid")
def _pid(profile_id: int) -> int:
    return profile_id


def item(n: int, size: int) -> dict[str, Any]:
    return {"key": f"member:{n}@x.com", "step": 0, "records": ["r" * size]}


def traced_inserts() -> tuple[list[str], Any]:
    """The INSERT statements into batch_work as they run (a statement whose triggers run is traced again for
    each row, with the same text, in a row: counted once)."""
    texts: list[str] = []

    def seen(text: str) -> None:
        if text.startswith('INSERT INTO "batch_work"') and (not texts or texts[-1] != text):
            texts.append(text)

    connection = database_proxy.connection()
    connection.set_trace_callback(seen)
    return texts, connection


def test_items_are_built_as_the_statements_go_and_read_back_whole(pid: int) -> None:
    """An address on hundreds of customers makes items of half a megabyte: a batch's items must not all exist
    at once before the first is written."""
    size = WORK_TEXT_PER_STATEMENT // 5
    statements_before: list[int] = []
    texts, connection = traced_inserts()

    def pairs() -> Iterator[tuple[str, dict[str, Any]]]:
        for n in range(12):
            statements_before.append(len(texts))  # statements run before this item was built
            yield f"member:{n}@x.com", item(n, size)

    try:
        assert batches.save_work(pid, pairs()) == 12
    finally:
        connection.set_trace_callback(None)
    # Four items a statement (a fifth would pass the budget, and is built before the four are written).
    assert statements_before == [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert len(texts) == 3
    assert all(len(text) < WORK_TEXT_PER_STATEMENT + 4096 for text in texts)
    stored = batches.work_items(pid)
    assert stored == {f"member:{n}@x.com": item(n, size) for n in range(12)}


def test_an_item_larger_than_the_budget_goes_alone_and_small_ones_share(pid: int) -> None:
    texts, connection = traced_inserts()
    try:
        batches.save_work(pid, {"member:big@x.com": item(0, WORK_TEXT_PER_STATEMENT * 2),
                                **{f"member:{n}@x.com": item(n, 10) for n in range(1, 6)}})
    finally:
        connection.set_trace_callback(None)
    assert len(texts) == 1 + 2  # the large item alone; five small ones in statements of 4 and 1 (store/bulk.py)
    assert texts[0].count("member:") == 2  # its key and the key inside its item: one row
    assert len(batches.work_items(pid)) == 6


def test_saving_again_replaces_an_item(pid: int) -> None:
    batches.save_work(pid, [("member:a@x.com", {"step": 0})])
    batches.save_work(pid, [("member:a@x.com", {"step": 1})])
    assert batches.work_items(pid) == {"member:a@x.com": {"step": 1}}
