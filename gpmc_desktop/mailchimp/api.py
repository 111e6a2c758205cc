"""The Mailchimp Marketing API calls the sync makes, one method each, on top of the capped transport.

Only endpoints in Mailchimp's published contract are used, and an order is never PUT (created with POST,
updated with PATCH).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import subscriber_hash
from gpmc_desktop.mailchimp.transport import Answer, MailchimpTransport

PAGE = 1000  # the largest page Mailchimp serves


def path_segment(value: str) -> str:
    return quote(str(value), safe="")


# The paths of the records the sync writes, shared by the calls below and the batch operations
# (sync/batch_work.py) that carry the same writes.
def member_path(list_id: str, email: str) -> str:
    return f"/lists/{path_segment(list_id)}/members/{subscriber_hash(email)}"


def customer_path(store_id: str, customer_id: str) -> str:
    return f"/ecommerce/stores/{path_segment(store_id)}/customers/{path_segment(customer_id)}"


def orders_path(store_id: str) -> str:
    return f"/ecommerce/stores/{path_segment(store_id)}/orders"


def order_path(store_id: str, order_id: str) -> str:
    return f"{orders_path(store_id)}/{path_segment(order_id)}"


class MailchimpApi:
    def __init__(self, transport: MailchimpTransport) -> None:
        self.t = transport

    # -- account and audience -------------------------------------------------------------------------------
    def ping(self) -> dict[str, Any]:
        return self.t.get("/ping")

    def account(self) -> dict[str, Any]:
        return self.t.get("/", params={"fields": "account_id,account_name,email,total_subscribers"})

    def lists(self) -> list[dict[str, Any]]:
        body = self.t.get("/lists", params={"count": 1000, "fields": "lists.id,lists.name,total_items"})
        return list(body.get("lists", []))

    def _every(
        self, path: str, key: str, fields: str, params: dict[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, *fields* only (``members.email_address,...``), a page at a time."""
        offset = 0
        while True:
            body = self.t.get(path, params={**(params or {}), "count": PAGE, "offset": offset,
                                            "fields": f"{fields},total_items"})
            items = list(body.get(key, []))
            yield from items
            offset += len(items)
            if not items or offset >= int(body.get("total_items") or 0):
                return

    def member_emails(self, list_id: str) -> set[str]:
        """The audience's e-mail addresses (lower case), archived contacts left out."""
        members = self._every(f"/lists/{path_segment(list_id)}/members", "members",
                              "members.email_address,members.status")
        return {str(m.get("email_address", "")).lower() for m in members if m.get("status") != "archived"}

    def archived_emails(self, list_id: str) -> set[str]:
        """The audience's archived contacts' addresses (lower case): a page per 1,000 of them."""
        members = self._every(f"/lists/{path_segment(list_id)}/members", "members", "members.email_address",
                              params={"status": "archived"})
        return {str(m.get("email_address", "")).lower() for m in members}

    def customer_ids(self, store_id: str) -> set[str]:
        customers = f"/ecommerce/stores/{path_segment(store_id)}/customers"
        return {str(c.get("id")) for c in self._every(customers, "customers", "customers.id")}

    def order_ids(self, store_id: str) -> set[str]:
        return {str(o.get("id")) for o in self._every(orders_path(store_id), "orders", "orders.id")}

    def get_list(self, list_id: str) -> dict[str, Any]:
        return self.t.get(f"/lists/{path_segment(list_id)}")

    def merge_fields(self, list_id: str) -> list[dict[str, Any]]:
        body = self.t.get(f"/lists/{path_segment(list_id)}/merge-fields", params={"count": 1000})
        return list(body.get("merge_fields", []))

    def create_merge_field(self, list_id: str, field: dict[str, Any]) -> dict[str, Any]:
        return self.t.request("POST", f"/lists/{path_segment(list_id)}/merge-fields", field).body

    # -- members ---------------------------------------------------------------------------------------------
    def upsert_member(self, list_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = member_path(list_id, body["email_address"])
        return self.t.request("PUT", path, body, params={"skip_merge_validation": "true"}).body

    def add_member(self, list_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a member (``status`` and ``tags`` in one call); 400 "Member Exists" when the address is listed."""
        path = f"/lists/{path_segment(list_id)}/members"
        return self.t.request("POST", path, body, params={"skip_merge_validation": "true"}).body

    def get_member(self, list_id: str, email: str) -> dict[str, Any] | None:
        try:
            return self.t.get(member_path(list_id, email))
        except MailchimpError as err:
            if err.is_not_found:
                return None
            raise

    def set_tags(self, list_id: str, email: str, tags: list[dict[str, str]], is_syncing: bool) -> None:
        path = f"{member_path(list_id, email)}/tags"
        self.t.request("POST", path, {"tags": tags, "is_syncing": is_syncing})

    # -- e-commerce store --------------------------------------------------------------------------------------
    def get_store(self, store_id: str) -> dict[str, Any] | None:
        try:
            return self.t.get(f"/ecommerce/stores/{path_segment(store_id)}")
        except MailchimpError as err:
            if err.is_not_found:
                return None
            raise

    def create_store(self, body: dict[str, Any]) -> dict[str, Any]:
        path = "/ecommerce/stores"
        return self.t.request("POST", path, body, verify_path=f"{path}/{path_segment(body['id'])}").body

    def patch_store(self, store_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.t.request("PATCH", f"/ecommerce/stores/{path_segment(store_id)}", body).body

    def put_product(self, store_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/ecommerce/stores/{path_segment(store_id)}/products/{path_segment(body['id'])}"
        return self.t.request("PUT", path, body).body

    def get_product(self, store_id: str, product_id: str) -> dict[str, Any] | None:
        try:
            return self.t.get(f"/ecommerce/stores/{path_segment(store_id)}/products/{path_segment(product_id)}")
        except MailchimpError as err:
            if err.is_not_found:
                return None
            raise

    # -- e-commerce customers ------------------------------------------------------------------------------------
    def put_customer(self, store_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = customer_path(store_id, body["id"])
        return self.t.request("PUT", path, body).body

    def delete_customer(self, store_id: str, customer_id: str) -> None:
        self.t.request("DELETE", customer_path(store_id, customer_id))

    # -- orders: POST to create, PATCH to update, never PUT -------------------------------------------------------
    def get_order(self, store_id: str, order_id: str) -> dict[str, Any] | None:
        try:
            return self.t.get(order_path(store_id, order_id))
        except MailchimpError as err:
            if err.is_not_found:
                return None
            raise

    def create_order(self, store_id: str, body: dict[str, Any]) -> Answer:
        return self.t.request("POST", orders_path(store_id), body, verify_path=order_path(store_id, body["id"]))

    def update_order(self, store_id: str, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = order_path(store_id, order_id)
        return self.t.request("PATCH", path, body).body

    def delete_order(self, store_id: str, order_id: str) -> None:
        self.t.request("DELETE", order_path(store_id, order_id))

    def delete_order_line(self, store_id: str, order_id: str, line_id: str) -> None:
        """A PATCH merges lines by id and keeps those it leaves out: a line GP no longer has goes this way."""
        self.t.request("DELETE", f"{order_path(store_id, order_id)}/lines/{path_segment(line_id)}")
