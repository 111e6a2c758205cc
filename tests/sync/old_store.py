"""A store as the build that made one e-commerce customer per GP customer number left it, for the upgrade tests.

Built through Mailchimp's API and the state database: that build's customers (id = GP number) and orders, and,
for the second and later GP customers on a shared address, the refusal Mailchimp answered ("This customer email
already exists"), ledgered, their invoices never orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gpmc_desktop import store
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload, document_payload
from gpmc_desktop.demo.mailchimp_sim.errors import DETAIL_CUSTOMER_EMAIL_EXISTS
from gpmc_desktop.gp.sba_shapes import customer_from_sba, document_from_sba
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.plan import Plan, build_plan
from tests.sync.engine_support import Demo


@dataclass
class OldStore:
    """What the build with one e-commerce customer per GP customer left."""

    legacy: dict[str, str] = field(default_factory=dict)  # GP number -> e-mail: its own customer, id = GP number
    refused: dict[str, str] = field(default_factory=dict)  # GP number -> e-mail: refused, another customer has it
    orders: dict[str, str] = field(default_factory=dict)  # invoice -> the GP number whose customer it hangs on
    missing: set[str] = field(default_factory=set)  # invoices of refused customers: never orders


def gp_plan(demo: Demo) -> Plan:
    """The engine's plan of the demo's GP data, as a run would build it."""
    data, shape, profile = demo.company, ShapeOptions(), demo.profile()
    with demo.env.dataset.lock:
        customers = [customer_from_sba(customer_payload(data, c, shape)) for c in data.customers.values()]
        documents = [document_from_sba(document_payload(data, row, state, shape)) for row, state in data.documents()]
    return build_plan(customers, documents, profile.filters, profile.mailchimp.status_if_new)


def api_of(demo: Demo) -> tuple[MailchimpApi, MailchimpTransport]:
    key = demo.env.secrets.mailchimp_api_key
    transport = MailchimpTransport(api_base_for(key, demo.profile().mailchimp.api_base), key)
    return MailchimpApi(transport), transport


def build_old_store(demo: Demo) -> OldStore:
    """Mailchimp and the state database as the old build left them after its syncs."""
    demo.sim.config.fake_email_domains = set()  # no address refused as fake: every exit code here is 0
    first = demo.run()  # the store, merge fields, product, members and tags: sent the same way by both builds
    assert first.exit_code == 0, first.error
    plan, old = gp_plan(demo), OldStore()
    store_id = demo.store_id
    api, transport = api_of(demo)
    try:
        for number in demo.sim.orders(store_id):
            api.delete_order(store_id, number)
        for buyer in demo.sim.customers(store_id):
            api.delete_customer(store_id, buyer)
        for number, cp in sorted(plan.customers.items()):  # the old build sent them in GP order too
            body = {**mapping.ecommerce_customer_payload(cp.customer), "id": number}
            email = cp.customer.email or ""
            try:
                api.put_customer(store_id, body)
            except MailchimpError as err:
                assert err.customer_email_taken, err
                old.refused[number] = email
                continue
            old.legacy[number] = email
        for number, op in plan.orders.items():
            gp_number = op.doc.customer_number
            if gp_number not in old.legacy:
                old.missing.add(number)
                continue
            api.create_order(store_id, {**op.payload, "customer": {"id": gp_number}})
            old.orders[number] = gp_number
    finally:
        transport.close()

    def old_state(pid: int) -> None:
        for entity in ("customer", "order", "ecommerce_customer"):
            store.delete_synced(pid, entity, store.synced_map(pid, entity))
        store.upsert_synced(pid, "customer", {
            n: store.SyncedState(mapping.content_hash({**mapping.ecommerce_customer_payload(plan.customers[n].customer),
                                                       "id": n}), n, email)
            for n, email in old.legacy.items()})
        store.upsert_synced(pid, "order", {
            n: store.SyncedState(mapping.content_hash({**plan.orders[n].payload, "customer": {"id": gp}}), n)
            for n, gp in old.orders.items()})
        for number, email in old.refused.items():
            member = plan.members[email]
            store.record_failure(pid, "customer", number, category=store.FailureCategory.PERMANENT,
                                 content_hash=mapping.content_hash([member.hash, "its own payload"]),
                                 error_title="Bad Request", error_detail=DETAIL_CUSTOMER_EMAIL_EXISTS, http_status=400)

    demo.with_store(old_state)
    assert old.refused and old.legacy, "the demo data has no shared e-mail"
    assert {c["email_address"] for c in demo.sim.customers(store_id).values()} == set(old.legacy.values())
    return old
