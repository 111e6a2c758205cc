"""The profile's [mapping] end to end on the demo: a mapping change writes only the members it touches (the
dry run counts them alike, and the mass-change guard asks first), each kind lands in Mailchimp as mapped, GP edits
and cleared values follow, turning a mapping off retires its tags, and an audience with no room for a new field
stops the run before any contact is written."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.mailchimp_sim.member_rules import new_merge_field
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.sync.plan import build_plan
from gpmc_desktop.sync.report import Outcome, RunReport
from gpmc_desktop.sync.runner import make_source, run_profile
from tests.sync.engine_support import (
    COMPANY,
    MEMBER_POST,
    MEMBER_PUT,
    TAGS_POST,
    Demo,
    set_profile_keys,
    start_demo,
    stop_demo,
)

MERGE_FIELD_POST = ("POST", "/lists/{list_id}/merge-fields")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = start_demo(tmp_path_factory, 120)
    try:
        first = demo.run()
        # The dirty data's fake address fails for good (ledgered, never retried blindly): it stays out below.
        assert first.outcome in (Outcome.OK, Outcome.PARTIAL) and first.customers["created"] > 50
        yield demo
    finally:
        stop_demo(demo)


def gp_members(demo: Demo, *, held: bool = True) -> dict[str, list[Customer]]:
    """The GP customers of each member Mailchimp holds (*held*; else of every member the sync plans), by e-mail,
    primary first, as the sync reads them."""
    profile = demo.profile()
    source = make_source(profile, demo.env.secrets.gp_password)
    plan = build_plan(source.customers(), [], profile.filters, "transactional", archived=())
    by_number = {c.customer.number: c.customer for c in plan.customers.values()}
    return {email: [by_number[n] for n in m.customers] for email, m in plan.members.items()
            if not held or demo.sim.member(demo.list_id, email) is not None}


def confirmed(demo: Demo) -> tuple[RunReport, Counter[tuple[str, str]]]:
    def run() -> RunReport:
        with store.open_store(demo.db_path):
            return run_profile(demo.profile(), demo.env.secrets, confirm_mass_change=True)
    return demo.traffic(run)


def assert_quiet(demo: Demo) -> None:
    report, writes = demo.traffic(demo.run)
    assert writes == Counter() and report.customers["updated"] == 0


def test_a_merge_field_mapping_writes_only_the_members_with_a_value(demo: Demo) -> None:
    members = gp_members(demo)
    holders = {e for e, group in members.items() if group[0].value_of("salesperson")}
    assert 0 < len(holders) < len(members)  # the demo leaves some salespeople blank
    assert "SALESREP" not in {f["tag"] for f in demo.sim.merge_fields(demo.list_id)}
    set_profile_keys(demo, "mapping", salesperson="merge_field")

    preview = demo.run(dry_run=True)
    assert preview.customers["updated"] == len(holders)
    # The preview says where each mapped field goes and how many contacts carry it (every planned one, a contact
    # Mailchimp refused included); gpmc sync --dry-run prints the same line.
    planned = gp_members(demo, held=False)
    carrying = sum(1 for group in planned.values() if group[0].value_of("salesperson"))
    kinds = len({group[0].value_of("salesperson") for group in planned.values()} - {""})
    assert preview.mapped is not None and preview.mapped.kinds == {"customer_class": "tags",
                                                                   "salesperson": "merge_field"}
    line = f"Salesperson: the audience field SALESREP, filled on {carrying} contacts ({kinds} different values)"
    assert line in preview.mapped.lines()
    printed = demo.cli("--dry-run")
    assert printed.code == 0 and f"mapped: {line}" in printed.stderr
    asked, writes = demo.traffic(demo.run)
    assert asked.waits_for_decision and writes == Counter()  # more than 20% of the contacts: a person decides
    assert asked.mass_change is not None and "the profile now sends GP's customer fields" in asked.error
    report, writes = confirmed(demo)

    assert report.customers["updated"] == len(holders)
    assert writes == Counter({MERGE_FIELD_POST: 1, MEMBER_PUT: len(holders)})
    field = next(f for f in demo.sim.merge_fields(demo.list_id) if f["tag"] == "SALESREP")
    assert (field["name"], field["type"], field["public"]) == ("GP salesperson", "text", False)
    for email, group in members.items():
        held = demo.sim.member(demo.list_id, email)
        assert held is not None
        if email in holders:
            assert held["merge_fields"]["SALESREP"] == group[0].value_of("salesperson")
        else:
            assert held["merge_fields"].get("SALESREP", "") == ""
    assert_quiet(demo)

    # A salesperson cleared in GP: that contact alone, its field emptied.
    email = sorted(holders)[0]
    GPMutator(demo.env.dataset).set_segment_field(members[email][0].number, "salesperson", "", company=COMPANY)
    report, writes = demo.traffic(demo.run)
    assert writes == Counter({MEMBER_PUT: 1}) and report.customers["updated"] == 1
    held = demo.sim.member(demo.list_id, email)
    assert held is not None and held["merge_fields"]["SALESREP"] == ""
    assert_quiet(demo)


def test_a_tags_mapping_tags_the_holders_follows_gp_and_retires_its_tags_when_turned_off(demo: Demo) -> None:
    members = gp_members(demo)
    territories = {e: sorted({c.value_of("sales_territory") for c in g} - {""}) for e, g in members.items()}
    holders = {e for e, values in territories.items() if values}
    # A contact Mailchimp refused for good is tried again once what it would carry changes (here: a territory).
    refused = {f.email for f in demo.failures("customer").values()}
    retried = sum(1 for e, g in gp_members(demo, held=False).items()
                  if e in refused and any(c.value_of("sales_territory") for c in g))
    set_profile_keys(demo, "mapping", sales_territory="tags")

    report, writes = confirmed(demo)
    assert report.customers["updated"] == len(holders)
    assert writes == Counter({MEMBER_PUT: len(holders), TAGS_POST: len(holders), MEMBER_POST: retried})
    for email, values in territories.items():
        held = demo.sim.member(demo.list_id, email)
        assert held is not None
        ours = sorted(t.removeprefix("GP territory: ") for t in held["tags"] if t.startswith("GP territory: "))
        assert [v.casefold() for v in ours] == sorted({v.casefold() for v in values})
    assert_quiet(demo)

    # A territory changed in GP: the old tag goes, the new one comes, the contact's other tags stay.
    email = next(e for e in sorted(holders) if len(members[e]) == 1)
    number, old = members[email][0].number, territories[email][0]
    GPMutator(demo.env.dataset).set_segment_field(number, "sales_territory", "NORTHEAST", company=COMPANY)
    report, writes = demo.traffic(demo.run)
    assert writes == Counter({MEMBER_PUT: 1, TAGS_POST: 1})
    held = demo.sim.member(demo.list_id, email)
    assert held is not None and "GP territory: NORTHEAST" in held["tags"]
    assert f"GP territory: {old}" not in held["tags"]
    assert_quiet(demo)

    set_profile_keys(demo, "mapping", sales_territory="off")
    report, writes = confirmed(demo)
    assert writes[TAGS_POST] == len(holders)
    assert not [t for m in demo.sim.members(demo.list_id) for t in m["tags"] if t.startswith("GP territory: ")]
    class_tagged = [m for m in demo.sim.members(demo.list_id) if any(t.startswith("GP class: ") for t in m["tags"])]
    assert class_tagged  # the class tags, still mapped, stay
    assert_quiet(demo)


def test_the_class_to_a_merge_field_and_off(demo: Demo) -> None:
    members = gp_members(demo)
    classed = {e for e, g in members.items() if g[0].class_id}
    set_profile_keys(demo, "mapping", customer_class="merge_field")
    confirmed(demo)
    for email in classed:
        held = demo.sim.member(demo.list_id, email)
        assert held is not None and held["merge_fields"]["GPCLASS"] == members[email][0].class_id
        assert any(t.startswith("GP class: ") for t in held["tags"]) is False
    assert_quiet(demo)
    set_profile_keys(demo, "mapping", customer_class="off")
    report, writes = confirmed(demo)
    assert report.customers["updated"] == len(classed)  # the GPCLASS value left their content
    assert writes[TAGS_POST] == 0  # the class tags went with the first change
    held = demo.sim.member(demo.list_id, sorted(classed)[0])
    assert held is not None and held["merge_fields"]["GPCLASS"]  # no longer sent, and not erased either
    assert_quiet(demo)


def test_an_audience_without_room_for_a_field_stops_before_any_contact_is_written(demo: Demo) -> None:
    with demo.sim.state.lock:
        audience = demo.sim.state.lists[demo.list_id]
        while len(audience.merge_fields) + 1 < demo.sim.config.merge_field_limit:
            new_merge_field(audience, f"Survey {audience.next_merge_id}", "text")
    set_profile_keys(demo, "mapping", price_level="merge_field")

    # The preview says so first (the wizard's last page, gpmc sync --dry-run).
    preview = demo.run(dry_run=True)
    assert preview.fields_over_limit == (30, ["GP price level"])
    assert preview.field_room_line().startswith("The audience holds 30 fields with the e-mail address and the sync "
                                                "would add 1 (GP price level): most Mailchimp plans allow 30")
    report, writes = confirmed(demo)  # 61 of 80 contacts would get a price level: the guard would ask first

    assert report.outcome is Outcome.FAILED, report.error
    assert writes == Counter({MERGE_FIELD_POST: 1})  # the refused field, and nothing after it
    assert "would not add the audience field GP price level (PRICELEVEL)" in report.error
    assert "most Mailchimp plans allow 30" in report.error and "[mapping] price_level" in report.error
    assert "No contact or order was sent." in report.error
    set_profile_keys(demo, "mapping", price_level="off")
    assert_quiet(demo)
