"""``kill -9`` of ``gpmc sync`` at a random moment, then a rerun: Mailchimp ends up as after one clean run.

The reference is a clean in-process sync of an identical demo (same seed).  Each scenario kills the CLI once or
twice while a slowed-down Mailchimp simulator is being written to, at a seeded random point: a random number of
writes into the run, or a seeded random delay after a phase (members, orders) is under way.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from tests.sync.engine_support import (
    CAP,
    MEMBER_PUT,
    ORDER_POST,
    Demo,
    Expected,
    demo_fixture,
    expected_state,
    snapshot,
    start_demo,
    stop_demo,
    wait_for,
)

CUSTOMERS = 100
LATENCY = 0.02  # per Mailchimp request while the run that gets killed is going on

demo = demo_fixture("demo", CUSTOMERS)


@dataclass
class Reference:
    state: dict[str, Any]
    expected: Expected
    writes: int


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Any:
    clean = start_demo(tmp_path_factory, CUSTOMERS)
    try:
        clean.run()
        yield Reference(snapshot(clean), expected_state(clean), clean.sim.writes)
    finally:
        stop_demo(clean)


@dataclass(frozen=True)
class KillPoint:
    """Kill when the run has sent *writes* writes, or *fraction* of the member PUTs / order POSTs a clean
    run sends, plus a seeded random delay."""

    seed: int
    phase: str  # "writes", "members" or "orders"
    fraction: float = 0.0


def kill_during(demo: Demo, ref: Reference, point: KillPoint) -> None:
    rng = random.Random(point.seed)
    sim = demo.sim
    sim.reset_counters()
    sim.faults.set_latency(LATENCY)
    proc = demo.start_cli()
    try:
        if point.phase == "writes":
            # Anywhere from the store's creation to well into the orders (the tail is left for the delay).
            target = rng.randint(1, int(ref.writes * 0.85))
            wait_for(lambda: sim.writes >= target or proc.poll() is not None, f"{target} writes")
        else:
            key, total = (MEMBER_PUT, len(ref.expected.members)) if point.phase == "members" else (
                ORDER_POST, len(ref.expected.orders))
            target = max(1, int(total * point.fraction))
            wait_for(lambda: sim.request_counts().get(key, 0) >= target or proc.poll() is not None,
                     f"{target} of {key}")
        time.sleep(rng.uniform(0.0, 0.1))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        sim.faults.set_latency(0.0)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert sim.order_put_attempts == []


def differences(state: dict[str, Any], ref: dict[str, Any]) -> dict[str, int]:
    """How far Mailchimp is from the reference: records missing, extra or different, per kind."""
    out = {}
    for kind in ("members", "customers", "orders"):
        mine, theirs = state[kind], ref[kind]
        out[kind] = len(set(mine) ^ set(theirs)) + sum(1 for k in set(mine) & set(theirs) if mine[k] != theirs[k])
    return out


SCENARIOS = {
    "random-write-a": [KillPoint(11, "writes")],
    "during-members": [KillPoint(3, "members", 0.3)],
    "during-orders": [KillPoint(5, "orders", 0.4)],
    "members-then-orders": [KillPoint(7, "members", 0.6), KillPoint(8, "orders", 0.7)],
}


@pytest.mark.parametrize("points", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_rerun_after_kill_converges_to_a_clean_sync(demo: Demo, reference: Reference,
                                                    points: list[KillPoint]) -> None:
    for point in points:
        kill_during(demo, reference, point)
    assert differences(snapshot(demo), reference.state) != {"members": 0, "customers": 0, "orders": 0}, (
        "the kill left nothing to finish")

    rerun = demo.cli()

    line = rerun.json
    exp = reference.expected
    assert line["customers"]["failed"] == len(exp.rejected) and line["orders"]["failed"] == 0
    # Only the addresses Mailchimp calls fake fail: partial if one of them had not failed before the kill.
    assert rerun.code == (1 if line["failures"]["new"] else 0), rerun.stderr
    assert differences(snapshot(demo), reference.state) == {"members": 0, "customers": 0, "orders": 0}
    assert snapshot(demo) == reference.state  # same members, buyers, orders (totals, status), no duplicates
    assert demo.sim.order_put_attempts == []
    # A request the kill cut off reaches the simulator without its body (the simulator processes what it got):
    # at most one per connection, and nothing else may break the contract.
    cut_off = [v for v in demo.sim.contract_violations if v.message == "A request body is required."]
    assert [v for v in demo.sim.contract_violations if v not in cut_off] == []
    assert len(cut_off) <= CAP * len(points)
    history = demo.sim.is_syncing_history(demo.store_id)
    assert history[0] is True and history[-1] is False
    assert demo.sim.store(demo.store_id)["is_syncing"] is False
    assert set(demo.failures("customer")) == set(exp.rejected) and demo.failures("order") == {}

    again, writes = demo.traffic(demo.cli)
    assert writes == Counter()
    assert again.json["customers"]["created"] == again.json["customers"]["updated"] == 0
    assert again.json["orders"]["created"] == again.json["orders"]["updated"] == 0
    assert again.json["orders"]["unchanged"] == len(exp.orders)

