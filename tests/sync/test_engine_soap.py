"""The sync engine with ``api = "soap"``: the built-in demo on the GP Web Services simulator, run the way the CLI and
the tray app run it (``run_profile``), from the first load through incremental polls and a full comparison."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo import gp_soap_shapes
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.demo.gp_soap_shapes import Shape, customer_object
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator, shared_validator
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.gp.soap_shapes import customer_from_soap
from gpmc_desktop.gp.soap_sync import SoapPollingSource
from gpmc_desktop.profile import Profile, Secrets, load_profile
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from gpmc_desktop.sync.report import ExitCode, RunReport
from gpmc_desktop.sync.runner import make_source, run_profile, save_profile_settings

COMPANY = "TWO"
PRINCIPAL = "CORP\\svc-gp"


@dataclass
class SoapDemo:
    env: DemoEnvironment
    profile: Profile
    db: Path
    mutator: GPMutator

    @property
    def gp(self) -> GPSoapSimulator:
        assert self.env.gp_soap is not None
        return self.env.gp_soap

    @property
    def mc(self) -> MailchimpSimulator:
        return self.env.mailchimp

    def run(self, *, db: Path | None = None, secrets: Secrets | None = None, full: bool = False) -> RunReport:
        """One poll cycle, with its GP calls counted from zero."""
        self.gp.clear_log()
        with store.open_store(db or self.db):
            return run_profile(self.profile, secrets or self.env.secrets, full=full)

    def state(self, key: str) -> object:
        with store.open_store(self.db):
            return store.get_state(save_profile_settings(self.profile), key)

    def customers(self) -> dict[str, Customer]:
        """What GP holds now, normalised as the SOAP source does (no HTTP)."""
        data = self.env.dataset.companies[COMPANY]
        with self.env.dataset.lock:
            return {c.number: c for c in (customer_from_soap(customer_object(data, row, Shape()))
                                          for row in data.customers.values())}

    def member(self, email: str) -> dict[str, object] | None:
        return self.mc.member(self.env.profile_list_id, email)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoapDemo]:
    # The parsed Mailchimp spec: one cache per test session, shared with the other engine tests.
    base = tmp_path_factory.getbasetemp()
    shared_validator(None, (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
                     / "mailchimp-contract-cache")
    workdir = tmp_path_factory.mktemp("soap-demo")
    env = DemoEnvironment(customers=100, seed=7, workdir=workdir / "sims", gp_api="soap").start()
    try:
        env.mailchimp.config.fake_email_domains.clear()  # every GP address is deliverable: exit codes mean one thing
        db = workdir / "data" / "state.sqlite"
        profile = load_profile(env.write_profile(database=str(db)))
        yield SoapDemo(env, profile, db, GPMutator(env.dataset))
    finally:
        problems = env.mailchimp.internal_errors
        env.stop()
        assert problems == []


def unique_primary(demo: SoapDemo, exclude: set[str]) -> Customer:
    """An eligible customer that is alone on its e-mail and has a complete address."""
    everyone = demo.customers().values()
    emails = [c.email for c in everyone]
    return next(c for c in sorted(everyone, key=lambda c: c.number)
                if c.email and c.is_active and emails.count(c.email) == 1 and c.address.is_complete
                and c.number not in exclude)


def test_initial_sync_quiet_poll_incremental_change_and_full_comparison(demo: SoapDemo) -> None:
    mc, list_id, store_id = demo.mc, demo.env.profile_list_id, demo.env.profile_store_id
    gp_customers = demo.customers()
    eligible = {n: c for n, c in gp_customers.items() if c.email and c.is_active}

    # 1. First load: everything read in full (one ByKey call per customer and per invoice), everything sent.
    first = demo.run()
    assert first.exit_code is ExitCode.OK, first.error
    assert demo.gp.calls["GetCustomerByKey"] == len(gp_customers)
    assert {m["email_address"] for m in mc.members(list_id)} == {c.email for c in eligible.values()}
    # One e-commerce customer per e-mail, its id derived from the address.
    assert set(mc.customers(store_id)) == {ecommerce_customer_id(c.email or "") for c in eligible.values()}
    assert first.orders["created"] == len(mc.orders(store_id)) > 100
    assert demo.state(store.LAST_FULL_COMPARE_AT)
    assert mc.contract_violations == [] and not demo.gp.rejected

    # 2. Nothing changed: an incremental poll, and not one Mailchimp write.
    writes = mc.writes
    quiet = demo.run()
    assert quiet.exit_code is ExitCode.OK, quiet.error
    assert mc.writes == writes
    assert quiet.customers["unchanged"] == first.customers["created"]
    assert demo.gp.calls["GetCustomerByKey"] < len(gp_customers) // 4  # only the last day or two is re-read

    # 3. An address edit moves the customer's ModifiedDate: the incremental poll picks it up.
    moved = unique_primary(demo, set())
    demo.mutator.clock.advance(days=1)
    demo.mutator.change_address(moved.number, line1="77 Harbour Road")
    after_move = demo.run()
    assert after_move.exit_code is ExitCode.OK, after_move.error
    assert after_move.customers["updated"] == 1
    assert demo.member(moved.email or "")["merge_fields"]["ADDRESS"]["addr1"] == "77 Harbour Road"  # type: ignore[index]
    assert demo.gp.calls["GetCustomerByKey"] < len(gp_customers) // 4

    # 4. An e-mail-only edit (SY01200) leaves ModifiedDate alone: incremental polls cannot see it...
    renamed = unique_primary(demo, {moved.number})
    new_email = "accounts.payable@contoso-mail.com"
    demo.mutator.change_email(renamed.number, new_email)
    missed = demo.run()
    assert missed.customers["updated"] == 0 and demo.member(new_email) is None
    # ...the scheduled full comparison does, once a week has passed since the last one.
    with store.open_store(demo.db):
        pid = save_profile_settings(demo.profile)
        week_ago = store.utc_now() - dt.timedelta(days=8)
        store.set_state(pid, store.LAST_FULL_COMPARE_AT, store.to_iso(week_ago))
    compared = demo.run()
    assert compared.exit_code is ExitCode.OK, compared.error
    assert demo.gp.calls["GetCustomerByKey"] == len(gp_customers)  # a full read
    assert demo.member(new_email) is not None
    assert mc.customers(store_id)[ecommerce_customer_id(new_email)]["email_address"] == new_email
    assert ecommerce_customer_id(renamed.email or "") not in mc.customers(store_id)  # nobody has that one now
    assert store.from_iso(str(demo.state(store.LAST_FULL_COMPARE_AT))) > week_ago

    # 5. Compliance: a new GP customer whose address Mailchimp has forgotten (GDPR) fails alone -> exit 1.
    forgotten = "erased.person@contoso-mail.com"
    mc.set_member_status(list_id, forgotten, "forgotten")
    added = demo.mutator.add_customers(1)[0].key
    demo.mutator.set_status(added, inactive=False, hold=False)
    demo.mutator.change_email(added, forgotten)
    refused = demo.run()
    assert refused.exit_code is ExitCode.PARTIAL
    assert refused.customers["failed"] == 1
    with store.open_store(demo.db):
        ledger = store.failure_map(save_profile_settings(demo.profile), "customer")
    assert set(ledger) == {added}
    assert demo.gp.calls["GetCustomerByKey"] < len(gp_customers) // 4  # a new customer is seen incrementally


def test_full_on_demand_reads_everything(demo: SoapDemo, tmp_path: Path) -> None:
    with store.open_store(tmp_path / "state.sqlite"):
        pid = save_profile_settings(demo.profile)
        store.set_state(pid, store.LAST_FULL_COMPARE_AT, store.to_iso(store.utc_now()))
        for full, mode in ((True, "full"), (False, "incremental")):
            source = make_source(demo.profile, demo.env.secrets.gp_password, full=full, profile_id=pid)
            assert isinstance(source, SoapPollingSource)
            assert source.decide() == mode
            source.session.close()


def test_refused_credentials_stop_the_run_with_exit_2(demo: SoapDemo, tmp_path: Path) -> None:
    wrong = Secrets(gp_password="not-the-password", mailchimp_api_key=demo.env.secrets.mailchimp_api_key)
    writes = demo.mc.writes
    report = demo.run(db=tmp_path / "state.sqlite", secrets=wrong)
    assert report.exit_code is ExitCode.FAILED
    assert "refused the Windows credentials of CORP\\svc-gp" in report.error
    assert demo.mc.writes == writes


def test_a_missing_role_stops_the_run_with_exit_2_in_plain_words(demo: SoapDemo, tmp_path: Path) -> None:
    demo.gp.deny(PRINCIPAL, "Query Receivables Invoices")
    try:
        report = demo.run(db=tmp_path / "state.sqlite")
    finally:
        demo.gp.set_roles(PRINCIPAL, None)
    assert report.exit_code is ExitCode.FAILED
    assert "unhandled system exception" in report.error and "LogId" in report.error
    assert '"Query Receivables Invoices"' in report.error and "Dynamics Security Console" in report.error


def test_invoices_without_a_balance_stop_the_run_before_any_mailchimp_write(
    demo: SoapDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read leniently, a missing CurrentDocumentAmount would be 0.00: every invoice "paid".
    def without_balance(*args: Any) -> dict[str, Any]:
        return {**invoice_object(*args), "CurrentDocumentAmount": None}

    invoice_object = gp_soap_shapes.invoice_object
    monkeypatch.setattr(gp_soap_shapes, "invoice_object", without_balance)
    demo.mc.reset_counters()
    report = demo.run(db=tmp_path / "state.sqlite")
    assert report.exit_code is ExitCode.FAILED and report.outcome == "failed"
    assert {k: n for k, n in demo.mc.request_counts().items() if k[0] not in ("GET", "HEAD")} == {}
    assert report.error.startswith("GP: GP's receivables invoices hold CurrentDocumentAmount, but it is empty in all ")
    assert "every invoice would be marked paid for want of a balance." in report.error


def _own_store(demo: SoapDemo, name: str) -> Profile:
    """The demo's SOAP profile with its own Mailchimp store, so a scenario starts from an empty store."""
    mailchimp = dataclasses.replace(demo.profile.mailchimp, store_id=f"gp-two-{name}")
    return dataclasses.replace(demo.profile, name=f"soap {name}", mailchimp=mailchimp)


