"""``gpmc``: the headless command line.

The sub-commands, their flags, exit codes and ``--json`` lines are a published contract that IT scripts depend
on: extend it, never rename.  Each sub-command lives in its own module with a ``register(subparsers)`` function.
"""

from __future__ import annotations

import argparse
import logging
import sys

from gpmc_desktop import __version__
from gpmc_desktop.cli import capture_cmd, demo_cmd, diagnose_cmd, sim_cmd, sync_cmd
from gpmc_desktop.cli.interrupt import notify
from gpmc_desktop.logsetup import mask
from gpmc_desktop.sync.report import ExitCode  # the exit codes of every sub-command (README, "Headless use")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gpmc",
        description="Sync Microsoft Dynamics GP customers and receivables invoices into Mailchimp.",
    )
    parser.add_argument("--version", action="version", version=f"gpmc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sync_cmd.register(sub)
    diagnose_cmd.register(sub)
    capture_cmd.register(sub)
    sim_cmd.register(sub)
    demo_cmd.register(sub)
    return parser


log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        # Ctrl-C in a command with nothing to finish (check, audit, diagnose, demo, sim; `gpmc sync` handles its
        # own, see cli/interrupt.py): the with-blocks have stopped the simulators and closed the database.
        notify("gpmc: interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        # A bug, not a condition the command knows: one masked line on stderr (Python's own traceback would print
        # whatever the exception holds, a secret included), the traceback in the log, masked by its filter.
        log.exception("gpmc %s stopped on an unexpected error", args.command)
        print(f"gpmc: unexpected error, nothing more was done: {mask(f'{type(exc).__name__}: {exc}')}. The log "
              "beside the state database has the details; please send it to support.", file=sys.stderr)
        return int(ExitCode.FAILED)


if __name__ == "__main__":
    sys.exit(main())
