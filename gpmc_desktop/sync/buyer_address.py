"""Buyers synced by releases whose e-commerce customer carried the GP address.

The e-commerce customer no longer carries an address (see :func:`mapping.ecommerce_customer_payload`), so its
content hash differs for every buyer an earlier release sent with one.  Re-sending them all would cost a PUT per
buyer and say nothing new (the address Mailchimp holds on them does no harm), so a buyer whose stored hash is the
earlier payload's for the same GP data counts as unchanged, and the real run stores the new hash in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gpmc_desktop.gp.model import Customer
from gpmc_desktop.store import SyncedState
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.plan import Plan


def payload_with_address(customer: Customer) -> dict[str, Any]:
    """The e-commerce customer as releases before this one built it: with the address when GP has a street or a
    city."""
    body = mapping.ecommerce_customer_payload(customer)
    addr = customer.address
    if addr.line1 or addr.city:
        body["address"] = {
            "address1": addr.line1,
            "address2": addr.line2,
            "city": addr.city,
            "province": addr.state,
            "postal_code": addr.postal_code,
            "country_code": addr.country_code,
        }
    return body


def rehashed(plan: Plan, synced_buyers: Mapping[str, SyncedState]) -> dict[str, SyncedState]:
    """By buyer id, the synced state of each buyer last sent with an address it still has in GP, with the hash
    its payload has now.  Only buyers whose stored hash differs are hashed the old way: once a run has stored the
    new hashes, this costs a comparison per buyer."""
    found: dict[str, SyncedState] = {}
    # The store's compact map answers a hash without making a SyncedState per buyer (store.SyncedMap.hash_of).
    hash_of = getattr(synced_buyers, "hash_of", None) or (
        lambda key: None if (state := synced_buyers.get(key)) is None else state.content_hash)
    for member in plan.members.values():
        buyer = member.buyer
        held = hash_of(buyer.id)
        if held is None or held == buyer.hash:
            continue
        if held == mapping.content_hash(payload_with_address(buyer.primary)):
            found[buyer.id] = synced_buyers[buyer.id]._replace(content_hash=buyer.hash)
    return found
