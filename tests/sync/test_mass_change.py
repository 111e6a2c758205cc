"""The mass-change guard end to end (GP SBA simulator + Mailchimp simulator): a run that would change, skip or
lose more than ``[sync] mass_change_percent`` of what Mailchimp already holds sends nothing, says what it would
have done, is recorded as stopped and waits for a person; ``--confirm-mass-change`` lets one run through."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator, GPRuleError
from gpmc_desktop.store import Entity
from gpmc_desktop.sync.mass_change import MESSAGE_START, SKIPPED, UPDATED, Change, EntityChange, MassChange
from gpmc_desktop.sync.report import ExitCode, RunReport
from gpmc_desktop.sync.runner import run_profile
from tests.sync.engine_support import (
    COMPANY,
    ORDER_PATCH,
    Demo,
    demo_fixture,
    expected_state,
    set_mass_change_percent,
    snapshot,
)

demo = demo_fixture("demo", 40)
NO_EMAIL = "no e-mail in GP"  # the plan's skip reason for a customer without an address


def first_load(demo: Demo) -> None:
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    assert report.mass_change is None  # the first load is exempt


def blank_emails(demo: Demo, numbers: list[str]) -> None:
    """GP loses the e-mail address of each customer (as an answer in a shape gpmc misreads would look)."""
    mutator = GPMutator(demo.env.dataset, seed=3)
    for number in numbers:
        mutator.change_email(number, "", company=COMPANY)


def move_addresses(demo: Demo, numbers: list[str]) -> None:
    mutator = GPMutator(demo.env.dataset, seed=4)
    for number in numbers:
        mutator.change_address(number, line1=f"{len(number)} Quay St", company=COMPANY)


def confirmed_run(demo: Demo) -> RunReport:
    with store.open_store(demo.db_path):
        return run_profile(demo.profile(), demo.env.secrets, confirm_mass_change=True)


def state_of(demo: Demo) -> dict[str, Any]:
    """What the engine remembers: synced rows of every entity and the profile's engine state."""
    def read(pid: int) -> dict[str, Any]:
        synced = {entity: store.synced_map(pid, entity) for entity in Entity}
        return {"synced": synced, "state": store.all_state(pid)}
    return dict(demo.with_store(read))


def last_run(demo: Demo) -> store.RunRow:
    return demo.with_store(lambda pid: store.list_runs(pid, limit=1))[0]


def test_the_first_load_is_exempt_even_with_the_strictest_limit(demo: Demo) -> None:
    set_mass_change_percent(demo, 1)
    report, writes = demo.traffic(demo.run)
    assert report.exit_code is ExitCode.OK and writes, report.error
    assert report.mass_change is None and "mass_change" not in report.json_line()


def test_gp_losing_every_email_stops_the_run_before_one_mailchimp_write(demo: Demo) -> None:
    first_load(demo)
    synced = sorted(expected_state(demo).synced)
    held_before, remembered = snapshot(demo), state_of(demo)
    blank_emails(demo, synced)

    report, writes = demo.traffic(demo.run)

    assert writes == {}, "the guard stops before any Mailchimp write"
    assert report.exit_code is ExitCode.FAILED and report.waits_for_decision
    customers = report.mass_change.customers if report.mass_change else None
    assert customers is not None and customers.changed == customers.synced == len(synced)
    skipped = customers.reasons[Change(SKIPPED, NO_EMAIL)]
    assert skipped >= len(synced) - 2  # a customer may fall back on another address's e-mail
    assert report.error.startswith(
        f"{MESSAGE_START}{len(synced)} of {len(synced)} customers Mailchimp already holds (100%; the limit is 20%): "
        f'{skipped} would be skipped for "{NO_EMAIL}"')  # the biggest reason first
    assert "invoices Mailchimp already holds" in report.error  # their orders would be skipped too
    assert report.error.endswith("Nothing was sent.")
    assert snapshot(demo) == held_before
    after = state_of(demo)
    assert after["synced"] == remembered["synced"], "no synced row moved"
    assert after["state"] == remembered["state"], "no engine state moved"
    run = last_run(demo)
    assert run.id == report.run_id and run.outcome == "failed" and run.error_summary == report.error
    stop = demo.with_store(lambda pid: store.audit_page(store.AuditFilter(profile_id=pid, run_id=report.run_id)))
    assert [(r.entity, r.action, r.reason) for r in stop.rows] == [("store", "skipped", report.error)]

    again = demo.run()
    assert again.waits_for_decision, "not confirmed: every run asks again"

    confirmed = confirmed_run(demo)
    assert confirmed.exit_code is ExitCode.OK, confirmed.error
    assert confirmed.mass_change is not None and confirmed.mass_change.confirmed
    assert confirmed.customers["skipped"] >= len(synced)
    # The skips are old news now: the next run is guarded again, and has nothing new to ask about.
    report, writes = demo.traffic(demo.run)
    assert report.exit_code is ExitCode.OK and writes == {}, report.error
    assert report.mass_change is not None and not report.mass_change.over_limit


