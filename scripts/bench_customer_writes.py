#!/usr/bin/env python3
"""Count the Mailchimp writes per synced record with the e-commerce customer carried in its first new order's
POST (as the engine does) and with a separate customer PUT for every customer to write (the alternative).

    .venv/bin/python scripts/bench_customer_writes.py [--customers N]

Runs the built-in demo (GP and Mailchimp simulators, in-process) once per way through the same scenarios: the
first sync, a new customer with one invoice, an address change, an e-mail change of a customer with orders.
It counts requests (what the simulator received), not time.  The simulator refuses no address here, so every
record goes through.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without an editable install

from gpmc_desktop import store  # noqa: E402
from gpmc_desktop.demo.environment import DemoEnvironment  # noqa: E402
from gpmc_desktop.demo.gp_mutate import GPMutator  # noqa: E402
from gpmc_desktop.profile import load_profile  # noqa: E402
from gpmc_desktop.sync.decide import Forecast  # noqa: E402
from gpmc_desktop.sync.runner import run_profile, save_profile_settings  # noqa: E402

CUSTOMER_PUT = ("PUT", "/ecommerce/stores/{store_id}/customers/{customer_id}")


@dataclass
class Step:
    scenario: str
    records: int  # GP customers and invoices created or updated
    writes: int  # requests other than GET
    customer_puts: int


@contextmanager
def separate_customer_puts(on: bool) -> Iterator[None]:
    """With *on*, no order carries its customer: every customer to write gets its own PUT."""
    if not on:
        yield
        return
    with mock.patch.object(Forecast, "carriers", lambda self: {}):
        yield


def run_scenarios(customers: int, *, separate: bool) -> list[Step]:
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="gpmc-bench-") as tmp, \
            DemoEnvironment(customers=customers, seed=7, workdir=Path(tmp)) as env:
        env.mailchimp.config.fake_email_domains = set()
        profile = load_profile(env.write_profile())
        sim, mutator = env.mailchimp, GPMutator(env.dataset)

        def step(scenario: str) -> None:
            sim.reset_counters()
            with store.open_store(env.database_path), separate_customer_puts(separate):
                report = run_profile(profile, env.secrets)
            assert report.exit_code == 0, report.error
            counts = sim.request_counts()
            records = sum(report.customers[a] + report.orders[a] for a in ("created", "updated"))
            writes = sum(n for (method, _path), n in counts.items() if method not in ("GET", "HEAD"))
            steps.append(Step(scenario, records, writes, counts.get(CUSTOMER_PUT, 0)))

        step("first sync")
        added = mutator.add_customers(1)[0].key
        mutator.change_email(added, "bench.new.buyer@contoso-mail.com")
        mutator.set_status(added, inactive=False, hold=False)
        mutator.add_invoices(1, customer=added, amount="10.00")
        step("new customer, one invoice")
        mutator.change_address(added, line1="1 Bench Street")
        step("address change")
        with store.open_store(env.database_path):
            synced = set(store.synced_map(save_profile_settings(profile), "customer"))
        with env.dataset.lock:
            data = env.dataset.companies["TWO"]
            counts: dict[str, int] = {}
            for row, _state in data.documents():
                if row.rmdtypal == 1:
                    key = row.custnmbr.strip()
                    counts[key] = counts.get(key, 0) + 1
        busy = max((k for k in counts if k in synced and k != added), key=lambda k: counts[k])
        mutator.change_email(busy, "bench.moved@contoso-mail.com")
        step(f"e-mail change ({counts[busy]} invoices)")
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    args = parser.parse_args()
    carried = run_scenarios(args.customers, separate=False)
    separate = run_scenarios(args.customers, separate=True)
    print(f"{'scenario':32} {'records':>7} | {'carried':>7} {'PUTs':>5} {'/rec':>5} | "
          f"{'separate':>8} {'PUTs':>5} {'/rec':>5} | {'saved':>5}")
    for a, b in zip(carried, separate, strict=True):
        assert a.records == b.records, (a, b)
        print(f"{a.scenario:32} {a.records:7} | {a.writes:7} {a.customer_puts:5} {a.writes / a.records:5.2f} | "
              f"{b.writes:8} {b.customer_puts:5} {b.writes / b.records:5.2f} | {b.writes - a.writes:5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
