"""Mailchimp simulator: a batch as Mailchimp runs it — out of order, at a processing rate, with failures inside it,
results that expire, and a cap on pending batches."""

from __future__ import annotations

import json

import requests

from gpmc_desktop.demo.mailchimp_sim import BatchFault
from tests.demo.mailchimp_support import (
    LIST,
    STORE,
    Api,
    assert_problem,
    make_store,
    order_body,
    product_body,
    wait_until,
)
from tests.demo.test_mailchimp_batches import finished, member_op, results


def test_an_order_that_runs_before_the_customer_it_names_fails_in_its_result(sim, api):
    # An order may name a known customer by id alone; a customer not created yet has no e-mail, so the order is
    # refused (400) and only orders the shuffle ran after the customer's PUT succeed.
    make_store(api)
    api.post(f"/ecommerce/stores/{STORE}/products", product_body("P1"))
    orders = [{"method": "POST", "path": f"/ecommerce/stores/{STORE}/orders", "operation_id": f"order:{n}",
               "body": json.dumps({**order_body(f"SOP-{n}"), "customer": {"id": "C1"}})} for n in range(12)]
    customer = {"method": "PUT", "path": f"/ecommerce/stores/{STORE}/customers/C1", "operation_id": "customer:C1",
                "body": json.dumps({"id": "C1", "email_address": "c1@fabrikam.org", "opt_in_status": False})}
    operations = [*orders[:6], customer, *orders[6:]]
    batch_id = api.post("/batches", {"operations": operations}).json()["id"]
    batch = finished(api, batch_id)
    ran = sim.batch(batch_id)["execution_order"]
    after_customer = {operations[i]["operation_id"] for i in ran[ran.index(6) + 1:]}
    by_id = {e["operation_id"]: e for e in results(batch["response_body_url"])[1]}
    assert by_id["customer:C1"]["status_code"] == 200
    expected = {o["operation_id"]: 200 if o["operation_id"] in after_customer else 400 for o in orders}
    assert {op_id: by_id[op_id]["status_code"] for op_id in expected} == expected
    assert set(expected.values()) == {200, 400}  # the seeded shuffle put orders on both sides of their customer
    refused = [by_id[op_id]["response"] for op_id, status in expected.items() if status == 400]
    assert all(r["title"] == "Invalid Resource" and r["errors"][0]["field"] == "email_address" for r in refused)
    assert batch["errored_operations"] == len(refused)
    assert sorted(sim.orders(STORE)) == sorted(
        f"SOP-{op_id.split(':')[1]}" for op_id, status in expected.items() if status == 200)


def test_finished_operations_grow_with_the_clock_at_the_processing_rate(sim, api):
    sim.config.batch_operations_per_second = 0.001  # one operation per 1,000 s of the simulator's clock
    batch_id = api.post("/batches", {"operations": [member_op(n) for n in range(5)]}).json()["id"]

    def status() -> dict:
        return api.get(f"/batches/{batch_id}").json()

    wait_until(lambda: status()["status"] == "started", "the batch to start")
    assert (status()["finished_operations"], sim.members(LIST)) == (0, [])
    sim.clock.advance(2500)  # operations 1 and 2 fall due; the third only at 3,000 s
    wait_until(lambda: status()["finished_operations"] == 2, "two operations to run")
    now = status()
    assert (now["status"], now["total_operations"], now["response_body_url"]) == ("started", 5, "")
    assert len(sim.members(LIST)) == 2
    sim.clock.advance(3000)
    batch = finished(api, batch_id)
    assert (batch["finished_operations"], batch["errored_operations"]) == (5, 0)
    assert len(sim.members(LIST)) == 5


