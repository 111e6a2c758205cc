"""E-commerce orders and order lines, with the notification log that ``is_syncing`` suppresses."""

from __future__ import annotations

from typing import Any

from .errors import (
    DETAIL_CAMPAIGN_MISSING,
    DETAIL_LINE_PRODUCT_MISSING,
    DETAIL_ORDER_EXISTS,
    bad_request,
    invalid_resource,
    not_found,
)
from .routes_products import variant_of
from .routes_stores import customer_json, store_of, upsert_customer
from .routing import ApiRequest, Reply, Router, SimContext, collection, self_link
from .state import Store

ORDER_TEMPLATE = "/ecommerce/stores/{store_id}/orders/{order_id}"
# Values that send the customer an e-mail when order notifications are on (DOCS "Order notifications").
NOTIFYING_VALUES = {"financial_status": {"paid", "pending", "refunded", "cancelled"},
                    "fulfillment_status": {"shipped"}}
_ORDER_FIELDS = ("campaign_id", "landing_site", "financial_status", "fulfillment_status", "currency_code",
                 "order_total", "order_url", "discount_total", "tax_total", "shipping_total", "tracking_code",
                 "processed_at_foreign", "cancelled_at_foreign", "updated_at_foreign", "shipping_address",
                 "billing_address", "promos", "outreach", "tracking_number", "tracking_carrier", "tracking_url",
                 "cart_id")
_LINE_FIELDS = ("product_id", "product_variant_id", "quantity", "price", "discount")
# What a PATCH's ``customer`` may change: SPEC90's E_commerce_Customer_2 has no ``id`` or ``email_address``, so an
# order never moves to another customer by PATCH (assumption from the schema; nothing documents a move).
_PATCH_CUSTOMER_FIELDS = ("opt_in_status", "company", "first_name", "last_name", "address")
_NEW_ORDER_REQUIRED = ("customer", "currency_code", "order_total", "lines")


def register(router: Router) -> None:
    orders = "/ecommerce/stores/{store_id}/orders"
    router.add("GET", "/ecommerce/orders", get_account_orders)
    router.add("GET", orders, get_orders)
    router.add("POST", orders, post_order)
    router.add("GET", ORDER_TEMPLATE, get_order)
    router.add("PATCH", ORDER_TEMPLATE, patch_order)
    router.add("DELETE", ORDER_TEMPLATE, delete_order)
    # SPEC90's "Add or update order"; Mailchimp's current API has no such method (reference §1.3).
    router.add("PUT", ORDER_TEMPLATE, put_order, enabled=lambda config: config.allow_order_put)
    router.add("GET", ORDER_TEMPLATE + "/lines", get_lines)
    router.add("POST", ORDER_TEMPLATE + "/lines", post_line)
    router.add("GET", ORDER_TEMPLATE + "/lines/{line_id}", get_line)
    router.add("PATCH", ORDER_TEMPLATE + "/lines/{line_id}", patch_line)
    router.add("DELETE", ORDER_TEMPLATE + "/lines/{line_id}", delete_line)


def order_of(store: Store, order_id: str) -> dict[str, Any]:
    order = store.orders.get(order_id)
    if order is None:
        raise not_found()
    return order


def line_json(store: Store, line: dict[str, Any]) -> dict[str, Any]:
    product = store.products.get(line["product_id"]) or {}
    variant = variant_of(product, line["product_variant_id"]) if product else None
    return {**line, "product_title": product.get("title", ""),
            "product_variant_title": (variant or {}).get("title", ""), "image_url": product.get("image_url", "")}


def order_json(store: Store, order: dict[str, Any]) -> dict[str, Any]:
    customer = store.customers.get(order["customer_id"]) or {"id": order["customer_id"]}
    public = {k: v for k, v in order.items() if k != "customer_id"}
    return {**public, "customer": customer_json(store, customer),
            "lines": [line_json(store, line) for line in order["lines"]],
            "_links": self_link(f"/ecommerce/stores/{store.id}/orders/{order['id']}")}


