"""A store synced by the build that made one e-commerce customer per GP customer number (see old_store.py)
converges on the first run of this build: one customer per e-mail, every order present once and pointing at it,
the old customers deleted, the audit saying so, and a second run that writes nothing; a kill at any instant of
that run is finished by the next run."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from typing import Any

from gpmc_desktop import store
from tests.sync.engine_support import (
    CUSTOMER_DELETE,
    CUSTOMER_PUT,
    ORDER_DELETE,
    ORDER_POST,
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
    wait_for,
)
from tests.sync.old_store import OldStore, build_old_store

demo = demo_fixture("demo", 120)


def assert_converged(demo: Demo, old: OldStore) -> None:
    exp = expected_state(demo)
    assert_matches_expectation(demo, exp)  # one customer per e-mail, each order once on it, no surplus customer
    assert set(old.orders) | old.missing == set(exp.orders)
    assert not set(old.legacy) & set(demo.sim.customers(demo.store_id))
    assert demo.failures("customer") == {} and demo.failures("order") == {}
    assert demo.sim.order_put_attempts == []
    assert demo.with_store(lambda pid: store.synced_map(pid, "ecommerce_customer")).keys() == exp.buyers.keys()


def assert_quiet(demo: Demo) -> None:
    report, writes = demo.traffic(demo.run)
    assert writes == Counter()
    assert report.exit_code == 0
    assert report.customers["created"] == report.customers["updated"] == 0
    assert report.orders["created"] == report.orders["updated"] == 0


def test_an_old_store_converges_once_on_upgrade(demo: Demo) -> None:
    old = build_old_store(demo)
    notified = len(demo.sim.notification_events(demo.store_id))

    report, writes = demo.traffic(demo.run)

    assert report.exit_code == 0, report.error
    assert_converged(demo, old)
    exp = expected_state(demo)
    # Every GP customer moved (or, refused before, is created); every old order is re-created once on its
    # e-mail's customer, every invoice the old build could not send is created.
    assert report.customers == {"created": len(old.refused), "updated": len(old.legacy), "unchanged": 0,
                                "skipped": len(exp.skipped), "failed": 0}
    assert report.orders["updated"] == len(old.orders) and report.orders["created"] == len(old.missing)
    assert report.orders["failed"] == 0
    # PATCH cannot move an order: each is deleted and posted again; the first order of each e-mail carries its
    # customer, so only customers without an order are PUT; every old customer is deleted.
    with_orders = {exp.buyer_of(o.customer) for o in exp.orders.values()}
    assert writes[ORDER_DELETE] == len(old.orders)
    assert writes[ORDER_POST] == len(exp.orders)
    assert writes[CUSTOMER_PUT] == len(exp.buyers) - len(with_orders)
    assert writes[CUSTOMER_DELETE] == len(old.legacy)
    # Re-created orders send no order e-mail: the run paused the store's automations around them.
    assert all(e["suppressed"] for e in demo.sim.notification_events(demo.store_id)[notified:])
    assert demo.sim.is_syncing_history(demo.store_id)[-2:] == [True, False]

    rows = demo.with_store(lambda pid: store.audit_page(
        store.AuditFilter(profile_id=pid, run_id=report.run_id, entity="customer"), limit=5000).rows)
    by_key: dict[str, list[store.AuditEventRow]] = {}
    for row in rows:
        by_key.setdefault(row.gp_key, []).append(row)
    shares = exp.shared_emails()
    for number, email in old.legacy.items():  # the GP customer moved, and its old customer was deleted
        shared = f" (shared by {', '.join(shares[email])})" if email in shares else ""
        assert {(r.action, r.mailchimp_id, r.reason) for r in by_key[number]} == {
            ("updated", exp.buyer_of(number), f"merged into the e-commerce customer of {email}{shared}"),
            ("updated", number, f"deleted its own e-commerce customer (an older build's, id {number}): its orders "
                                f"are created again on the e-commerce customer of {email}"),
        }
    for number in old.refused:
        assert [r.action for r in by_key[number]] == ["created"]

    assert_quiet(demo)


def test_a_kill_during_the_upgrade_is_finished_by_the_next_run(demo: Demo) -> None:
    old = build_old_store(demo)
    rng = random.Random(11)
    kills = 0
    # Once while the old customers and their orders are being deleted, once while the orders are created again.
    for key, total in ((ORDER_DELETE, len(old.orders)), (ORDER_POST, len(old.orders))):
        demo.sim.reset_counters()
        demo.sim.faults.set_latency(0.01)
        proc = demo.start_cli()
        try:
            target = rng.randint(1, max(1, total // 2))

            def reached(key: tuple[str, str] = key, target: int = target, proc: Any = proc) -> bool:
                return demo.sim.request_counts().get(key, 0) >= target or proc.poll() is not None

            wait_for(reached, f"{target} of {key}")
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            demo.sim.faults.set_latency(0.0)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != -signal.SIGKILL:
            break  # it finished the upgrade before the kill landed: the rerun below still has to be quiet
        kills += 1
    exp = expected_state(demo)
    customers, orders = demo.sim.customers(demo.store_id), demo.sim.orders(demo.store_id)
    assert kills and (set(customers) != set(exp.buyers) or set(orders) != set(exp.orders)), (
        "the kills left nothing to finish")

    rerun = demo.cli()

    assert rerun.code == 0, rerun.stderr
    assert_converged(demo, old)
    assert rerun.json["orders"]["failed"] == 0
    assert demo.sim.store(demo.store_id)["is_syncing"] is False
    assert_quiet(demo)


def test_an_order_the_old_build_sent_but_never_recorded_is_moved_too(demo: Demo) -> None:
    old = build_old_store(demo)
    lost = sorted(old.orders)[:3]  # killed after Mailchimp accepted them, before their rows were written
    demo.with_store(lambda pid: store.delete_synced(pid, "order", lost))

    report = demo.run()

    # POSTed as new, refused as existing, PATCHed: the PATCH's answer shows them on the old customer, so
    # they are deleted and created again on their e-mail's customer.
    assert report.exit_code == 0, report.error
    assert_converged(demo, old)
    assert report.orders["updated"] == len(old.orders) and report.orders["created"] == len(old.missing)
    assert_quiet(demo)