def test_faults_inside_a_batch_answer_400_and_429_in_the_results(sim, api):
    sim.config.batch_faults = [
        BatchFault(400, operation_id="member:1*"),  # member:1 and member:10..19
        BatchFault(429, path="/lists/*/members/*", fraction=0.3, seed=1),
    ]
    operations = [member_op(n) for n in range(20)]
    batch = finished(api, api.post("/batches", {"operations": operations}).json()["id"])
    names, entries = results(batch["response_body_url"])
    assert len(names) == len(entries) == 20
    by_status: dict[int, list[dict]] = {}
    for entry in entries:
        by_status.setdefault(entry["status_code"], []).append(entry)
    assert sorted(e["operation_id"] for e in by_status[400]) == sorted(
        ["member:1", *(f"member:{n}" for n in range(10, 20))])
    assert by_status[429], "the seeded fraction must hit some of the other operations"
    assert set(by_status) == {200, 400, 429}
    assert all(e["response"]["title"] == "Invalid Resource" and e["response"]["status"] == 400
               for e in by_status[400])
    assert all(e["response"]["title"] == "Too Many Requests" and e["response"]["status"] == 429
               for e in by_status[429])
    assert (batch["finished_operations"], batch["errored_operations"]) == (20, 20 - len(by_status[200]))
    # A refused operation changed nothing: only the operations that answered 200 made contacts.
    emails = {m["email_address"] for m in sim.members(LIST)}
    assert emails == {f"contact{e['operation_id'].split(':')[1]}@fabrikam.org" for e in by_status[200]}


def test_the_same_fault_knob_picks_the_same_operations_every_run(sim, api):
    sim.config.batch_faults = [BatchFault(429, fraction=0.5, seed=3)]
    failed = []
    for _ in range(2):
        batch = finished(api, api.post("/batches", {"operations": [member_op(n) for n in range(10)]}).json()["id"])
        failed.append(sorted(e["operation_id"] for e in results(batch["response_body_url"])[1]
                             if e["status_code"] == 429))
    assert failed[0] == failed[1] and 0 < len(failed[0]) < 10


def test_results_link_lives_as_long_as_the_ttl_knob_then_answers_like_s3(sim, api):
    sim.config.batch_url_ttl_seconds = 30
    batch = finished(api, api.post("/batches", {"operations": [member_op(1)]}).json()["id"])
    url = batch["response_body_url"]
    sim.clock.advance(29)
    assert requests.get(url, timeout=10).status_code == 200
    sim.clock.advance(2)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert expired.headers["Content-Type"].startswith("application/xml")
    assert b"<Code>AccessDenied</Code>" in expired.content
    assert b"<Message>Request has expired</Message>" in expired.content


def test_pending_batches_over_the_limit_answer_429_until_one_finishes(sim, api):
    sim.config.batch_max_pending = 2
    sim.config.batch_operations_per_second = 0.001  # nothing finishes until the rate is lifted
    first = api.post("/batches", {"operations": [member_op(1)]}).json()["id"]
    api.post("/batches", {"operations": [member_op(2)]})
    refused = assert_problem(api.post("/batches", {"operations": [member_op(3)]}), 429, "Too Many Requests")
    assert "pending batches" in refused["detail"]
    assert len(api.get("/batches").json()["batches"]) == 2
    sim.config.batch_operations_per_second = None
    finished(api, first)
    wait_until(lambda: api.post("/batches", {"operations": [member_op(3)]}).status_code == 200, "a free slot")


def test_a_deleted_batch_stops_waiting_for_its_turn(sim, api):
    sim.config.batch_operations_per_second = 0.001
    slow = api.post("/batches", {"operations": [member_op(1), member_op(2)]}).json()["id"]
    wait_until(lambda: sim.batch(slow)["status"] == "started", "the slow batch to start")
    assert Api(sim).delete(f"/batches/{slow}").status_code == 204
    sim.config.batch_operations_per_second = None
    batch = finished(api, api.post("/batches", {"operations": [member_op(3)]}).json()["id"])
    assert batch["finished_operations"] == 1
    assert [m["email_address"] for m in sim.members(LIST)] == ["contact3@fabrikam.org"]
