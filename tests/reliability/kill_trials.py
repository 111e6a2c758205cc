"""Kill-anywhere trials: a real ``gpmc sync`` killed (SIGKILL) at a random point of a first load, then an ordinary
rerun; Mailchimp must end exactly as after one clean run of the same data.

A trial draws one kill point (tests/reliability/kill_points.py) that a clean run of its arm passes through, a pass
number within the clean run's count, and before/after; or a random instant of the run.  Two arms: record by record
(automations "on": the store is flagged is_syncing only during the first load) and by Mailchimp batches
(automations "off": the flag stays on).  What each trial measured is a :class:`TrialResult`; the suite asserts on
it and, with ``GPMC_RELIABILITY_OUT`` set, appends it to that folder for docs/reliability.md (figures.py).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from tests.reliability.kill_points import COUNTS_ENV, SECONDS_KEY, SPEC_ENV
from tests.reliability.secret_scan import needles, scan_text, scan_tree
from tests.sync.engine_support import (
    CliResult,
    Demo,
    expected_state,
    preset_statuses,
    set_sync_keys,
    snapshot,
    start_demo,
    stop_demo,
    wait_for,
    writes_of,
)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 60
LATENCY = 0.01  # per Mailchimp request: a first load of a few seconds, so a random instant lands inside it
FAKE_DOMAINS = 3


@dataclass(frozen=True)
class Arm:
    name: str
    automations: str  # the profile's choice: "on" clears is_syncing after the first load, "off" keeps it
    batch_threshold: int  # 0: record by record


ARMS = {
    "record-by-record": Arm("record-by-record", "on", 0),
    "batches": Arm("batches", "off", 20),
}


def start(factory: pytest.TempPathFactory, arm: Arm, seed: int = 7) -> Demo:
    demo = start_demo(factory, CUSTOMERS, seed=seed)
    demo.sim.config.batch_step_seconds = 0.02
    write_arm_profile(demo, arm)
    # A few customers whose addresses Mailchimp refuses, so runs write the failure ledger (a kill point too).
    domains = Counter(email.rpartition("@")[2] for email in expected_state(demo).synced.values())
    demo.sim.config.fake_email_domains.update(sorted(d for d, n in domains.items() if n == 1)[:FAKE_DOMAINS])
    preset_statuses(demo)  # consent: contacts in every status Mailchimp-side before the first sync
    return demo


def write_arm_profile(demo: Demo, arm: Arm, **overrides: str) -> None:
    """The demo's profile file as *arm* has it (its automations and batch threshold), with *overrides*."""
    demo.env.write_profile(demo.profile_path.name, database=str(demo.db_path), automations=arm.automations,
                           **overrides)
    set_sync_keys(demo, batch_threshold=arm.batch_threshold)


def gpmc(demo: Demo, *, spec: dict[str, Any] | None = None, counts: Path | None = None,
         timeout: float = 300) -> tuple[CliResult, float]:
    """``gpmc sync --json`` with a kill point armed (or none); (result, wall seconds)."""
    env = {**demo.cli_env(), "PYTHONPATH": str(ROOT)}
    if spec:
        env[SPEC_ENV] = json.dumps(spec)
    if counts:
        env[COUNTS_ENV] = str(counts)
    command = [sys.executable, "-m", "tests.reliability.kill_points", "sync", "--config", str(demo.profile_path),
               "--json"]
    began = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return CliResult(done.returncode, done.stdout, done.stderr), time.monotonic() - began


@dataclass
class Reference:
    arm: Arm
    state: dict[str, Any]
    passes: dict[str, int]  # kill point -> passes in a clean run
    seconds: float  # from the kill points' arming (after Python started) to the run's end
    orders_per_buyer: Counter[str]


def reference(factory: pytest.TempPathFactory, arm: Arm) -> Reference:
    """A clean run of the arm's demo (same seed as every trial): what Mailchimp holds after it, and how often the
    run passed each kill point."""
    demo = start(factory, arm)
    try:
        demo.sim.faults.set_latency(LATENCY)
        counts = demo.data_dir.parent / "passes.json"
        result, seconds = gpmc(demo, counts=counts)
        assert result.json["customers"]["failed"] > 0, "no failure to ledger: the ledger kill point is unreachable"
        assert result.code in (0, 1), result.stderr
        expected = expected_state(demo)
        per_buyer = Counter(expected.buyer_of(o.customer) for o in expected.orders.values())
        passes = json.loads(counts.read_text())
        armed_seconds = float(passes.pop(SECONDS_KEY, seconds))
        return Reference(arm, snapshot(demo), passes, armed_seconds, per_buyer)
    finally:
        stop_demo(demo)


@dataclass
class TrialResult:
    trial: int
    arm: str
    point: str
    nth: int = 0
    when: str = ""
    delay: float = 0.0
    killed: bool = False
    rerun_exit: int = -1
    converged: bool = False
    lost: int = 0  # members, e-commerce customers or orders of the clean run missing after the rerun
    duplicates: int = 0  # orders created twice (a buyer's orders_count above its invoices) or extra records
    different: int = 0  # records present but not as the clean run left them
    created_not_audited: int = 0  # records the rerun reports as created without an audit row saying so
    is_syncing_ok: bool = False
    left_running: int = 0  # runs still marked running after the rerun
    writes_after: int = 0  # writes a third run sent (must be 0: nothing left to do)
    records: int = 0  # members + e-commerce customers + orders Mailchimp holds
    status_changes: int = 0  # contacts whose status the sync changed in Mailchimp (consent: must be 0)
    secret_hits: int = 0  # secrets found in the data folder (database, WAL, logs) or the runs' output
    files_scanned: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.converged and self.lost == self.duplicates == self.different == self.created_not_audited == 0
                and self.status_changes == 0 and self.secret_hits == 0
                and self.is_syncing_ok and self.left_running == 0 and self.writes_after == 0
                and self.rerun_exit in (0, 1))


