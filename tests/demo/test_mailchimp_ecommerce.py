"""Mailchimp simulator: stores (is_syncing), customers (audience side effect), products and orders."""

from __future__ import annotations

import pytest

from gpmc_desktop.demo.mailchimp_sim.errors import (
    DETAIL_CUSTOMER_EMAIL_EXISTS,
    DETAIL_CUSTOMER_EMAIL_IMMUTABLE,
    DETAIL_LINE_PRODUCT_MISSING,
    DETAIL_ORDER_EXISTS,
    DETAIL_PRODUCT_EXISTS,
    detail_customer_email_invalid,
)
from tests.demo.mailchimp_support import (
    LIST,
    STORE,
    assert_problem,
    make_store,
    order_body,
    product_body,
)

BASE = f"/ecommerce/stores/{STORE}"


@pytest.fixture
def shop(api):
    """A store with product P1 (variant P1) and P2 (variants P2-S, P2-L)."""
    make_store(api)
    assert api.post(f"{BASE}/products", product_body("P1")).status_code == 200
    assert api.post(f"{BASE}/products", product_body("P2", ["P2-S", "P2-L"])).status_code == 200
    return api


# --- stores ---------------------------------------------------------------------------------------------------


def test_store_lifecycle_and_is_syncing_history(sim, api):
    make_store(api)
    assert_problem(api.post("/ecommerce/stores", {"id": STORE, "list_id": LIST, "name": "x", "currency_code": "USD"}),
                   400, "Bad Request")
    assert api.patch(BASE, {"is_syncing": True}).json()["is_syncing"] is True
    assert api.patch(BASE, {"name": "Fabrikam"}).status_code == 200  # not an is_syncing change
    assert api.patch(BASE, {"is_syncing": False}).json()["is_syncing"] is False
    assert sim.is_syncing_history(STORE) == [False, True, False]
    assert api.get("/ecommerce/stores").json()["total_items"] == 1
    assert api.delete(BASE).status_code == 204
    assert_problem(api.get(BASE), 404, "Resource Not Found")


def test_store_created_syncing_and_list_id_is_immutable(sim, api):
    make_store(api, is_syncing=True)
    assert sim.is_syncing_history(STORE) == [True]
    moved = api.patch(BASE, {"list_id": "otherlist1"})
    assert_problem(moved, 400, "Bad Request")
    assert "may not be changed" in moved.json()["detail"]
    assert sim.store(STORE)["list_id"] == LIST


def test_store_needs_its_required_fields_and_an_existing_audience(api):
    assert_problem(api.post("/ecommerce/stores", {"id": "s", "list_id": LIST, "name": "x"}), 400, "Invalid Resource")
    unknown_list = {"id": "s", "list_id": "nolist", "name": "x", "currency_code": "USD"}
    assert_problem(api.post("/ecommerce/stores", unknown_list), 400, "Invalid Resource")


# --- customers ------------------------------------------------------------------------------------------------


def test_customer_upsert_creates_a_transactional_contact(sim, shop):
    body = {"id": "C100", "email_address": "buyer@fabrikam.org", "opt_in_status": False, "first_name": "Bo"}
    assert shop.put(f"{BASE}/customers/C100", body).json()["first_name"] == "Bo"
    assert sim.member(LIST, "buyer@fabrikam.org")["status"] == "transactional"
    assert shop.put(f"{BASE}/customers/C100", {**body, "last_name": "Li"}).json()["last_name"] == "Li"
    # Later opting in upgrades the transactional contact it created (DOCS concepts/e-commerce.mdx).
    shop.put(f"{BASE}/customers/C100", {**body, "opt_in_status": True})
    assert sim.member(LIST, "buyer@fabrikam.org")["status"] == "subscribed"


def test_customer_never_changes_an_existing_contacts_status(sim, shop):
    sim.set_member_status(LIST, "gone@fabrikam.org", "unsubscribed")
    body = {"id": "C7", "email_address": "gone@fabrikam.org", "opt_in_status": True}
    assert shop.put(f"{BASE}/customers/C7", body).status_code == 200
    assert sim.member(LIST, "gone@fabrikam.org")["status"] == "unsubscribed"


def test_customer_email_cannot_change(sim, shop):
    shop.put(f"{BASE}/customers/C100", {"id": "C100", "email_address": "a@fabrikam.org", "opt_in_status": False})
    changed = {"id": "C100", "email_address": "b@fabrikam.org", "opt_in_status": False}
    assert_problem(shop.put(f"{BASE}/customers/C100", changed), 400, "Bad Request", DETAIL_CUSTOMER_EMAIL_IMMUTABLE)
    assert_problem(shop.patch(f"{BASE}/customers/C100", {"email_address": "b@fabrikam.org"}), 400, "Bad Request")
    assert sim.customers(STORE)["C100"]["email_address"] == "a@fabrikam.org"


