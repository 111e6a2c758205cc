"""A store synced by the build that made one e-commerce customer per GP customer number converges on the first run
of this build: one customer per e-mail, every order present once and pointing at it, the old customers deleted,
the audit saying so, and a second run that writes nothing; a kill at any instant of that run is finished by the
next run.

The old store is built as that build left it, through Mailchimp's API and the state database: its customers
(id = GP number) and orders, and, for the second and later GP customers on a shared address, the refusal
Mailchimp answered ("This customer email already exists"), ledgered, their invoices never orders.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload, document_payload
from gpmc_desktop.demo.mailchimp_sim.errors import DETAIL_CUSTOMER_EMAIL_EXISTS
from gpmc_desktop.gp.sba_shapes import customer_from_sba, document_from_sba
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.plan import Plan, build_plan
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

demo = demo_fixture("demo", 120)


@dataclass
class OldStore:
    """What the build with one e-commerce customer per GP customer left."""

    legacy: dict[str, str] = field(default_factory=dict)  # GP number -> e-mail: its own customer, id = GP number
    refused: dict[str, str] = field(default_factory=dict)  # GP number -> e-mail: refused, another customer has it
    orders: dict[str, str] = field(default_factory=dict)  # invoice -> the GP number whose customer it hangs on
    missing: set[str] = field(default_factory=set)  # invoices of refused customers: never orders


def gp_plan(demo: Demo) -> Plan:
    """The engine's plan of the demo's GP data, as a run would build it."""
    data, shape, profile = demo.company, ShapeOptions(), demo.profile()
    with demo.env.dataset.lock:
        customers = [customer_from_sba(customer_payload(data, c, shape)) for c in data.customers.values()]
        documents = [document_from_sba(document_payload(data, row, state, shape)) for row, state in data.documents()]
    return build_plan(customers, documents, profile.filters, profile.mailchimp.status_if_new)


def api_of(demo: Demo) -> tuple[MailchimpApi, MailchimpTransport]:
    key = demo.env.secrets.mailchimp_api_key
    transport = MailchimpTransport(api_base_for(key, demo.profile().mailchimp.api_base), key)
    return MailchimpApi(transport), transport


def build_old_store(demo: Demo) -> OldStore:
    """Mailchimp and the state database as the old build left them after its syncs."""
    demo.sim.config.fake_email_domains = set()  # no address refused as fake: every exit code here is 0
    first = demo.run()  # the store, merge fields, product, members and tags: sent the same way by both builds
    assert first.exit_code == 0, first.error
    plan, old = gp_plan(demo), OldStore()
    store_id = demo.store_id
    api, transport = api_of(demo)
    try:
        for number in demo.sim.orders(store_id):
            api.delete_order(store_id, number)
        for buyer in demo.sim.customers(store_id):
            api.delete_customer(store_id, buyer)
        for number, cp in sorted(plan.customers.items()):  # the old build sent them in GP order too
            body = {**mapping.ecommerce_customer_payload(cp.customer), "id": number}
            email = cp.customer.email or ""
            try:
                api.put_customer(store_id, body)
            except MailchimpError as err:
                assert err.customer_email_taken, err
                old.refused[number] = email
                continue
            old.legacy[number] = email
        for number, op in plan.orders.items():
            gp_number = op.doc.customer_number
            if gp_number not in old.legacy:
                old.missing.add(number)
                continue
            api.create_order(store_id, {**op.payload, "customer": {"id": gp_number}})
            old.orders[number] = gp_number
    finally:
        transport.close()

    def old_state(pid: int) -> None:
        for entity in ("customer", "order", "ecommerce_customer"):
            store.delete_synced(pid, entity, store.synced_map(pid, entity))
        store.upsert_synced(pid, "customer", {
            n: store.SyncedState(mapping.content_hash({**mapping.ecommerce_customer_payload(plan.customers[n].customer),
                                                       "id": n}), n, email)
            for n, email in old.legacy.items()})
        store.upsert_synced(pid, "order", {
            n: store.SyncedState(mapping.content_hash({**plan.orders[n].payload, "customer": {"id": gp}}), n)
            for n, gp in old.orders.items()})
        for number, email in old.refused.items():
            member = plan.members[email]
            store.record_failure(pid, "customer", number, category=store.FailureCategory.PERMANENT,
                                 content_hash=mapping.content_hash([member.hash, "its own payload"]),
                                 error_title="Bad Request", error_detail=DETAIL_CUSTOMER_EMAIL_EXISTS, http_status=400)

    demo.with_store(old_state)
    assert old.refused and old.legacy, "the demo data has no shared e-mail"
    assert {c["email_address"] for c in demo.sim.customers(store_id).values()} == set(old.legacy.values())
    return old


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
