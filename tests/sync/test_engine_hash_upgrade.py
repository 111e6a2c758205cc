"""An install synced by the build before streaming (b9c054b) polls quietly after the upgrade: the content hashes
a first load stores are byte for byte what that build stored, so no record looks changed, nothing is re-sent and
the mass-change guard has nothing to count.  One deliberate change since: the e-commerce customer no longer carries
the address (``sync/buyer_address.py``), so buyer hashes differ, and the first poll stores today's in their place
without sending anything.

``samples/synced_b9c054b.json`` is the synced state that build's first load of this demo left; it was written with
``python -m tests.sync.test_engine_hash_upgrade`` run on that build (the module's code runs unchanged there).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.store import Entity
from tests.sync.engine_support import Demo, start_demo, stop_demo, writes_of

GOLDEN = Path(__file__).parent / "samples" / "synced_b9c054b.json"
CUSTOMERS = 60
ZONE = "America/Chicago"  # the order hashes hold the company's days: fixed, whatever this computer's zone
ENTITIES = (Entity.MEMBER, Entity.ECOMMERCE_CUSTOMER, Entity.CUSTOMER, Entity.ORDER, Entity.PRODUCT)


def first_load(factory: Any) -> Demo:
    demo = start_demo(factory, CUSTOMERS)
    demo.profile_path = demo.env.write_profile(database=str(demo.db_path), time_zone=ZONE)
    report = demo.run()
    assert report.exit_code == 0, report.error
    return demo


def synced_rows(demo: Demo) -> dict[str, list[list[str | None]]]:
    """Every synced row of the content the engine compares, by entity, sorted by GP key."""
    def read(pid: int) -> dict[str, list[list[str | None]]]:
        return {str(e): sorted([k, *s] for k, s in store.synced_map(pid, e).items()) for e in ENTITIES}

    return dict(demo.with_store(read))


@pytest.fixture(name="demo")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = first_load(tmp_path_factory)
    try:
        yield demo
    finally:
        stop_demo(demo)


def test_a_first_load_stores_what_the_build_before_streaming_stored(demo: Demo) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    rows = synced_rows(demo)
    assert {e: len(r) for e, r in rows.items()} == {e: len(r) for e, r in golden.items()}
    buyers = Entity.ECOMMERCE_CUSTOMER
    assert {e: r for e, r in rows.items() if e != buyers} == {e: r for e, r in golden.items() if e != buyers}
    # The same buyers, ids and e-mails; only the content (no address any more) differs.
    assert [[k, rid, email] for k, _h, rid, email in rows[buyers]] == [
        [k, rid, email] for k, _h, rid, email in golden[buyers]]


def test_the_state_the_build_before_streaming_left_polls_quietly(demo: Demo) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))

    def put_back(pid: int) -> None:  # that build's rows in place of this one's
        for entity, rows in golden.items():
            store.delete_synced(pid, entity, store.synced_map(pid, entity).keys())
            store.upsert_synced(pid, entity, {k: store.SyncedState(h, rid, email) for k, h, rid, email in rows})

    today = synced_rows(demo)
    demo.with_store(put_back)
    demo.sim.reset_counters()
    report = demo.run()
    assert synced_rows(demo) == today  # the buyers sent with an address now hold today's hash
    assert writes_of(demo.sim) == Counter()
    assert report.exit_code == 0 and report.mass_change is not None and not report.mass_change.over_limit
    assert report.customers["created"] == report.customers["updated"] == 0
    assert report.orders["created"] == report.orders["updated"] == 0
    assert report.customers["unchanged"] == len(golden[Entity.CUSTOMER])
    assert report.orders["unchanged"] == len(golden[Entity.ORDER])
    assert demo.traffic(demo.run)[1] == Counter()


class _Factory:
    """Enough of pytest's TempPathFactory for :func:`start_demo`, outside pytest."""

    def __init__(self, base: Path) -> None:
        self.base, self.made = base, 0

    def getbasetemp(self) -> Path:
        return self.base

    def mktemp(self, name: str) -> Path:
        self.made += 1
        path = self.base / f"{name}{self.made}"
        path.mkdir()
        return path


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        made = first_load(_Factory(Path(tmp)))
        try:
            GOLDEN.parent.mkdir(exist_ok=True)
            GOLDEN.write_text(json.dumps(synced_rows(made), indent=0) + "\n", encoding="utf-8")
        finally:
            stop_demo(made)
    sys.exit(0)
