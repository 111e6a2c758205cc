"""Contacts archived in Mailchimp stay archived: the sync leaves out every GP customer whose e-mail is an archived
contact, with its invoices.

Archiving is a marketer's choice (the contact leaves the audience and its bill, its history kept).  Mailchimp
unarchives a contact that is added again (a member upsert) or "interacts with your connected online store" (an
e-commerce customer or an order for the address: Mailchimp's help on archiving; mailchimp/mc-magento2#1381), so
any write for the address would undo that choice.  The plan therefore skips such customers, their invoices with
them, audited once with the reason below; unarchived in Mailchimp, they sync on the next run.  Not a mass change:
the guard watches GP's data, and this is Mailchimp's side.
"""

from __future__ import annotations

from collections.abc import Collection

from gpmc_desktop.sync.mapping import content_hash

ARCHIVED_REASON = "contact archived in Mailchimp: left archived until someone unarchives it there"


def is_archived(email: str | None, archived: Collection[str]) -> bool:
    return bool(email) and bool(archived) and str(email).lower() in archived


def is_archived_skip(reason: str) -> bool:
    """A skip (a customer's, or an invoice's for its customer) that comes from an archived contact."""
    return ARCHIVED_REASON in reason


def archived_print(archived: Collection[str]) -> str:
    """What a quiet poll's memo keeps of the archived contacts: a change (one archived or unarchived) re-plans."""
    return content_hash(sorted(archived))
