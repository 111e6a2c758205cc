"""What each GP record becomes in Mailchimp, and the content hash that decides whether it changed.

The hash is taken over the *mapped* payload, so a record is re-sent exactly when what we would send differs
from what we sent last time (a GP edit that does not affect Mailchimp causes no write).  An order's date-times
are hashed as :func:`~gpmc_desktop.sync.business_dates.hashed_timestamp` says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.mailchimp.keys import subscriber_hash
from gpmc_desktop.profile import FieldMapping
from gpmc_desktop.sync import business_dates, field_targets, order_lines

# Merge tags are at most 10 characters in Mailchimp's UI.
TAG_COMPANY = "COMPANY"
TAG_GP_NUMBER = "GPCUSTNO"
EXTRA_MERGE_FIELDS = (
    {"tag": TAG_COMPANY, "name": "Company", "type": "text", "public": False},
    {"tag": TAG_GP_NUMBER, "name": "GP customer number", "type": "text", "public": False},
)


def merge_fields_for(field_map: FieldMapping) -> tuple[dict[str, Any], ...]:
    """The audience fields the sync writes to beyond Mailchimp's defaults: its own and those *field_map* maps."""
    return EXTRA_MERGE_FIELDS + field_targets.merge_fields(field_map)
CLASS_TAG_PREFIX = field_targets.CLASS.tag_prefix
NO_EXTRA_FIELDS = FieldMapping()  # the file defaults: no audience field beyond the fixed ones

PRODUCT_ID = "gp-receivables-invoice"
PRODUCT = {
    "id": PRODUCT_ID,
    "title": "GP receivables invoice",
    "description": "Placeholder product: each order carries one line at the invoice total.",
    "variants": [{"id": PRODUCT_ID, "title": "GP receivables invoice"}],
}

DEFAULT_CURRENCY = "USD"


# The canonical JSON the content hashes are taken of (what json.dumps with these settings writes, byte for byte):
# one encoder for every hash, not one made per call.  Changing a setting changes every stored hash.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(payload: Any) -> str:
    # surrogatepass: a lone surrogate in a JSON answer ("\ud800") hashes instead of stopping the run; every other
    # text encodes as before, so no stored hash changes
    return hashlib.sha256(_CANONICAL.encode(payload).encode("utf-8", "surrogatepass")).hexdigest()


def class_tag(class_id: str) -> str:
    return f"{CLASS_TAG_PREFIX}{class_id}"


def tag_changes(wanted: list[str], current: Any) -> list[dict[str, str]]:
    """The tag updates that bring a member from *current* (the ``tags`` of Mailchimp's member answer) to
    *wanted*: missing tags become active, tags of ours (sync/field_targets.py) no longer wanted inactive.  Names
    compare case-blind, as Mailchimp matches them.  Tags without one of our prefixes were added by people in
    Mailchimp and are left alone."""
    have = {str(t.get("name", "")) for t in current or [] if isinstance(t, dict)}
    have_folded = {t.casefold() for t in have}
    wanted_folded = {t.casefold() for t in wanted}
    changes = [{"name": t, "status": "active"} for t in wanted if t.casefold() not in have_folded]
    changes += [{"name": t, "status": "inactive"} for t in sorted(have)
                if t.casefold() not in wanted_folded and field_targets.is_ours(t)]
    return changes


def member_payload(customer: Customer, status_if_new: str, field_map: FieldMapping = NO_EXTRA_FIELDS
                   ) -> dict[str, Any]:
    """The member upsert: ``status_if_new`` only, never ``status``, so Mailchimp-side choices stay.  *field_map*:
    the profile's ``[mapping]``, whose audience fields join GP's name, address and phone.

    The merge fields are what GP holds; :func:`gpmc_desktop.sync.plan.fit_members` then keeps what the
    audience's fields can take (a partial ADDRESS, for one, is never sent)."""
    assert customer.email, "only customers with a valid e-mail become members"
    merge: dict[str, Any] = {
        "FNAME": customer.first_name,
        "LNAME": customer.last_name,
        "PHONE": customer.phone,
        TAG_COMPANY: customer.company_name,
        TAG_GP_NUMBER: customer.number,
        **field_targets.merge_values(customer, field_map),
    }
    addr = customer.address
    if addr.line1 or addr.city or addr.state or addr.postal_code:
        merge["ADDRESS"] = {
            "addr1": addr.line1,
            "addr2": addr.line2,
            "city": addr.city,
            "state": addr.state,
            "zip": addr.postal_code,
            "country": addr.country_code or "",
        }
    return {"email_address": customer.email, "status_if_new": status_if_new, "merge_fields": merge}


