"""What a finance admin should do about a failed record, in GP terms, from Mailchimp's answer.

The one place that reads Mailchimp's error texts for people: status first, then title, then detail patterns
(as `mailchimp.errors` does for the engine). Each advice also says where the fix happens: in GP (then the
sync sends the record again by itself once it changes there, and a Retry before that would fail the same way)
or outside GP (the contact re-subscribes, IT corrects a setting, Mailchimp recovers: then Retry makes sense).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpmc_desktop.store import LedgerEntry
from gpmc_desktop.store.vocab import Entity, FailureCategory

NO_RETRY_WHY = ("Mailchimp refuses this record as it is in GP, so a retry would fail the same way. "
                "Correct it in GP: the next sync sends it again by itself.")

_FIELD = re.compile(r"\[(.+)\]\s*$")  # the field errors the bookkeeping appends to the detail


@dataclass(frozen=True, slots=True)
class FixAdvice:
    text: str  # one sentence naming what to do and where
    fix_in_gp: bool  # only a change in GP helps: no Retry until then

    @property
    def retry_helps(self) -> bool:
        return not self.fix_in_gp


@dataclass(frozen=True, slots=True)
class FailedRecord:
    """What is known of a failure: the ledger's entry, or a failed audit row."""

    entity: str
    gp_key: str
    category: str = FailureCategory.PERMANENT
    http_status: int | None = None
    title: str = ""
    detail: str = ""
    email: str = ""
    customer_number: str = ""

    @classmethod
    def of(cls, entry: LedgerEntry) -> FailedRecord:
        return cls(entry.entity, entry.gp_key, entry.category, entry.last_http_status, entry.last_error_title or "",
                   entry.last_error_detail or "", entry.email or "", entry.customer_number or "")

    @property
    def customer(self) -> str:
        """The GP customer whose record holds the fix: the customer, or an invoice's customer."""
        if self.entity == Entity.CUSTOMER:
            return self.gp_key
        return self.customer_number

    @property
    def whose(self) -> str:
        """"customer X" or "the customer of invoice Y" (when an old entry does not name the customer)."""
        if self.customer:
            return f"customer {self.customer}"
        return f"the customer of invoice {self.gp_key}"

    @property
    def address(self) -> str:
        return self.email or "its e-mail address"


def _fake(r: FailedRecord) -> FixAdvice:
    return FixAdvice(f"Correct the e-mail address of {r.whose} in GP: Mailchimp refuses {r.address} as fake", True)


def _invalid_email(r: FailedRecord) -> FixAdvice:
    return FixAdvice(f"Correct the e-mail address of {r.whose} in GP: {r.address} is not a valid e-mail address",
                     True)


def _forgotten(r: FailedRecord) -> FixAdvice:
    return FixAdvice(
        f"{r.address} was permanently deleted from the Mailchimp audience and cannot be added back by the sync. "
        f"The contact must sign up again through a Mailchimp signup form (then Retry), or give {r.whose} "
        "another e-mail address in GP", False)


def _compliance(r: FailedRecord) -> FixAdvice:
    return FixAdvice(
        f"{r.address} unsubscribed, bounced or is under review in Mailchimp, so the sync may not add it back. "
        f"The contact must subscribe again through a Mailchimp signup form (then Retry), or give {r.whose} "
        "another e-mail address in GP", False)


def _merge_fields(r: FailedRecord) -> FixAdvice:
    fields = _FIELD.search(r.detail)
    which = f" ({fields.group(1)})" if fields else ""
    return FixAdvice(
        f"A value of {r.whose} does not fit the Mailchimp audience's fields{which}: correct it in GP, or ask "
        "whoever manages Mailchimp to relax the field (Audience → Settings → Audience fields), then Retry", False)


def _email_taken(r: FailedRecord) -> FixAdvice:
    return FixAdvice(
        f"Another customer in the Mailchimp store already has {r.address}: give {r.whose} its own e-mail "
        "address in GP, or ask IT to look at the details below", True)


def _email_fixed(r: FailedRecord) -> FixAdvice:
    return FixAdvice(
        f"Mailchimp does not let the e-mail address of {r.whose} change in its store: ask IT to look at the "
        "details below (Retry once they say so)", False)


def _not_found(r: FailedRecord) -> FixAdvice:
    return FixAdvice(
        "Mailchimp no longer has the audience or store this profile sends to (deleted in Mailchimp?): ask IT to "
        "check the audience and store in Settings, then Retry", False)


def _transient(r: FailedRecord) -> FixAdvice:
    return FixAdvice("Mailchimp was busy or could not be reached; the sync tries again by itself. Nothing to do "
                     "unless it keeps failing for a day", False)


def _invalid(r: FailedRecord) -> FixAdvice:
    what = f"{r.whose}" if r.entity == Entity.CUSTOMER else f"invoice {r.gp_key} of {r.whose}"
    return FixAdvice(f"Mailchimp refuses the data of {what} as invalid: check its fields in GP "
                     "(the details below say which)", True)


def _default(r: FailedRecord) -> FixAdvice:
    what = f"{r.whose}" if r.entity == Entity.CUSTOMER else f"{r.entity.replace('_', ' ')} {r.gp_key}"
    return FixAdvice(f"Mailchimp refused {what}: check the record in GP; if it looks right, send the details "
                     "below to IT", True)


def _is_merge_field_error(r: FailedRecord) -> bool:
    detail = r.detail.lower()
    return "merge field" in detail or "merge_fields" in detail


# (test, advice), first match wins: specific detail texts before the titles that also carry them.
_RULES = (
    (lambda r: r.category == FailureCategory.TRANSIENT or (r.http_status or 0) in (429, *range(500, 600)),
     _transient),
    (lambda r: "looks fake or invalid" in r.detail.lower(), _fake),
    (lambda r: "forgotten" in r.title.lower() or "permanently deleted" in r.detail.lower(), _forgotten),
    (lambda r: "compliance state" in (r.title + " " + r.detail).lower(), _compliance),
    (lambda r: "customer email already exists" in r.detail.lower(), _email_taken),
    (lambda r: "may not be changed once a customer is created" in r.detail.lower(), _email_fixed),
    (lambda r: "invalid email address" in r.detail.lower() or "valid email address" in r.detail.lower(),
     _invalid_email),
    (_is_merge_field_error, _merge_fields),
    (lambda r: r.http_status == 404, _not_found),
    (lambda r: r.title.lower() in ("invalid resource", "customer was not saved"), _invalid),
)


def advise(record: FailedRecord) -> FixAdvice:
    for applies, advice in _RULES:
        if applies(record):
            return advice(record)
    return _default(record)


def advise_entry(entry: LedgerEntry) -> FixAdvice:
    return advise(FailedRecord.of(entry))
