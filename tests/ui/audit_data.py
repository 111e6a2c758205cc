"""A large audit log for the UI tests and the GUI benchmark: `fill_audit(profile_id, n)` writes n events
over several runs, in batches, the way a long-lived installation accumulates them."""

from __future__ import annotations

import time
from collections.abc import Iterator

from gpmc_desktop import store
from gpmc_desktop.store import NewAuditEvent

BATCH = 50_000
RUN_SIZE = 100_000
CUSTOMERS = 20_000


def customer_key(i: int) -> str:
    return f"C{i % CUSTOMERS:06d}"


def _events(start: int, count: int) -> Iterator[NewAuditEvent]:
    for i in range(start, start + count):
        if i % 3 == 0:
            failed = i % 997 == 0
            action = "failed" if failed else ("created" if i % 7 else "updated")
            yield NewAuditEvent(
                entity="order", gp_key=f"INV{i:08d}", action=action,
                mailchimp_id=f"INV{i:08d}", http_status=400 if failed else 200,
                error_title="Invalid Resource" if failed else None,
            )
        else:
            yield NewAuditEvent(
                entity="customer", gp_key=customer_key(i), action="unchanged" if i % 5 else "updated",
                mailchimp_id=customer_key(i), email=f"buyer{i % CUSTOMERS}@example.com", http_status=200,
            )


def fill_audit(profile_id: int, total: int) -> float:
    """Write `total` events (runs of 100,000); returns the seconds it took."""
    began = time.perf_counter()
    written = 0
    while written < total:
        run_id = store.start_run(profile_id, "incremental")
        in_run = min(RUN_SIZE, total - written)
        for offset in range(0, in_run, BATCH):
            n = min(BATCH, in_run - offset)
            store.record_audit(run_id, _events(written + offset, n))
        store.finish_run(run_id, "ok")
        written += in_run
    return time.perf_counter() - began
