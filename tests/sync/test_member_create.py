"""A member new to the sync is created with its class tag in one call on a live run (issue 14: fewer calls per
record), and every case where that is not safe falls back to today's upsert, so consent is never touched.

Real engine, real simulators: each test adds a GP customer, runs one sync and reads what the Mailchimp simulator
received and holds."""

from __future__ import annotations

from collections import Counter

from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.sync import mapping
from tests.sync.engine_support import (
    CUSTOMER_PUT,
    MEMBER_POST,
    MEMBER_PUT,
    TAGS_POST,
    Demo,
    address_for,
    demo_fixture,
)

demo = demo_fixture("demo", 60)


def new_customer(demo: Demo, domain: str) -> tuple[str, str, str]:
    """A GP customer added after the first load, active, with a valid e-mail and a class: (number, e-mail, tag)."""
    mutator = GPMutator(demo.env.dataset)
    number = mutator.add_customers(1)[0].key
    email = address_for(number, domain)
    mutator.change_email(number, email)
    mutator.set_status(number, inactive=False, hold=False)
    with demo.env.dataset.lock:
        row = demo.company.customer(number)
        assert row is not None
        if not row.custclas.strip():
            row.custclas = "RETAIL"
        tag = mapping.class_tag(row.custclas.strip())
    return number, email, tag


def test_a_new_member_is_created_with_its_tag_in_one_call(demo: Demo) -> None:
    demo.run()
    number, email, tag = new_customer(demo, "one-call-buyer.com")

    report, writes = demo.traffic(demo.run)

    # No tags call; its e-commerce customer is PUT on its own (it has no order whose POST could carry it).
    assert writes == Counter({MEMBER_POST: 1, CUSTOMER_PUT: 1}), writes
    member = demo.sim.member(demo.list_id, email)
    assert member["tags"] == [tag]
    assert member["status"] == demo.profile().mailchimp.status_if_new
    assert member["merge_fields"]["GPCUSTNO"] == number
    assert report.customers["created"] == 1
    assert demo.traffic(demo.run)[1] == Counter()  # and it is remembered: nothing the next time


def test_an_address_mailchimp_already_lists_keeps_its_status(demo: Demo) -> None:
    demo.run()
    number, email, tag = new_customer(demo, "listed-buyer.com")
    # Unsubscribed through a form before GP ever had the address: the sync has never written it.
    demo.sim.set_member_status(demo.list_id, email, "unsubscribed")

    report, writes = demo.traffic(demo.run)

    # The create is refused ("Member Exists") and the upsert that follows never sends a status.
    assert writes == Counter({MEMBER_POST: 1, MEMBER_PUT: 1, TAGS_POST: 1, CUSTOMER_PUT: 1}), writes
    member = demo.sim.member(demo.list_id, email)
    assert member["status"] == "unsubscribed"
    assert member["tags"] == [tag]
    assert member["merge_fields"]["GPCUSTNO"] == number
    assert report.customers["created"] == 1 and report.customers["failed"] == 0


def test_a_create_mailchimp_carried_out_but_never_answered_converges(demo: Demo) -> None:
    demo.run()
    number, email, tag = new_customer(demo, "lost-answer-buyer.com")
    demo.sim.faults.reset_after_next(1, pattern="/lists/*/members")  # done in Mailchimp, the answer lost

    report, _writes = demo.traffic(demo.run)

    assert report.customers["created"] == 1 and report.customers["failed"] == 0
    member = demo.sim.member(demo.list_id, email)
    assert member["tags"] == [tag] and member["merge_fields"]["GPCUSTNO"] == number
    assert len([m for m in demo.sim.members(demo.list_id) if m["email_address"] == email]) == 1
    assert demo.traffic(demo.run)[1] == Counter()


def test_while_the_store_is_syncing_tags_go_by_the_call_that_carries_is_syncing(demo: Demo) -> None:
    # automations = off keeps the store syncing for good: a tag must not wake tag-triggered automations.
    demo.profile_path.write_text(demo.env.profile_toml(database=str(demo.db_path), automations="off"),
                                 encoding="utf-8")
    demo.run()
    _number, email, tag = new_customer(demo, "quiet-buyer.com")

    _report, writes = demo.traffic(demo.run)

    assert writes == Counter({MEMBER_PUT: 1, TAGS_POST: 1, CUSTOMER_PUT: 1}), writes
    tag_post = demo.sim.tag_requests()[-1]
    assert tag_post["email"] == email and tag_post["is_syncing"] is True
    assert demo.sim.member(demo.list_id, email)["tags"] == [tag]
