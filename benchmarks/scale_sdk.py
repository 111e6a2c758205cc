"""The comparison for bench_scale.py: the same first load scripted with the official ``mailchimp-marketing`` SDK,
one request at a time, the way a user writing their own script would.

The records are what the engine left in the first simulator (members with their tags, e-commerce customers,
the product, orders), replayed into a fresh simulator: store, merge fields and product first, then per customer
its member PUT (``lists.set_list_member``), its tags (``lists.update_list_member_tags``), the e-commerce customer
(``ecommerce.set_store_customer``) and its orders (``ecommerce.add_store_order``).  Reading GP is left out, which
favours the SDK.  Past a time budget the rest is extrapolated from the rate so far (the table says so).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from gpmc_desktop.demo.mailchimp_sim.state import subscriber_hash

Call = Callable[[], object]

STORE_FIELDS = ("id", "list_id", "name", "platform", "domain", "email_address", "currency_code", "is_syncing")
PRODUCT_FIELDS = ("id", "title", "description", "currency_code")
VARIANT_FIELDS = ("id", "title", "price")
CUSTOMER_FIELDS = ("id", "email_address", "opt_in_status", "company", "first_name", "last_name", "address")
ORDER_FIELDS = ("id", "currency_code", "order_total", "financial_status", "fulfillment_status",
                "processed_at_foreign", "cancelled_at_foreign", "discount_total", "tax_total", "shipping_total")
LINE_FIELDS = ("id", "product_id", "product_variant_id", "quantity", "price")
MERGE_FIELD_FIELDS = ("tag", "name", "type", "required", "public", "options")


@dataclass
class SdkRun:
    requests_total: int
    requests_done: int
    seconds: float
    failures: int

    @property
    def extrapolated(self) -> bool:
        return self.requests_done < self.requests_total

    @property
    def wall(self) -> float:
        """Seconds the whole replay took, or would take at the rate measured."""
        if not self.requests_done:
            return float("nan")
        return self.seconds * self.requests_total / self.requests_done


def _pick(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: data[k] for k in fields if k in data and data[k] not in ("", None)}


def _sdk() -> Any:
    """The official SDK, imported only for the replay: --help and --skip-sdk work without the bench extra."""
    try:
        import mailchimp_marketing
    except ImportError as exc:
        raise SystemExit("The SDK comparison needs the bench extra: pip install -e '.[bench]' "
                         "(or run with --skip-sdk).") from exc
    return mailchimp_marketing


def sdk_client(sim: MailchimpSimulator) -> Any:
    client = _sdk().Client()
    client.set_config({"api_key": sim.api_key, "server": sim.dc})
    # The SDK builds https://<server>.api.mailchimp.com/3.0 URLs; the simulator's base replaces that.  (3.0.80
    # calls requests per request, so an HTTPS simulator would take REQUESTS_CA_BUNDLE, not ssl_ca_cert.)
    client.api_client.host = sim.api_base
    return client


def planned_calls(source: MailchimpSimulator, list_id: str, store_id: str, client: Any,
                  target_merge_tags: set[str]) -> list[Call]:
    """Every SDK call of the replay, in an order that respects Mailchimp's dependencies."""
    calls: list[Call] = []
    for field in source.merge_fields(list_id):
        if field["tag"] not in target_merge_tags:
            body = _pick(field, MERGE_FIELD_FIELDS)
            calls.append(lambda b=body: client.lists.add_list_merge_field(list_id, b))
    store = _pick(source.store(store_id) or {}, STORE_FIELDS)
    calls.append(lambda: client.ecommerce.add_store(store))
    for product in source.products(store_id).values():
        body = _pick(product, PRODUCT_FIELDS)
        body["variants"] = [_pick(v, VARIANT_FIELDS) for v in product.get("variants", [])]
        calls.append(lambda b=body: client.ecommerce.add_store_product(store_id, b))
    calls.extend(_per_customer(source, list_id, store_id, client))
    return calls


def _per_customer(source: MailchimpSimulator, list_id: str, store_id: str, client: Any) -> Iterator[Call]:
    orders_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in source.orders(store_id).values():
        orders_of[order["customer_id"]].append(order)
    customers = source.customers(store_id)
    members = {subscriber_hash(m["email_address"]): m for m in source.members(list_id)}
    for key in sorted(set(members) | set(customers)):
        member = members.get(key)
        if member is not None:
            body = {"email_address": member["email_address"], "status_if_new": member["status"],
                    "merge_fields": member["merge_fields"]}
            yield lambda k=key, b=body: client.lists.set_list_member(list_id, k, b)
            if member.get("tags"):
                tags = {"tags": [{"name": t, "status": "active"} for t in member["tags"]]}
                yield lambda k=key, t=tags: client.lists.update_list_member_tags(list_id, k, t)
        customer = customers.get(key)
        if customer is None:
            continue
        body = _pick(customer, CUSTOMER_FIELDS)
        yield lambda k=key, b=body: client.ecommerce.set_store_customer(store_id, k, b)
        for order in orders_of.get(key, []):
            order_body = _pick(order, ORDER_FIELDS)
            order_body["customer"] = {"id": key}
            order_body["lines"] = [_pick(line, LINE_FIELDS) for line in order["lines"]]
            yield lambda b=order_body: client.ecommerce.add_store_order(store_id, b)


def replay(source: MailchimpSimulator, target: MailchimpSimulator, list_id: str, store_id: str,
           budget_s: float) -> SdkRun:
    """Replay *source*'s records into *target* with the SDK, serially; stop after *budget_s* (0: no limit)."""
    client = sdk_client(target)
    tags = {f["tag"] for f in target.merge_fields(list_id)}
    calls = planned_calls(source, list_id, store_id, client, tags)
    failures = done = 0
    started = time.perf_counter()
    for call in calls:
        try:
            call()
        except _sdk().api_client.ApiClientError:
            failures += 1
        done += 1
        if budget_s and time.perf_counter() - started > budget_s:
            break
    return SdkRun(len(calls), done, time.perf_counter() - started, failures)
