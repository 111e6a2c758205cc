"""A company bigger than one plan (sync/gp_read.py) is planned a part at a time: every customer of an e-mail with
their invoices, the synced state read by key.  Against the simulators, a company synced in many small parts ends
exactly as one planned whole: the same Mailchimp account, reports, reconciliation, mass-change count and audit,
through a first load, a preview, a round of GP edits (e-mails changed, customers deleted, invoices voided) and a
poll that finds nothing to do."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.store import Action, Outcome
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.engine import SyncEngine
from gpmc_desktop.sync.report import RunReport
from tests.sync.batch_support import BATCHED, PER_RECORD, audit_actions, fast_batches
from tests.sync.engine_support import (
    FAST_RETRY,
    Demo,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
    set_mass_change_percent,
    snapshot,
)

CUSTOMERS = 120
PART = 7  # customers per plan: 120 customers make 18 parts

demo = demo_fixture("demo", CUSTOMERS)
twin = demo_fixture("twin", CUSTOMERS)  # the same GP data, a Mailchimp account of its own


def run(demo: Demo, scratch: Path, *, parts: bool, dry_run: bool = False, batches: BatchSettings = PER_RECORD,
        progress: list[tuple[str, int, int]] | None = None) -> RunReport:
    fast_batches(demo.sim)
    return demo.run(retry=FAST_RETRY, dry_run=dry_run, batches=batches,
                    shard_customers=PART if parts else 100_000, scratch_dir=scratch,
                    progress=(lambda *event: progress.append(event)) if progress is not None else None)


def told(report: RunReport) -> dict[str, Any]:
    """Everything a run tells: its outcome, counts, reconciliation and the guard's count."""
    assert report.reconciliation is not None
    return {"outcome": report.outcome, "error": report.error, "customers": report.customers,
            "orders": report.orders, "skips": report.skip_reasons, "news": report.failure_news,
            "to_send": report.to_send, "ignored": report.ignored_documents, "new": report.new_contacts,
            "reconciliation": report.reconciliation.as_json(),
            "guard": report.mass_change.as_json() if report.mass_change else None}


def assert_same(demo: Demo, in_parts: RunReport, twin: Demo, whole: RunReport) -> None:
    assert told(in_parts) == told(whole)
    assert snapshot(demo) == snapshot(twin)
    assert audit_actions(demo, in_parts.run_id) == audit_actions(twin, whole.run_id)
    assert demo.sim.is_syncing_history(demo.store_id) == twin.sim.is_syncing_history(twin.store_id)
    assert demo.sim.contract_violations == []


def edit_gp(demo: Demo) -> None:
    """The same edits on either company: e-mails changed (buyers left behind to retire), customers added and
    deleted, invoices added, paid and voided."""
    mutator = GPMutator(demo.env.dataset, seed="parts")
    mutator.random_round(30)
    for _ in range(3):
        mutator.change_email()
    mutator.delete_customer()


def test_a_company_planned_in_parts_syncs_as_when_planned_whole(demo: Demo, twin: Demo, tmp_path: Path) -> None:
    for either in (demo, twin):
        set_mass_change_percent(either, 90)  # on: its count must come out the same
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    events: list[tuple[str, int, int]] = []

    first = run(demo, scratch, parts=True, progress=events)
    assert_same(demo, first, twin, run(twin, scratch, parts=False))
    assert first.outcome in (Outcome.OK, Outcome.PARTIAL) and first.customers[Action.CREATED] > 0
    assert_matches_expectation(demo, expected_state(demo))
    # Progress counts the whole company across its parts: never past its total, never back, ending at it.
    assert first.reconciliation is not None
    for phase, total in (("customers", first.reconciliation.addresses),
                         ("orders", first.reconciliation.gp_invoices)):
        seen = [(done, of) for p, done, of in events if p == phase]
        assert seen[-1] == (total, total) and all(of == total and done <= of for done, of in seen)
        assert [done for done, _of in seen] == sorted(done for done, _of in seen)

    for either in (demo, twin):
        edit_gp(either)
    assert_same(demo, run(demo, scratch, parts=True, dry_run=True), twin, run(twin, scratch, parts=False,
                                                                               dry_run=True))
    poll = run(demo, scratch, parts=True)
    assert_same(demo, poll, twin, run(twin, scratch, parts=False))
    assert poll.mass_change is not None and poll.mass_change.customers.changed > 0  # the deletes and moves counted
    retired = [key for key, rows in audit_actions(demo, poll.run_id).items()
               if any(reason.startswith("deleted the e-commerce customer of") for _a, reason in rows)]
    assert retired  # the buyers of e-mails no GP customer has any more, found by key across the parts

    demo.sim.reset_counters()
    quiet = run(demo, scratch, parts=True)
    assert_same(demo, quiet, twin, run(twin, scratch, parts=False))
    assert demo.sim.writes == 0 and quiet.customers[Action.UNCHANGED] > 0
    assert list(scratch.iterdir()) == []  # every run's scratch file is gone with it


