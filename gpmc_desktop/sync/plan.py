"""Decide, without touching Mailchimp, what each GP record should become.

Pure functions over normalised GP records: who is eligible (and why not), which GP customers share one e-mail
(one audience member and one e-commerce customer), and the payload plus content hash of every member,
e-commerce customer and order.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.profile import FieldMapping, SyncFilters
from gpmc_desktop.sync import business_dates, field_targets, mapping
from gpmc_desktop.sync.archived import ARCHIVED_REASON, is_archived
from gpmc_desktop.sync.merge_fields import AudienceFields, LeftOut, fit


@dataclass(slots=True)
class BuyerPlan:
    """The store's e-commerce customer of one e-mail: every GP customer with that e-mail buys as it."""

    id: str  # derived from the e-mail (mapping.ecommerce_customer_id)
    email: str
    hash: str
    primary: Customer  # the GP customer it is made from, as the member is

    @property
    def payload(self) -> dict[str, Any]:
        """Made when it is sent: a plan holds no payload per record (a poll of 100,000 sends almost none)."""
        return mapping.ecommerce_customer_payload(self.primary)


@dataclass(slots=True)
class MemberPlan:
    email: str
    primary: str  # the GP customer whose name and address the member and the buyer carry
    customers: list[str]  # every GP customer number with this e-mail, primary first
    tags: list[str]
    hash: str
    buyer: BuyerPlan
    status_if_new: str
    left_out: tuple[LeftOut, ...] = ()  # merge values the audience cannot take (see fit_members)
    fitted: dict[str, Any] | None = None  # the merge values sent, when fitting changed GP's (see fit_members)
    field_map: FieldMapping = mapping.NO_EXTRA_FIELDS  # the profile's [mapping]: which audience fields it fills

    @property
    def gp_merge_fields(self) -> dict[str, Any]:
        """The merge values as GP holds them, before fitting."""
        return self._gp_payload()["merge_fields"]  # type: ignore[no-any-return]

    @property
    def payload(self) -> dict[str, Any]:
        """The member upsert as sent: GP's values, fitted to the audience's fields once they are known."""
        payload = self._gp_payload()
        if self.fitted is not None:
            payload["merge_fields"] = self.fitted
        return payload

    def _gp_payload(self) -> dict[str, Any]:
        return mapping.member_payload(self.buyer.primary, self.status_if_new, self.field_map)


@dataclass(slots=True)
class CustomerPlan:
    customer: Customer
    buyer_id: str  # the e-commerce customer its invoices become orders of
    hash: str  # what Mailchimp holds for this GP customer: which e-mail, and so which buyer, it belongs to


@dataclass(slots=True)
class OrderPlan:
    doc: Document
    email: str  # the e-mail of its GP customer: the buyer it hangs on
    hash: str
    buyer_id: str
    currency: str  # ISO
    zone: tzinfo  # the company's, whose days the GP dates are
    customer_name: str = ""  # its GP customer's, for the audit

    @property
    def payload(self) -> dict[str, Any]:
        """Made when it is sent, as it was hashed."""
        return mapping.order_payload(self.doc, self.buyer_id, self.currency, self.zone)


@dataclass
class Plan:
    members: dict[str, MemberPlan] = field(default_factory=dict)  # by e-mail
    customers: dict[str, CustomerPlan] = field(default_factory=dict)  # by GP customer number
    skipped_customers: dict[str, tuple[Customer, str]] = field(default_factory=dict)  # number → reason
    orders: dict[str, OrderPlan] = field(default_factory=dict)  # by document number
    skipped_orders: dict[str, tuple[Document, str]] = field(default_factory=dict)
    ignored_documents: dict[str, int] = field(default_factory=dict)  # by document type name
    currency: str = mapping.DEFAULT_CURRENCY
    fitted_for: AudienceFields | None = None  # the audience's fields the members were last fitted to


def skip_reason(customer: Customer, filters: SyncFilters, archived: Collection[str] = ()) -> str | None:
    if not customer.number:
        return "no customer number"
    if not customer.email:
        return customer.email_note or "no valid e-mail"
    if is_archived(customer.email, archived):
        return ARCHIVED_REASON
    if filters.skip_inactive and not customer.is_active:
        return "inactive in GP"
    if filters.skip_on_hold and customer.is_on_hold:
        return "on hold in GP"
    if filters.customer_classes and customer.class_id not in filters.customer_classes:
        return f"class {customer.class_id or '(none)'} is not selected"
    return None


