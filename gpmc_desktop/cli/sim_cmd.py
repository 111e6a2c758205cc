"""``gpmc sim gp`` and ``gpmc sim mailchimp``: run one simulator standalone until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    sim = sub.add_parser("sim", help="run a GP or Mailchimp simulator (built-in demo servers)")
    which = sim.add_subparsers(dest="simulator", metavar="SIMULATOR", required=True)

    gp = which.add_parser("gp", help="GP Service Based Architecture simulator (HTTPS + NTLM)")
    gp.add_argument("--host", default="127.0.0.1")
    gp.add_argument("--port", type=int, default=8443)
    gp.add_argument("--customers", type=int, default=500, help="customers across all companies (50..100000)")
    gp.add_argument("--documents", type=int, default=None, help="receivables documents (default: 5 per customer)")
    gp.add_argument("--seed", type=int, default=7)
    gp.add_argument("--workdir", type=Path, default=None, help="where the throwaway CA is written")
    gp.add_argument("--user", default="CORP\\svc-gp", help="DOMAIN\\user accepted by NTLM")
    gp.add_argument("--password", default="Gp-Demo-2024!", help="that user's (demo) password")
    gp.set_defaults(handler=cmd_sim_gp)

    mc = which.add_parser("mailchimp", help="Mailchimp Marketing API simulator (contract-checked)")
    mc.add_argument("--host", default="127.0.0.1")
    mc.add_argument("--port", type=int, default=9100)
    mc.add_argument("--dc", default="us6", help="data centre the simulator pretends to be")
    mc.add_argument("--seed", type=int, default=7)
    mc.set_defaults(handler=cmd_sim_mailchimp)


def wait_forever(stop: threading.Event | None = None) -> None:
    (stop or threading.Event()).wait()


def cmd_sim_gp(args: argparse.Namespace) -> int:
    from gpmc_desktop.demo.gp_generate import generate_dataset
    from gpmc_desktop.demo.gp_sba import GPSimulator

    if "\\" not in args.user:
        print("gpmc: --user must be DOMAIN\\user")
        return 2
    domain, user = args.user.split("\\", 1)
    dataset = generate_dataset(args.customers, args.documents, seed=args.seed)
    with GPSimulator(dataset, host=args.host, port=args.port, users=[(domain, user, args.password, {"*"})],
                     workdir=args.workdir) as sim:
        print(f"GP SBA simulator on {sim.base_url}  (Ctrl-C stops it)")
        print(f"  CA certificate : {sim.ca_path}")
        print(f"  sign in as     : {args.user} (NTLM)")
        for company in dataset.companies.values():
            print(f"  company        : {company.interid} / {company.name} ({len(company.customers)} customers)")
        print(f"  try            : {sim.base_url}/GPService/Tenants(DefaultTenant)/Companies.json", flush=True)
        wait_forever()
    return 0


def cmd_sim_mailchimp(args: argparse.Namespace) -> int:
    from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_ID, MailchimpSimulator

    with MailchimpSimulator(host=args.host, port=args.port, dc=args.dc, seed=args.seed) as sim:
        print(f"Mailchimp simulator on {sim.api_base}  (Ctrl-C stops it)")
        print(f"  API key  : {sim.api_key}")
        print(f"  audience : {DEMO_LIST_ID}")
        print(f"  try      : curl -u any:{sim.api_key} {sim.api_base}/ping", flush=True)
        wait_forever()
    return 0
