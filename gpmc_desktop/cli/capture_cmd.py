"""``gpmc capture``: a redacted sample of the GP server's answers for support (``sync/gp_sample.py``).

Exit 0 when the zip was written (even when GP could not be read: the check's lines and what was answered are
then the sample); 2 with a plain message on a bad config, a missing GP password or an unwritable path.  It needs
the GP password (``GPMC_GP_PASSWORD``); ``GPMC_MAILCHIMP_API_KEY`` is read only to mask it should it appear.
It writes nothing but the zip: no state database, no Mailchimp call.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gpmc_desktop.gp import capture
from gpmc_desktop.profile import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY, ConfigError, load_profile
from gpmc_desktop.store.diagnostics import secrets_to_redact
from gpmc_desktop.sync.gp_sample import SampleSummary, write_gp_sample
from gpmc_desktop.sync.report import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser("capture", help="write a GP sample for support: the server's raw answers for a few "
                                       "customers and documents, names and addresses replaced")
    p.add_argument("--config", required=True, metavar="FILE", help="profile TOML file")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write")
    p.add_argument("--customers", type=int, default=capture.CUSTOMERS, metavar="N",
                   help=f"customers to keep (default {capture.CUSTOMERS})")
    p.add_argument("--documents", type=int, default=capture.DOCUMENTS, metavar="N",
                   help=f"receivables documents to keep (default {capture.DOCUMENTS})")
    p.set_defaults(handler=cmd_capture)


def _fail(message: str) -> int:
    print(f"gpmc: {message}", file=sys.stderr)
    return int(ExitCode.FAILED)


def cmd_capture(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.config)
    except ConfigError as err:
        return _fail(str(err))
    password = os.environ.get(ENV_GP_PASSWORD)
    if not password:
        return _fail(f"set {ENV_GP_PASSWORD} in the environment: the sample is read from GP with the profile's "
                     "sign-in")
    out = Path(args.out)
    secrets = secrets_to_redact(password, os.environ.get(ENV_MAILCHIMP_API_KEY))
    try:
        summary = write_gp_sample(out, profile, password, secrets=secrets, customers=max(args.customers, 1),
                                  documents=max(args.documents, 1))
    except OSError as err:
        return _fail(f"cannot write {out}: {err.strerror or err}")
    _print_summary(summary)
    return int(ExitCode.OK)


def _print_summary(summary: SampleSummary) -> None:
    answers = ", ".join(summary.answers) or "none"
    print(f"wrote {summary.path}: {len(summary.answers)} GP answers ({answers}); names, e-mails, phones and "
          "addresses replaced, no password or key in it")
    for problem in summary.problems:
        print(f"  note: {problem}")
    print("Send this file to support; it is safe to attach to an e-mail.")
