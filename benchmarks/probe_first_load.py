"""The first load's peak memory by company size, quickly: the engine's first load alone, in a child process, against
simulators with no latency and the Mailchimp contract check off (it only slows the simulator), printing one row
per size.  Not the published figures (bench_scale.py makes those); a probe for finding what grows.

    PYTHONPATH=. python benchmarks/probe_first_load.py --sizes 10000,100000      # about 1 and 20 minutes
    PYTHONPATH=. python benchmarks/probe_first_load.py --sizes 10000 --shared 350

--shared N puts six addresses on N customers each, the group sizes 100,000 customers' demo data has, at any size
(a shared address's records once grew as the square of its customers: decide.shared_reason).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from scale_engine import run_engine

from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment

SHARED_ADDRESSES = ("invoices@northshore-cpa.com", "purchasing@district204.org", "office@sunrisechurches.org",
                    "ap@lakeside-bookkeeping.com", "billing@brightsmiles.com", "accounts@franchise-hq.com")


def share_addresses(env: DemoEnvironment, per_address: int, seed: int) -> int:
    """Give each of SHARED_ADDRESSES to *per_address* of the synced company's customers; returns how many got one."""
    data = env.dataset.find_company(DEMO_COMPANY)
    assert data is not None
    keys = sorted(data.customers)
    random.Random(seed).shuffle(keys)
    changed = 0
    for i, address in enumerate(SHARED_ADDRESSES):
        for key in keys[i * per_address:(i + 1) * per_address]:
            row = data.internet_of(key, data.customers[key].prbtadcd)
            if row is not None:
                row.email_to_address = address
                changed += 1
    return changed


def probe(customers: int, shared: int, seed: int) -> str:
    with tempfile.TemporaryDirectory(prefix=f"gpmc-probe-{customers}-") as tmp:
        env = DemoEnvironment(customers=customers, seed=seed, workdir=Path(tmp))
        moved = share_addresses(env, shared, seed) if shared else 0
        with env:
            env.mailchimp.config.strict_contract = False
            run = run_engine(env, env.write_profile())
    outcome = run.error.splitlines()[-1] if run.error else f"exit {run.exit_code}"
    return (f"| {customers:,} | {moved:,} | {run.peak_rss_mb:,.1f} | {run.wall:,.1f} | {run.batches:,} "
            f"| {outcome} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000", help="customer counts, comma-separated (default 10000)")
    ap.add_argument("--shared", type=int, default=0, help="customers on each of six shared addresses (default 0)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print("| customers | customers moved to shared addresses | first load peak RSS (MB) | wall (s) | batches "
          "| outcome |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        print(probe(size, args.shared, args.seed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