def _check_lines(store: Store, lines: list[dict[str, Any]]) -> None:
    """Products come first: every line must name an existing product *and* variant (R mc4wp#754)."""
    for line in lines:
        product = store.products.get(str(line.get("product_id", "")))
        if product is None or variant_of(product, str(line.get("product_variant_id", ""))) is None:
            raise bad_request(DETAIL_LINE_PRODUCT_MISSING)


def _check_campaign(ctx: SimContext, body: dict[str, Any]) -> None:
    if body.get("campaign_id") and body["campaign_id"] not in ctx.state.campaign_ids:
        raise bad_request(DETAIL_CAMPAIGN_MISSING)


def _merge_lines(order: dict[str, Any], incoming: list[dict[str, Any]]) -> None:
    """Lines merge by id and unlisted lines stay: the sync must DELETE lines that disappeared in GP."""
    for patch in incoming:
        line = next((x for x in order["lines"] if x["id"] == str(patch.get("id", ""))), None)
        if line is None:
            line = {"id": str(patch.get("id", "")), "product_id": "", "product_variant_id": "", "quantity": 0,
                    "price": 0, "discount": 0}
            order["lines"].append(line)
        line.update({k: patch[k] for k in _LINE_FIELDS if k in patch})


def _lines_after_merge(order: dict[str, Any], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    existing = {x["id"]: x for x in order["lines"]}
    return [{**existing.get(str(p.get("id", "")), {}), **p} for p in incoming]


def _suppressed_by(ctx: SimContext, store: Store, *, order_email: bool) -> str:
    """What keeps an event from e-mailing the buyer: the store's is_syncing, the account's order notifications
    switched off (order e-mails only), or "" when it goes out."""
    if store.is_syncing:
        return "is_syncing"
    if order_email and not ctx.state.order_notifications:
        return "order notifications off"
    return ""


def _record_event(ctx: SimContext, store: Store, order_id: str, event: str, trigger: str) -> None:
    why = _suppressed_by(ctx, store, order_email=event == "order_notification")
    ctx.state.notification_events.append({
        "store_id": store.id, "order_id": order_id, "event": event, "trigger": trigger, "suppressed": bool(why),
        "suppressed_by": why, "at": ctx.clock.iso(),
    })


def _notify(ctx: SimContext, store: Store, order: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Log the e-mails Mailchimp would send for an order created (*before* None) or updated to a notifying value;
    while the store is_syncing, or with the account's order notifications off, they are suppressed (and logged
    so)."""
    for field, values in NOTIFYING_VALUES.items():
        value = order.get(field)
        if value in values and (before is None or before.get(field) != value):
            _record_event(ctx, store, order["id"], "order_notification", f"{field}:{value}")


def _create_order(ctx: SimContext, store: Store, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in _NEW_ORDER_REQUIRED if k not in body]
    if missing:
        raise invalid_resource([{"field": "", "message": "Required fields were not provided: " + ", ".join(missing)}])
    if not body["lines"]:
        raise invalid_resource([{"field": "lines", "message": "An order must contain at least one line."}])
    _check_campaign(ctx, body)
    _check_lines(store, body["lines"])
    customer = upsert_customer(ctx, store, str(body["customer"].get("id", "")), body["customer"])
    order: dict[str, Any] = {
        "id": order_id, "customer_id": customer["id"], "store_id": store.id, "campaign_id": "",
        "landing_site": "", "financial_status": "", "fulfillment_status": "", "order_url": "",
        "discount_total": 0, "tax_total": 0, "shipping_total": 0, "processed_at_foreign": "",
        "cancelled_at_foreign": "", "updated_at_foreign": "", "shipping_address": {}, "billing_address": {},
        "promos": [], "lines": [], "tracking_number": "", "tracking_carrier": "", "tracking_url": "",
    }
    order.update({k: body[k] for k in _ORDER_FIELDS if k in body})
    _merge_lines(order, body["lines"])
    store.orders[order_id] = order
    customer["orders_count"] = int(customer.get("orders_count", 0)) + 1
    customer["total_spent"] = round(float(customer.get("total_spent", 0)) + float(order["order_total"]), 2)
    _notify(ctx, store, order, None)
    if customer["orders_count"] == 1:
        _record_event(ctx, store, order_id, "first_purchase", customer["id"])  # an automation, not an order e-mail
    return order


def _update_order(ctx: SimContext, store: Store, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    lines = body.get("lines") or []
    _check_campaign(ctx, body)
    _check_lines(store, _lines_after_merge(order, lines))
    customer = store.customers.get(order["customer_id"])
    if isinstance(body.get("customer"), dict) and customer is not None:
        changes = {k: v for k, v in body["customer"].items() if k in _PATCH_CUSTOMER_FIELDS}
        upsert_customer(ctx, store, customer["id"], changes)
    before = {field: order.get(field) for field in NOTIFYING_VALUES}
    order.update({k: body[k] for k in _ORDER_FIELDS if k in body})  # promos are replaced wholesale (SPEC90)
    _merge_lines(order, lines)
    _notify(ctx, store, order, before)
    return order


def is_cancelled(order: dict[str, Any]) -> bool:
    """A ``cancelled_at_foreign`` value cancels the order (SPEC90 field description)."""
    return bool(order.get("cancelled_at_foreign"))


def get_account_orders(ctx: SimContext, req: ApiRequest) -> Reply:
    orders = [order_json(s, o) for s in ctx.state.stores.values() for o in s.orders.values()]
    if req.arg("customer_id"):
        orders = [o for o in orders if o["customer"]["id"] == req.arg("customer_id")]
    return collection(req, "orders", orders)


def get_orders(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    wanted = req.arg("customer_id")
    orders = [o for o in store.orders.values() if not wanted or o["customer_id"] == wanted]
    return collection(req, "orders", [order_json(store, o) for o in orders], store_id=store.id)


def post_order(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order_id = str(req.json.get("id", ""))
    if order_id in store.orders:
        raise bad_request(DETAIL_ORDER_EXISTS)
    return Reply(200, order_json(store, _create_order(ctx, store, order_id, req.json)))


def get_order(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return Reply(200, order_json(store, order_of(store, req.params["order_id"])))


def patch_order(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = _update_order(ctx, store, order_of(store, req.params["order_id"]), req.json)
    return Reply(200, order_json(store, order))


def put_order(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order_id = req.params["order_id"]
    existing = store.orders.get(order_id)
    if existing is not None:
        return Reply(200, order_json(store, _update_order(ctx, store, existing, req.json)))
    return Reply(200, order_json(store, _create_order(ctx, store, order_id, req.json)))


def delete_order(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = store.orders.pop(order_of(store, req.params["order_id"])["id"])
    customer = store.customers.get(order["customer_id"])
    if customer is not None:  # a customer's order count and total are those of the orders it has
        customer["orders_count"] = max(0, int(customer.get("orders_count", 0)) - 1)
        customer["total_spent"] = round(float(customer.get("total_spent", 0)) - float(order["order_total"]), 2)
    return Reply(204)


# --- order lines ----------------------------------------------------------------------------------------------


def _line_of(order: dict[str, Any], line_id: str) -> dict[str, Any]:
    line = next((x for x in order["lines"] if x["id"] == line_id), None)
    if line is None:
        raise not_found()
    return line


def get_lines(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = order_of(store, req.params["order_id"])
    return collection(req, "lines", [line_json(store, x) for x in order["lines"]], store_id=store.id,
                      order_id=order["id"])


def post_line(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = order_of(store, req.params["order_id"])
    line_id = str(req.json.get("id", ""))
    if any(x["id"] == line_id for x in order["lines"]):
        raise bad_request("A line with the provided ID already exists for this order.")
    _check_lines(store, [req.json])
    _merge_lines(order, [req.json])
    return Reply(200, line_json(store, _line_of(order, line_id)))


def get_line(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return Reply(200, line_json(store, _line_of(order_of(store, req.params["order_id"]), req.params["line_id"])))


def patch_line(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = order_of(store, req.params["order_id"])
    line = _line_of(order, req.params["line_id"])
    _check_lines(store, [{**line, **req.json}])
    line.update({k: req.json[k] for k in _LINE_FIELDS if k in req.json})
    return Reply(200, line_json(store, line))


def delete_line(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    order = order_of(store, req.params["order_id"])
    order["lines"].remove(_line_of(order, req.params["line_id"]))
    return Reply(204)
