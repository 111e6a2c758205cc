"""Records Mailchimp refuses, and a Mailchimp that sheds load, fails or drops connections during a run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.mailchimp.transport import RetryPolicy
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from gpmc_desktop.sync.report import ExitCode
from tests.sync.engine_support import (
    FAST_RETRY,
    MEMBER_POST,
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
)

demo = demo_fixture("demo", 120)

MEMBERS = "/lists/*/members/*"
CUSTOMERS = "/ecommerce/stores/*/customers/*"
ORDERS = "/ecommerce/stores/*/orders"  # POST: create an order
ORDER = "/ecommerce/stores/*/orders/*"


def later(hours: float) -> Any:
    """An engine clock *hours* ahead: ledgered transient failures are due by then."""
    return lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)


def assert_converged(demo: Demo) -> None:
    exp = expected_state(demo)
    assert_matches_expectation(demo, exp)
    assert set(demo.failures("customer")) == set(exp.rejected)  # only the addresses Mailchimp calls fake
    assert demo.failures("order") == {}
    assert demo.sim.order_put_attempts == []
    assert demo.sim.contract_violations == []
    report, writes = demo.traffic(demo.run)
    assert writes == Counter()
    assert report.customers["failed"] == len(exp.rejected) and report.orders["failed"] == 0


# ------------------------------------------------------------------------------------------ refused records
def test_forgotten_email_fails_permanently_and_is_not_resent_until_gp_changes(demo: Demo) -> None:
    exp = expected_state(demo)
    shared = {n for ns in exp.shared_emails().values() for n in ns}
    number = next(n for n in sorted(exp.synced) if n not in shared and len(exp.orders_of(n)) >= 2)
    email = exp.synced[number]
    demo.sim.set_member_status(demo.list_id, email, "forgotten")

    first = demo.cli()

    assert first.code == ExitCode.PARTIAL
    line = first.json
    assert line["outcome"] == "partial" and line["exit_code"] == 1
    assert line["customers"]["failed"] == len(exp.rejected) + 1
    assert line["customers"]["created"] == len(exp.synced) - 1
    assert line["orders"]["created"] == len(exp.orders) - len(exp.orders_of(number))
    ledger = demo.failures("customer")
    assert ledger[number].category == "permanent"
    assert ledger[number].last_error_title == "Forgotten Email Not Subscribed"
    assert ledger[number].next_retry_at is None
    assert demo.sim.member(demo.list_id, email) is None and demo.sim.is_forgotten(demo.list_id, email)
    assert ecommerce_customer_id(email) not in demo.sim.customers(demo.store_id)
    orders = demo.sim.orders(demo.store_id)
    assert not set(exp.orders_of(number)) & set(orders)
    others = {ecommerce_customer_id(e): e for n, e in exp.synced.items() if n != number}
    assert {c: x["email_address"] for c, x in demo.sim.customers(demo.store_id).items()} == others
    assert set(orders) == {o for o in exp.orders if exp.orders[o].customer != number}

    report, writes = demo.traffic(demo.run)  # nothing changed in GP: no write for it (nor for anything)
    assert writes == Counter()
    assert report.customers["failed"] == len(exp.rejected) + 1
    # Known failures (waiting for a change in GP), not news: the run is OK and exits 0.
    assert report.failure_news == {FailureNews.KNOWN: len(exp.rejected) + 1}
    assert report.outcome == "ok" and report.exit_code is ExitCode.OK

    GPMutator(demo.env.dataset).change_address(number, line1="1 Changed Street")
    report, writes = demo.traffic(demo.run)  # its GP record changed: tried once more, refused again
    assert writes == Counter({MEMBER_POST: 1})  # never a member: created with its tags, one call
    assert report.customers["failed"] == len(exp.rejected) + 1
    assert demo.failures("customer")[number].attempts == 1  # a new series: the content changed
    assert report.failure_news[FailureNews.NEW] == 1 and report.exit_code is ExitCode.PARTIAL
    assert demo.sim.member(demo.list_id, email) is None


def test_key_refused_mid_run_aborts_and_the_record_is_not_written_off(demo: Demo) -> None:
    # A 403 with a body is a verdict on the key (revoked, role removed), not on the record being sent.
    demo.sim.faults.fail_next(1, 403, pattern=CUSTOMERS, title="Forbidden",
                              detail="The API key was revoked.")
    report = demo.run()
    assert report.outcome == "failed" and report.exit_code is ExitCode.FAILED
    assert "refused the API key" in report.error
    assert report.customers["failed"] >= 1
    exp = expected_state(demo)
    assert set(demo.failures("customer")) <= set(exp.rejected)  # the refused record is not ledgered

    report = demo.run()  # the key works again: everything, including that record, syncs
    assert report.exit_code is ExitCode.PARTIAL and report.customers["failed"] == len(exp.rejected)
    assert_converged(demo)


# ------------------------------------------------------------------------------------------ load and faults
def test_fault_bursts_during_a_run_converge_in_that_run(demo: Demo) -> None:
    """429 bursts, body-less 403s, 5xx and connection resets, through the real transport and its backoff."""
    faults = demo.sim.faults
    faults.fail_next(4, 429, pattern=MEMBERS)
    faults.fail_next(2, 403, bodyless=True, pattern=CUSTOMERS)
    faults.reset_next(2, pattern=MEMBERS)
    faults.fail_next(2, 503, pattern=ORDERS)
    faults.reset_next(3, pattern=ORDERS)
    faults.fail_next(2, 502, bodyless=True, pattern=ORDER)
    faults.fail_next(1, 500, pattern="/ecommerce/stores/*")  # the is_syncing PATCHes and store reads
    exp = expected_state(demo)

    report = demo.run()

    assert report.exit_code is ExitCode.PARTIAL, report.error
    for path in ("/lists/a/members/b", "/ecommerce/stores/s/customers/c", "/ecommerce/stores/s/orders",
                 "/ecommerce/stores/s/orders/o", "/ecommerce/stores/s"):
        assert faults.take(path) is None, f"a fault for {path} was never triggered"
    assert report.customers["failed"] == len(exp.rejected) and report.orders["failed"] == 0
    assert report.customers["created"] == len(exp.synced) and report.orders["created"] == len(exp.orders)
    assert demo.sim.is_syncing_history(demo.store_id)[-1] is False
    assert_converged(demo)


def test_flaky_server_converges_without_duplicates(demo: Demo) -> None:
    demo.sim.faults.set_error_rate(0.05, 500)
    demo.run(retry=FAST_RETRY)
    demo.sim.faults.set_error_rate(0.0)
    exp = expected_state(demo)
    # Whatever exhausted its retries is ledgered as transient; a later run (its retry time come) sends it.
    report = demo.run(retry=FAST_RETRY, now=later(24))
    assert report.customers["failed"] == len(exp.rejected) and report.orders["failed"] == 0
    assert_converged(demo)


def test_exhausted_retries_are_ledgered_transient_and_a_later_run_resolves_them(demo: Demo) -> None:
    few = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001)
    demo.sim.faults.fail_next(12, 429, pattern=MEMBERS)
    # Every order POST of the first run fails: a new buyer's first order, which carries the buyer, is tried
    # again in the orders step (the buyer PUT on its own meanwhile), and fails there too.
    demo.sim.faults.fail_next(100_000, 503, pattern=ORDERS)
    exp = expected_state(demo)

    first = demo.run(retry=few)
    demo.sim.faults.clear()

    customers, orders = demo.failures("customer"), demo.failures("order")
    transient_customers = {k for k, f in customers.items() if f.category == "transient"}
    assert transient_customers and orders
    assert all(f.category == "transient" and f.next_retry_at is not None for f in orders.values())
    assert first.customers["failed"] == len(exp.rejected) + len(transient_customers)
    assert first.orders["failed"] == len(orders)
    assert first.exit_code is ExitCode.PARTIAL
    assert not set(orders) & set(demo.sim.orders(demo.store_id))
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]

    report, writes = demo.traffic(lambda: demo.run(retry=few))  # retry times not come: nothing is sent
    assert writes == Counter()
    assert report.customers["failed"] == first.customers["failed"]
    assert report.orders["failed"] == first.orders["failed"]

    report = demo.run(retry=few, now=later(1))
    assert report.customers["failed"] == len(exp.rejected) and report.orders["failed"] == 0
    assert report.orders["created"] >= len(orders)  # the ledgered ones, and the orders of late customers
    assert_converged(demo)