def test_a_change_under_the_limit_goes_through(demo: Demo) -> None:
    first_load(demo)
    synced = sorted(expected_state(demo).synced)
    move_addresses(demo, synced[:2])
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    assert report.customers["updated"] >= 2
    assert report.mass_change is not None and not report.mass_change.over_limit
    assert report.mass_change.customers.changed >= 2
    assert "mass_change" not in report.json_line()


def test_the_limit_is_the_profiles_and_0_turns_the_guard_off(demo: Demo) -> None:
    first_load(demo)
    synced = sorted(expected_state(demo).synced)
    half = synced[: len(synced) // 2]
    move_addresses(demo, half)
    stopped = demo.run()
    assert stopped.waits_for_decision and "updated" in stopped.error

    set_mass_change_percent(demo, 90)
    report = demo.run()
    assert report.exit_code is ExitCode.OK, report.error
    # What the guard stopped is sent (a move whose member cannot take the address changes nothing in Mailchimp).
    assert stopped.mass_change is not None
    assert report.customers["updated"] >= stopped.mass_change.customers.changed > len(half) // 2

    set_mass_change_percent(demo, 0)
    blank_emails(demo, synced)
    report = demo.run()
    assert report.exit_code is ExitCode.OK and report.mass_change is None, report.error


def test_a_full_comparison_of_unchanged_records_is_no_mass_change(demo: Demo) -> None:
    first_load(demo)
    report = demo.run(full=True)
    assert report.exit_code is ExitCode.OK, report.error
    assert report.customers["updated"] == 0 and report.customers["unchanged"] > 0  # compared, nothing re-sent
    assert report.mass_change is not None and report.mass_change.customers.changed == 0
    assert report.mass_change.orders.changed == 0


def test_every_invoice_voided_stops_the_run(demo: Demo) -> None:
    first_load(demo)
    mutator = GPMutator(demo.env.dataset, seed=5)
    voided = []
    for number in sorted(demo.sim.orders(demo.store_id)):
        try:
            mutator.void_invoice(number, move_to_history=False, company=COMPANY)
        except GPRuleError:
            continue  # in history already: GP voids only open invoices
        voided.append(number)

    report, writes = demo.traffic(demo.run)

    assert writes == {} and report.waits_for_decision
    assert report.mass_change is not None and report.mass_change.orders.exceeds(20)
    assert f"{len(voided)} updated (sent as cancelled: voided in GP)" in report.error
    report, writes = demo.traffic(lambda: confirmed_run(demo))
    assert report.exit_code is ExitCode.OK, report.error
    assert writes[ORDER_PATCH] == len(voided)


def test_the_cli_exits_2_with_the_json_key_and_confirm_lets_one_run_through(demo: Demo) -> None:
    assert demo.cli().code == 0
    synced = sorted(expected_state(demo).synced)
    blank_emails(demo, synced)

    dry = demo.cli("--dry-run")
    assert dry.code == 0, dry.stderr
    assert dry.json["mass_change"]["needs_confirmation"] is True
    assert "A real run would stop and send nothing." in dry.json["mass_change"]["message"]

    demo.sim.reset_counters()
    stopped = demo.cli()
    assert stopped.code == ExitCode.FAILED == 2
    assert demo.sim.writes == 0
    line = stopped.json
    assert line["outcome"] == "failed" and line["error"].startswith(MESSAGE_START)
    guard = line["mass_change"]
    assert guard["needs_confirmation"] is True and guard["limit_percent"] == 20
    assert guard["customers"]["synced_before"] == guard["customers"]["changed"] == len(synced)
    assert guard["customers"]["reasons"][f"skipped: {NO_EMAIL}"] >= len(synced) - 2
    assert "Nothing was sent. If this is expected, run again with --confirm-mass-change." in stopped.stderr

    confirmed = demo.cli("--confirm-mass-change")
    assert confirmed.code == 0, confirmed.stderr
    assert confirmed.json["mass_change"]["confirmed"] is True
    assert "mass_change" not in demo.cli().json  # the next run is guarded again: nothing new to ask about


def test_more_than_the_limit_stops_and_the_limit_itself_does_not() -> None:
    def share(changed: int) -> EntityChange:
        return EntityChange("customers", 100, Counter({Change(UPDATED): changed}))

    assert not share(20).exceeds(20) and share(21).exceeds(20)
    assert not share(100).exceeds(100) and not share(100).exceeds(0)  # 100 and 0: never ask
    guard = MassChange(20, share(21), EntityChange("invoices", 0))
    assert guard.stops and guard.message() == (
        f"{MESSAGE_START}21 of 100 customers Mailchimp already holds (21%; the limit is 20%): 21 updated. "
        "Nothing was sent.")


def test_the_wrong_company_stops_the_run(demo: Demo) -> None:
    first_load(demo)
    synced = expected_state(demo).synced
    demo.profile_path = demo.env.write_profile(database=str(demo.db_path), company="CPBDA")

    report, writes = demo.traffic(demo.run)

    assert writes == {} and report.waits_for_decision, report.error
    assert report.error.startswith(f"{MESSAGE_START}{len(synced)} of {len(synced)} customers Mailchimp already "
                                   f"holds (100%; the limit is 20%): {len(synced)} no longer returned by GP")