def test_a_stores_customers_are_identified_by_email(sim, shop):
    shop.put(f"{BASE}/customers/C100", {"id": "C100", "email_address": "ap@fabrikam.org", "opt_in_status": False})
    second = {"id": "C200", "email_address": " AP@Fabrikam.org ", "opt_in_status": False}
    assert_problem(shop.put(f"{BASE}/customers/C200", second), 400, "Bad Request", DETAIL_CUSTOMER_EMAIL_EXISTS)
    assert_problem(shop.post(f"{BASE}/customers", second), 400, "Bad Request", DETAIL_CUSTOMER_EMAIL_EXISTS)
    # ... and when an order's customer object would create the second one: no order, no customer.
    embedded = order_body("SOP-20", customer_id="C300", email="ap@fabrikam.org")
    assert_problem(shop.post(f"{BASE}/orders", embedded), 400, "Bad Request", DETAIL_CUSTOMER_EMAIL_EXISTS)
    assert sim.orders(STORE) == {} and list(sim.customers(STORE)) == ["C100"]
    # The same id again is an update, and another store may have a customer with that address.
    assert shop.put(f"{BASE}/customers/C100", {**second, "id": "C100"}).status_code == 200
    make_store(shop, "other-store")
    other = "/ecommerce/stores/other-store/customers/C200"
    assert shop.put(other, second).status_code == 200


def test_customer_with_invalid_email_or_long_id(shop):
    bad = {"id": "C1", "email_address": "not an email", "opt_in_status": False}
    assert_problem(shop.put(f"{BASE}/customers/C1", bad), 400, "Customer Was Not Saved",
                   detail_customer_email_invalid("not an email"))
    long_id = "C" * 51
    too_long = {"id": long_id, "email_address": "a@fabrikam.org", "opt_in_status": False}
    assert_problem(shop.put(f"{BASE}/customers/{long_id}", too_long), 400, "Invalid Resource")


# --- products -------------------------------------------------------------------------------------------------


def test_product_duplicate_upsert_and_variants(sim, shop):
    assert_problem(shop.post(f"{BASE}/products", product_body("P1")), 400, "Bad Request", DETAIL_PRODUCT_EXISTS)
    no_variants = {"id": "P9", "title": "Nothing", "variants": []}
    assert_problem(shop.post(f"{BASE}/products", no_variants), 400, "Invalid Resource")
    assert shop.put(f"{BASE}/products/P1", {"id": "P1", "title": "Renamed"}).json()["title"] == "Renamed"
    assert shop.put(f"{BASE}/products/P3", product_body("P3")).status_code == 200
    variant = shop.put(f"{BASE}/products/P1/variants/P1-B", {"id": "P1-B", "title": "Blue"})
    assert variant.json()["title"] == "Blue"
    assert [v["id"] for v in sim.products(STORE)["P1"]["variants"]] == ["P1", "P1-B"]
    assert shop.delete(f"{BASE}/products/P1/variants/P1-B").status_code == 204
    assert shop.patch(f"{BASE}/products/P2", {"vendor": "Contoso"}).json()["vendor"] == "Contoso"
    assert shop.delete(f"{BASE}/products/P3").status_code == 204
    assert sorted(sim.products(STORE)) == ["P1", "P2"]


# --- orders ---------------------------------------------------------------------------------------------------


def test_order_post_get_and_duplicate(sim, shop):
    created = shop.post(f"{BASE}/orders", order_body("SOP-1"))
    assert created.status_code == 200
    assert created.json()["lines"][0]["product_title"] == "Item P1"
    assert shop.get(f"{BASE}/orders/SOP-1").json()["customer"]["email_address"] == "buyer@fabrikam.org"
    assert_problem(shop.post(f"{BASE}/orders", order_body("SOP-1")), 400, "Bad Request", DETAIL_ORDER_EXISTS)
    assert sim.customers(STORE)["C100"]["orders_count"] == 1
    assert sim.member(LIST, "buyer@fabrikam.org")["status"] == "transactional"


@pytest.mark.parametrize(
    "line",
    [
        {"id": "1", "product_id": "NOPE", "product_variant_id": "NOPE", "quantity": 1, "price": 1.0},
        {"id": "1", "product_id": "P2", "product_variant_id": "P2-XL", "quantity": 1, "price": 1.0},
    ],
    ids=["unknown product", "unknown variant"],
)
def test_order_line_must_reference_an_existing_product_and_variant(sim, shop, line):
    answer = shop.post(f"{BASE}/orders", order_body("SOP-2", lines=[line]))
    assert_problem(answer, 400, "Bad Request", DETAIL_LINE_PRODUCT_MISSING)
    assert sim.orders(STORE) == {}
    assert sim.customers(STORE) == {}  # nothing half-written


