"""A big run through Mailchimp batch operations (``sync/batch_backfill.py``) against the simulators: the same
Mailchimp account, report, reconciliation and audit as record by record; consent kept; failed operations
ledgered or sent again; the account's pending limit waited out; a deadline; a killed run finished by the next."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.mailchimp_sim import BatchFault
from gpmc_desktop.store import Action, Outcome
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.report import RunReport
from tests.sync.batch_support import (
    BATCHED,
    PER_RECORD,
    FailsOnce,
    KillAfterSubmit,
    audit_actions,
    fast_batches,
    in_flight,
    kill_after,
    run_engine,
    submitted,
)
from tests.sync.engine_support import (
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
    snapshot,
    start_demo,
    stop_demo,
)

CUSTOMERS = 120


demo = demo_fixture("demo", CUSTOMERS)
twin = demo_fixture("twin", CUSTOMERS)  # the same GP data, a Mailchimp account of its own


def assert_converged(demo: Demo, report: RunReport) -> None:
    """The run ended without an error (the demo's fake addresses fail either way) and Mailchimp holds what GP
    says."""
    assert report.outcome in (Outcome.OK, Outcome.PARTIAL) and not report.error, report.error
    assert_matches_expectation(demo, expected_state(demo))


def consent_choices(demo: Demo) -> dict[str, str]:
    """Contacts who unsubscribed or bounced in Mailchimp before the first load: their status must stay."""
    emails = sorted(expected_state(demo).members)[:4]
    chosen = dict(zip(emails, ("unsubscribed", "cleaned", "unsubscribed", "cleaned"), strict=True))
    for email, status in chosen.items():
        demo.sim.set_member_status(demo.list_id, email, status)
    return chosen


def test_by_batches_mailchimp_report_and_audit_equal_record_by_record(demo: Demo, twin: Demo) -> None:
    chosen = consent_choices(demo)
    assert consent_choices(twin) == chosen
    demo.sim.reset_counters()
    batched = run_engine(demo, BATCHED)
    per_record = run_engine(twin, PER_RECORD)

    assert batched.outcome == per_record.outcome
    assert snapshot(demo) == snapshot(twin)  # members (status, merge fields, tags), customers, orders
    assert_matches_expectation(demo, expected_state(demo))
    members = {m["email_address"]: m["status"] for m in demo.sim.members(demo.list_id)}
    assert {e: members[e] for e in chosen} == chosen  # consent: status_if_new never overrode a choice
    assert (batched.customers, batched.orders) == (per_record.customers, per_record.orders)
    assert batched.failure_news == per_record.failure_news
    assert batched.reconciliation is not None and per_record.reconciliation is not None
    assert batched.reconciliation.as_json() == per_record.reconciliation.as_json()
    assert audit_actions(demo, batched.run_id) == audit_actions(twin, per_record.run_id)
    # Every operation was valid for its own path and method, ran out of order, and was sent once.
    assert demo.sim.contract_violations == []
    assert any(o["execution_order"] != sorted(o["execution_order"])
               for o in (demo.sim.batch(b.id) for b in demo.sim.batches.all()))
    assert max(submitted(demo.sim).values()) == 1
    assert in_flight(demo) == (0, 0)
    assert batched.json_line()["batches"] == {"submitted": len(demo.sim.batches.all()),
                                              "operations": len(submitted(demo.sim)),
                                              "finished": len(submitted(demo.sim)),
                                              "failed": len(set(expected_state(demo).rejected.values()))}
    assert "batches" not in per_record.json_line()
    # The store paused automations through the load and let them act at its end, as record by record.
    assert demo.sim.is_syncing_history(demo.store_id) == twin.sim.is_syncing_history(twin.store_id)

    # Nothing is left to send: the next run writes nothing.
    demo.sim.reset_counters()
    again = run_engine(demo, BATCHED)
    assert again.outcome == Outcome.OK and demo.sim.writes == 0 and again.customers[Action.UNCHANGED] > 0


def test_a_refused_operation_is_ledgered_and_not_sent_again(demo: Demo) -> None:
    victim = sorted(expected_state(demo).members)[5]
    demo.sim.config.batch_faults = [BatchFault(400, operation_id=f"member:{victim}:*")]
    report = run_engine(demo, BATCHED)
    assert report.outcome == Outcome.PARTIAL
    failed = [e for e in demo.failures("customer").values() if e.email == victim]
    assert failed and all(e.category == "permanent" and e.last_http_status == 400 for e in failed)
    assert submitted(demo.sim)[next(op for op in submitted(demo.sim) if op.startswith(f"member:{victim}:"))] == 1
    assert victim not in {m["email_address"] for m in demo.sim.members(demo.list_id)}


def test_operations_answered_429_are_sent_again_until_they_pass(demo: Demo) -> None:
    demo.sim.config.batch_faults = [FailsOnce(429, operation_id="order:*", fraction=0.5, seed=3)]
    report = run_engine(demo, BATCHED)
    assert_converged(demo, report)
    assert demo.failures("order") == {}
    resent = [op for op, n in submitted(demo.sim).items() if n == 2]
    assert resent and all(op.startswith("order:") for op in resent)
    assert_matches_expectation(demo, expected_state(demo))


def test_a_429_that_never_clears_is_ledgered_as_transient(demo: Demo) -> None:
    expected = expected_state(demo)
    number = sorted(expected.orders)[0]
    demo.sim.config.batch_faults = [BatchFault(429, operation_id=f"order:{number}:*")]
    report = run_engine(demo, dataclasses.replace(BATCHED, resubmits=2))
    assert report.outcome == Outcome.PARTIAL
    assert [(k, e.category) for k, e in demo.failures("order").items()] == [(number, "transient")]
    assert Counter(n for op, n in submitted(demo.sim).items() if op.startswith(f"order:{number}:")) == {3: 1}


def test_the_accounts_pending_limit_is_waited_out(demo: Demo) -> None:
    demo.sim.config.batch_max_pending = 1  # other integrations hold the rest of the account's limit
    report = run_engine(demo, BATCHED)
    assert_converged(demo, report)
    assert max(submitted(demo.sim).values()) == 1


def test_past_the_deadline_the_run_stops_and_the_next_carries_on(demo: Demo) -> None:
    demo.sim.config.batch_operations_per_second = 20  # Mailchimp is slow today
    report = run_engine(demo, dataclasses.replace(BATCHED, deadline=0.5))
    assert report.outcome == Outcome.FAILED
    assert "has not finished the batches" in report.error and "next sync carries on" in report.error
    batches, records = in_flight(demo)
    assert batches >= 1 and records >= 1
    demo.sim.config.batch_operations_per_second = None
    after = run_engine(demo, BATCHED)
    assert_converged(demo, after)
    assert in_flight(demo) == (0, 0)
    assert max(submitted(demo.sim).values()) == 1  # the stored batches were applied, not sent again


@pytest.mark.parametrize("kill_at", [1, 4])  # in the members' step; in a later one
def test_a_run_killed_after_submitting_is_finished_by_the_next(demo: Demo, kill_at: int) -> None:
    with pytest.raises(KillAfterSubmit):
        run_engine(demo, BATCHED, progress=kill_after(demo.sim, kill_at))
    assert in_flight(demo)[0] >= 1
    after = run_engine(demo, BATCHED)
    assert_converged(demo, after)
    assert max(submitted(demo.sim).values()) == 1  # no operation sent twice
    assert in_flight(demo) == (0, 0)
    assert_counts_agree_with_audit(demo, after)
    # The resumed load kept the store syncing until its end, which let automations act (automations = on).
    assert demo.sim.is_syncing_history(demo.store_id)[-1] is False
    assert demo.sim.is_syncing_history(demo.store_id)[0] is True


def test_a_run_cancelled_while_mailchimp_works_is_finished_by_the_next(demo: Demo) -> None:
    cancel = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "batches" and demo.sim.batches.all():
            cancel.set()  # Stop pressed while Mailchimp works through the first batch

    report = run_engine(demo, BATCHED, progress=progress, cancel=cancel)
    assert report.outcome == Outcome.CANCELLED
    assert in_flight(demo)[0] == 1
    after = run_engine(demo, BATCHED)
    assert_converged(demo, after)
    assert max(submitted(demo.sim).values()) == 1 and in_flight(demo) == (0, 0)
    assert_counts_agree_with_audit(demo, after)


def test_threshold_zero_never_batches(demo: Demo) -> None:
    report = run_engine(demo, BatchSettings(threshold=0))
    assert_converged(demo, report)
    assert demo.sim.batches.all() == []


def test_a_thousand_customer_first_load_takes_far_fewer_requests_than_records(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    big = start_demo(tmp_path_factory, 1000)
    fast_batches(big.sim)
    # The contract check of 4,000 operations would triple the time; the operations' validity is the first
    # test's (the same builders, every operation checked).
    big.sim.config.strict_contract = False
    try:
        big.sim.reset_counters()
        report = run_engine(big, BatchSettings(threshold=500, poll_first=0.05, poll_max=0.2))
        assert_converged(big, report)
        records = sum(report.customers.values()) + sum(report.orders.values())
        live = sum(big.sim.request_counts().values())
        operations = sum(big.sim.batch_operation_counts().values())
        assert records > 2000 and operations > records  # members, tags, customers and orders all ran in batches
        assert live < records / 10, (live, records)
        assert live + len(big.sim.result_downloads()) < 200
    finally:
        stop_demo(big)


def test_an_order_that_already_exists_is_patched_never_put(demo: Demo) -> None:
    run_engine(demo, BATCHED)
    # The state database lost its memory of some orders (restored from an old backup): they are POSTed again.
    lost = sorted(expected_state(demo).orders)[:3]
    demo.with_store(lambda pid: store.delete_synced(pid, "order", lost))
    demo.sim.reset_counters()
    report = run_engine(demo, BATCHED)
    assert report.orders[Action.UPDATED] == 3 and report.orders[Action.CREATED] == 0
    ops = demo.sim.batch_operation_counts()
    assert (ops[("POST", "/ecommerce/stores/{store_id}/orders")],
            ops[("PATCH", "/ecommerce/stores/{store_id}/orders/{order_id}")]) == (3, 3)
    assert demo.sim.order_put_attempts == []
    assert {key: rows[-1][0] for (entity, key), rows in audit_actions(demo, report.run_id).items()
            if entity == "order"} == dict.fromkeys(lost, "updated")
    assert_converged(demo, report)


def assert_counts_agree_with_audit(demo: Demo, report: RunReport) -> None:
    """What the run finished of a stopped run's batches counts as what they did (created, updated), in its
    figures and its reconciliation alike, as its audit rows say: not as unchanged."""
    rows = audit_actions(demo, report.run_id)
    for entity, counts in (("customer", report.customers), ("order", report.orders)):
        audited = Counter(actions[-1][0] for (e, _key), actions in rows.items() if e == entity)
        for action in ("created", "updated"):
            assert counts[action] == audited[action], (entity, action, counts, audited)
    rec = report.reconciliation
    assert rec is not None
    assert rec.orders.get("created", 0) == report.orders["created"]
    assert sum(report.customers[a] for a in ("created", "updated")) > 0 or sum(
        report.orders[a] for a in ("created", "updated")) > 0, "the stopped run's batches were counted nowhere"