def test_mailchimp_fault_bursts_converge_with_soap(demo: SoapDemo, tmp_path: Path) -> None:
    profile = _own_store(demo, "faults")
    # A burst shorter than the transport's 6 attempts: every request eventually gets through.
    demo.mc.faults.fail_next(2, 429)
    demo.mc.faults.fail_next(1, 503)
    demo.mc.faults.fail_next(1, 403, bodyless=True)
    demo.mc.faults.reset_next(1)
    with store.open_store(tmp_path / "state.sqlite"):
        first = run_profile(profile, demo.env.secrets)
        orders = demo.mc.orders(profile.mailchimp.store_id)
        writes = demo.mc.writes
        again = run_profile(profile, demo.env.secrets)
        profile_id = save_profile_settings(profile)
        left = store.list_failures(profile_id)
    assert first.outcome in ("ok", "partial"), first.error
    # Every fault was absorbed by retries: what is left failing is only Mailchimp's verdict on an address
    # (an earlier test in this module made one e-mail "forgotten" in the shared audience).
    assert [f for f in left if f.category != "permanent"] == []
    assert first.customers["failed"] == len(left)
    assert first.orders["created"] == len(orders) > 0
    assert again.orders["unchanged"] == len(orders) and demo.mc.writes == writes  # converged: nothing left to send
    assert demo.mc.order_put_attempts == []


