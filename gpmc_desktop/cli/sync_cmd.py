"""``gpmc sync``, ``gpmc check`` and ``gpmc audit``: the headless contract IT scripts depend on.

Exit codes (:class:`gpmc_desktop.sync.report.ExitCode`): 0 everything synced or unchanged (or failed before with
the same content: known failures, sync/failure_news.py); 1 the run finished but records failed that had not failed
before with this content (see the ledger and the audit); 2 the run could not proceed (unreachable, authentication
refused, bad config, the tray app or another ``gpmc sync`` is syncing the same profile (``--wait`` waits for
it), or the mass-change guard stopped it before sending anything: ``--confirm-mass-change`` lets such a run
through once); 130 interrupted (Ctrl-C, SIGTERM): the run stopped between records and is
recorded as cancelled.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from gpmc_desktop import store
from gpmc_desktop.cli.interrupt import cancel_on_signals
from gpmc_desktop.cli.progress import TerminalProgress
from gpmc_desktop.logsetup import register_api_key, register_secret, setup_logging
from gpmc_desktop.profile import ConfigError, Profile, load_profile, secrets_from_env
from gpmc_desktop.sync.check import automations_result, check_gp, check_mailchimp
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.mass_change import CONFIRM_FLAG
from gpmc_desktop.sync.report import ExitCode, RunReport
from gpmc_desktop.sync.result_words import kind_words
from gpmc_desktop.sync.runner import profile_first_load_done, run_profile


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="run one poll cycle: GP → Mailchimp")
    p.add_argument("--config", required=True, metavar="FILE", help="profile TOML file")
    p.add_argument("--full", action="store_true",
                   help="a full comparison: compare every record again (SOAP re-reads all of GP) and send what "
                        "differs from what Mailchimp was last sent")
    p.add_argument("--dry-run", action="store_true", help="send nothing; report what would happen")
    p.add_argument("--json", action="store_true", help="end with one JSON line of counts")
    p.add_argument(CONFIRM_FLAG, action="store_true", dest="confirm_mass_change",
                   help="send this run's changes even if they touch more of what Mailchimp holds than "
                        "[sync] mass_change_percent allows (this run only)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="if the tray app or another gpmc sync is syncing this profile, wait up to SECONDS for "
                        "it to finish (default 0: exit 2 at once, nothing done)")
    p.set_defaults(handler=cmd_sync)

    c = sub.add_parser("check", help="test the GP and Mailchimp connections stage by stage")
    c.add_argument("--config", required=True, metavar="FILE")
    c.set_defaults(handler=cmd_check)

    a = sub.add_parser("audit", help="print or export the audit trail")
    a.add_argument("--config", required=True, metavar="FILE")
    a.add_argument("--csv", metavar="OUT", help="write CSV to OUT ('-' for stdout)")
    a.add_argument("--run", type=int, help="only this run id")
    a.add_argument("--entity", choices=["customer", "order", "member", "product", "store", "merge_field"])
    a.add_argument("--action", choices=["created", "updated", "unchanged", "skipped", "failed"])
    a.add_argument("--search", metavar="TEXT", help="GP key, Mailchimp id or e-mail starting with TEXT")
    a.add_argument("--limit", type=int, default=200,
                   help="print the newest N rows (default 200; 0 prints every row; CSV exports all)")
    a.set_defaults(handler=cmd_audit)


def _fail(message: str, as_json: bool) -> int:
    print(f"gpmc: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps(RunReport(outcome="failed", error=message).json_line()))
    return int(ExitCode.FAILED)


@contextmanager
def _open_state(profile: Profile) -> Iterator[store.Store]:
    with store.open_store(profile.database) as handle:
        setup_logging(handle.path.parent)
        yield handle


def cmd_sync(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.config)
        secrets = secrets_from_env()
    except ConfigError as err:
        return _fail(str(err), args.json)
    # Known from here on, whatever fails next: a crash's one line and the log mask them (cli/main.py).
    register_secret(secrets.gp_password)
    register_api_key(secrets.mailchimp_api_key)
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    # Ctrl-C / SIGTERM / Ctrl-Break: the engine stops between records and records the run as cancelled (exit 130).
    cancel = threading.Event()
    try:
        with cancel_on_signals(cancel), _open_state(profile):
            report = run_profile(profile, secrets, full=args.full, dry_run=args.dry_run,
                                 progress=progress.update if progress else None, cancel=cancel,
                                 confirm_mass_change=args.confirm_mass_change, wait_s=max(0.0, args.wait))
    except ConfigError as err:
        return _fail(str(err), args.json)
    except store.ProfileBusyError as err:
        return _fail(str(err), args.json)
    except store.StoreError as err:
        return _fail(f"state database: {err}", args.json)
    if progress:
        progress.close()
    print_summary(report, sys.stdout if not args.json else sys.stderr)
    if report.waits_for_decision:
        print(f"gpmc: {report.error} If this is expected, run again with {CONFIRM_FLAG}.", file=sys.stderr)
    if args.json:
        print(json.dumps(report.json_line()), flush=True)
    return int(report.exit_code)


def print_summary(report: RunReport, out: TextIO) -> None:
    """The run's reconciliation in plain words (GP customers → e-mail addresses → members; GP invoices →
    orders and their total), then what else needs saying."""
    print(summary_head(report), file=out)
    if report.reconciliation is not None:
        for line in report.reconciliation.lines():
            print(f"  {line}", file=out)
    else:  # GP could not be read: only the counts there are
        for name, counts in (("customers", report.customers), ("orders", report.orders)):
            print(f"  {name:<9} " + "  ".join(f"{k} {v}" for k, v in counts.items()), file=out)
    news = report.failure_news
    if news[FailureNews.KNOWN] or news[FailureNews.RETRYING]:
        # Not news (sync/failure_news.py): they do not make the exit code 1, but they are not forgotten either.
        print(f"  failed before with the same content: {news[FailureNews.KNOWN]} known (waiting for a change in "
              f"GP), {news[FailureNews.RETRYING]} to be retried; new failures: {news[FailureNews.NEW]}", file=out)
    if report.dry_run:
        print(f"  new contacts the Mailchimp plan must cover: {report.new_contacts:,}", file=out)
    for line in report.mapped.lines() if report.mapped is not None else ():
        print(f"  mapped: {line}", file=out)
    for line in report.order_lines.lines() if report.order_lines is not None else ():
        print(f"  order lines: {line}", file=out)
    for line in report.left_out_lines():
        print(f"  merge fields: {line}", file=out)
    if report.field_room_line():
        print(f"  audience fields: {report.field_room_line()}", file=out)
    if report.error:
        print(f"  error: {report.error}", file=out)
    elif report.mass_change is not None and report.mass_change.over_limit:
        print(f"  mass change: {report.mass_change.message(dry_run=report.dry_run)}", file=out)


# A run's outcome as its summary's first line says it.
OUTCOME_WORDS = {"ok": "done", "partial": "done, with new failures (see below)", "failed": "could not finish",
                 "cancelled": "stopped before the end; the rest goes next run"}


def summary_head(report: RunReport) -> str:
    """"First load (run 1): done" — the run kind in plain words first, as the app's runs table names it."""
    kind = kind_words(report.kind, dry_run=report.dry_run)
    run = f"run {report.run_id}, nothing sent" if report.dry_run else f"run {report.run_id}"
    return f"{kind} ({run}): {OUTCOME_WORDS.get(str(report.outcome), str(report.outcome))}"


