"""MailchimpTransport and MailchimpApi against the Mailchimp simulator over real sockets.

Back-off is recorded by an injected ``sleep`` (nothing waits), so retry counts and delays are exact.  Every
test ends with zero contract violations: the client never sends what Mailchimp's contract does not allow.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.mailchimp.keys import subscriber_hash
from gpmc_desktop.mailchimp.transport import ForbiddenRequest, MailchimpTransport, RetryPolicy
from tests.demo.mailchimp_support import KEY, LIST, order_body, product_body, wait_until

STORE = "gp-transport"
FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def sim(mailchimp_sim: MailchimpSimulator) -> MailchimpSimulator:
    """The account the module works in: the demo audience, and a store with one product."""
    api = MailchimpApi(MailchimpTransport(mailchimp_sim.api_base, KEY))
    api.create_store({"id": STORE, "list_id": LIST, "name": "Fabrikam GP", "currency_code": "USD"})
    api.put_product(STORE, product_body("P1"))
    api.t.close()
    return mailchimp_sim


@pytest.fixture(autouse=True)
def _fresh(sim: MailchimpSimulator) -> Iterator[None]:
    sim.faults.clear()
    sim.reset_counters()
    yield
    sim.faults.clear()
    assert sim.contract_violations == [], "the client sent a request outside Mailchimp's contract"
    assert sim.order_put_attempts == []


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Client:
    """A transport with recorded back-off, and the API on top of it."""

    def __init__(self, sim: MailchimpSimulator, *, key: str = KEY, retry: RetryPolicy = FAST,
                 sleep: Callable[[float], None] | None = None, rng: random.Random | None = None,
                 max_connections: int = 5) -> None:
        self.sleeps = Sleeps()
        self.transport = MailchimpTransport(
            sim.api_base, key, retry=retry, sleep=sleep or self.sleeps, rng=rng or random.Random(3),
            max_connections=max_connections,
        )
        self.api = MailchimpApi(self.transport)


@pytest.fixture
def client(sim: MailchimpSimulator) -> Iterator[Client]:
    made = Client(sim)
    yield made
    made.transport.close()


def count(sim: MailchimpSimulator, method: str, template: str) -> int:
    return sim.request_counts().get((method, template), 0)


# ------------------------------------------------------------------------------------------ concurrency cap
def test_thirty_parallel_calls_never_exceed_three_connections(sim: MailchimpSimulator) -> None:
    made = Client(sim, max_connections=3)
    sim.faults.set_latency(0.05)
    start = threading.Barrier(30)

    def call(i: int) -> dict[str, Any]:
        start.wait()  # all thirty threads ask at once
        return made.api.get_list(LIST) if i % 2 else made.api.ping()

    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            results = list(pool.map(call, range(30)))
    finally:
        made.transport.close()
    assert len(results) == 30 and all(results)
    assert made.transport.requests_sent == 30 and made.transport.retries == 0
    assert sim.rejected_for_concurrency == 0
    assert 2 <= sim.peak_concurrency <= 3
    assert count(sim, "GET", "/ping") + count(sim, "GET", "/lists/{list_id}") == 30


def test_connection_cap_is_validated() -> None:
    for bad in (0, 11):
        with pytest.raises(ValueError, match="max_connections"):
            MailchimpTransport("http://127.0.0.1:1/3.0", KEY, max_connections=bad)


# ------------------------------------------------------------------------------------------ transient: retry
@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda f: f.fail_next(3, 429), id="429-burst"),
        pytest.param(lambda f: f.fail_next(2, 403, bodyless=True), id="403-bodyless"),
        pytest.param(lambda f: f.fail_next(2, 500), id="500"),
        pytest.param(lambda f: f.fail_next(1, 502, bodyless=True), id="502-bodyless"),
        pytest.param(lambda f: f.fail_next(2, 503), id="503"),
        pytest.param(lambda f: f.reset_next(2), id="reset"),
    ],
)
def test_transient_failures_are_retried_and_succeed(
    sim: MailchimpSimulator, client: Client, inject: Callable[[Any], None]
) -> None:
    inject(sim.faults)
    audience = client.api.get_list(LIST)
    assert audience["id"] == LIST
    failures = client.transport.retries
    assert failures >= 1
    assert client.transport.requests_sent == failures + 1
    assert len(client.sleeps) == failures
    assert count(sim, "GET", "/lists/{list_id}") == 1  # only the successful one reached the account


def test_backoff_grows_exponentially_up_to_the_cap(sim: MailchimpSimulator) -> None:
    class Ceiling(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the top of each jitter window

    made = Client(sim, rng=Ceiling())
    sim.faults.fail_next(5, 429)
    try:
        assert made.api.ping()
    finally:
        made.transport.close()
    assert made.sleeps == pytest.approx([0.02, 0.04, 0.05, 0.05, 0.05])


def test_backoff_is_jittered_within_its_window(sim: MailchimpSimulator, client: Client) -> None:
    sim.faults.fail_next(5, 503)
    assert client.api.ping()
    assert len(client.sleeps) == 5
    for attempt, delay in enumerate(client.sleeps, start=1):
        assert 0 <= delay <= min(FAST.max_delay, FAST.base_delay * 2**attempt)
    assert len(set(client.sleeps)) == 5  # full jitter: no two workers would retry in step


def test_retries_give_up_after_the_policy_attempts(sim: MailchimpSimulator, client: Client) -> None:
    made = Client(sim, retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05))
    sim.faults.fail_next(10, 503)
    try:
        with pytest.raises(MailchimpError) as caught:
            made.api.ping()
    finally:
        made.transport.close()
    err = caught.value
    assert err.status == 503 and err.category is Category.TRANSIENT
    assert err.title == "Service Unavailable"
    assert made.transport.requests_sent == 3 and len(made.sleeps) == 2


# ----------------------------------------------------------------------------------- permanent: never retried
def test_forgotten_email_is_permanent_and_sent_once(sim: MailchimpSimulator, client: Client) -> None:
    sim.set_member_status(LIST, "gone@fabrikam.org", "forgotten")
    with pytest.raises(MailchimpError) as caught:
        client.api.upsert_member(LIST, {"email_address": "gone@fabrikam.org", "status_if_new": "transactional"})
    err = caught.value
    assert (err.status, err.title, err.category) == (400, "Forgotten Email Not Subscribed", Category.PERMANENT)
    assert "permanently deleted" in err.detail
    assert err.instance  # Mailchimp's request id, for support
    assert (err.method, err.path) == ("PUT", f"/lists/{LIST}/members/{subscriber_hash('gone@fabrikam.org')}")
    assert client.transport.requests_sent == 1 and client.sleeps == []
    assert count(sim, "PUT", "/lists/{list_id}/members/{subscriber_hash}") == 1


def test_fake_email_is_an_invalid_resource(sim: MailchimpSimulator, client: Client) -> None:
    with pytest.raises(MailchimpError) as caught:
        client.api.upsert_member(LIST, {"email_address": "someone@example.com", "status_if_new": "transactional"})
    err = caught.value
    assert (err.status, err.title, err.category) == (400, "Invalid Resource", Category.PERMANENT)
    assert err.detail == "someone@example.com looks fake or invalid, please enter a real email address."
    assert not err.already_exists and not err.is_not_found
    assert client.transport.requests_sent == 1 and client.sleeps == []
    assert sim.member(LIST, "someone@example.com") is None


def test_field_errors_are_parsed(sim: MailchimpSimulator, client: Client) -> None:
    fields = {f["tag"] for f in client.api.merge_fields(LIST)}
    if "BALANCE" not in fields:
        client.api.create_merge_field(LIST, {"name": "Balance", "type": "number", "tag": "BALANCE"})
    sent = client.transport.requests_sent
    with pytest.raises(MailchimpError) as caught:
        client.api.upsert_member(LIST, {"email_address": "numbers@fabrikam.org", "status_if_new": "transactional",
                                        "merge_fields": {"BALANCE": "a lot"}})
    err = caught.value
    assert (err.status, err.title, err.category) == (400, "Invalid Resource", Category.PERMANENT)
    assert err.detail == "Your merge fields were invalid."
    assert err.errors == [{"field": "BALANCE", "message": "Please enter a number"}]
    assert "[BALANCE: Please enter a number]" in str(err)
    assert client.transport.requests_sent == sent + 1 and client.sleeps == []


def test_not_found_is_none_for_lookups_and_an_error_otherwise(client: Client) -> None:
    assert client.api.get_member(LIST, "nobody@fabrikam.org") is None
    assert client.api.get_store("no-such-store") is None
    assert client.api.get_order(STORE, "no-such-order") is None
    with pytest.raises(MailchimpError) as caught:
        client.api.get_list("nolist0000")
    assert caught.value.is_not_found and caught.value.category is Category.PERMANENT
    assert client.transport.requests_sent == 4 and client.sleeps == []


@pytest.mark.parametrize("key", ["ffffffffffffffffffffffffffffffff-us6", "0123456789abcdef0123456789abcdef-us9"])
def test_wrong_key_is_an_auth_error_sent_once(sim: MailchimpSimulator, key: str) -> None:
    made = Client(sim, key=key)
    try:
        with pytest.raises(MailchimpError) as caught:
            made.api.ping()
    finally:
        made.transport.close()
    err = caught.value
    assert (err.status, err.title, err.category) == (401, "API Key Invalid", Category.AUTH)
    assert "API key may be invalid" in err.detail
    assert made.transport.requests_sent == 1 and made.sleeps == []


def test_forbidden_with_a_body_is_an_auth_error(sim: MailchimpSimulator, client: Client) -> None:
    sim.faults.fail_next(1, 403, title="Forbidden", detail="You don't have permission to access this resource.")
    with pytest.raises(MailchimpError) as caught:
        client.api.ping()
    assert caught.value.category is Category.AUTH
    assert client.transport.requests_sent == 1


# ------------------------------------------------------------------------------ POSTs that may have happened
def test_post_reset_after_the_store_was_created_is_verified_not_repeated(
    sim: MailchimpSimulator, client: Client
) -> None:
    sim.faults.reset_after_next(1, "/ecommerce/stores")
    body = {"id": "gp-reset-store", "list_id": LIST, "name": "Fabrikam GP 2", "currency_code": "USD"}
    store = client.api.create_store(body)
    assert store["id"] == "gp-reset-store" and store["list_id"] == LIST
    assert sim.store("gp-reset-store") is not None
    assert count(sim, "POST", "/ecommerce/stores") == 1  # the only POST; the check was a GET
    assert count(sim, "GET", "/ecommerce/stores/{store_id}") == 1
    assert client.transport.retries == 1 and sim.writes == 1


def test_post_reset_after_the_order_was_created_does_not_duplicate(
    sim: MailchimpSimulator, client: Client
) -> None:
    sim.faults.reset_after_next(1, "/ecommerce/stores/*/orders")
    answer = client.api.create_order(STORE, order_body("O-RESET-AFTER", lines=[
        {"id": "1", "product_id": "P1", "product_variant_id": "P1", "quantity": 2, "price": 10.0}]))
    assert answer.status == 200 and answer.body["id"] == "O-RESET-AFTER"
    assert list(sim.orders(STORE)).count("O-RESET-AFTER") == 1
    assert count(sim, "POST", "/ecommerce/stores/{store_id}/orders") == 1
    assert count(sim, "GET", "/ecommerce/stores/{store_id}/orders/{order_id}") == 1
    assert client.transport.requests_sent == 2


def test_post_reset_before_anything_happened_is_sent_again(sim: MailchimpSimulator, client: Client) -> None:
    sim.faults.reset_next(1, "/ecommerce/stores/*/orders")
    answer = client.api.create_order(STORE, order_body("O-RESET-BEFORE"))
    assert answer.body["id"] == "O-RESET-BEFORE"
    assert "O-RESET-BEFORE" in sim.orders(STORE)
    # POST (reset) -> GET (404: not there) -> POST again
    assert client.transport.requests_sent == 3
    assert count(sim, "POST", "/ecommerce/stores/{store_id}/orders") == 1


def test_post_cut_off_at_the_gateway_but_carried_out_is_verified(sim: MailchimpSimulator) -> None:
    # Mailchimp's CDN answers 502 at its cut-off while the call runs on and creates the order.
    sim.faults.set_cutoff(0.05)
    sim.faults.set_latency(0.3, "/ecommerce/stores/*/orders")
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:  # back-off: long enough for the cut-off call to finish on the server
        sleeps.append(seconds)
        wait_until(lambda: "O-CUTOFF" in sim.orders(STORE), "the cut-off call to finish")

    made = Client(sim, sleep=sleep)
    try:
        answer = made.api.create_order(STORE, order_body("O-CUTOFF"))
    finally:
        made.transport.close()
        sim.faults.clear()
        wait_until(lambda: sim.slots.in_flight == 0, "cut-off calls to end")  # none may leak into the next test
    assert answer.body["id"] == "O-CUTOFF"
    assert len(sleeps) == 1
    assert count(sim, "POST", "/ecommerce/stores/{store_id}/orders") == 1  # not re-sent: no "already exists"


def test_failed_probe_is_an_error_not_a_silent_success(sim: MailchimpSimulator) -> None:
    made = Client(sim, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05))
    sim.faults.reset_next(3)  # the POST, the verifying GET and everything after
    try:
        with pytest.raises(MailchimpError) as caught:
            made.api.create_order(STORE, order_body("O-NEVER"))
    finally:
        made.transport.close()
    assert caught.value.status is None and caught.value.category is Category.TRANSIENT
    assert "O-NEVER" not in sim.orders(STORE)


# ----------------------------------------------------------------------------------------- forbidden requests
@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", f"/ecommerce/stores/{STORE}/orders/O1"), ("put", f"/ecommerce/stores/{STORE}/orders/O1"),
     ("PUT", f"/ecommerce/stores/{STORE}/orders/O1/"), ("PUT", f"/ecommerce/stores/{STORE}/orders/O1?x=1")],
)
def test_put_on_an_order_is_refused_before_sending(
    sim: MailchimpSimulator, client: Client, method: str, path: str
) -> None:
    with pytest.raises(ForbiddenRequest, match="never PUT an order"):
        client.transport.request(method, path, order_body("O1"))
    assert client.transport.requests_sent == 0
    assert sim.writes == 0 and sim.request_counts() == {}


def test_put_on_other_ecommerce_paths_is_allowed(sim: MailchimpSimulator, client: Client) -> None:
    product = client.api.put_product(STORE, product_body("P-ORDERS"))  # "orders" inside an id is fine
    assert product["id"] == "P-ORDERS"
    customer = client.api.put_customer(STORE, {"id": "C-1", "email_address": "c1@fabrikam.org",
                                               "opt_in_status": False})
    assert customer["id"] == "C-1"
    assert client.transport.writes_sent == 2


def test_orders_are_created_with_post_and_updated_with_patch(sim: MailchimpSimulator, client: Client) -> None:
    client.api.create_order(STORE, order_body("O-LIFE"))
    client.api.update_order(STORE, "O-LIFE", {"financial_status": "paid"})
    order = client.api.get_order(STORE, "O-LIFE")
    assert order is not None and order["financial_status"] == "paid"
    assert count(sim, "POST", "/ecommerce/stores/{store_id}/orders") == 1
    assert count(sim, "PATCH", "/ecommerce/stores/{store_id}/orders/{order_id}") == 1
