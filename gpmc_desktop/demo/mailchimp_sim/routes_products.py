"""E-commerce products and their variants (orders may only reference variants that exist)."""

from __future__ import annotations

from typing import Any

from .errors import DETAIL_PRODUCT_EXISTS, bad_request, invalid_resource, not_found
from .routes_stores import store_of
from .routing import ApiRequest, Reply, Router, SimContext, collection, self_link
from .state import Store

_PRODUCT_FIELDS = ("title", "handle", "url", "description", "type", "vendor", "image_url", "images",
                   "published_at_foreign")
_VARIANT_FIELDS = ("title", "url", "sku", "price", "inventory_quantity", "image_url", "backorders", "visibility")


def register(router: Router) -> None:
    products = "/ecommerce/stores/{store_id}/products"
    product = products + "/{product_id}"
    router.add("GET", products, get_products)
    router.add("POST", products, post_product)
    router.add("GET", product, get_product)
    router.add("PUT", product, put_product)
    router.add("PATCH", product, patch_product)
    router.add("DELETE", product, delete_product)
    router.add("GET", product + "/variants", get_variants)
    router.add("POST", product + "/variants", post_variant)
    router.add("GET", product + "/variants/{variant_id}", get_variant)
    router.add("PUT", product + "/variants/{variant_id}", put_variant)
    router.add("PATCH", product + "/variants/{variant_id}", patch_variant)
    router.add("DELETE", product + "/variants/{variant_id}", delete_variant)


def product_of(store: Store, product_id: str) -> dict[str, Any]:
    product = store.products.get(product_id)
    if product is None:
        raise not_found()
    return product


def variant_of(product: dict[str, Any], variant_id: str) -> dict[str, Any] | None:
    return next((v for v in product["variants"] if v["id"] == variant_id), None)


def product_json(store: Store, product: dict[str, Any]) -> dict[str, Any]:
    return {**product, "_links": self_link(f"/ecommerce/stores/{store.id}/products/{product['id']}")}


def _merge_variants(ctx: SimContext, product: dict[str, Any], variants: list[dict[str, Any]]) -> None:
    """Upsert variants by id; variants not mentioned stay (as on Mailchimp's PATCH)."""
    for incoming in variants:
        variant = variant_of(product, str(incoming.get("id", "")))
        if variant is None:
            now = ctx.clock.iso()
            variant = {"id": str(incoming.get("id", "")), "title": "", "url": "", "sku": "", "price": 0,
                       "inventory_quantity": 0, "image_url": "", "backorders": "", "visibility": "",
                       "created_at": now}
            product["variants"].append(variant)
        variant.update({k: incoming[k] for k in _VARIANT_FIELDS if k in incoming})
        variant["updated_at"] = ctx.clock.iso()


def _create(ctx: SimContext, store: Store, product_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("variants"):
        raise invalid_resource([{"field": "variants", "message": "A product must have at least one variant."}])
    if not body.get("title"):
        raise invalid_resource([{"field": "title", "message": "This value should not be blank."}])
    product: dict[str, Any] = {"id": product_id, "currency_code": store.data.get("currency_code", ""),
                               "title": "", "handle": "", "url": "", "description": "", "type": "", "vendor": "",
                               "image_url": "", "variants": [], "images": []}
    product.update({k: body[k] for k in _PRODUCT_FIELDS if k in body})
    _merge_variants(ctx, product, body["variants"])
    store.products[product_id] = product
    return product


def _update(ctx: SimContext, product: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    product.update({k: body[k] for k in _PRODUCT_FIELDS if k in body})
    _merge_variants(ctx, product, body.get("variants") or [])
    return product


def get_products(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return collection(req, "products", [product_json(store, p) for p in store.products.values()], store_id=store.id)


def post_product(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    product_id = str(req.json.get("id", ""))
    if product_id in store.products:
        raise bad_request(DETAIL_PRODUCT_EXISTS)
    return Reply(200, product_json(store, _create(ctx, store, product_id, req.json)))


def get_product(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    return Reply(200, product_json(store, product_of(store, req.params["product_id"])))


def put_product(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    product_id = req.params["product_id"]
    existing = store.products.get(product_id)
    product = _update(ctx, existing, req.json) if existing else _create(ctx, store, product_id, req.json)
    return Reply(200, product_json(store, product))


def patch_product(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    product = _update(ctx, product_of(store, req.params["product_id"]), req.json)
    return Reply(200, product_json(store, product))


def delete_product(ctx: SimContext, req: ApiRequest) -> Reply:
    store = store_of(ctx, req.params["store_id"])
    del store.products[_product(ctx, req)["id"]]
    return Reply(204)


def _product(ctx: SimContext, req: ApiRequest) -> dict[str, Any]:
    return product_of(store_of(ctx, req.params["store_id"]), req.params["product_id"])


def _variant(ctx: SimContext, req: ApiRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    product = _product(ctx, req)
    variant = variant_of(product, req.params["variant_id"])
    if variant is None:
        raise not_found()
    return product, variant


def get_variants(ctx: SimContext, req: ApiRequest) -> Reply:
    product = _product(ctx, req)
    return collection(req, "variants", product["variants"], product_id=product["id"])


def post_variant(ctx: SimContext, req: ApiRequest) -> Reply:
    product = _product(ctx, req)
    if variant_of(product, str(req.json.get("id", ""))) is not None:
        raise bad_request(
            "We were unable to process the request. A variant with the provided ID already exists for this product."
        )
    _merge_variants(ctx, product, [req.json])
    return Reply(200, variant_of(product, str(req.json.get("id", ""))))


def get_variant(ctx: SimContext, req: ApiRequest) -> Reply:
    return Reply(200, _variant(ctx, req)[1])


def put_variant(ctx: SimContext, req: ApiRequest) -> Reply:
    product = _product(ctx, req)
    _merge_variants(ctx, product, [{**req.json, "id": req.params["variant_id"]}])
    return Reply(200, variant_of(product, req.params["variant_id"]))


def patch_variant(ctx: SimContext, req: ApiRequest) -> Reply:
    product, _ = _variant(ctx, req)
    _merge_variants(ctx, product, [{**req.json, "id": req.params["variant_id"]}])
    return Reply(200, variant_of(product, req.params["variant_id"]))


def delete_variant(ctx: SimContext, req: ApiRequest) -> Reply:
    product, variant = _variant(ctx, req)
    product["variants"].remove(variant)
    return Reply(204)