def member_create(payload: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """The member upsert *payload* as a create (POST): the status a new member gets, and its tags in the same call."""
    body = {k: v for k, v in payload.items() if k != "status_if_new"}
    return {**body, "status": payload["status_if_new"], "tags": list(tags)}


def ecommerce_customer_id(email: str) -> str:
    """The store's customer for *email*: the MD5 of the trimmed, lower-cased address.

    Mailchimp identifies a store's customers by e-mail (a second id with the same address is refused), so the id
    is derived from the address, as Mailchimp's WooCommerce plugin does: every GP customer sharing an address
    buys as one customer, whichever of them comes and goes.  It equals the audience member's id (the subscriber
    hash), so the contact and the buyer are found from each other."""
    return subscriber_hash(email)


def ecommerce_customer_payload(customer: Customer) -> dict[str, Any]:
    """The buyer of the orders of *customer*'s e-mail (built from the group's primary); ``opt_in_status``
    false: consent only ever flows through the member call.

    Who buys, not where: the address lives on the contact (the ADDRESS merge field, where Mailchimp's location
    segments read it; no e-commerce segment reads a customer's address), so a move in GP is one member write, not
    a member and a customer write (``sync/buyer_address.py`` keeps buyers sent with an address by earlier
    releases from being re-sent for it)."""
    assert customer.email
    return {
        "id": ecommerce_customer_id(customer.email),
        "email_address": customer.email,
        "opt_in_status": False,
        "company": customer.company_name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
    }


def order_status(doc: Document) -> str:
    if doc.is_voided:
        return "cancelled"
    return "paid" if doc.is_paid else "pending"


# The order's date-times: each a GP business date sent at noon in the company's zone.  updated_at_foreign is
# left out: GP's only "modified" date is a day-granular hint, and sending it would re-send an order on every edit.
ORDER_TIMESTAMPS = ("processed_at_foreign", "cancelled_at_foreign")


def order_payload(doc: Document, customer_id: str, currency: str, zone: dt.tzinfo) -> dict[str, Any]:
    """The order for GP invoice *doc*: its sales invoice's lines where GP has them and they add up, else one
    placeholder line at the invoice total; its GP dates are days in the company's time zone *zone*."""
    total = float(doc.amount)
    body: dict[str, Any] = {
        "id": doc.number,
        "customer": {"id": customer_id},
        "currency_code": currency,
        "order_total": total,
        "financial_status": order_status(doc),
        "lines": [
            {"id": "1", "product_id": PRODUCT_ID, "product_variant_id": PRODUCT_ID, "quantity": 1, "price": total}
        ],
    }
    if order_lines.uses_lines(doc):  # the sales invoice's item lines (sync/order_lines.py)
        body["lines"] = order_lines.order_lines(doc)
        body.update(order_lines.order_totals(doc))
    if doc.date:
        body["processed_at_foreign"] = business_dates.foreign_timestamp(doc.date, zone)
    if doc.is_voided:
        # A date is needed (the value is what cancels the order); today, the last resort, moves every day.
        voided = doc.void_date or doc.date or doc.modified_date or business_dates.today(zone)
        body["cancelled_at_foreign"] = business_dates.foreign_timestamp(voided, zone)
    return body


def order_hash(payload: dict[str, Any], zone: dt.tzinfo) -> str:
    """The content hash of an order *payload* made for *zone*."""
    hashed = dict(payload)
    for name in ORDER_TIMESTAMPS:
        if name in hashed:
            hashed[name] = business_dates.hashed_timestamp(hashed[name], zone)
    return content_hash(hashed)


def order_with_customer(payload: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    """An order POST that also creates or updates its customer (Mailchimp upserts the embedded ``customer``
    with the rules of the customer PUT), which saves the separate customer write."""
    return {**payload, "customer": customer}


def order_patch(payload: dict[str, Any]) -> dict[str, Any]:
    """A PATCH carries everything but the id (the URL names the order)."""
    return {k: v for k, v in payload.items() if k != "id"}


def iso_currency(doc_currency: str, fallback: str) -> str:
    code = doc_currency.strip().upper()
    return code if len(code) == 3 and code.isalpha() else fallback


def store_currency(documents: Iterable[Document]) -> str:
    """The store's currency: the one most invoices are in (GP currency ids like Z-US$ are not ISO codes)."""
    counts = Counter(iso_currency(d.currency, "") for d in documents if d.is_invoice)
    counts.pop("", None)
    return counts.most_common(1)[0][0] if counts else DEFAULT_CURRENCY


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}"
