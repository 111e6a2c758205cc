"""Shared pieces of the sync engine's acceptance tests.

A :class:`Demo` is the built-in demo (GP SBA simulator over HTTPS + NTLM, Mailchimp simulator) with a profile
whose state database lives in a data folder of its own.  The engine runs either in-process (``Demo.run``) or as
the real ``gpmc sync`` subprocess (``Demo.cli``).  ``expected_state`` computes what Mailchimp should hold straight
from the GP data set, independently of the engine's plan; ``snapshot`` reads what Mailchimp does hold.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.demo.gp_model import CompanyData
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload, document_payload
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator, shared_validator
from gpmc_desktop.gp.sba_shapes import customer_from_sba, document_from_sba
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from gpmc_desktop.profile import Profile, load_profile, to_toml
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.gp_read import SHARD_CUSTOMERS
from gpmc_desktop.sync.mapping import ecommerce_customer_id
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import make_source, run_profile, save_profile_settings

COMPANY = "TWO"  # the company the demo profile syncs
CAP = 5  # the profile's max_connections (the default)
INVOICE = 1  # RMDTYPAL of a receivables invoice
# Backoff for in-process engines: retries still happen, without the real transport's half-second sleeps.
FAST_RETRY = RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.01)
MEMBER_PUT = ("PUT", "/lists/{list_id}/members/{subscriber_hash}")
MEMBER_POST = ("POST", "/lists/{list_id}/members")  # a member new to the sync, with its tags, on a live run
TAGS_POST = ("POST", "/lists/{list_id}/members/{subscriber_hash}/tags")
CUSTOMER_PUT = ("PUT", "/ecommerce/stores/{store_id}/customers/{customer_id}")
CUSTOMER_DELETE = ("DELETE", "/ecommerce/stores/{store_id}/customers/{customer_id}")
ORDER_POST = ("POST", "/ecommerce/stores/{store_id}/orders")
ORDER_PATCH = ("PATCH", "/ecommerce/stores/{store_id}/orders/{order_id}")
ORDER_DELETE = ("DELETE", "/ecommerce/stores/{store_id}/orders/{order_id}")
PRODUCT_PUT = ("PUT", "/ecommerce/stores/{store_id}/products/{product_id}")
STORE_PATCH = ("PATCH", "/ecommerce/stores/{store_id}")
# The statuses a contact may have in Mailchimp before a sync that the sync must keep (tests/sync/test_consent.py).
PRESET_STATUSES = ("unsubscribed", "cleaned", "pending", "transactional", "archived")


# ------------------------------------------------------------------------------------------------ the demo
def contract_cache(factory: pytest.TempPathFactory) -> Path:
    """The parsed Mailchimp spec's cache: one per test session (shared by the xdist workers, whose base temp
    folders are siblings), never the user's own cache."""
    base = factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "mailchimp-contract-cache"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        """The ``--json`` contract: the last line of stdout."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert lines, f"no JSON line on stdout; stderr was:\n{self.stderr}"
        return dict(json.loads(lines[-1]))


@dataclass
class Demo:
    env: DemoEnvironment
    profile_path: Path
    data_dir: Path
    used: set[str] = field(default_factory=set)  # customers a module's tests already edited

    @property
    def sim(self) -> MailchimpSimulator:
        return self.env.mailchimp

    @property
    def list_id(self) -> str:
        return self.env.profile_list_id

    @property
    def store_id(self) -> str:
        return self.env.profile_store_id

    @property
    def db_path(self) -> Path:
        return self.data_dir / "state.sqlite"

    @property
    def company(self) -> CompanyData:
        return self.env.dataset.companies[COMPANY]

    def profile(self) -> Profile:
        return load_profile(self.profile_path)

    # -- running the engine ----------------------------------------------------------------------------------
    def run(
        self,
        *,
        full: bool = False,
        dry_run: bool = False,
        retry: RetryPolicy | None = None,
        now: Callable[[], dt.datetime] | None = None,
        trigger: store.RunKind = store.RunKind.SCHEDULED,
        batches: BatchSettings | None = None,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        shard_customers: int = SHARD_CUSTOMERS,
        scratch_dir: Path | None = None,
    ) -> RunReport:
        """One in-process run.  Without *retry* and *now* this is exactly what the CLI and the GUI call
        (``run_profile``); with them the engine is wired by hand around a transport with that retry policy
        and an engine clock (to see a ledgered failure's retry time come), and *batches*, *progress* and
        *cancel* go to the engine, with *shard_customers* and *scratch_dir* (a company planned in parts)."""
        profile = self.profile()
        secrets = self.env.secrets
        with store.open_store(self.db_path):
            if retry is None and now is None and shard_customers == SHARD_CUSTOMERS:
                return run_profile(profile, secrets, full=full, dry_run=dry_run, trigger=trigger)
            profile_id = save_profile_settings(profile)
            base = api_base_for(secrets.mailchimp_api_key, profile.mailchimp.api_base)
            transport = MailchimpTransport(base, secrets.mailchimp_api_key,
                                           max_connections=profile.mailchimp.max_connections, retry=retry)
            source = make_source(profile, secrets.gp_password)
            try:
                engine = SyncEngine(profile, source, MailchimpApi(transport), Bookkeeping(profile_id), now=now,
                                    batches=batches, progress=progress, cancel=cancel,
                                    shard_customers=shard_customers, scratch_dir=scratch_dir)
                return engine.run(full=full, dry_run=dry_run, trigger=trigger)
            finally:
                transport.close()
                source.session.close()

    def cli_env(self, password: str | None = None, api_key: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_") and k != "NTLM_USER_FILE"}
        env["GPMC_GP_PASSWORD"] = self.env.secrets.gp_password if password is None else password
        env["GPMC_MAILCHIMP_API_KEY"] = self.env.secrets.mailchimp_api_key if api_key is None else api_key
        return env

    def cli_command(self, *flags: str, config: Path | None = None) -> list[str]:
        return [sys.executable, "-m", "gpmc_desktop.cli.main", "sync", "--config",
                str(config or self.profile_path), "--json", *flags]

    def cli(self, *flags: str, password: str | None = None, api_key: str | None = None,
            config: Path | None = None) -> CliResult:
        """``gpmc sync --config FILE --json [flags]`` as a subprocess (the timeout only stops a hang)."""
        done = subprocess.run(self.cli_command(*flags, config=config), env=self.cli_env(password, api_key),
                              capture_output=True, text=True, timeout=300, check=False)
        return CliResult(done.returncode, done.stdout, done.stderr)

    def start_cli(self, *flags: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.cli_command(*flags), env=self.cli_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # -- reading the state database ----------------------------------------------------------------------------
    def with_store(self, read: Callable[[int], Any]) -> Any:
        """``read(profile_id)`` with the state database open (closed again afterwards)."""
        with store.open_store(self.db_path):
            return read(save_profile_settings(self.profile()))

    def failures(self, entity: str) -> dict[str, store.LedgerEntry]:
        return dict(self.with_store(lambda pid: store.failure_map(pid, entity)))

    # -- counting one run's traffic -------------------------------------------------------------------------------
    def traffic(self, run: Callable[[], Any]) -> tuple[Any, Counter[tuple[str, str]]]:
        """Run *run* with the simulator's counters reset; returns its result and the writes it sent."""
        self.sim.reset_counters()
        result = run()
        return result, writes_of(self.sim)


def address_for(number: str, domain: str) -> str:
    """A valid e-mail address for GP customer *number* (numbers may hold spaces, '&' or apostrophes)."""
    return f"{re.sub(r'[^a-z0-9]', '', number.lower()) or 'customer'}@{domain}"


def writes_of(sim: MailchimpSimulator) -> Counter[tuple[str, str]]:
    """Live requests other than GET/HEAD since the counters were reset, by (method, path template)."""
    return Counter({k: n for k, n in sim.request_counts().items() if k[0] not in ("GET", "HEAD") and n})


def start_demo(
    factory: pytest.TempPathFactory, customers: int = 200, *, seed: int = 7, mailchimp_latency: float = 0.0
) -> Demo:
    # The first validator built in a process is the one every simulator shares: make it use the session cache.
    shared_validator(None, contract_cache(factory))
    workdir = factory.mktemp("demo")
    data_dir = workdir / "data"
    env = DemoEnvironment(customers=customers, seed=seed, workdir=workdir / "sims").start()
    if mailchimp_latency:
        env.mailchimp.faults.set_latency(mailchimp_latency)
    profile_path = env.write_profile(database=str(data_dir / "state.sqlite"))
    return Demo(env, profile_path, data_dir)


def set_sync_keys(demo: Demo, **values: int) -> None:
    """Give the demo's profile file these ``[sync]`` keys, keeping those set before (the demo writes none)."""
    text, _, section = demo.profile_path.read_text(encoding="utf-8").partition("\n[sync]\n")  # written last
    keys = dict(line.split(" = ", 1) for line in section.splitlines() if " = " in line)
    keys.update({name: str(value) for name, value in values.items()})
    lines = "".join(f"{name} = {value}\n" for name, value in keys.items())
    demo.profile_path.write_text(f"{text.rstrip()}\n\n[sync]\n{lines}", encoding="utf-8")


def set_mass_change_percent(demo: Demo, percent: int) -> None:
    """Give the demo's profile file ``[sync] mass_change_percent``."""
    set_sync_keys(demo, mass_change_percent=percent)


def stop_demo(demo: Demo) -> None:
    problems = demo.sim.internal_errors
    demo.env.stop()
    assert problems == [], "the Mailchimp simulator crashed on a request"


def demo_fixture(
    name: str, customers: int = 200, *, scope: str = "function", mailchimp_latency: float = 0.0
) -> Any:
    """A fixture that starts a fresh demo (and stops it after the test, or the module with scope="module")."""

    @pytest.fixture(name=name, scope=scope)  # type: ignore[call-overload]
    def _demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
        demo = start_demo(tmp_path_factory, customers, mailchimp_latency=mailchimp_latency)
        try:
            yield demo
        finally:
            stop_demo(demo)

    return _demo


# ---------------------------------------------------------------------------------------- what GP says
@dataclass(frozen=True)
class ExpectedOrder:
    customer: str  # the GP customer number it is an invoice of
    total: str  # two decimals, as text
    status: str  # paid / pending / cancelled
    cancelled_at: str  # cancelled_at_foreign's date, "" when not voided


@dataclass
class Expected:
    """What a converged sync must leave in Mailchimp, computed from the GP data set."""

    synced: dict[str, str]  # GP customer number -> e-mail, for customers that must be synced
    rejected: dict[str, str]  # eligible, but Mailchimp refuses the address (its fake-domain list)
    skipped: dict[str, str]  # number -> why GP's data keeps it out (no valid e-mail, inactive)
    members: dict[str, str]  # e-mail -> the GP customer whose data it carries (lowest number)
    # (One e-commerce customer per member: its id is derived from the e-mail, see buyers.)
    orders: dict[str, ExpectedOrder]  # invoice number -> order, for the invoices of synced customers
    unsynced_invoices: set[str]  # invoices of customers that are not synced
    other_documents: set[str]  # numbers of every non-invoice document (credit memos, payments, ...)

    def orders_of(self, customer: str) -> list[str]:
        return sorted(n for n, o in self.orders.items() if o.customer == customer)

    @property
    def buyers(self) -> dict[str, str]:
        """The store's customers: one per member e-mail, by id (every GP customer with the e-mail buys as it)."""
        return {ecommerce_customer_id(email): email for email in self.members}

    def buyer_of(self, customer: str) -> str:
        """The id of the e-commerce customer GP customer *customer*'s invoices are orders of."""
        return ecommerce_customer_id(self.synced[customer])

    def shared_emails(self) -> dict[str, list[str]]:
        by_email: dict[str, list[str]] = {}
        for number, email in self.synced.items():
            by_email.setdefault(email, []).append(number)
        return {e: sorted(ns) for e, ns in by_email.items() if len(ns) > 1}


def is_fake(email: str, sim: MailchimpSimulator) -> bool:
    domain = email.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in sim.config.fake_email_domains)


