"""What each run is recorded as (what started it, in words a person recognises), and what a full comparison
sends: only what differs from what Mailchimp was last sent."""

from __future__ import annotations

from collections import Counter
from contextlib import closing

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.store import RunKind, run_kind_label
from gpmc_desktop.sync.report import ExitCode
from gpmc_desktop.sync.runner import make_api
from tests.sync.engine_support import (
    MEMBER_PUT,
    ORDER_POST,
    PRODUCT_PUT,
    Demo,
    demo_fixture,
    expected_state,
)

demo = demo_fixture("demo", 40)


def kinds(demo: Demo) -> list[str]:
    return [run.kind for run in reversed(demo.with_store(lambda pid: store.list_runs(pid)))]


def test_each_trigger_is_recorded_as_its_kind(demo: Demo) -> None:
    demo.run(dry_run=True, trigger=RunKind.SYNC_NOW)  # a preview is a preview whatever asked for it
    demo.run(trigger=RunKind.SYNC_NOW)  # nothing synced before: the first load, whatever started it
    for trigger in (RunKind.SCHEDULED, RunKind.SYNC_NOW, RunKind.RETRY):
        demo.run(trigger=trigger)
    demo.run(full=True, trigger=RunKind.FULL)
    demo.run(full=True)  # `gpmc sync --full`: the CLI's default trigger, a full comparison all the same
    assert kinds(demo) == ["dry-run", "first-load", "scheduled", "sync-now", "retry", "full", "full"]
    assert [run_kind_label(k) for k in kinds(demo)] == [
        "Preview", "First load", "Scheduled", "Sync now", "Retry", "Full comparison", "Full comparison"]


def test_headless_gpmc_sync_is_recorded_as_scheduled(demo: Demo) -> None:
    assert demo.cli().code in (ExitCode.OK, ExitCode.PARTIAL)
    assert demo.cli().code == ExitCode.OK  # the refused addresses are known failures by now
    assert demo.cli("--dry-run").code == ExitCode.OK
    assert kinds(demo) == ["first-load", "scheduled", "dry-run"]


def test_earlier_builds_kinds_keep_their_words() -> None:
    assert run_kind_label("incremental") == "Sync" and run_kind_label("full") == "Full comparison"
    assert run_kind_label("from-a-newer-build") == "from-a-newer-build"


def test_a_full_comparison_audits_unchanged_records_as_unchanged_and_sends_nothing_for_them(demo: Demo) -> None:
    exp = expected_state(demo)
    assert demo.run().customers["created"] == len(exp.synced)

    report, writes = demo.traffic(lambda: demo.run(full=True, trigger=RunKind.FULL))

    assert report.exit_code is ExitCode.OK, report.error
    # Not one member, customer or order write: only the placeholder product is put back (a full comparison's
    # repair, in case someone deleted it in Mailchimp).
    assert writes == Counter({PRODUCT_PUT: 1})
    assert report.customers["updated"] == report.customers["created"] == 0
    assert report.customers["unchanged"] == len(exp.synced)
    assert report.orders["updated"] == report.orders["created"] == 0
    assert report.orders["unchanged"] == len(exp.orders)
    events = demo.with_store(lambda pid: list(store.iter_audit(store.AuditFilter(profile_id=pid,
                                                                                 run_id=report.run_id))))
    assert [e for e in events if e.entity in ("customer", "order", "member")] == []

    # A record that did change is sent, and only it.
    changed = next(n for n in sorted(exp.synced) if n not in {m for ms in exp.shared_emails().values() for m in ms})
    GPMutator(demo.env.dataset).change_address(changed, line1="9 Compared Lane")
    report, writes = demo.traffic(lambda: demo.run(full=True, trigger=RunKind.FULL))
    assert writes[MEMBER_PUT] == 1 and report.customers["updated"] == 1
    assert report.customers["unchanged"] == len(exp.synced) - 1


def test_a_full_comparison_sends_again_what_someone_deleted_in_mailchimp_and_leaves_archived_contacts(
    demo: Demo,
) -> None:
    exp = expected_state(demo)
    assert demo.run().customers["created"] == len(exp.synced)
    alone = [n for n in sorted(exp.synced) if n not in {m for ms in exp.shared_emails().values() for m in ms}
             and exp.orders_of(n)]
    archived, deleted_from = alone[0], alone[1]
    order = sorted(exp.orders_of(deleted_from))[0]
    demo.sim.set_member_status(demo.list_id, exp.synced[archived], "archived")  # archived by hand in Mailchimp
    api, transport = make_api(demo.profile(), demo.env.secrets.mailchimp_api_key)
    with closing(transport):
        api.delete_order(demo.store_id, order)
    ordinary = demo.traffic(demo.run)
    assert ordinary[1] == Counter()  # an ordinary run cannot know of the order: nothing changed in GP
    assert ordinary[0].customers["skipped"] == len(exp.skipped) + 1  # the archived contact's customer is left out

    report, writes = demo.traffic(lambda: demo.run(full=True, trigger=RunKind.FULL))

    assert report.exit_code is ExitCode.OK, report.error
    # The deleted order is sent again; the archived contact stays archived, nothing written for it.
    assert writes == Counter({PRODUCT_PUT: 1, ORDER_POST: 1}), writes
    assert demo.sim.member(demo.list_id, exp.synced[archived])["status"] == "archived"
    assert demo.sim.status_changes() == []
    assert order in demo.sim.orders(demo.store_id)
    left_out = len(exp.orders_of(archived))  # the archived contact's invoices, skipped with their customer
    assert report.orders["created"] == 1 and report.orders["unchanged"] == len(exp.orders) - 1 - left_out
    assert report.orders["skipped"] == len(exp.unsynced_invoices) + left_out
    events = demo.with_store(lambda pid: list(store.iter_audit(store.AuditFilter(profile_id=pid,
                                                                                 run_id=report.run_id))))
    lost = "not in Mailchimp any more (deleted there): sent again"
    assert {(e.entity, e.gp_key) for e in events if e.reason and e.reason.startswith(lost)} == {("order", order)}