def cmd_check(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.config)
        secrets = secrets_from_env()
    except ConfigError as err:
        return _fail(str(err), False)
    try:
        first_load_done = _first_load_done(profile)
    except store.StoreError as err:
        return _fail(f"state database: {err}", False)
    ok = True
    # The profile's own choice first: it holds whatever the connections say.
    for result in (automations_result(profile, first_load_done=first_load_done),
                   *check_gp(profile.gp, secrets.gp_password),
                   *check_mailchimp(profile.mailchimp, secrets.mailchimp_api_key)):
        print(result.line(), flush=True)
        ok = ok and result.ok
    return int(ExitCode.OK if ok else ExitCode.FAILED)


def _first_load_done(profile: Profile) -> bool:
    """From the profile's state database, which ``gpmc check`` reads but never creates."""
    path = Path(profile.database) if profile.database else store.state_db_path()
    if not path.is_file():
        return False
    with store.open_store(path):
        return profile_first_load_done(profile)


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.config)
    except ConfigError as err:
        return _fail(str(err), False)
    if args.limit < 0:
        return _fail(f"--limit {args.limit}: give a number of rows, or 0 for every row", False)
    try:
        with _open_state(profile) as handle:
            code = _audit(args, profile, handle.path)
        sys.stdout.flush()  # inside the try: a reader that closed the pipe shows here, not at exit
    except BrokenPipeError:
        # The reader stopped reading (`gpmc audit ... | head`): what it wanted was printed.  Python's documented
        # way out: send the rest to devnull, so the interpreter's own flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    return code


