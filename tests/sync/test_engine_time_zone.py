"""Orders show on their GP date in the company's time zone, and an install that sent midnight UTC upgrades
without re-sending orders for nothing.

The built-in demo (GP SBA simulator + Mailchimp simulator, which checks every request against openapi.yaml)
syncs a company whose profile names its zone.  The release before the company zone sent every date at midnight
UTC; that release's order payload and hash are reproduced by wrapping today's, so the state database and the
Mailchimp account start exactly as an upgraded install finds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, document_payload
from gpmc_desktop.gp.sba_shapes import document_from_sba
from gpmc_desktop.sync import mapping
from tests.sync.engine_support import (
    COMPANY,
    ORDER_PATCH,
    ORDER_POST,
    Demo,
    expected_state,
    set_mass_change_percent,
    start_demo,
    stop_demo,
)

# DST change days: Auckland's clocks went forward on 29 September 2024, Los Angeles' back on 3 November.
DST_DAYS = (dt.date(2024, 9, 29), dt.date(2024, 11, 3))
new_order_payload = mapping.order_payload


def midnight_utc_order_payload(*args: Any) -> dict[str, Any]:
    """The order as the release before the company zone sent it: each date at midnight UTC."""
    payload = new_order_payload(*args)
    return {k: f"{v[:10]}T00:00:00+00:00" if k in mapping.ORDER_TIMESTAMPS else v for k, v in payload.items()}


def plain_hash(payload: dict[str, Any], zone: dt.tzinfo) -> str:
    return mapping.content_hash(payload)


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    made = start_demo(tmp_path_factory, customers=40)
    try:
        yield made
    finally:
        stop_demo(made)


def gp_dates(demo: Demo) -> dict[str, dt.date]:
    """Every invoice's GP date, read from the data set as GP serves it."""
    data = demo.company
    with demo.env.dataset.lock:
        raw = [document_payload(data, row, state, ShapeOptions()) for row, state in data.documents()]
    docs = [document_from_sba(r) for r in raw]
    return {d.number: d.date for d in docs if d.date is not None}


def post_invoices_on(demo: Demo, days: tuple[dt.date, ...]) -> set[str]:
    """An invoice dated each of *days*, for a customer the sync carries."""
    buyer = sorted(expected_state(demo).synced)[0]
    mutator = GPMutator(demo.env.dataset, seed=5)
    numbers = set()
    for day in days:
        demo.env.dataset.clock.set(dt.datetime.combine(day, dt.time(10)))
        (change,) = mutator.add_invoices(1, customer=buyer, company=COMPANY)
        numbers.add(change.key.split(";", 1)[1])  # "<RMDTYPAL>;<DOCNUMBR>"
    return numbers


@pytest.mark.parametrize(
    ("zone_name", "resent"),
    [("America/Los_Angeles", True), ("Pacific/Auckland", False), ("UTC", False)],
)
def test_orders_fall_on_their_gp_date_and_the_upgrade_resends_only_what_showed_the_day_before(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, zone_name: str, resent: bool
) -> None:
    zone = ZoneInfo(zone_name)
    demo.profile_path = demo.env.write_profile(database=str(demo.db_path), time_zone=zone_name)
    # Re-dating every order is a mass update the guard would ask about (test_mass_change shows it asking); the
    # upgrade's own writes are under test here.
    set_mass_change_percent(demo, 0)
    assert demo.profile().gp.time_zone == zone_name

    with monkeypatch.context() as old_release:
        old_release.setattr(mapping, "order_payload", midnight_utc_order_payload)
        old_release.setattr(mapping, "order_hash", plain_hash)
        assert demo.run().exit_code == 0
    synced_before = set(demo.sim.orders(demo.store_id))
    assert synced_before and all(
        o["processed_at_foreign"].endswith("T00:00:00+00:00") for o in demo.sim.orders(demo.store_id).values())

    added = post_invoices_on(demo, DST_DAYS)
    notified_before = len(demo.sim.notification_events(demo.store_id))
    report, writes = demo.traffic(demo.run)
    assert report.exit_code == 0
    # The new invoices are created; the old orders are PATCHed once where midnight UTC showed the day before.
    assert writes[ORDER_POST] == len(added)
    assert writes[ORDER_PATCH] == (len(synced_before) if resent else 0)
    assert sum(writes.values()) == writes[ORDER_POST] + writes[ORDER_PATCH]
    # A PATCH that moves the date repeats the order's status, which notifies no one (as the simulator has it).
    notified = demo.sim.notification_events(demo.store_id)[notified_before:]
    assert {e["order_id"] for e in notified} <= added

    orders = demo.sim.orders(demo.store_id)
    dates = gp_dates(demo)
    for number, order in orders.items():
        moment = dt.datetime.fromisoformat(order["processed_at_foreign"])
        assert moment.astimezone(zone).date() == dates[number], number  # the day the account shows
    for number in added | (synced_before if resent else set()):
        stamp = orders[number]["processed_at_foreign"]
        noon = dt.datetime.combine(dates[number], dt.time(12), tzinfo=zone)
        assert stamp == noon.isoformat(), number  # noon there, with the offset in force on that day
    assert {dates[n] for n in added} == set(DST_DAYS)
    assert demo.sim.contract_violations == []

    _, writes = demo.traffic(demo.run)
    assert writes == {}  # and nothing more the next time
