"""Consent stays Mailchimp's: contacts unsubscribed, cleaned, pending, transactional or archived in Mailchimp before
a sync keep their status after it, whatever the profile's status_if_new, record by record and by batches, on the
first load and on a full comparison; an archived contact's GP customer and invoices are left out (Mailchimp would
unarchive the contact for any of them) until someone unarchives it, and then they sync.

Real engine, real simulators; the simulator logs every status change of an existing contact (and unarchives a
contact whose store activity arrives, as Mailchimp does), so "0 status changes" is counted, not assumed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gpmc_desktop import store
from gpmc_desktop.sync.archived import ARCHIVED_REASON
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from tests.sync.batch_support import BATCHED, PER_RECORD, run_engine
from tests.sync.engine_support import Demo, expected_state, preset_statuses, start_demo, stop_demo


@pytest.fixture(params=["subscribed", "transactional", "pending"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    started = start_demo(tmp_path_factory, 80)
    profile = started.env.write_profile(database=str(started.db_path), status_if_new=request.param)
    assert profile == started.profile_path
    yield started
    stop_demo(started)


@pytest.mark.parametrize("settings", [PER_RECORD, BATCHED], ids=["record-by-record", "batches"])
def test_statuses_set_in_mailchimp_survive_every_sync(demo: Demo, settings: BatchSettings) -> None:
    chosen = preset_statuses(demo)
    exp = expected_state(demo)
    archived = next(n for n, s in chosen.items() if s == "archived")
    archived_email = exp.synced[archived]

    first = run_engine(demo, settings)
    assert first.exit_code in (0, 1), first.error
    full = demo.run(full=True)
    assert full.exit_code in (0, 1), full.error

    assert demo.sim.status_changes(demo.list_id) == []
    for number, status in chosen.items():
        assert demo.sim.member(demo.list_id, exp.synced[number])["status"] == status, number
    # Nothing was written for the archived contact: no store customer, none of its orders.
    assert ecommerce_customer_id(archived_email) not in demo.sim.customers(demo.store_id)
    assert not set(exp.orders_of(archived)) & set(demo.sim.orders(demo.store_id))
    # Said once, in plain words, for the customer and each of its invoices.
    rows = demo.with_store(lambda pid: [(r.run_id, str(r.entity), r.gp_key, r.reason)
                                        for r in store.iter_audit(store.AuditFilter(profile_id=pid))
                                        if r.reason and ARCHIVED_REASON in r.reason])
    assert {(e, k) for _run, e, k, _r in rows} == {("customer", archived)} | {
        ("order", o) for o in exp.orders_of(archived)}
    assert {run for run, *_ in rows} == {first.run_id}
    assert first.reconciliation is not None
    assert first.reconciliation.left_out.get(ARCHIVED_REASON) == 1
    # The others synced as usual: their statuses stayed, their orders are there.
    others = [n for n, s in chosen.items() if s != "archived"]
    assert all(set(exp.orders_of(n)) <= set(demo.sim.orders(demo.store_id)) for n in others)

    demo.sim.set_member_status(demo.list_id, archived_email, "subscribed")  # unarchived by hand in Mailchimp
    after = demo.run()
    assert after.exit_code in (0, 1), after.error
    assert ecommerce_customer_id(archived_email) in demo.sim.customers(demo.store_id)
    assert set(exp.orders_of(archived)) <= set(demo.sim.orders(demo.store_id))
    assert demo.sim.member(demo.list_id, archived_email)["status"] == "subscribed"
    assert demo.sim.status_changes(demo.list_id) == []
