"""Behaviour switches for the places where Mailchimp's real behaviour is unconfirmed (reference §4).

Tests flip these between requests to cover both possibilities; the defaults are the spec's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..httpbase import RetryAfter
from .batch_faults import BatchFault

DEFAULT_FAKE_DOMAINS = ("example.com", "test.com", "yopmail.com", "trash-mail.com")


@dataclass
class SimConfig:
    # Requests in flight per account before a 429 (and that 429's title: the docs say TooManyRequests).
    connection_limit: int = 10
    too_many_requests_title: str = "Too Many Requests"
    # Retry-After on every 429 and 503 (seconds, a moment, or literal text); None: no header, since Mailchimp
    # documents none.  An injected fault's own retry_after wins.
    retry_after: RetryAfter | None = None
    # Every request is checked against openapi.yaml; off only to reach behaviour the contract would hide.
    strict_contract: bool = True
    # Also check 2xx JSON bodies the simulator sends (a self-test of the simulator; records, never fails).
    strict_responses: bool = False
    # count > 1000: "reject" (400 Invalid Resource, as the contract says) or "clamp" to 1000.
    count_over_max: Literal["reject", "clamp"] = "reject"
    # E-mail domains answered with "looks fake or invalid" (exact domain or any subdomain).
    fake_email_domains: set[str] = field(default_factory=lambda: set(DEFAULT_FAKE_DOMAINS))
    # An incomplete ADDRESS on an optional field: dropped silently (reported) or rejected like a required one.
    optional_address: Literal["drop", "reject"] = "drop"
    # Audience fields per audience, the e-mail address among them (most plans: 30; Premium: 80); 0: no limit.
    # The error's words are an assumption: no public sample shows them.
    merge_field_limit: int = 30
    # Merge tags the audience does not define: ignored, or a 400.
    unknown_merge_tags: Literal["ignore", "reject"] = "ignore"
    # SPEC90's PUT "Add or update order"; Mailchimp's current API answers 405.
    allow_order_put: bool = False
    # Batches: seconds per status step, shuffled execution, results per JSON file in the archive.
    batch_step_seconds: float = 0.2
    batch_shuffle: bool = True
    batch_results_per_file: int = 1
    batch_max_operations: int | None = None
    # Operations a batch runs per second of the simulator's clock (sim.clock.advance moves it on); None or 0: all
    # at once.
    batch_operations_per_second: float | None = None
    # Operations that fail inside a batch (400 or 429 in their results); see batch_faults.py.
    batch_faults: list[BatchFault] = field(default_factory=list)
    # Batches not yet finished per account before POST /batches answers 429 (Mailchimp documents 500).
    batch_max_pending: int = 500
    batch_url_ttl_seconds: float = 600.0
    batch_retention_seconds: float = 7 * 24 * 3600.0
    # Pending batch-webhook events (the simulator delivers none); >= 500 makes POST /batches a 429.
    pending_webhook_events: int = 0
    # Members per POST /lists/{list_id} (batch subscribe).
    batch_subscribe_max: int = 500