def _audit(args: argparse.Namespace, profile: Profile, path: Path) -> int:
    row = store.get_profile(profile.name)  # reading the audit never writes the profile
    if row is None:
        print(f"no runs recorded yet for profile {profile.name!r} in {path}", file=sys.stderr)
        return int(ExitCode.OK)
    if args.run is not None and (problem := _unknown_run(args.run, row.id, profile.name)):
        print(f"gpmc: {problem}", file=sys.stderr)
        return int(ExitCode.FAILED)
    filters = store.AuditFilter(profile_id=row.id, run_id=args.run, entity=args.entity,
                                action=args.action, text=args.search)
    if args.csv:
        if args.csv == "-":
            store.export_audit_csv(sys.stdout, filters)
        else:
            with open(args.csv, "w", newline="", encoding="utf-8-sig") as out:
                n = store.export_audit_csv(out, filters)
            print(f"wrote {n} audit rows to {args.csv}")
        return int(ExitCode.OK)
    if args.limit == 0:
        for event in store.iter_audit(filters):
            print(_audit_line(event))
        return int(ExitCode.OK)
    page = store.audit_page(filters, limit=args.limit, newest_first=True)
    for event in reversed(page.rows):
        print(_audit_line(event))
    if page.next_cursor is not None:
        left_out = store.count_audit(filters) - len(page.rows)
        sys.stdout.flush()  # the rows first, then the note, when both go to one terminal
        print(f"… {left_out:,} more not shown; use --limit N (0 for every row) or --csv", file=sys.stderr)
    return int(ExitCode.OK)


def _unknown_run(run_id: int, profile_id: int, name: str) -> str:
    """Why `--run run_id` names no run of the profile (naming the ones that exist), or "" when it does."""
    run = store.get_run(run_id)
    if run is not None and run.profile_id == profile_id:
        return ""
    span = store.run_id_range(profile_id)
    if span is None:
        return f"profile {name!r} has no run {run_id}: it has not run yet"
    low, high = span
    which = f"run {low}" if low == high else f"runs {low} to {high}"
    return f"profile {name!r} has no run {run_id}: its runs are {which} (leave out --run to see them all)"


def _audit_line(event: store.AuditEventRow) -> str:
    status = f" HTTP {event.http_status}" if event.http_status else ""
    return (f"{event.at:%Y-%m-%d %H:%M:%S} run {event.run_id:<4} {event.entity:<11} {event.action:<9} "
            f"{event.gp_key:<16} {event.email or '':<32} {event.reason or ''}{status}")