def build_plan(
    customers: Iterable[Customer], documents: Iterable[Document], filters: SyncFilters, status_if_new: str,
    *, zone: tzinfo | None = None, currency: str | None = None, archived: Collection[str] = (),
    field_map: FieldMapping = mapping.NO_EXTRA_FIELDS,
) -> Plan:
    """*zone*: the company's time zone, whose calendar the GP dates are in (None: this computer's).
    *currency*: the store's (None: the one most of *documents* are in; a part of a big run is given the whole
    run's).  *archived*: the audience's archived contacts (lower case), whose customers are left out
    (sync/archived.py).  *field_map*: the profile's [mapping] of GP fields to audience fields and tags."""
    zone = business_dates.company_zone(None) if zone is None else zone
    plan = Plan()
    docs = list(documents)
    plan.currency = mapping.store_currency(docs) if currency is None else currency
    by_email: dict[str, list[Customer]] = defaultdict(list)
    for customer in customers:
        reason = skip_reason(customer, filters, archived)
        if reason:
            plan.skipped_customers[customer.number] = (customer, reason)
            continue
        assert customer.email
        by_email[customer.email].append(customer)
        buyer_id = mapping.ecommerce_customer_id(customer.email)
        membership = {"buyer": buyer_id, "email": customer.email}
        plan.customers[customer.number] = CustomerPlan(customer, buyer_id, mapping.content_hash(membership))

    for email, group in by_email.items():
        # Deterministic primary (lowest number), so shared members do not flip between runs.
        group.sort(key=lambda c: c.number)
        primary = group[0]
        tags = field_targets.member_tags(group, field_map)
        buyer = mapping.ecommerce_customer_payload(primary)
        plan.members[email] = MemberPlan(
            email=email,
            primary=primary.number,
            customers=[c.number for c in group],
            tags=tags,
            hash=member_hash(mapping.member_payload(primary, status_if_new, field_map), tags),
            buyer=BuyerPlan(buyer["id"], email, mapping.content_hash(buyer), primary),
            status_if_new=status_if_new,
            field_map=field_map,
        )

    for doc in docs:
        if not doc.is_invoice:
            name = doc.type.name.lower()
            plan.ignored_documents[name] = plan.ignored_documents.get(name, 0) + 1
            continue
        if not doc.number:
            plan.skipped_orders[doc.number] = (doc, "no document number")
            continue
        if doc.customer_number not in plan.customers:
            skipped = plan.skipped_customers.get(doc.customer_number)
            why = f"customer not synced: {skipped[1]} ({doc.customer_number})" if skipped else (
                f"customer does not exist in GP ({doc.customer_number})")
            plan.skipped_orders[doc.number] = (doc, why)
            continue
        buyer = plan.customers[doc.customer_number]
        currency = sys.intern(mapping.iso_currency(doc.currency, plan.currency))  # a few codes for every order
        payload = mapping.order_payload(doc, buyer.buyer_id, currency, zone)
        email = buyer.customer.email
        assert email
        plan.orders[doc.number] = OrderPlan(doc, email, mapping.order_hash(payload, zone), buyer.buyer_id, currency,
                                            zone, buyer.customer.display_name)
    return plan


def member_hash(payload: dict[str, Any], tags: list[str]) -> str:
    """The content hash of a member; a mapped audience field left empty is not part of it (see
    field_targets.MAPPED_MERGE_TAGS), so a member without a salesperson hashes alike whether or not the
    salesperson is mapped."""
    merge = payload.get("merge_fields")
    if isinstance(merge, dict) and any(tag in field_targets.MAPPED_MERGE_TAGS for tag in merge):
        kept = {tag: value for tag, value in merge.items()
                if value != "" or tag not in field_targets.MAPPED_MERGE_TAGS}
        payload = {**payload, "merge_fields": kept}
    return mapping.content_hash({"member": payload, "tags": tags})


def fit_members(plan: Plan, fields: AudienceFields) -> None:
    """Keep in each member's payload only the merge values the audience's *fields* take, and note the rest.

    Both runs call this once the definitions are read, before anything is decided: the hash then covers the
    values really sent, so a member is sent again when the audience's fields change what fits (a phone field
    switched to International takes the numbers left out before).  Fitting to the fields the members were
    fitted to already changes nothing, and is skipped (the mass-change guard fits before the sync does)."""
    if plan.fitted_for == fields:
        return
    for member in plan.members.values():
        payload = member._gp_payload()
        fitted = fit(fields, payload["merge_fields"], country=member.buyer.primary.address.country_code)
        # Kept only when fitting changed something: most members carry GP's values as they are.
        member.fitted = None if fitted.values == payload["merge_fields"] else fitted.values
        member.left_out = fitted.left_out
        member.hash = member_hash({**payload, "merge_fields": fitted.values}, member.tags)
    plan.fitted_for = fields
