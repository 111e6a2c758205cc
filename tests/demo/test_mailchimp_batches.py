"""Mailchimp simulator: batches (shuffled execution, tar.gz results, URL expiry) and the 10-connection limit."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time

import requests

from gpmc_desktop.demo.mailchimp_sim import subscriber_hash
from gpmc_desktop.demo.mailchimp_sim.errors import DETAIL_LINE_PRODUCT_MISSING, DETAIL_TOO_MANY
from tests.demo.mailchimp_support import (
    LIST,
    STORE,
    Api,
    assert_problem,
    make_store,
    member_body,
    order_body,
    product_body,
    wait_until,
)


def member_op(n: int) -> dict:
    email = f"contact{n}@fabrikam.org"
    return {"method": "PUT", "path": f"/lists/{LIST}/members/{subscriber_hash(email)}",
            "operation_id": f"member:{n}", "body": json.dumps(member_body(email))}


def finished(api: Api, batch_id: str) -> dict:
    def poll():
        batch = api.get(f"/batches/{batch_id}").json()
        return batch if batch["status"] == "finished" else None

    return wait_until(poll, f"batch {batch_id} to finish")


def results(url: str) -> tuple[list[str], list[dict]]:
    """Download and unpack the archive: (file names, every result with its response parsed a second time)."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    names, entries = [], []
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as archive:
        for member in archive.getmembers():
            names.append(member.name)
            for entry in json.load(archive.extractfile(member)):
                entries.append({**entry, "response": json.loads(entry["response"]) if entry["response"] else None})
    return names, entries


def test_batch_runs_out_of_order_and_returns_every_result(sim, api):
    operations = [member_op(n) for n in range(12)]
    submitted = api.post("/batches", {"operations": operations}).json()
    assert (submitted["status"], submitted["total_operations"], submitted["response_body_url"]) == ("pending", 12, "")
    batch = finished(api, submitted["id"])
    assert (batch["finished_operations"], batch["errored_operations"]) == (12, 0)
    names, entries = results(batch["response_body_url"])
    assert len(names) == 12  # one file per operation by default
    assert sorted(e["operation_id"] for e in entries) == sorted(o["operation_id"] for o in operations)
    assert {e["status_code"] for e in entries} == {200}
    assert all(e["response"]["status"] == "subscribed" for e in entries)
    order_ran = sim.batch(submitted["id"])["execution_order"]
    assert sorted(order_ran) == list(range(12))
    assert order_ran != list(range(12))  # shuffled: a batch must not rely on submission order
    assert len(sim.members(LIST)) == 12
    # The operations went through the same handlers (counted apart from live calls) and the contract check.
    assert sim.batch_operation_counts() == {("PUT", "/lists/{list_id}/members/{subscriber_hash}"): 12}
    assert sim.contract_violations == []


def test_failed_operations_are_counted_and_reported_in_the_archive(sim, api):
    make_store(api)
    api.post(f"/ecommerce/stores/{STORE}/products", product_body("P1"))
    operations = [
        {"method": "POST", "path": f"/ecommerce/stores/{STORE}/orders", "operation_id": "order:ok",
         "body": json.dumps(order_body("SOP-1"))},
        {"method": "POST", "path": f"/ecommerce/stores/{STORE}/orders", "operation_id": "order:bad",
         "body": json.dumps(order_body("SOP-2", lines=[{"id": "1", "product_id": "GONE", "product_variant_id": "GONE",
                                                        "quantity": 1, "price": 1.0}]))},
        {"method": "GET", "path": f"/lists/{LIST}", "operation_id": "list"},
    ]
    batch = finished(api, api.post("/batches", {"operations": operations}).json()["id"])
    assert (batch["finished_operations"], batch["errored_operations"]) == (3, 1)
    by_id = {e["operation_id"]: e for e in results(batch["response_body_url"])[1]}
    assert by_id["order:ok"]["status_code"] == 200
    assert by_id["order:bad"]["status_code"] == 400
    assert by_id["order:bad"]["response"]["detail"] == DETAIL_LINE_PRODUCT_MISSING
    assert by_id["list"]["response"]["id"] == LIST


def test_results_grouped_per_file_by_knob(sim, api):
    sim.config.batch_results_per_file = 5
    batch = finished(api, api.post("/batches", {"operations": [member_op(n) for n in range(12)]}).json()["id"])
    names, entries = results(batch["response_body_url"])
    assert (len(names), len(entries)) == (3, 12)


