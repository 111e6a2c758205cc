"""A record's way through batches (``sync/batch_work.py``): the steps, and what a failure keeps, as the
per-record path keeps it (the member's synced state only once its tags are set too)."""

from __future__ import annotations

import json

from gpmc_desktop.mailchimp.batches import OperationResult
from gpmc_desktop.store import Action, Entity, NewAuditEvent, SyncedState
from gpmc_desktop.sync.batch_work import FOLLOW_UPS, MEMBERS, Record, Work, group_work, order_work

EMAIL = "ap@fabrikam.org"
BUYER = {"id": "b1", "email_address": EMAIL, "opt_in_status": False}
TOO_MANY = json.dumps({"title": "Too Many Requests", "detail": "slow down"})
INVALID = json.dumps({"title": "Invalid Resource", "detail": "nope"})


def group() -> Work:
    record = Record(NewAuditEvent(Entity.CUSTOMER, "C1", Action.CREATED, email=EMAIL), "ledger-hash",
                    [(Entity.CUSTOMER, "C1", SyncedState("c-hash", "b1", EMAIL))])
    return group_work(EMAIL, [record], list_id="L1", member=({"email_address": EMAIL}, "m-hash"),
                      tags=["GP class: RETAIL"], paused=True, buyer=("S1", BUYER, "b-hash"))


def answer(work: Work, role: str, status: int = 200, body: object = None) -> bool:
    (op_id,) = [k for k, p in work.todo.items() if p.role == role]
    text = json.dumps(body) if status < 300 else (TOO_MANY if status == 429 else INVALID)
    return work.answer(OperationResult(op_id, status, body if status < 300 else json.loads(text), text), 2)


def test_the_member_goes_first_then_its_tags_and_customer() -> None:
    work = group()
    assert work.step == MEMBERS and [p.role for p in work.todo.values()] == ["member"]
    answer(work, "member", body={"id": "m1", "tags": []})
    assert work.step == FOLLOW_UPS and sorted(p.role for p in work.todo.values()) == ["buyer", "tags"]
    tags = next(p.op for p in work.todo.values() if p.role == "tags")
    assert tags.body == {"tags": [{"name": "GP class: RETAIL", "status": "active"}], "is_syncing": True}
    answer(work, "tags")
    answer(work, "buyer", body=BUYER)
    assert work.done and work.failure() is None
    assert [(e, k, s.remote_id) for e, k, s in work.kept()] == [(Entity.MEMBER, EMAIL, "m1"),
                                                                 (Entity.ECOMMERCE_CUSTOMER, "b1", "b1")]


def test_no_tags_post_when_the_member_has_its_tags() -> None:
    work = group()
    answer(work, "member", body={"id": "m1", "tags": [{"name": "GP class: RETAIL"}]})
    assert [p.role for p in work.todo.values()] == ["buyer"]


def test_a_failed_tags_post_keeps_nothing_a_failed_customer_keeps_the_member() -> None:
    tags_failed = group()
    answer(tags_failed, "member", body={"id": "m1", "tags": []})
    answer(tags_failed, "buyer", body=BUYER)
    answer(tags_failed, "tags", 400)
    assert tags_failed.done and tags_failed.failure() is not None and tags_failed.kept() == []

    buyer_failed = group()
    answer(buyer_failed, "member", body={"id": "m1", "tags": []})
    answer(buyer_failed, "tags")
    answer(buyer_failed, "buyer", 400)
    assert buyer_failed.failure().title == "Invalid Resource"  # type: ignore[union-attr]
    assert [e for e, _k, _s in buyer_failed.kept()] == [Entity.MEMBER]


def test_a_429_is_sent_again_a_few_times_then_kept_as_the_failure() -> None:
    work = group()
    assert answer(work, "member", 429) is False and answer(work, "member", 429) is False
    assert answer(work, "member", 429) is True  # the third time (two resubmits): it stays failed
    assert work.done and work.failure().status == 429 and work.kept() == []  # type: ignore[union-attr]


def test_an_order_post_answered_already_exists_becomes_a_patch() -> None:
    record = Record(NewAuditEvent(Entity.ORDER, "INV 1", Action.CREATED), "o-hash",
                    [(Entity.ORDER, "INV 1", SyncedState("o-hash", "INV 1", EMAIL))])
    work = order_work(record, store_id="S1", payload={"id": "INV 1", "customer": {"id": "b1"}}, update=False)
    (op_id,) = work.todo
    exists = json.dumps({"title": "Bad Request", "detail": "An order with id INV 1 already exists."})
    work.answer(OperationResult(op_id, 400, json.loads(exists), exists), 2)
    (patch,) = work.todo.values()
    assert (patch.op.method, patch.op.path, patch.op.body) == (
        "PATCH", "/ecommerce/stores/S1/orders/INV%201", {"customer": {"id": "b1"}})
    assert work.records[0].event.action == Action.UPDATED
    assert Work.from_state(json.loads(json.dumps(work.to_state()))).to_state() == work.to_state()
