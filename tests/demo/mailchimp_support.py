"""Shared pieces of the Mailchimp simulator tests: a running simulator, a client, and valid payloads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_ID, MailchimpSimulator, SimConfig

LIST = DEMO_LIST_ID
KEY = "0123456789abcdef0123456789abcdef-us6"
STORE = "gp-fabrikam"


def contract_cache(factory: pytest.TempPathFactory) -> Path:
    """One cache dir per test session, so the parsed spec is shared and the user's cache is never touched."""
    return factory.getbasetemp() / "mailchimp-contract-cache"


@contextmanager
def running(factory: pytest.TempPathFactory, **config: Any) -> Iterator[MailchimpSimulator]:
    # Fast batches; strict response checks make every test also a self-test of the simulator's answers.
    settings = {"batch_step_seconds": 0.01, "strict_responses": True, **config}
    sim = MailchimpSimulator(api_keys=[KEY], dc="us6", seed=7, cache_dir=contract_cache(factory),
                             config=SimConfig(**settings))
    with sim:
        yield sim
    assert sim.internal_errors == [], "the simulator crashed on a request"
    assert sim.response_violations == [], "the simulator answered outside the contract"


class Api:
    """requests against the simulator's /3.0 with the account's key."""

    def __init__(self, sim: MailchimpSimulator, key: str = KEY) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.auth = ("gpmc", key)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.sim.api_base + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def assert_problem(response: requests.Response, status: int, title: str, detail: str | None = None) -> dict:
    """An error exactly as Mailchimp sends it; returns the body for further checks."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json; charset=utf-8"
    body = response.json()
    assert body["title"] == title
    assert body["status"] == status
    assert body["instance"] == response.headers["X-Request-Id"]
    assert body["type"].startswith("https://")
    if detail is not None:
        assert body["detail"] == detail
    return body


def member_body(email: str, status_if_new: str = "subscribed", **extra: Any) -> dict[str, Any]:
    return {"email_address": email, "status_if_new": status_if_new, **extra}


def product_body(product_id: str, variants: list[str] | None = None) -> dict[str, Any]:
    return {"id": product_id, "title": f"Item {product_id}",
            "variants": [{"id": v, "title": f"Item {v}", "price": 10.0} for v in (variants or [product_id])]}


def order_body(order_id: str, customer_id: str = "C100", email: str = "buyer@fabrikam.org", **extra: Any) -> dict:
    return {
        "id": order_id,
        "customer": {"id": customer_id, "email_address": email, "opt_in_status": False},
        "currency_code": "USD",
        "order_total": 20.0,
        "processed_at_foreign": "2024-03-01T10:00:00+00:00",
        "lines": [{"id": "1", "product_id": "P1", "product_variant_id": "P1", "quantity": 2, "price": 10.0}],
        **extra,
    }


def make_store(api: Api, store_id: str = STORE, **extra: Any) -> None:
    body = {"id": store_id, "list_id": LIST, "name": "Fabrikam GP", "currency_code": "USD", **extra}
    assert api.post("/ecommerce/stores", body).status_code == 200


def wait_until(condition: Callable[[], Any], what: str, deadline: float = 15.0) -> Any:
    """Poll a condition (no timing assertion: the deadline only stops a hang)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")
