"""``gpmc diagnose``: the diagnostics bundle for IT (``store/diagnostics.py``), without a secret in it.

Exit 0 when the zip was written; 2 with a plain message on a bad config, an unreadable state database or an
unwritable path. It needs no secret: ``GPMC_GP_PASSWORD`` and ``GPMC_MAILCHIMP_API_KEY`` are read only to mask
them should they appear anywhere. Read-only, like ``gpmc audit``: it never writes the profile row.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gpmc_desktop import store
from gpmc_desktop.profile import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY, ConfigError, load_profile
from gpmc_desktop.store.diagnostics import BundleSummary, Redactor, log_folder_of, secrets_to_redact, write_bundle
from gpmc_desktop.sync.report import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser("diagnose", help="write a diagnostics zip for IT: versions, profile, runs, audit, "
                                        "failures and logs, secrets masked")
    p.add_argument("--config", required=True, metavar="FILE", help="profile TOML file")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write")
    p.set_defaults(handler=cmd_diagnose)


def _fail(message: str) -> int:
    print(f"gpmc: {message}", file=sys.stderr)
    return int(ExitCode.FAILED)


def cmd_diagnose(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.config)
    except ConfigError as err:
        return _fail(str(err))
    out = Path(args.out)
    redactor = Redactor(secrets_to_redact(os.environ.get(ENV_GP_PASSWORD), os.environ.get(ENV_MAILCHIMP_API_KEY)))
    database = Path(profile.database) if profile.database else store.state_db_path()
    try:
        if database.is_file():
            with store.open_store(database):
                summary = write_bundle(out, [profile], log_folder=log_folder_of(database), redactor=redactor)
        else:  # never synced here: versions, the profile and any logs still help
            summary = write_bundle(out, [profile], log_folder=log_folder_of(database), redactor=redactor,
                                   with_state=False)
    except store.StoreError as err:
        return _fail(f"state database: {err}")
    except OSError as err:
        return _fail(f"cannot write {out}: {err.strerror or err}")
    _print_summary(summary)
    return int(ExitCode.OK)


def _print_summary(summary: BundleSummary) -> None:
    logs = sum(1 for name in summary.members if name.startswith("logs/"))
    print(f"wrote {summary.path}: {len(summary.members)} files ({summary.audit_events} audit events, "
          f"{logs} log files), secrets masked")
