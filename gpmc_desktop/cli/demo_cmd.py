"""``gpmc demo``: the whole product on the built-in simulators, no servers needed."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="run the built-in demo: GP and Mailchimp simulators with seeded data")
    demo.add_argument("--customers", type=int, default=500, help="size of the demo company (50..100000)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--workdir", type=Path, default=None, help="keep the demo's files here")
    demo.add_argument("--gp-port", type=int, default=0, help="GP simulator port (default: any free one)")
    demo.add_argument("--mailchimp-port", type=int, default=0)
    demo.add_argument("--exit", action="store_true", help="stop after the first sync (for scripts and tests)")
    demo.add_argument("--no-sync", action="store_true", help="only start the simulators")
    demo.add_argument("--headless", action="store_true",
                      help="accepted as in `scripts/dev.py demo --headless`: gpmc demo never opens a window")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from gpmc_desktop.demo.environment import DEMO_COMPANY, DEMO_DOMAIN, DEMO_USER, DemoEnvironment

    env = DemoEnvironment(customers=args.customers, seed=args.seed, workdir=args.workdir,
                          gp_port=args.gp_port, mailchimp_port=args.mailchimp_port)
    with env:
        profile = env.write_profile()
        print("gpmc demo: both simulators are running on 127.0.0.1", flush=True)
        print(f"  GP (SBA, HTTPS + NTLM) : {env.gp.base_url}   company {DEMO_COMPANY}, "
              f"user {DEMO_DOMAIN}\\{DEMO_USER}, password {env.secrets.gp_password}")
        print(f"  GP's CA certificate    : {env.gp.ca_path}")
        print(f"  Mailchimp              : {env.mailchimp.api_base}   API key {env.api_key}")
        print(f"  profile for gpmc       : {profile}")
        print(f"  headless sync          : GPMC_GP_PASSWORD='{env.secrets.gp_password}' "
              f"GPMC_MAILCHIMP_API_KEY='{env.api_key}' gpmc sync --config {profile}", flush=True)
        if not args.no_sync:
            code = _first_sync(env, profile)
            if args.exit:
                return code
        if not args.exit:
            print("Ctrl-C stops the demo.", flush=True)
            threading.Event().wait()
    return 0


def _first_sync(env: Any, profile_path: Path) -> int:
    """Run the real engine once against the simulators, as `gpmc sync` would, and show what it did."""
    import sys

    from gpmc_desktop import store
    from gpmc_desktop.cli.progress import TerminalProgress
    from gpmc_desktop.cli.sync_cmd import print_summary
    from gpmc_desktop.profile import load_profile
    from gpmc_desktop.sync.runner import run_profile

    print("\nFirst sync of the demo company into the Mailchimp simulator:", flush=True)
    progress = TerminalProgress(sys.stdout) if sys.stdout.isatty() else None
    with store.open_store(env.database_path):
        report = run_profile(load_profile(profile_path), env.secrets,
                             progress=progress.update if progress else None)
    if progress:
        progress.close()
    print_summary(report, sys.stdout)
    print(f"{held_line(report, env)}; store is_syncing history "
          f"{env.mailchimp.is_syncing_history(env.profile_store_id)}.", flush=True)
    return int(report.exit_code)


def held_line(report: Any, env: Any) -> str:
    """"Mailchimp simulator now holds 315 members and 933 orders ($75,694.02)": the run's reconciliation, the
    figures the summary above and the app show (the simulator is asked only when GP could not be read)."""
    rec = report.reconciliation
    if rec is not None and rec.holds is not None:
        held = rec.holds
        return (f"Mailchimp simulator now holds {held.members} members and {held.orders} orders "
                f"({rec.money(held.money)})")
    members = len(env.mailchimp.members(env.profile_list_id))
    orders = len(env.mailchimp.orders(env.profile_store_id))
    return f"Mailchimp simulator now holds {members} members and {orders} orders"
