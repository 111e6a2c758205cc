"""Faults in combination: a demo company synced through a Mailchimp that fails a third of all requests at random in
five ways at once, while GP goes offline, answers slower than the profile's timeout, presents a certificate from
another CA, has its password changed in the middle of a run and breaks off an answer halfway — then the faults
clear and ordinary runs follow.

Every faulty run must either converge or stop with exit 2 having changed nothing of the sync state; at no point may
Mailchimp hold a duplicate order or a record the clean run does not, nor the state database say synced what
Mailchimp does not hold; a request Mailchimp refused with 400 is never sent again unchanged; the first good run
ends exactly as a clean run of the same data, and the one after it has nothing to send.  Runs are the engine in
process (what ``gpmc sync`` runs) with a fast retry policy, so a trial takes seconds, not the minutes the default
backoff would spend.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER
from gpmc_desktop.demo.mailchimp_sim import FaultMix
from gpmc_desktop.logsetup import register_api_key, register_secret, setup_logging
from gpmc_desktop.store import Entity
from gpmc_desktop.sync import quiet_poll
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.report import RunReport
from tests.reliability.kill_trials import ARMS, Arm, start, write_arm_profile
from tests.reliability.secret_scan import needles, scan_tree
from tests.sync.engine_support import FAST_RETRY, Demo, expected_state, snapshot, stop_demo, writes_of

# The mix: 20% 429 with Retry-After, 10% 5xx, 5% 403 without a body, 2% connection resets, and writes
# Mailchimp applies without the client ever hearing so (3% of writes).
MIX = FaultMix(too_many=0.20, server_error=0.10, bodyless_403=0.05, reset=0.02, lost_after_write=0.03, retry_after=1)
GP_FAULTS = ("offline", "half-answer", "slower-than-timeout", "certificate-replaced", "password-changed")
GP_TIMEOUT_S = 2
PRINCIPAL = f"{DEMO_DOMAIN}\\{DEMO_USER}"
RETRIES_DUE = dt.timedelta(days=2)
BATCHES = BatchSettings(threshold=20, size=120, poll_first=0.02, poll_max=0.1, deadline=60.0)


@dataclass
class FaultTrial:
    trial: int
    arm: str
    gp_order: list[str] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)  # every run's exit code, in order
    errors: list[str] = field(default_factory=list)  # and what stopped it ("" for none)
    mailchimp_faults: dict[str, int] = field(default_factory=dict)  # injected, by kind
    gp_faults: int = 0
    half_answers: int = 0  # GP answers broken off halfway (the client may read them again: GET is safe)
    exit2_changed_state: int = 0  # runs that stopped with exit 2 yet changed what the state database holds
    changed: list[str] = field(default_factory=list)  # what they changed, for the failure message
    gp_failure_writes: int = 0  # Mailchimp writes sent by runs that could not read GP
    duplicates: int = 0  # the most duplicate or foreign records Mailchimp held after any run
    wrongly_synced: int = 0  # the most records the state database called synced that Mailchimp did not hold
    repeated_400: int = 0  # requests Mailchimp refused with 400 that were sent again unchanged
    status_changes: int = 0  # contacts whose status the sync changed in Mailchimp (consent: must be 0)
    secret_hits: int = 0  # secrets found in the data folder (database, WAL, logs) after every run
    files_scanned: int = 0
    converged: bool = False  # the first good run ended as the clean run
    good_exit: int = -1
    writes_after: int = -1  # writes the run after the first good one sent
    lost: int = 0  # records of the clean run missing after the first good run
    ledgered: list[str] = field(default_factory=list)  # the failure ledger after it (Mailchimp's fake addresses)
    records: int = 0

    @property
    def ok(self) -> bool:
        return (self.converged and self.good_exit in (0, 1) and self.writes_after == 0 and self.lost == 0
                and self.duplicates == self.wrongly_synced == self.repeated_400 == 0
                and self.status_changes == self.secret_hits == 0
                and self.exit2_changed_state == self.gp_failure_writes == 0
                and all(code in (0, 1, 2) for code in self.exits))


def clean_reference(factory: pytest.TempPathFactory, arm: Arm) -> dict[str, Any]:
    demo = start(factory, arm)
    try:
        report = run(demo, arm)
        assert report.exit_code in (0, 1), report.error
        return snapshot(demo)
    finally:
        stop_demo(demo)


def run(demo: Demo, arm: Arm, *, later: dt.timedelta | None = None) -> RunReport:
    """One run; *later*: as that much later on the engine's clock (a failure's retry time has come)."""
    now = (lambda: dt.datetime.now(dt.UTC) + later) if later else None
    return demo.run(retry=FAST_RETRY, batches=BATCHES if arm.batch_threshold else BatchSettings(threshold=0),
                    now=now)


def sync_state(demo: Demo) -> dict[str, Any]:
    """What the state database holds of the sync (not the runs, audit or ledger a failed run records)."""
    def read(pid: int) -> dict[str, Any]:
        state = {e: dict(store.synced_items(pid, e)) for e in (Entity.MEMBER, Entity.ECOMMERCE_CUSTOMER,
                                                                   Entity.CUSTOMER, Entity.ORDER)}
        # The quiet-poll memo is a cache, not sync state: a run under another profile setting (a URL, a timeout)
        # drops it, and the next poll plans in full (sync/quiet_poll.py).
        state["engine"] = {k: v for k, v in store.all_state(pid).items() if k != quiet_poll.STATE_KEY}
        return state
    return dict(demo.with_store(read))


def check_holdings(demo: Demo, reference: dict[str, Any], result: FaultTrial, expected_per_buyer: Counter[str]) -> None:
    """Mailchimp holds nothing the clean run does not, no order twice, and the state database calls nothing
    synced that Mailchimp lacks."""
    state = holdings(demo)
    extra = sum(len(set(state[k]) - set(reference[k])) for k in ("members", "customers", "orders"))
    for cid, customer in demo.sim.customers(demo.store_id).items() if demo.sim.store(demo.store_id) else ():
        extra += max(0, int(customer.get("orders_count") or 0) - expected_per_buyer[cid])
    result.duplicates = max(result.duplicates, extra)
    synced = sync_state(demo)
    members = {m["email_address"].lower() for m in demo.sim.members(demo.list_id)}
    orders = set(state["orders"])
    missing = sum(1 for email in synced[Entity.MEMBER] if email.lower() not in members)
    missing += sum(1 for number in synced[Entity.ORDER] if number not in orders and synced[Entity.ORDER][number])
    result.wrongly_synced = max(result.wrongly_synced, missing)


def repeated_refusals(log: list[tuple[str, str, str, str]], boundaries: list[int]) -> int:
    """Requests Mailchimp refused with 400 that were sent again unchanged once the client knew: in a later run
    (the failure ledger's job), or in the same run after the 400 reached the client.  A request whose 400 the
    client never heard (a lost answer; a resubmitted batch whose first copy ran too) may meet its 400 twice."""
    seen_runs: dict[tuple[str, str, str], int] = {}
    heard: set[tuple[str, str, str]] = set()
    repeats = 0
    for index, (method, path, digest, answer) in enumerate(log):
        run = next((i for i, end in enumerate(boundaries) if index < end), len(boundaries))
        key = (method, path, digest)
        if key in heard or (key in seen_runs and seen_runs[key] < run):
            repeats += 1
        seen_runs.setdefault(key, run)
        if answer == "answered":
            heard.add(key)
    return repeats


def holdings(demo: Demo) -> dict[str, Any]:
    """snapshot(), also before a run got as far as creating the store."""
    if demo.sim.store(demo.store_id) is None:
        return {**snapshot_members(demo), "customers": {}, "orders": {}, "products": []}
    return snapshot(demo)


def snapshot_members(demo: Demo) -> dict[str, Any]:
    return {"members": {m["email_address"]: m for m in demo.sim.members(demo.list_id)}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gp_fault_run(demo: Demo, arm: Arm, fault: str) -> RunReport:
    """One run with *fault* on GP's side (and Mailchimp's mix still on); GP put right afterwards."""
    gp = demo.env.gp
    try:
        if fault == "offline":
            write_arm_profile(demo, arm, url=f"https://127.0.0.1:{free_port()}", ca_bundle=str(gp.ca_path))
        elif fault == "half-answer":
            gp.faults.half_answer_next(1, path_pattern=r"Receivables")
        elif fault == "slower-than-timeout":
            write_arm_profile(demo, arm, ca_bundle=str(gp.ca_path), timeout_seconds=str(GP_TIMEOUT_S))
            gp.faults.set_latency(GP_TIMEOUT_S + 1.0)
        elif fault == "certificate-replaced":
            gp.replace_certificate()
        elif fault == "password-changed":
            # Connections that authenticated stay so (as with IIS): reset them, so the documents are read on a
            # new connection after the customers, with the password changed in between.
            gp.rotate_password(PRINCIPAL, "Changed-By-IT-1")
            gp.faults.reset_next(1, path_pattern=r"Receivables")
        return run(demo, arm)
    finally:
        gp.faults.clear()
        if fault == "certificate-replaced":
            write_arm_profile(demo, arm, ca_bundle=str(gp.ca_path))  # IT hands out the new CA
        elif fault == "password-changed":
            gp.rotate_password(PRINCIPAL, DEMO_PASSWORD)  # as the profile's saved password again
        if fault in ("offline", "slower-than-timeout"):
            write_arm_profile(demo, arm, ca_bundle=str(gp.ca_path))


def run_fault_trial(
    factory: pytest.TempPathFactory, arm_name: str, reference: dict[str, Any], trial: int, seed: int
) -> FaultTrial:
    arm = ARMS[arm_name]
    rng = random.Random(seed * 104729 + trial)
    result = FaultTrial(trial, arm_name, gp_order=rng.sample(GP_FAULTS, len(GP_FAULTS)))
    demo = start(factory, arm)
    # As run_profile does for the app and the CLI: the secrets registered for masking, the log in the data folder.
    register_secret(demo.env.secrets.gp_password)
    register_api_key(demo.env.secrets.mailchimp_api_key)
    setup_logging(demo.data_dir)
    try:
        expected = expected_state(demo)
        per_buyer = Counter(expected.buyer_of(o.customer) for o in expected.orders.values())
        sim = demo.sim
        sim.config.batch_step_seconds = 0.01
        sim.faults.set_mix(MIX, seed=rng.randrange(1 << 30))
        plan = ["mailchimp", *result.gp_order, "mailchimp"]
        boundaries: list[int] = []  # how many refusals Mailchimp had logged when each run ended
        for step in plan:
            before = sync_state(demo) if demo.db_path.exists() else None
            sim.reset_counters()
            report = run(demo, arm) if step == "mailchimp" else gp_fault_run(demo, arm, step)
            result.exits.append(int(report.exit_code))
            result.errors.append(report.error or "")
            if step != "mailchimp":
                result.gp_faults += 1
                if int(report.exit_code) == 2:
                    result.gp_failure_writes += sum(writes_of(sim).values())
            after = sync_state(demo)
            if int(report.exit_code) == 2 and before is not None and after != before:
                result.exit2_changed_state += 1
                result.changed += [f"{step}: {k}" for k in after if after[k] != before.get(k) and k != "engine"]
                result.changed += [f"{step}: engine {k}: {before['engine'].get(k)!r} -> {v!r}"[:300]
                                   for k, v in after["engine"].items() if before["engine"].get(k) != v]
                result.changed += [f"{step}: engine {k} removed" for k in before["engine"] if k not in after["engine"]]
            check_holdings(demo, reference, result, per_buyer)
            boundaries.append(len(sim.rejected_requests()))
        result.mailchimp_faults = dict(sim.faults.injected)
        result.half_answers = sum(1 for r in demo.env.gp.requests() if r.fault == "half")
        sim.faults.set_mix(None)
        # The first good run comes after the failure ledger's retry times: the records Mailchimp refused for a
        # passing reason are due again (what a real schedule reaches within hours).
        good = run(demo, arm, later=RETRIES_DUE)
        result.ledgered = [f"{e.entity} {e.gp_key}: {e.category} {e.last_http_status} {e.last_error_title}"
                           for e in demo.with_store(lambda pid: store.list_failures(pid))]
        result.good_exit = int(good.exit_code)
        result.errors.append(good.error or "")
        check_holdings(demo, reference, result, per_buyer)
        boundaries.append(len(sim.rejected_requests()))
        state = snapshot(demo)
        result.converged = state == reference
        result.lost = sum(len(set(reference[k]) - set(state[k])) for k in ("members", "customers", "orders"))
        result.records = sum(len(state[k]) for k in ("members", "customers", "orders"))
        sim.reset_counters()
        run(demo, arm, later=RETRIES_DUE)
        result.writes_after = sum(writes_of(sim).values())
        result.repeated_400 = repeated_refusals(sim.rejected_requests(), boundaries)
        result.status_changes = len(sim.status_changes())
        secrets = demo.env.secrets
        hits, result.files_scanned = scan_tree(demo.data_dir, needles(secrets.gp_password, secrets.mailchimp_api_key))
        result.secret_hits = len(hits)
    finally:
        stop_demo(demo)
        drop_log_handler()
    return result


def drop_log_handler() -> None:
    logger = logging.getLogger("gpmc_desktop")
    for handler in [h for h in logger.handlers if getattr(h, "_gpmc", False)]:
        logger.removeHandler(handler)
        handler.close()
