"""The batch client against the Mailchimp simulator: submit, poll, results streamed out of the tar.gz, a results
link fetched without the API key and renewed when it expired, and operations checked against the contract."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator

import pytest

from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_ID, MailchimpSimulator, subscriber_hash
from gpmc_desktop.mailchimp.batches import ANSWER_KEYS, BatchClient, BatchStatus, Operation, parse_results
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from tests.demo.mailchimp_support import running


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailchimpSimulator]:
    with running(tmp_path_factory, batch_step_seconds=0.01, batch_results_per_file=3) as started:
        yield started


@pytest.fixture
def client(sim: MailchimpSimulator) -> Iterator[BatchClient]:
    transport = MailchimpTransport(sim.api_base, sim.api_key,
                                   retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01))
    batch = BatchClient(transport)
    yield batch
    batch.close()
    transport.close()


def member_op(n: int, **body: object) -> Operation:
    email = f"contact{n}@fabrikam.org"
    return Operation(f"member:{email}:0", "PUT", f"/lists/{DEMO_LIST_ID}/members/{subscriber_hash(email)}",
                     {"email_address": email, "status_if_new": "subscribed", **body},
                     {"skip_merge_validation": "true"})


def finished(client: BatchClient, batch_id: str) -> BatchStatus:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        status = client.status(batch_id)
        if status.done:
            return status
        time.sleep(0.01)
    raise AssertionError(f"batch {batch_id} did not finish")


def test_results_come_back_per_operation_parsed_and_without_the_api_key(
    sim: MailchimpSimulator, client: BatchClient
) -> None:
    submitted = client.submit([member_op(n) for n in range(10)])
    assert submitted.total == 10 and not submitted.done
    results = {r.operation_id: r for r in client.results(finished(client, submitted.id))}
    assert set(results) == {f"member:contact{n}@fabrikam.org:0" for n in range(10)}  # 4 JSON files, all read
    assert all(r.ok and r.body["status"] == "subscribed" for r in results.values())
    # Of an accepted answer only what the sync reads is kept (the member's answer is kilobytes of links).
    assert all(set(r.body) <= set(ANSWER_KEYS) and r.body["id"] and r.text == "" for r in results.values())
    assert len(sim.members(DEMO_LIST_ID)) == 10
    # The link is pre-signed storage: the key never goes there.
    assert sim.result_downloads() == [{"status": 200, "authorization": False}]


def test_an_expired_results_link_is_renewed(sim: MailchimpSimulator, client: BatchClient) -> None:
    status = finished(client, client.submit([member_op(20)]).id)
    sim.clock.advance(sim.config.batch_url_ttl_seconds + 1)  # the link this status carries has expired
    results = list(client.results(status))
    assert [r.status for r in results] == [200]
    assert [d["status"] for d in sim.result_downloads()] == [403, 200]


def test_an_operation_the_contract_refuses_fails_alone_in_its_result(
    sim: MailchimpSimulator, client: BatchClient
) -> None:
    """The simulator checks every operation of a batch against openapi.yaml, as a live call: the engine's
    tests assert no violation, so an operation the sync builds wrongly fails them."""
    sim.reset_counters()
    bad = member_op(30, status_if_new="maybe")  # not one of the contract's values
    status = finished(client, client.submit([bad, member_op(31)]).id)
    results = {r.operation_id: r for r in client.results(status)}
    refused = results[bad.operation_id]
    assert refused.status == 400 and refused.error().title == "Invalid Resource"
    assert results[member_op(31).operation_id].ok
    assert [(v.source, v.method) for v in sim.contract_violations] == [("batch", "PUT")]


def test_bodies_go_as_json_strings() -> None:
    op = Operation("order:1:abc", "POST", "/ecommerce/stores/s/orders", {"id": "1", "order_total": 1.5})
    assert op.as_json() == {"method": "POST", "path": "/ecommerce/stores/s/orders", "operation_id": "order:1:abc",
                            "body": '{"id":"1","order_total":1.5}'}
    assert Operation.from_state(op.to_state()) == op


def test_a_link_that_keeps_expiring_is_a_passing_failure(sim: MailchimpSimulator, client: BatchClient) -> None:
    status = finished(client, client.submit([member_op(40)]).id)
    sim.clock.advance(sim.config.batch_url_ttl_seconds + 1)  # this link has expired
    sim.config.batch_url_ttl_seconds = -1  # and every new one is born expired
    with pytest.raises(MailchimpError) as raised:
        list(client.results(status))
    assert raised.value.category is Category.TRANSIENT  # the backfill polls again later, the run goes on
    assert [d["status"] for d in sim.result_downloads()][-3:] == [403, 403, 403]


def test_a_refused_operation_keeps_its_whole_answer_and_an_order_its_buyer_only() -> None:
    order = {"id": "INV1", "customer": {"id": "c1", "email_address": "a@b.org", "orders_count": 3},
             "lines": [{"id": "1"}], "_links": [{"rel": "self"}] * 5}
    refused = '{"title": "Invalid Resource", "status": 400, "detail": "bad", "errors": [{"field": "x"}]}'
    got = list(parse_results([
        {"operation_id": "order:INV1:h", "status_code": 200, "response": json.dumps(order)},
        {"operation_id": "order:INV2:h", "status_code": 400, "response": refused},
        "not an entry",
        {"operation_id": "order:INV3:h", "status_code": 200, "response": "not json"},
    ]))
    assert [(r.operation_id, r.status) for r in got] == [("order:INV1:h", 200), ("order:INV2:h", 400),
                                                          ("order:INV3:h", 200)]
    assert got[0].body == {"id": "INV1", "customer": {"id": "c1"}}
    assert got[1].text == refused and got[1].error().title == "Invalid Resource"
    assert got[2].body == "not json"


def test_a_results_file_cut_short_is_a_passing_failure(sim: MailchimpSimulator, client: BatchClient) -> None:
    """The answers are parsed as they come off the socket: a file that ends mid-answer fails the download (read
    again at the next poll), it does not hand back half a batch."""
    status = finished(client, client.submit([member_op(50), member_op(51)]).id)
    text = b'[{"operation_id": "member:contact50@fabrikam.org:0", "status_code": 200, "response": "{}"}, {"oper'
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"{status.id}-0.json")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    sim.batches.get(status.id).archive = archive.getvalue()  # the storage answers with a file cut short
    with pytest.raises(MailchimpError) as raised:
        list(client.results(status))
    assert raised.value.category is Category.TRANSIENT
    assert sim.result_downloads() == [{"status": 200, "authorization": False}]