def two_decimals(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_state(demo: Demo) -> Expected:
    data = demo.company
    shape = ShapeOptions()
    with demo.env.dataset.lock:
        raw_customers = [customer_payload(data, c, shape) for c in data.customers.values()]
        raw_documents = [document_payload(data, row, state, shape) for row, state in data.documents()]
    synced: dict[str, str] = {}
    rejected: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for raw in raw_customers:
        customer = customer_from_sba(raw)
        if customer.email is None:
            skipped[customer.number] = "no valid e-mail"
        elif not raw["IsActive"]:
            skipped[customer.number] = "inactive"
        elif is_fake(customer.email, demo.sim):
            rejected[customer.number] = customer.email
        else:
            synced[customer.number] = customer.email
    members: dict[str, str] = {}
    for number, email in sorted(synced.items()):
        members.setdefault(email, number)
    orders: dict[str, ExpectedOrder] = {}
    unsynced: set[str] = set()
    others: set[str] = set()
    for raw in raw_documents:
        number = str(raw["DocumentNumber"]).strip()
        if raw["DocumentType"] != INVOICE:
            others.add(number)
            continue
        doc = document_from_sba(raw)
        if doc.customer_number not in synced:
            unsynced.add(number)
            continue
        if raw["IsVoided"]:
            status, cancelled = "cancelled", str(raw["VoidDate"])[:10]
        else:
            status, cancelled = ("paid" if Decimal(str(raw["CurrentAmount"]["Value"])) == 0 else "pending"), ""
        orders[number] = ExpectedOrder(doc.customer_number, two_decimals(raw["OriginalAmount"]["Value"]),
                                       status, cancelled)
    return Expected(synced, rejected, skipped, members, orders, unsynced, others)


# ---------------------------------------------------------------------------------------- what Mailchimp holds
def snapshot(demo: Demo) -> dict[str, Any]:
    """Mailchimp's account as far as the sync is concerned, comparable between two simulators."""
    sim = demo.sim
    members = {
        m["email_address"]: {"status": m["status"], "merge_fields": m["merge_fields"], "tags": m["tags"]}
        for m in sim.members(demo.list_id)
    }
    customers = {
        cid: {k: c.get(k) for k in ("email_address", "company", "first_name", "last_name", "address",
                                   "opt_in_status", "orders_count", "total_spent")}
        for cid, c in sim.customers(demo.store_id).items()
    }
    orders = {
        oid: {"customer": o["customer_id"], "total": two_decimals(o["order_total"]),
              "status": o["financial_status"], "cancelled_at": o["cancelled_at_foreign"],
              "processed_at": o["processed_at_foreign"], "currency": o["currency_code"],
              "lines": [(x["product_id"], x["quantity"], two_decimals(x["price"])) for x in o["lines"]]}
        for oid, o in sim.orders(demo.store_id).items()
    }
    return {"members": members, "customers": customers, "orders": orders,
            "products": sorted(sim.products(demo.store_id))}


def assert_matches_expectation(demo: Demo, expected: Expected) -> None:
    """Members, e-commerce customers and orders are exactly what GP says, and no order was created twice."""
    sim = demo.sim
    assert {m["email_address"] for m in sim.members(demo.list_id)} == set(expected.members)
    customers = sim.customers(demo.store_id)
    assert {cid: c["email_address"] for cid, c in customers.items()} == expected.buyers
    orders = sim.orders(demo.store_id)
    assert set(orders) == set(expected.orders)
    for number, want in expected.orders.items():
        order = orders[number]
        assert order["customer_id"] == expected.buyer_of(want.customer), number
        assert two_decimals(order["order_total"]) == want.total, number
        assert order["financial_status"] == want.status, number
        assert order["cancelled"] == (want.status == "cancelled"), number
        assert order["cancelled_at_foreign"][:10] == want.cancelled_at, number
    # A second create of the same order would have counted twice on its customer.
    per_customer = Counter(expected.buyer_of(o.customer) for o in expected.orders.values())
    for cid, customer in customers.items():
        assert customer["orders_count"] == per_customer[cid], cid


def preset_statuses(demo: Demo) -> dict[str, str]:
    """Put contacts of GP customers (one customer per address, with invoices) in each status a sync must keep,
    before any sync; returns the status by customer."""
    exp = expected_state(demo)
    shared = {n for numbers in exp.shared_emails().values() for n in numbers}
    alone = [n for n in sorted(exp.synced) if n not in shared and exp.orders_of(n)]
    chosen = dict(zip(alone, PRESET_STATUSES, strict=False))
    for number, status in chosen.items():
        demo.sim.set_member_status(demo.list_id, exp.synced[number], status)
    return chosen


def wait_for(condition: Callable[[], Any], what: str, deadline: float = 60.0) -> Any:
    """Poll *condition* until it is true (the deadline only stops a hang; nothing here times the engine)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"gave up waiting for {what}")


def set_profile_keys(demo: Demo, section: str, **values: Any) -> None:
    """Give the demo's profile file these keys under *section*, keeping every other key as written."""
    doc = tomllib.loads(demo.profile_path.read_text(encoding="utf-8"))
    doc.setdefault(section, {}).update(values)
    demo.profile_path.write_text(to_toml(doc), encoding="utf-8")
