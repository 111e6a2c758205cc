"""``gpmc sync --config FILE --json`` as IT scripts run it: the JSON line, exit codes, plain-words failures,
secrets that never reach a file or the console, and ``--dry-run``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.runner import run_profile
from tests.sync.engine_support import (
    INVOICE,
    CliResult,
    Demo,
    address_for,
    assert_matches_expectation,
    demo_fixture,
    expected_state,
)

demo = demo_fixture("demo", 120)

ACTIONS = {"created", "updated", "unchanged", "skipped", "failed"}
WRONG_PASSWORD = "Not-The-Gp-Pa55word"
WRONG_KEY = "fedcba9876543210fedcba98765432aa-us6"  # well-formed, not the account's


def assert_contract(result: CliResult, code: int, outcome: str) -> dict:
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stdout.splitlines() if x.strip()]
    assert len(lines) == 1, "with --json, stdout carries the JSON line only (the summary goes to stderr)"
    line = result.json
    assert {"run_id", "customers", "orders", "outcome", "exit_code", "dry_run"} <= set(line)
    assert set(line["customers"]) == ACTIONS and set(line["orders"]) == ACTIONS
    assert all(isinstance(n, int) for n in (*line["customers"].values(), *line["orders"].values()))
    assert line["outcome"] == outcome and line["exit_code"] == code
    return line


def assert_nothing_sent(demo: Demo) -> None:
    assert demo.sim.writes == 0
    assert [k for k in demo.sim.request_counts() if k[0] != "GET"] == []


# ------------------------------------------------------------------------------------------------ contract
def test_clean_sync_exits_0_and_the_next_run_is_all_unchanged(demo: Demo) -> None:
    demo.sim.config.fake_email_domains = set()  # this Mailchimp refuses no address: nothing can fail
    exp = expected_state(demo)
    assert not exp.rejected
    # Four GP customers on one address: the simulator refuses a second customer with an e-mail a customer of
    # the store has, so only one e-commerce customer for all four lets this run succeed.
    four = max(exp.shared_emails().values(), key=len)
    assert len(four) >= 4 and sum(len(exp.orders_of(n)) for n in four) > 1

    first = demo.cli()
    line = assert_contract(first, 0, "ok")

    assert isinstance(line["run_id"], int) and line["dry_run"] is False and "error" not in line
    assert line["customers"] == {"created": len(exp.synced), "updated": 0, "unchanged": 0,
                                 "skipped": len(exp.skipped), "failed": 0}
    assert line["orders"] == {"created": len(exp.orders), "updated": 0, "unchanged": 0,
                              "skipped": len(exp.unsynced_invoices), "failed": 0}
    assert_matches_expectation(demo, exp)
    orders = demo.sim.orders(demo.store_id)
    assert {orders[o]["customer_id"] for n in four for o in exp.orders_of(n)} == {exp.buyer_of(four[0])}

    again, writes = demo.traffic(demo.cli)
    second = assert_contract(again, 0, "ok")
    assert writes == Counter()
    assert second["run_id"] == line["run_id"] + 1
    assert second["customers"] == {"created": 0, "updated": 0, "unchanged": len(exp.synced),
                                   "skipped": len(exp.skipped), "failed": 0}
    assert second["orders"]["unchanged"] == len(exp.orders) and second["orders"]["created"] == 0
    # The summary's first line names the run kind as the app's runs table does; the JSON line adds "kind".
    assert first.stderr.startswith(f"First load (run {line['run_id']}): done\n") and line["kind"] == "first-load"
    assert again.stderr.startswith(f"Scheduled (run {second['run_id']}): done\n") and second["kind"] == "scheduled"
    preview, full = demo.cli("--dry-run"), demo.cli("--full")
    assert preview.stderr.startswith(f"Preview (run {preview.json['run_id']}, nothing sent): done\n")
    assert preview.json["kind"] == "dry-run"
    assert full.stderr.startswith(f"Full comparison (run {full.json['run_id']}): done\n"), full.stderr


def test_records_mailchimp_refuses_make_exit_1(demo: Demo) -> None:
    exp = expected_state(demo)
    assert exp.rejected
    line = assert_contract(demo.cli(), 1, "partial")
    assert line["customers"]["failed"] == len(exp.rejected)
    assert line["customers"]["created"] == len(exp.synced)
    assert line["failures"] == {"new": len(exp.rejected), "known": 0, "retrying": 0}


def test_known_failures_exit_0_and_only_a_new_failure_exits_1(demo: Demo) -> None:
    exp = expected_state(demo)
    assert demo.cli().code == 1  # the refused addresses fail for the first time
    again = assert_contract(demo.cli(), 0, "ok")  # the same records, unchanged in GP: known, not news
    assert again["customers"]["failed"] == len(exp.rejected)
    assert again["failures"] == {"new": 0, "known": len(exp.rejected), "retrying": 0}
    words = demo.cli()  # the summary on stderr (stdout holds the --json line) says what they are
    assert (f"failed before with the same content: {len(exp.rejected)} known (waiting for a change in GP)"
            in words.stderr)
    row = demo.with_store(lambda pid: store.list_runs(pid, limit=1)[0])
    assert row.outcome == "ok"  # the status after a restart reads the same (ui/status.py)

    # A new customer whose address Mailchimp refuses is news: exit 1 again, the known ones still counted apart.
    mutator = GPMutator(demo.env.dataset)
    added = mutator.add_customers(1)[0].key
    mutator.change_email(added, address_for(added, "example.com"))
    mutator.set_status(added, inactive=False, hold=False)
    third = assert_contract(demo.cli(), 1, "partial")
    assert third["failures"] == {"new": 1, "known": len(exp.rejected), "retrying": 0}


# ------------------------------------------------------------------------------------------ cannot proceed
def test_wrong_gp_password_exits_2_in_plain_words_with_zero_mailchimp_writes(demo: Demo) -> None:
    line = assert_contract(demo.cli(password=WRONG_PASSWORD), 2, "failed")
    assert "GP refused the Windows credentials of CORP\\svc-gp" in line["error"]
    assert "password" in line["error"]
    assert line["customers"] == dict.fromkeys(ACTIONS, 0)
    assert_nothing_sent(demo)


def test_wrong_mailchimp_key_exits_2_with_zero_writes(demo: Demo) -> None:
    line = assert_contract(demo.cli(api_key=WRONG_KEY), 2, "failed")
    assert "Mailchimp refused the API key" in line["error"] and "enter a valid key" in line["error"]
    assert_nothing_sent(demo)


def test_unknown_gp_company_exits_2_and_lists_the_companies(demo: Demo) -> None:
    config = demo.env.write_profile("other-company.toml", company="NOPE",
                                    database=str(demo.db_path))
    line = assert_contract(demo.cli(config=config), 2, "failed")
    assert "GP has no company 'NOPE'" in line["error"]
    assert "TWO (Fabrikam, Inc.)" in line["error"] and "CPBDA" in line["error"]
    assert_nothing_sent(demo)


def test_missing_secret_in_the_environment_exits_2(demo: Demo) -> None:
    result = demo.cli(password="")
    line = assert_contract(result, 2, "failed")
    assert "GPMC_GP_PASSWORD" in line["error"] and line["run_id"] is None
    assert_nothing_sent(demo)


# ------------------------------------------------------------------------------------------------ secrets
def test_secrets_never_reach_the_database_the_logs_or_the_console(demo: Demo) -> None:
    secrets = demo.env.secrets
    needles = {secrets.gp_password, secrets.mailchimp_api_key, secrets.mailchimp_api_key.split("-")[0],
               WRONG_PASSWORD, WRONG_KEY, WRONG_KEY.split("-")[0]}
    outputs = [
        demo.cli("--dry-run"),
        demo.cli(),  # partial: records Mailchimp refuses are ledgered with its error text
        demo.cli(password=WRONG_PASSWORD),
        demo.cli(api_key=WRONG_KEY),
    ]
    demo.sim.faults.fail_next(1, 403, pattern="/lists/*/members*", title="API Key Invalid",
                              detail=f"Your API key may be invalid: {secrets.mailchimp_api_key}")
    GPMutator(demo.env.dataset).add_customers(3)
    outputs.append(demo.cli())  # aborted mid-run by a 403 whose text echoes the key
    assert [o.code for o in outputs] == [0, 1, 2, 2, 2]
    for result in outputs:
        for needle in needles:
            assert needle not in result.stdout and needle not in result.stderr

    # In-process as well, reading the -wal file while the store is still open.
    with store.open_store(demo.db_path) as handle:
        report = run_profile(load_profile(demo.profile_path), secrets)
        wal = Path(f"{handle.path}-wal")
        assert wal.exists()
        assert report.outcome in ("ok", "partial")
        open_files = {p: p.read_bytes() for p in (handle.path, wal)}
    files = {p: p.read_bytes() for p in demo.data_dir.rglob("*") if p.is_file()}
    assert demo.db_path in files and any(p.suffix == ".log" or ".log" in p.name for p in files)
    for path, data in {**files, **open_files}.items():
        for needle in needles:
            assert needle.encode() not in data, f"a secret is in {path}"


# ------------------------------------------------------------------------------------------------ dry run
def test_dry_run_sends_nothing_and_predicts_the_real_run(demo: Demo) -> None:
    exp = expected_state(demo)
    eligible = len(exp.synced) + len(exp.rejected)

    line = assert_contract(demo.cli("--dry-run"), 0, "ok")

    assert_nothing_sent(demo)
    assert line["dry_run"] is True
    assert line["new_contacts"] == len(exp.members) + len(set(exp.rejected.values()))
    assert line["customers"] == {"created": eligible, "updated": 0, "unchanged": 0,
                                 "skipped": len(exp.skipped), "failed": 0}
    orders_of_eligible = len(exp.orders) + len([n for n in exp.unsynced_invoices
                                                if invoice_customer(demo, n) in exp.rejected])
    assert line["orders"]["created"] == orders_of_eligible
    assert demo.sim.members(demo.list_id) == [] and demo.sim.store(demo.store_id) is None

    assert demo.cli().code == 1  # the real first run
    mutator = GPMutator(demo.env.dataset)
    changed = sorted(n for n in exp.synced if n not in {m for ms in exp.shared_emails().values() for m in ms})[0]
    mutator.change_address(changed, line1="5 Dry Run Road")
    added = mutator.add_customers(1)[0].key
    mutator.change_email(added, address_for(added, "dry-run-buyer.com"))
    mutator.set_status(added, inactive=False, hold=False)
    mutator.add_invoices(1, customer=added, amount="10.00")
    mutator.add_invoices(1, customer=changed, amount="20.00")

    demo.sim.reset_counters()
    predicted = assert_contract(demo.cli("--dry-run"), 0, "ok")  # the refused addresses stay failed: known
    assert demo.sim.writes == 0
    assert predicted["new_contacts"] == 1
    assert (predicted["customers"]["created"], predicted["customers"]["updated"]) == (1, 1)
    assert (predicted["orders"]["created"], predicted["orders"]["updated"]) == (2, 0)

    real = assert_contract(demo.cli(), 0, "ok")
    for kind in ("customers", "orders"):
        for action in ("created", "updated", "unchanged", "skipped", "failed"):
            assert real[kind][action] == predicted[kind][action], (kind, action)


def invoice_customer(demo: Demo, number: str) -> str:
    with demo.env.dataset.lock:
        return next(r.custnmbr.strip() for r, _ in demo.company.documents()
                    if r.rmdtypal == INVOICE and r.docnumbr.strip() == number)

