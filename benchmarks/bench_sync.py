"""Sync engine benchmark: a full initial sync against a Mailchimp that answers every call in 150 ms.

    python benchmarks/bench_sync.py                       # 2,000 customers, 150 ms per Mailchimp call
    python benchmarks/bench_sync.py --customers 500       # quicker
    python benchmarks/bench_sync.py --latency 0.05

With at most ``max_connections`` (5) calls in flight and each taking the latency, no client can send more than
cap / latency calls a second (33.3/s at 150 ms): the table shows how close the engine gets to that bound, then
how long a second run that finds nothing changed takes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import run_profile

RECORD_WRITES = (
    ("PUT", "/lists/{list_id}/members/{subscriber_hash}"),
    ("PUT", "/ecommerce/stores/{store_id}/customers/{customer_id}"),
    ("POST", "/ecommerce/stores/{store_id}/orders"),
)


def timed_run(env: DemoEnvironment, profile_path: Path) -> tuple[RunReport, float]:
    with store.open_store(env.database_path):
        started = time.perf_counter()
        report = run_profile(load_profile(profile_path), env.secrets)
        return report, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000, help="size of the demo install (default 2000)")
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per Mailchimp call (default 0.15)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gpmc-bench-sync-") as tmp:
        env = DemoEnvironment(customers=args.customers, seed=args.seed, workdir=Path(tmp))
        with env:
            env.mailchimp.contract.api()  # parse the contract before the clock starts
            profile_path = env.write_profile()
            cap = load_profile(profile_path).mailchimp.max_connections
            env.mailchimp.faults.set_latency(args.latency)

            first, first_seconds = timed_run(env, profile_path)
            counts = env.mailchimp.request_counts()
            peak = env.mailchimp.peak_concurrency
            env.mailchimp.reset_counters()
            second, second_seconds = timed_run(env, profile_path)
            second_writes = env.mailchimp.writes

    records = sum(counts.get(k, 0) for k in RECORD_WRITES)
    calls = sum(counts.values())
    bound = cap / args.latency
    rows = [
        ("customers in the demo (all companies)", f"{args.customers:,}"),
        ("Mailchimp latency per call", f"{args.latency:.3f} s"),
        ("connection cap (max_connections)", f"{cap}"),
        ("initial sync: outcome", f"{first.outcome} (customers {first.customers}, orders {first.orders})"),
        ("initial sync: duration", f"{first_seconds:.1f} s"),
        ("record writes (members + customers + orders)", f"{records:,}"),
        ("all Mailchimp calls (incl. tags, GETs, set-up)", f"{calls:,}"),
        ("record writes per second", f"{records / first_seconds:.1f} /s"),
        ("all calls per second", f"{calls / first_seconds:.1f} /s"),
        ("bound: cap / latency", f"{bound:.1f} /s"),
        ("ratio: record writes / bound", f"{records / first_seconds / bound:.0%}"),
        ("ratio: all calls / bound", f"{calls / first_seconds / bound:.0%}"),
        ("peak calls in flight", f"{peak}"),
        ("second run (nothing changed): duration", f"{second_seconds:.2f} s"),
        ("second run: writes sent", f"{second_writes}"),
        ("second run: unchanged", f"customers {second.customers['unchanged']:,}, "
                                  f"orders {second.orders['unchanged']:,}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0 if second_writes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
