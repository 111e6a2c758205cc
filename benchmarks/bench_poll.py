"""No-op poll benchmark: how long a poll that finds nothing changed takes, and how much memory it needs, against
the raw download of GP's two collections.

    python benchmarks/bench_poll.py                        # 10,000 and 100,000 customers
    python benchmarks/bench_poll.py --customers 2000       # quicker
    python benchmarks/bench_poll.py --profile out.prof     # cProfile the measured poll (largest size)

Each size gets an install whose synced state matches GP: the Mailchimp side (merge fields, store, product) is
made through the API, and the synced state is written from the engine's own plan, as a first load leaves it (a
real first load of 100,000 customers would take an hour of simulated Mailchimp calls).  One warm-up poll audits
the customers and invoices left out; the next two polls are measured, each in a process of its own so its peak
RSS is its own (the simulators run in this one):

- the *planned* poll: the first after a change, which plans every record and, finding nothing to do, leaves a
  memo (sync/quiet_poll.py);
- the *unchanged* poll: GP answers as that one left it, so it ends as that one did without making a record.

Mailchimp writes during the measured polls must be 0, and both must count the same records unchanged.  On a busy
machine the wall times (and so the ratios) swing with the load; the polls' CPU seconds much less.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DEMO_DC, DEMO_PASSWORD, DemoEnvironment
from gpmc_desktop.demo.mailchimp_sim import demo_key
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.mailchimp.keys import subscriber_hash
from gpmc_desktop.profile import Secrets, load_profile
from gpmc_desktop.store import AUTOMATIONS_APPLIED, BACKFILL_DONE, Entity, SyncedState
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.business_dates import company_zone
from gpmc_desktop.sync.merge_fields import AudienceFields
from gpmc_desktop.sync.plan import build_plan, fit_members
from gpmc_desktop.sync.runner import make_api, run_profile, save_profile_settings


def seed(env: DemoEnvironment, profile_path: Path) -> tuple[int, int]:
    """Mailchimp's store, fields and product, and a synced state that matches what GP holds now; returns how
    many customers and documents GP serves."""
    profile = load_profile(profile_path)
    mc = profile.mailchimp
    api, transport = make_api(profile, env.api_key)
    try:
        existing = {f.get("tag") for f in api.merge_fields(mc.list_id)}
        for field_def in mapping.EXTRA_MERGE_FIELDS:
            if field_def["tag"] not in existing:
                api.create_merge_field(mc.list_id, dict(field_def))
        source = SbaSource(profile.gp, build_session(profile.gp, DEMO_PASSWORD))
        customers, documents = source.customers(), source.documents()
        plan = build_plan(customers, documents, profile.filters, mc.status_if_new,
                          zone=company_zone(profile.gp.time_zone))
        fit_members(plan, AudienceFields.from_api(api.merge_fields(mc.list_id)))
        api.create_store({"id": mc.store_id, "list_id": mc.list_id, "name": "Dynamics GP", "platform": "GP",
                          "currency_code": plan.currency, "is_syncing": False})
        api.put_product(mc.store_id, mapping.PRODUCT)
    finally:
        transport.close()
    with store.open_store(env.database_path):
        pid = save_profile_settings(profile)
        store.upsert_synced(pid, Entity.MEMBER, ((e, SyncedState(m.hash, subscriber_hash(e), e))
                                                 for e, m in plan.members.items()))
        store.upsert_synced(pid, Entity.ECOMMERCE_CUSTOMER, ((m.buyer.id, SyncedState(m.buyer.hash, m.buyer.id, e))
                                                             for e, m in plan.members.items()))
        store.upsert_synced(pid, Entity.CUSTOMER, ((n, SyncedState(cp.hash, cp.buyer_id, cp.customer.email))
                                                   for n, cp in plan.customers.items()))
        store.upsert_synced(pid, Entity.ORDER, ((n, SyncedState(op.hash, n, op.email))
                                                for n, op in plan.orders.items()))
        store.upsert_synced(pid, Entity.PRODUCT, {mapping.PRODUCT_ID: SyncedState(
            mapping.content_hash(mapping.PRODUCT), mapping.PRODUCT_ID)})
        store.set_state(pid, BACKFILL_DONE, "1")
        store.set_state(pid, AUTOMATIONS_APPLIED, mc.automations)
    return len(customers), len(documents)


def raw_download(env: DemoEnvironment, profile_path: Path) -> float:
    """Seconds for a plain NTLM GET of the customers and the receivables, each body read whole."""
    profile = load_profile(profile_path)
    source = SbaSource(profile.gp, build_session(profile.gp, DEMO_PASSWORD))
    base = source.company_url
    started = time.perf_counter()
    for path in (profile.gp.customers_path, profile.gp.receivables_path):
        resp = source.session.get(f"{base}/{path}.json", timeout=(10, 600), verify=source.session.verify)
        resp.raise_for_status()
        len(resp.content)
    return time.perf_counter() - started


def poll_in_child(profile_path: Path, database: Path, cprofile: str) -> dict[str, float]:
    """One poll in a fresh process: its wall time and peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--poll", str(profile_path), "--database", str(database),
                          "--profile", cprofile], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def peak_rss_mb() -> float:
    """This process's peak resident memory.  Linux's VmHWM, not getrusage: ru_maxrss carries over the parent's
    peak through fork and exec, and the parent holds the simulators."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_poll(profile_path: Path, database: Path, cprofile: str) -> int:
    profile = load_profile(profile_path)
    secrets = Secrets(gp_password=DEMO_PASSWORD, mailchimp_api_key=demo_key(DEMO_DC))
    with store.open_store(database):
        started, cpu = time.perf_counter(), time.process_time()
        if cprofile:
            import cProfile

            profiler = cProfile.Profile()
            report = profiler.runcall(run_profile, profile, secrets)
            profiler.dump_stats(cprofile)
        else:
            report = run_profile(profile, secrets)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "outcome": str(report.outcome),
                      "unchanged": report.customers.get("unchanged", 0) + report.orders.get("unchanged", 0)}))
    return 0


def measure(customers: int, seed_value: int, cprofile: str, replay_profile: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="gpmc-bench-poll-") as tmp:
        env = DemoEnvironment(customers=customers, seed=seed_value, workdir=Path(tmp))
        with env:
            profile_path = env.write_profile()
            customers_read, documents = seed(env, profile_path)
            raw = min(raw_download(env, profile_path) for _ in range(2))
            poll_in_child(profile_path, env.database_path, "")  # warm-up: audits what is left out
            env.mailchimp.reset_counters()
            # The first poll after a change plans every record (and, finding nothing to do, leaves a memo); the
            # next finds GP as that one left it (sync/quiet_poll.py).
            polled = poll_in_child(profile_path, env.database_path, cprofile if not replay_profile else "")
            replayed = poll_in_child(profile_path, env.database_path, cprofile if replay_profile else "")
            writes = env.mailchimp.writes
    return {"customers": customers_read, "documents": documents, "raw": raw,
            "poll": polled["seconds"], "cpu": polled["cpu"], "peak_mb": polled["peak_mb"], "writes": writes,
            "unchanged": polled["unchanged"], "replay": replayed["seconds"], "replay_cpu": replayed["cpu"],
            "replay_peak_mb": replayed["peak_mb"], "replay_unchanged": replayed["unchanged"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="*", default=[10_000, 100_000],
                        help="sizes of the demo install, all companies (default 10000 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="", help="write a cProfile of the largest size's poll here")
    parser.add_argument("--profile-replay", action="store_true",
                        help="profile the unchanged poll (GP as the last quiet run left it) instead")
    parser.add_argument("--poll", type=Path, help=argparse.SUPPRESS)  # the child process's one poll
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.poll:
        return child_poll(args.poll, args.database, args.profile)

    rows = [measure(n, args.seed, args.profile if n == max(args.customers) else "", args.profile_replay)
            for n in args.customers]
    head = ("customers (TWO)", "documents", "raw download s", "planned poll s", "ratio", "CPU s", "peak RSS MB",
            "unchanged poll s", "ratio", "CPU s", "peak RSS MB", "MC writes")
    print(" | ".join(head))
    for r in rows:
        raw = float(r["raw"])
        print(" | ".join((f"{r['customers']:,}", f"{r['documents']:,}", f"{raw:.2f}", f"{r['poll']:.2f}",
                          f"{float(r['poll']) / raw:.1f}", f"{r['cpu']:.2f}", f"{r['peak_mb']:.0f}",
                          f"{r['replay']:.2f}", f"{float(r['replay']) / raw:.1f}", f"{r['replay_cpu']:.2f}",
                          f"{r['replay_peak_mb']:.0f}", f"{r['writes']}")))
    if len(rows) > 1:
        for key, what in (("peak_mb", "planned"), ("replay_peak_mb", "unchanged")):
            growth = float(rows[-1][key]) / float(rows[0][key]) - 1
            print(f"{what} poll peak RSS growth from {rows[0]['customers']:,} to {rows[-1]['customers']:,} "
                  f"customers: {growth:.0%}")
    same = all(r["unchanged"] == r["replay_unchanged"] for r in rows)
    return 0 if same and all(r["writes"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
