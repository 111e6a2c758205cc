"""E-commerce stores (with the ``is_syncing`` history) and customers (with their audience side effect)."""

from __future__ import annotations

from typing import Any

from .errors import (
    DETAIL_CUSTOMER_EMAIL_EXISTS,
    DETAIL_CUSTOMER_EMAIL_IMMUTABLE,
    DETAIL_STORE_EXISTS,
    ApiError,
    bad_request,
    detail_customer_email_invalid,
    invalid_resource,
    not_found,
)
from .member_rules import is_valid_email
from .members import contact_for_customer, unarchive_on_store_activity
from .routing import ApiRequest, Reply, Router, SimContext, collection, self_link
from .state import Store, normalise_email

_STORE_FIELDS = ("name", "platform", "domain", "is_syncing", "email_address", "currency_code", "money_format",
                 "primary_locale", "timezone", "phone", "address")
_CUSTOMER_FIELDS = ("email_address", "opt_in_status", "company", "first_name", "last_name", "address",
                    "sms_phone_number")
CUSTOMER_ID_MAX = 50


def register(router: Router) -> None:
    router.add("GET", "/ecommerce/stores", get_stores)
    router.add("POST", "/ecommerce/stores", post_store)
    router.add("GET", "/ecommerce/stores/{store_id}", get_store)
    router.add("PATCH", "/ecommerce/stores/{store_id}", patch_store)
    router.add("DELETE", "/ecommerce/stores/{store_id}", delete_store)
    customers = "/ecommerce/stores/{store_id}/customers"
    router.add("GET", customers, get_customers)
    router.add("POST", customers, post_customer)
    router.add("GET", customers + "/{customer_id}", get_customer)
    router.add("PUT", customers + "/{customer_id}", put_customer)
    router.add("PATCH", customers + "/{customer_id}", patch_customer)
    router.add("DELETE", customers + "/{customer_id}", delete_customer)


def store_of(ctx: SimContext, store_id: str) -> Store:
    store = ctx.state.stores.get(store_id)
    if store is None:
        raise not_found()
    return store


def store_json(store: Store) -> dict[str, Any]:
    return {
        **store.data,
        "automations": {"abandoned_cart": {"is_supported": True, "id": "", "status": "paused"}},
        "list_is_active": True,
        "_links": self_link(f"/ecommerce/stores/{store.id}"),
    }


def _record_is_syncing(ctx: SimContext, store: Store, via: str) -> None:
    store.is_syncing_history.append({"is_syncing": store.is_syncing, "via": via, "at": ctx.clock.iso()})


def get_stores(ctx: SimContext, req: ApiRequest) -> Reply:
    return collection(req, "stores", [store_json(s) for s in ctx.state.stores.values()])


def post_store(ctx: SimContext, req: ApiRequest) -> Reply:
    body = req.json
    store_id = str(body.get("id", ""))
    if store_id in ctx.state.stores:
        raise bad_request(DETAIL_STORE_EXISTS)
    if str(body.get("list_id")) not in ctx.state.lists:
        raise invalid_resource([{"field": "list_id", "message": "The list_id does not match an audience."}],
                               detail="Unable to find a list with the provided list_id.")
    now = ctx.clock.iso()
    data: dict[str, Any] = {"id": store_id, "list_id": str(body["list_id"]), "platform": "", "domain": "",
                            "is_syncing": False, "email_address": "", "money_format": "", "primary_locale": "",
                            "timezone": "", "phone": "", "address": {}}
    data.update({k: body[k] for k in _STORE_FIELDS if k in body})
    data.update(created_at=now, updated_at=now)
    store = ctx.state.stores[store_id] = Store(data)
    _record_is_syncing(ctx, store, "POST")
    return Reply(200, store_json(store))


def get_store(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, store_json(store_of(ctx, req.params["store_id"])))