def test_object_body_is_a_contract_violation_or_a_failed_operation(sim, api):
    bad = {"method": "PUT", "path": f"/lists/{LIST}/members/x", "body": {"email_address": "a@fabrikam.org"}}
    body = assert_problem(api.post("/batches", {"operations": [bad]}), 400, "Invalid Resource")
    assert body["errors"][0]["field"] == "operations.0.body"
    assert [v.field for v in sim.contract_violations] == ["operations.0.body"]
    sim.config.strict_contract = False  # the SKILL's account: accepted, and that operation fails when it runs
    batch = finished(api, api.post("/batches", {"operations": [bad, member_op(1)]}).json()["id"])
    assert (batch["finished_operations"], batch["errored_operations"]) == (2, 1)


def test_results_url_expires_after_ten_minutes_and_a_new_get_mints_another(sim, api):
    batch = finished(api, api.post("/batches", {"operations": [member_op(1)]}).json()["id"])
    url = batch["response_body_url"]
    sim.clock.advance(601)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content
    fresh = api.get(f"/batches/{batch['id']}").json()["response_body_url"]
    assert fresh != url
    assert requests.get(fresh, timeout=10).status_code == 200


def test_list_and_delete_batches(sim, api):
    first = api.post("/batches", {"operations": [member_op(1)]}).json()["id"]
    finished(api, first)
    assert [b["id"] for b in api.get("/batches").json()["batches"]] == [first]
    assert api.delete(f"/batches/{first}").status_code == 204
    assert_problem(api.get(f"/batches/{first}"), 404, "Resource Not Found")
    second = api.post("/batches", {"operations": [member_op(2)]}).json()["id"]
    finished(api, second)
    sim.clock.advance(8 * 24 * 3600)  # batches and results are kept 7 days
    third = api.post("/batches", {"operations": []}).json()["id"]
    assert [b["id"] for b in api.get("/batches").json()["batches"]] == [third]
    assert_problem(api.get(f"/batches/{second}"), 404, "Resource Not Found")


def test_statuses_move_through_the_documented_steps(sim, api):
    sim.config.batch_step_seconds = 0.1
    submitted = api.post("/batches", {"operations": [member_op(1)]}).json()
    batch_id, seen = submitted["id"], [submitted["status"]]

    def poll():
        status = api.get(f"/batches/{batch_id}").json()["status"]
        if seen[-1] != status:
            seen.append(status)
        return status == "finished"

    wait_until(poll, "the batch to finish")
    assert seen[0] == "pending" and seen[-1] == "finished"
    order = ["pending", "preprocessing", "started", "finalizing", "finished"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)


# --- the 10-connection limit ----------------------------------------------------------------------------------


def test_twenty_parallel_clients_share_ten_connections(sim):
    sim.faults.set_latency(0.3, pattern="/lists/*/members/*")  # long enough for the requests to overlap
    clients = 20
    start = threading.Barrier(clients)
    too_many: list[requests.Response] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        api = Api(sim)
        email = f"parallel{n}@fabrikam.org"
        start.wait()
        for attempt in range(50):
            answer = api.put(f"/lists/{LIST}/members/{subscriber_hash(email)}", member_body(email))
            if answer.status_code != 429:
                assert answer.status_code == 200
                return
            with lock:
                too_many.append(answer)
            time.sleep(0.05 * (attempt % 5 + 1))  # back off and retry, as the sync must
        raise AssertionError(f"client {n} never got through")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(sim.members(LIST)) == clients  # everyone succeeded with retries
    assert too_many, "twenty overlapping requests must exceed the limit"
    assert_problem(too_many[0], 429, "Too Many Requests", DETAIL_TOO_MANY)
    assert sim.peak_concurrency == 10  # reached, never exceeded
    assert sim.rejected_for_concurrency == len(too_many)


def test_too_many_requests_title_is_configurable(sim):
    sim.config.too_many_requests_title = "TooManyRequests"
    sim.config.connection_limit = 0
    assert_problem(Api(sim).get("/ping"), 429, "TooManyRequests", DETAIL_TOO_MANY)


def test_batches_do_not_take_connection_slots(sim, api):
    batch_id = api.post("/batches", {"operations": [member_op(n) for n in range(30)]}).json()["id"]
    sim.config.connection_limit = 0  # no live request gets a slot from now on, yet the batch must run
    assert_problem(api.get("/ping"), 429, "Too Many Requests")
    batch = wait_until(lambda: sim.batch(batch_id)["status"] == "finished" and sim.batch(batch_id), "the batch")
    assert (batch["finished_operations"], batch["errored_operations"]) == (30, 0)
    assert len(sim.members(LIST)) == 30