def draw(rng: random.Random, ref: Reference) -> dict[str, Any]:
    points = [*sorted(p for p, n in ref.passes.items() if n > 0), "any-time"]
    point = rng.choice(points)
    if point == "any-time":
        return {"point": point, "delay": round(rng.uniform(0.0, 0.9 * ref.seconds), 3)}
    return {"point": point, "nth": rng.randint(1, ref.passes[point]), "when": rng.choice(["before", "after"])}


def run_trial(factory: pytest.TempPathFactory, ref: Reference, trial: int, seed: int) -> TrialResult:
    spec = draw(random.Random(seed * 7919 + trial), ref)
    result = TrialResult(trial, ref.arm.name, spec["point"], spec.get("nth", 0), spec.get("when", ""),
                         spec.get("delay", 0.0))
    demo = start(factory, ref.arm)
    try:
        demo.sim.faults.set_latency(LATENCY)
        outputs: list[CliResult] = []
        killed, _ = gpmc(demo, spec=spec)
        outputs.append(killed)
        result.killed = killed.code == -signal.SIGKILL
        if not result.killed:
            result.notes.append(f"the run ended (exit {killed.code}) before the kill point")
        demo.sim.faults.set_latency(0.0)
        # Requests the dead process had in flight still complete in Mailchimp (as they would on the real one):
        # what the rerun found is what Mailchimp holds once they have.
        wait_for(lambda: demo.sim.slots.in_flight == 0, "the killed run's requests to finish in the simulator")
        # So do its batches, the one it submitted without learning the batch's id included.
        wait_for(lambda: all(b.status == "finished" for b in demo.sim.batches.all()), "the killed run's batches")
        before = set(demo.sim.orders(demo.store_id)) if demo.sim.store(demo.store_id) else set()
        rerun, _ = gpmc(demo)
        outputs.append(rerun)
        result.rerun_exit = rerun.code
        if rerun.code not in (0, 1):
            result.notes.append(rerun.stderr[-2000:])
            return result
        measure(demo, ref, rerun, before, result)
        demo.sim.reset_counters()
        third, _ = gpmc(demo)
        outputs.append(third)
        result.writes_after = sum(writes_of(demo.sim).values())
        result.status_changes = len(demo.sim.status_changes())
        scan_secrets(demo, outputs, result)
        if third.code not in (0, 1):
            result.notes.append(f"third run exit {third.code}")
    finally:
        stop_demo(demo)
    return result


def scan_secrets(demo: Demo, outputs: list[CliResult], result: TrialResult) -> None:
    secrets = demo.env.secrets
    wanted = needles(secrets.gp_password, secrets.mailchimp_api_key)
    hits, files = scan_tree(demo.data_dir, wanted)
    for i, out in enumerate(outputs):
        hits += scan_text(f"run {i + 1} stdout", out.stdout, wanted)
        hits += scan_text(f"run {i + 1} stderr", out.stderr, wanted)
    result.secret_hits, result.files_scanned = len(hits), files + 2 * len(outputs)
    result.notes += [f"secret: {h.what} in {h.where}" for h in hits]


def measure(demo: Demo, ref: Reference, rerun: CliResult, orders_before: set[str], result: TrialResult) -> None:
    state = snapshot(demo)
    for kind in ("members", "customers", "orders"):
        mine, theirs = state[kind], ref.state[kind]
        result.lost += len(set(theirs) - set(mine))
        result.duplicates += len(set(mine) - set(theirs))
        result.different += sum(1 for k in set(mine) & set(theirs) if mine[k] != theirs[k])
        result.records += len(mine)
    for cid, customer in demo.sim.customers(demo.store_id).items():
        result.duplicates += max(0, int(customer.get("orders_count") or 0) - ref.orders_per_buyer[cid])
    result.converged = state == ref.state

    line = rerun.json
    run_id = int(line["run_id"])
    gained = set(demo.sim.orders(demo.store_id)) - orders_before

    def audited(_pid: int) -> tuple[Counter[str], set[str], int]:
        created: Counter[str] = Counter()
        created_orders: set[str] = set()
        for row in store.iter_audit(store.AuditFilter(run_id=run_id)):
            if str(row.action) == "created":
                created[str(row.entity)] += 1
                if str(row.entity) == "order":
                    created_orders.add(row.gp_key)
        running = len(store.running_runs())
        return created, created_orders, running

    created, created_orders, running = demo.with_store(audited)
    result.left_running = running
    result.created_not_audited = (
        abs(line["customers"]["created"] - created["customer"]) + abs(line["orders"]["created"] - created["order"])
        + len(gained - created_orders))
    flag = demo.sim.store(demo.store_id)
    result.is_syncing_ok = flag is not None and flag["is_syncing"] is (ref.arm.automations == "off")