def test_order_lines_are_required_and_non_empty(shop):
    body = order_body("SOP-3")
    del body["lines"]
    missing = assert_problem(shop.post(f"{BASE}/orders", body), 400, "Invalid Resource")
    assert missing["errors"] == [{"field": "", "message": "Required fields were not provided: lines"}]
    assert_problem(shop.post(f"{BASE}/orders", order_body("SOP-3", lines=[])), 400, "Invalid Resource")


def test_order_put_is_405_and_recorded(sim, shop):
    shop.post(f"{BASE}/orders", order_body("SOP-4"))
    answer = shop.put(f"{BASE}/orders/SOP-4", order_body("SOP-4"))
    assert_problem(answer, 405, "Method Not Allowed")
    assert answer.headers["Allow"] == "GET, PATCH, DELETE"
    assert [a["path"] for a in sim.order_put_attempts] == [f"{BASE}/orders/SOP-4"]
    sim.config.allow_order_put = True  # SPEC90's "Add or update order"
    assert shop.put(f"{BASE}/orders/SOP-5", order_body("SOP-5")).status_code == 200
    assert len(sim.order_put_attempts) == 2


def test_order_patch_merges_lines_and_cancels(sim, shop):
    shop.post(f"{BASE}/orders", order_body("SOP-6"))
    extra_line = {"id": "2", "product_id": "P2", "product_variant_id": "P2-S", "quantity": 1, "price": 5.0}
    patched = shop.patch(f"{BASE}/orders/SOP-6", {"lines": [{"id": "1", "quantity": 3}, extra_line]}).json()
    assert [(x["id"], x["quantity"]) for x in patched["lines"]] == [("1", 3), ("2", 1)]
    assert shop.delete(f"{BASE}/orders/SOP-6/lines/2").status_code == 204
    shop.patch(f"{BASE}/orders/SOP-6", {"financial_status": "cancelled",
                                        "cancelled_at_foreign": "2024-03-02T10:00:00+00:00"})
    order = sim.orders(STORE)["SOP-6"]
    assert order["cancelled"] is True
    assert [x["id"] for x in order["lines"]] == ["1"]
    bad_line = {"lines": [{"id": "3", "product_id": "NOPE", "product_variant_id": "NOPE", "quantity": 1,
                           "price": 1.0}]}
    assert_problem(shop.patch(f"{BASE}/orders/SOP-6", bad_line), 400, "Bad Request", DETAIL_LINE_PRODUCT_MISSING)
    assert shop.delete(f"{BASE}/orders/SOP-6").status_code == 204


def test_order_patch_cannot_move_an_order_to_another_customer(sim, shop):
    shop.post(f"{BASE}/orders", order_body("SOP-7"))
    shop.put(f"{BASE}/customers/C200", {"id": "C200", "email_address": "other@fabrikam.org", "opt_in_status": False})
    # SPEC90's PATCH customer has no id: the order stays where it is; the fields it has update that customer.
    moved = shop.patch(f"{BASE}/orders/SOP-7", {"customer": {"id": "C200", "first_name": "Ann"}})
    assert moved.status_code == 200 and moved.json()["customer"]["id"] == "C100"
    assert sim.orders(STORE)["SOP-7"]["customer_id"] == "C100"
    assert sim.customers(STORE)["C100"]["first_name"] == "Ann"
    assert sim.customers(STORE)["C200"]["first_name"] == ""


def test_deleting_an_order_takes_it_off_its_customer(sim, shop):
    shop.post(f"{BASE}/orders", order_body("SOP-8"))
    shop.post(f"{BASE}/orders", order_body("SOP-9"))
    assert (sim.customers(STORE)["C100"]["orders_count"], sim.customers(STORE)["C100"]["total_spent"]) == (2, 40.0)
    assert shop.delete(f"{BASE}/orders/SOP-8").status_code == 204
    assert (sim.customers(STORE)["C100"]["orders_count"], sim.customers(STORE)["C100"]["total_spent"]) == (1, 20.0)
    assert_problem(shop.delete(f"{BASE}/orders/SOP-8"), 404, "Resource Not Found")