def patch_store(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    body = req.json
    if "list_id" in body and str(body["list_id"]) != store.data["list_id"]:
        # A store is tied to one audience for life (DOCS concepts/e-commerce.mdx).
        raise bad_request("The list_id for a store may not be changed once the store is created.")
    store.data.update({k: body[k] for k in _STORE_FIELDS if k in body})
    store.data["updated_at"] = ctx.clock.iso()
    if "is_syncing" in body:
        _record_is_syncing(ctx, store, "PATCH")
    return Reply(200, store_json(store))


def delete_store(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    del ctx.state.stores[store.id]
    return Reply(204)


# --- customers ------------------------------------------------------------------------------------------------


def customer_json(store: Store, customer: dict[str, Any]) -> dict[str, Any]:
    return {**customer, "_links": self_link(f"/ecommerce/stores/{store.id}/customers/{customer['id']}")}


def upsert_customer(ctx: SimContext, store: Store, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create or update a customer (PUT, and the ``customer`` embedded in an order), with every rule of item 28."""
    if len(customer_id) > CUSTOMER_ID_MAX:
        raise invalid_resource([{"field": "id", "message": f"Must be at most {CUSTOMER_ID_MAX} characters."}])
    existing = store.customers.get(customer_id)
    email = body.get("email_address")
    known = existing["email_address"] if existing is not None else email
    if known and is_valid_email(str(known)):
        unarchive_on_store_activity(ctx, ctx.state.lists[store.data["list_id"]], str(known))
    if existing is not None:
        if email is not None and normalise_email(str(email)) != normalise_email(existing["email_address"]):
            raise bad_request(DETAIL_CUSTOMER_EMAIL_IMMUTABLE)
        was_opted_in = bool(existing["opt_in_status"])
        existing.update({k: body[k] for k in _CUSTOMER_FIELDS if k in body and k != "email_address"})
        existing["updated_at"] = ctx.clock.iso()
        if body.get("opt_in_status") and not was_opted_in:
            contact_for_customer(ctx, ctx.state.lists[store.data["list_id"]], existing["email_address"], True)
        return existing
    if not email:
        raise invalid_resource([{"field": "email_address", "message": "This value should not be blank."}])
    if not is_valid_email(str(email)):
        raise ApiError(400, "Customer Was Not Saved", detail_customer_email_invalid(str(email)))
    if customer_with_email(store, str(email)) is not None:
        # A store's customers are identified by e-mail (reference 2.7): one address, one customer id.
        raise bad_request(DETAIL_CUSTOMER_EMAIL_EXISTS)
    now = ctx.clock.iso()
    customer: dict[str, Any] = {"id": customer_id, "email_address": str(email).strip(), "opt_in_status": False,
                                "company": "", "first_name": "", "last_name": "", "orders_count": 0,
                                "total_spent": 0, "address": {}}
    customer.update({k: body[k] for k in _CUSTOMER_FIELDS if k in body and k != "email_address"})
    customer.update(created_at=now, updated_at=now)
    store.customers[customer_id] = customer
    contact_for_customer(
        ctx, ctx.state.lists[store.data["list_id"]], customer["email_address"], bool(customer["opt_in_status"])
    )
    return customer


def customer_with_email(store: Store, email: str) -> dict[str, Any] | None:
    wanted = normalise_email(email)
    return next((c for c in store.customers.values() if normalise_email(c["email_address"]) == wanted), None)


def customer_of(store: Store, customer_id: str) -> dict[str, Any]:
    customer = store.customers.get(customer_id)
    if customer is None:
        raise not_found()
    return customer


def get_customers(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    customers = list(store.customers.values())
    if req.arg("email_address"):
        match = customer_with_email(store, req.arg("email_address") or "")
        customers = [match] if match else []
    return collection(req, "customers", [customer_json(store, c) for c in customers], store_id=store.id)


def post_customer(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    customer_id = str(req.json.get("id", ""))
    if customer_id in store.customers:
        raise bad_request(
            "We were unable to process the request. A customer with the provided ID already exists in the account."
        )
    return Reply(200, customer_json(store, upsert_customer(ctx, store, customer_id, req.json)))


def get_customer(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return Reply(200, customer_json(store, customer_of(store, req.params["customer_id"])))


def put_customer(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return Reply(200, customer_json(store, upsert_customer(ctx, store, req.params["customer_id"], req.json)))


def patch_customer(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    customer_of(store, req.params["customer_id"])
    return Reply(200, customer_json(store, upsert_customer(ctx, store, req.params["customer_id"], req.json)))


def delete_customer(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    del store.customers[customer_of(store, req.params["customer_id"])["id"]]
    return Reply(204)
