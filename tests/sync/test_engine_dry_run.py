"""The dry run predicts the real run that follows it, count for count, across the cases where the rules are subtle:
member-only changes, shared e-mails, records the failure ledger holds (waiting, not yet due, dismissed) and an
e-mail change that replaces an e-commerce customer and re-sends its orders, and the upgrade of a store an older
build synced with one e-commerce customer per GP customer."""

from __future__ import annotations

from gpmc_desktop import store
from gpmc_desktop.demo.gp_model import W_CUSTCLAS, pad_shared
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.mailchimp.transport import RetryPolicy
from gpmc_desktop.sync.report import RunReport
from tests.sync.engine_support import Demo, address_for, demo_fixture, expected_state
from tests.sync.old_store import build_old_store

demo = demo_fixture("demo", 120)

MEMBERS = "/lists/*/members/*"
NEW_CLASS = "DRYRUN"


def set_class(demo: Demo, number: str, class_id: str) -> None:
    with demo.env.dataset.lock:
        row = demo.company.customer(number)
        assert row is not None
        row.custclas = pad_shared(class_id, W_CUSTCLAS)
        demo.env.dataset.touch()


def test_dry_run_predicts_the_real_run_with_ledger_holds_shared_emails_and_member_only_changes(demo: Demo) -> None:
    mutator = GPMutator(demo.env.dataset)
    refused = sorted(expected_state(demo).synced)[0]
    mutator.change_email(refused, address_for(refused, "test.com"))  # one of Mailchimp's fake domains
    first = demo.run()
    exp = expected_state(demo)
    assert first.customers["failed"] == len(exp.rejected) > 1  # refused addresses: ledgered, permanent
    shared = {n for ns in exp.shared_emails().values() for n in ns}
    alone = [n for n in sorted(exp.synced) if n not in shared]
    primary, other = next(ns for ns in exp.shared_emails().values() if len(ns) >= 2)[:2]
    rehung = next(n for n in alone if len(exp.orders_of(n)) >= 2)
    retried, reclassed = [n for n in alone if n != rehung][:2]
    dismissed, *still_waiting = sorted(exp.rejected)

    # A change whose member PUT fails transiently: ledgered, with its retry a few minutes away.
    mutator.change_address(retried, line1="3 Retry Row")
    demo.sim.faults.fail_next(2, 503, pattern=MEMBERS)
    demo.run(retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001))
    assert demo.failures("customer")[retried].category == "transient"

    demo.with_store(lambda pid: store.dismiss_failure(pid, "customer", dismissed))
    set_class(demo, reclassed, NEW_CLASS)  # member-only: a tag, no e-commerce customer change
    set_class(demo, other, NEW_CLASS)  # member-only, on a shared member: counted on its primary
    # A non-primary's own address: the member and the buyer of the e-mail carry the primary's, so nothing to send.
    mutator.change_address(other, line1="8 Shared Street")
    mutator.change_email(rehung, address_for(rehung, "rehung-buyer.com"))  # replaced, its orders re-sent
    added = mutator.add_customers(1)[0].key
    mutator.change_email(added, address_for(added, "dry-run-new.com"))
    mutator.set_status(added, inactive=False, hold=False)
    mutator.add_invoices(1, customer=added, amount="12.00")
    mutator.add_invoices(1, customer=dismissed, amount="13.00")  # waits: its customer is not synced

    demo.sim.reset_counters()
    predicted = demo.run(dry_run=True)
    assert demo.sim.writes == 0
    members_before = len(demo.sim.members(demo.list_id))
    real = demo.run()

    assert_same_counts(predicted, real)
    assert predicted.new_contacts == len(demo.sim.members(demo.list_id)) - members_before == 2
    # The case each count stands for really happened (so the equality above is not between two zeros).
    assert real.customers["created"] == 1  # the new customer
    # rehung (e-mail), reclassed (member only), and the shared member on primary
    assert real.customers["updated"] == 3
    assert real.customers["failed"] == len(still_waiting) + 1  # the refused addresses, and the retry not yet due
    assert real.customers["skipped"] == len(exp.skipped) + 1  # the dismissed failure
    assert real.orders["updated"] == len(exp.orders_of(rehung))
    assert real.orders["created"] == 1
    assert real.skip_reasons == predicted.skip_reasons
    audit = demo.with_store(lambda pid: store.record_trace(pid, "customer", primary))
    assert audit[-1].action == "updated" and audit[-1].run_id == real.run_id  # it carried the shared member


def assert_same_counts(predicted: RunReport, real: RunReport) -> None:
    for kind in ("customers", "orders"):
        for action in ("created", "updated", "unchanged", "skipped", "failed"):
            assert getattr(real, kind)[action] == getattr(predicted, kind)[action], (kind, action)


def test_dry_run_predicts_the_upgrade_of_a_store_with_one_customer_per_gp_number(demo: Demo) -> None:
    old = build_old_store(demo)

    demo.sim.reset_counters()
    predicted = demo.run(dry_run=True)
    assert demo.sim.writes == 0
    real = demo.run()

    assert_same_counts(predicted, real)
    assert real.customers["updated"] == len(old.legacy) and real.customers["created"] == len(old.refused)
    assert real.orders["updated"] == len(old.orders) and real.orders["created"] == len(old.missing)