def test_parts_with_many_writes_go_by_batches_and_a_polls_few_record_by_record(demo: Demo, tmp_path: Path) -> None:
    """The batch threshold is a part's: every part of a first load has more writes than it, a poll's parts fewer
    (however many the whole run has), and those go record by record, without a batch's round trips."""
    threshold = dataclasses.replace(BATCHED, threshold=10)
    report = run(demo, tmp_path, parts=True, batches=threshold)
    assert report.outcome in (Outcome.OK, Outcome.PARTIAL) and not report.error, report.error
    assert_matches_expectation(demo, expected_state(demo))
    assert report.batches is not None and report.batches["submitted"] >= 18  # every part's steps
    demo.sim.reset_counters()
    again = run(demo, tmp_path, parts=True, batches=threshold)
    assert again.outcome == Outcome.OK and demo.sim.writes == 0

    GPMutator(demo.env.dataset, seed="few").random_round(30)
    submitted = len(demo.sim.batches.all())
    poll = run(demo, tmp_path, parts=True, batches=threshold)
    assert poll.to_send > 10 and poll.batches is None and len(demo.sim.batches.all()) == submitted
    assert sum(poll.customers[a] for a in (Action.CREATED, Action.UPDATED)) > 0


def test_parts_with_nothing_to_do_are_counted_as_if_they_were_sent(
    demo: Demo, twin: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll reads each part once and sends only the parts with something to do; the rest are counted from the
    survey's decisions, exactly as the sending pass would count them."""
    for either in (demo, twin):
        run(either, tmp_path, parts=True)
        GPMutator(either.env.dataset, seed="quiet").random_round(4)  # a few parts change, most do not
    events: list[tuple[str, int, int]] = []
    counted = run(demo, tmp_path, parts=True, progress=events)
    monkeypatch.setattr(SyncEngine, "_is_quiet", lambda *_args: False)
    sent_through = run(twin, tmp_path, parts=True)
    assert_same(demo, counted, twin, sent_through)
    assert counted.customers[Action.UNCHANGED] > 0 and counted.to_send > 0
    assert counted.reconciliation is not None
    last = {phase: (done, of) for phase, done, of in events if phase in ("customers", "orders")}
    assert last == {"customers": (counted.reconciliation.addresses,) * 2,
                    "orders": (counted.reconciliation.gp_invoices,) * 2}


def test_a_cancel_while_the_parts_are_checked_sends_no_record(demo: Demo, tmp_path: Path) -> None:
    """Every part is checked before the first record is sent; a cancel there sends none."""
    cancel = threading.Event()
    events: list[tuple[str, int, int]] = []

    def progress(phase: str, done: int, total: int) -> None:
        events.append((phase, done, total))
        if phase == "checking" and done > 0:
            cancel.set()  # the person pressed Cancel after the first part was checked

    fast_batches(demo.sim)
    demo.sim.reset_counters()
    report = demo.run(retry=FAST_RETRY, batches=PER_RECORD, shard_customers=PART, scratch_dir=tmp_path,
                      progress=progress, cancel=cancel)
    assert report.outcome == Outcome.CANCELLED
    assert demo.sim.members(demo.list_id) == [] and demo.sim.store(demo.store_id) is None
    checking = [(done, of) for phase, done, of in events if phase == "checking"]
    assert checking[0][0] == 0 and 0 < checking[-1][0] < checking[-1][1]
    assert not any(phase in ("customers", "orders") for phase, _d, _t in events)
    assert list(tmp_path.iterdir()) == []