def test_notifications_are_suppressed_while_the_store_is_syncing(sim, shop):
    shop.patch(BASE, {"is_syncing": True})
    shop.post(f"{BASE}/orders", order_body("OLD-1", financial_status="paid"))
    shop.patch(BASE, {"is_syncing": False})
    shop.post(f"{BASE}/orders", order_body("NEW-1", customer_id="C200", email="c200@fabrikam.org",
                                            financial_status="pending"))
    shop.patch(f"{BASE}/orders/NEW-1", {"financial_status": "pending"})  # no change, no e-mail
    shop.patch(f"{BASE}/orders/NEW-1", {"financial_status": "paid", "fulfillment_status": "shipped"})
    events = [(e["order_id"], e["event"], e["trigger"], e["suppressed"]) for e in sim.notification_events(STORE)]
    assert events == [
        ("OLD-1", "order_notification", "financial_status:paid", True),
        ("OLD-1", "first_purchase", "C100", True),
        ("NEW-1", "order_notification", "financial_status:pending", False),
        ("NEW-1", "first_purchase", "C200", False),
        ("NEW-1", "order_notification", "financial_status:paid", False),
        ("NEW-1", "order_notification", "fulfillment_status:shipped", False),
    ]


def test_each_order_e_mail_rule_is_recorded_and_only_unsuppressed_ones_count_as_sent(sim, shop):
    """pending (confirmation), paid (invoice), refunded, cancelled and shipped each e-mail the buyer once, on the
    create or the update that sets them; is_syncing suppresses all of them."""
    shop.post(f"{BASE}/orders", order_body("R-1", financial_status="pending"))
    for change in ({"financial_status": "paid"}, {"fulfillment_status": "shipped"},
                   {"financial_status": "refunded"}, {"financial_status": "cancelled",
                                                      "cancelled_at_foreign": "2024-03-02T10:00:00+00:00"}):
        assert shop.patch(f"{BASE}/orders/R-1", change).status_code == 200
    shop.patch(f"{BASE}/orders/R-1", {"order_total": 5.0})  # no status set: no e-mail
    sent = [e["trigger"] for e in sim.sent_notifications(STORE) if e["event"] == "order_notification"]
    assert sent == ["financial_status:pending", "financial_status:paid", "fulfillment_status:shipped",
                    "financial_status:refunded", "financial_status:cancelled"]

    shop.patch(BASE, {"is_syncing": True})
    shop.post(f"{BASE}/orders", order_body("R-2", financial_status="paid"))
    shop.patch(f"{BASE}/orders/R-2", {"financial_status": "cancelled"})
    quiet = [e for e in sim.notification_events(STORE) if e["order_id"] == "R-2"]
    assert [e["trigger"] for e in quiet] == ["financial_status:paid", "financial_status:cancelled"]
    assert all(e["suppressed"] and e["suppressed_by"] == "is_syncing" for e in quiet)
    assert not [e for e in sim.sent_notifications(STORE) if e["order_id"] == "R-2"]


def test_the_accounts_order_notifications_switch(sim, shop):
    assert sim.order_notifications is True  # on in a new account, as in Mailchimp
    sim.set_order_notifications(False)
    try:
        shop.post(f"{BASE}/orders", order_body("N-1", customer_id="C300", email="c300@fabrikam.org",
                                                financial_status="paid"))
    finally:
        sim.set_order_notifications(True)
    events = {e["event"]: e for e in sim.notification_events(STORE) if e["order_id"] == "N-1"}
    assert events["order_notification"]["suppressed_by"] == "order notifications off"
    # A first-purchase automation is not an order notification: the switch does not stop it, is_syncing would.
    assert events["first_purchase"]["suppressed"] is False
    assert [e["event"] for e in sim.sent_notifications(STORE) if e["order_id"] == "N-1"] == ["first_purchase"]


def test_order_with_unknown_campaign(shop):
    answer = shop.post(f"{BASE}/orders", order_body("SOP-7", campaign_id="abc123"))
    assert_problem(answer, 400, "Bad Request")
    assert "campaign" in answer.json()["detail"]


def test_a_valid_ecommerce_flow_stays_inside_the_contract(sim, shop):
    shop.put(f"{BASE}/customers/C100", {"id": "C100", "email_address": "buyer@fabrikam.org", "opt_in_status": False})
    shop.post(f"{BASE}/orders", order_body("SOP-8", customer={"id": "C100"}))
    for path in ("", "/customers", "/customers/C100", "/products", "/products/P2", "/products/P2/variants",
                 "/orders", "/orders/SOP-8", "/orders/SOP-8/lines"):
        assert shop.get(BASE + path).status_code == 200, path
    assert shop.get("/ecommerce/orders").json()["total_items"] == 1
    assert sim.contract_violations == []  # and `running` checks every answer against the contract too