def test_interrupted_soap_run_then_rerun_converges(demo: SoapDemo, tmp_path: Path) -> None:
    profile = _own_store(demo, "crash")
    store_id = profile.mailchimp.store_id
    cancel = threading.Event()

    def stop_halfway(phase: str, done: int, total: int) -> None:
        if phase == "orders" and total and done >= total // 2:
            cancel.set()  # the run stops mid-orders, as if the PC went to sleep or the app was closed

    with store.open_store(tmp_path / "state.sqlite"):
        interrupted = run_profile(profile, demo.env.secrets, progress=stop_halfway, cancel=cancel)
        # Mailchimp's verdicts on addresses (a "forgotten" e-mail from an earlier test) are not the point here.
        partial = len(demo.mc.orders(store_id))
        rerun = run_profile(profile, demo.env.secrets)
        orders = demo.mc.orders(store_id)
        writes = demo.mc.writes
        quiet = run_profile(profile, demo.env.secrets)
    assert interrupted.outcome == "cancelled"
    assert demo.mc.is_syncing_history(store_id)[-1] is True or partial < len(orders)
    assert rerun.outcome in ("ok", "partial"), rerun.error
    assert 0 < partial < len(orders)
    assert rerun.orders["created"] == len(orders) - partial  # no order sent twice, none lost
    assert demo.mc.is_syncing_history(store_id)[-1] is False  # the backfill frame closed after the rerun
    assert quiet.orders["unchanged"] == len(orders) and demo.mc.writes == writes
