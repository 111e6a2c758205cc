"""Scale benchmark (issue 14): first load, no-op poll and 1% changed poll at 1k / 10k / 100k customers with five
invoices each, against a Mailchimp that answers every live call in 150 ms, side by side in one table, with the
same first load scripted with the official SDK one request at a time.

    python benchmarks/bench_scale.py                             # 1,000 and 10,000 customers
    python benchmarks/bench_scale.py --sizes 1000,10000,100000   # and 100,000 (hours on a small machine)
    python benchmarks/bench_scale.py --sizes 200 --skip-sdk --per-record-at 200   # a quick look
    python benchmarks/bench_scale.py --write-docs                # also rewrite docs/benchmarks.md

Each size gets fresh simulators in this process (GP over HTTPS with NTLM, Mailchimp with --latency per live
call, batches processed at --batch-rate) and four syncs, each in its own child process so its peak RSS is its
own: the first load; a poll with nothing changed in GP (which replays the memo the first load left:
sync/quiet_poll.py); the same poll again without that memo (it plans every record); a poll after 1% of the
customers moved address and 1% of the open invoices were paid; and the no-op poll after that one.  Requests and
POST /batches are counted by the Mailchimp simulator, whatever path the engine takes.  Not a test: nothing here
asserts a speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scale_docs import MachineInfo, write_docs
from scale_engine import EngineRun, raw_download_seconds, run_engine
from scale_sdk import SdkRun, replay

from gpmc_desktop import store
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.demo.gp_model import DocType
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync import quiet_poll

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
CHANGED_SHARE = 0.01
NOT_RUN = "not run on this machine in this revision"


@dataclass
class SizeResult:
    customers: int
    cap: int
    latency: float
    first: EngineRun
    noop: EngineRun
    raw_download: float
    changed: EngineRun
    changes: int
    sdk: SdkRun | None
    seconds: float  # this size's whole bench, set-up included
    # The no-op poll once more without the memo a run leaves (sync/quiet_poll.py): it plans every record.
    planned: EngineRun | None = None
    # The no-op poll after the 1% changed poll (which left the memo it replays).
    after_changed: EngineRun | None = None
    # The same first load with batch operations off, on a fresh install (--per-record-at sizes only).
    per_record: EngineRun | None = None


RUNS = ("first", "noop", "changed", "planned", "after_changed", "per_record")
LAYOUT = 2  # what the saved runs mean; figures saved before it: "noop" planned every record, "unchanged" replayed


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def change_one_percent(env: DemoEnvironment, seed: int) -> int:
    """Move 1% of the synced company's customers to a new address and pay 1% of its open invoices in full."""
    mutator = GPMutator(env.dataset)
    data = env.dataset.find_company(DEMO_COMPANY)
    assert data is not None
    rng = random.Random(seed)
    customers = rng.sample(sorted(data.customers), max(1, round(len(data.customers) * CHANGED_SHARE)))
    for key in customers:
        mutator.change_address(key, company=DEMO_COMPANY)
    open_invoices = sorted(row.docnumbr for row in data.open_docs.values()
                           if row.rmdtypal == DocType.INVOICE and not row.voidstts and row.curtrxam > 0)
    invoices = rng.sample(open_invoices, min(len(open_invoices), max(1, round(len(open_invoices) * CHANGED_SHARE))))
    for docnumbr in invoices:
        mutator.apply_payment(docnumbr, company=DEMO_COMPANY)
    return len(customers) + len(invoices)


def bench_size(customers: int, args: argparse.Namespace) -> SizeResult:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"gpmc-bench-scale-{customers}-") as tmp:
        log(f"{customers:,} customers: generating GP data and starting the simulators")
        env = DemoEnvironment(customers=customers, seed=args.seed, workdir=Path(tmp))
        with env:
            env.mailchimp.contract.api()  # parse the contract before any clock starts
            if args.batch_rate:
                env.mailchimp.config.batch_operations_per_second = args.batch_rate
            profile_path = env.write_profile()
            cap = load_profile(profile_path).mailchimp.max_connections
            env.mailchimp.faults.set_latency(args.latency)
            log(f"{customers:,} customers: first load")
            first = run_engine(env, profile_path)
            log(f"{customers:,} customers: first load took {first.wall:.1f} s; no-op poll")
            noop = run_engine(env, profile_path)
            log(f"{customers:,} customers: no-op poll took {noop.wall:.1f} s; again without a memo")
            drop_memo(env)
            planned = run_engine(env, profile_path)
            raw = raw_download_seconds(env, profile_path)
            changes = change_one_percent(env, args.seed)
            log(f"{customers:,} customers: 1% changed poll ({changes} changes in GP)")
            changed = run_engine(env, profile_path)
            after_changed = run_engine(env, profile_path)
            sdk = None if args.skip_sdk else sdk_first_load(env, args)
    per_record = per_record_first_load(customers, args) if customers in (args.per_record_at or ()) else None
    return SizeResult(customers, cap, args.latency, first, noop, raw, changed, changes, sdk,
                      time.perf_counter() - began, planned, after_changed, per_record)


def drop_memo(env: DemoEnvironment) -> None:
    """Forget the memo the last run left, so the next poll plans every record (sync/quiet_poll.py)."""
    with store.open_store(env.database_path):
        for profile in store.list_profiles():
            store.delete_state(profile.id, quiet_poll.STATE_KEY)


def per_record_first_load(customers: int, args: argparse.Namespace) -> EngineRun:
    """The first load again on fresh simulators with ``[sync] batch_threshold = 0``: every record by its own
    request, the path a poll's few writes take, measured where it does the most."""
    with tempfile.TemporaryDirectory(prefix=f"gpmc-bench-per-record-{customers}-") as tmp:
        log(f"{customers:,} customers: the first load again, record by record (batches off)")
        env = DemoEnvironment(customers=customers, seed=args.seed, workdir=Path(tmp))
        with env:
            env.mailchimp.contract.api()
            profile_path = env.write_profile()
            with profile_path.open("a", encoding="utf-8") as profile:
                profile.write("\n[sync]\nbatch_threshold = 0\n")
            env.mailchimp.faults.set_latency(args.latency)
            run = run_engine(env, profile_path)
    log(f"{customers:,} customers: record by record took {run.wall:.1f} s")
    return run


def sdk_first_load(env: DemoEnvironment, args: argparse.Namespace) -> SdkRun:
    log(f"SDK replay of the first load (budget {args.sdk_budget:.0f} s; 0 = all of it)")
    with MailchimpSimulator(dc=env.mailchimp.dc, seed=args.seed, cache_dir=env.workdir / "cache") as fresh:
        fresh.faults.set_latency(args.latency)
        return replay(env.mailchimp, fresh, env.profile_list_id, env.profile_store_id, args.sdk_budget)


# --- the table ------------------------------------------------------------------------------------------------


def _num(value: float, digits: int = 1) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(a: float, b: float, digits: int = 2) -> str:
    return "—" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.{digits}f}"


def _throughput(run: EngineRun, r: SizeResult) -> str:
    """Record-writing live requests per second over the run ÷ (cap ÷ latency)."""
    if not r.latency or not run.record_writes or math.isnan(run.wall):
        return "—"
    return f"{run.record_writes / run.wall / (r.cap / r.latency):.2f}"


def _per_record(run: EngineRun) -> str:
    written = run.records_written
    if not written:
        return "— (nothing written)"
    return f"{run.record_writes / written:.2f} ({run.requests:,} in all)"


def _batches(run: EngineRun) -> str:
    return f"{run.batches:,} ({run.batch_operations:,} operations)" if run.batches else "0"


def _sdk_wall(r: SizeResult) -> str:
    if r.sdk is None:
        return "not run"
    marker = f"extrapolated from {r.sdk.requests_done:,} of {r.sdk.requests_total:,} calls" \
        if r.sdk.extrapolated else f"{r.sdk.requests_total:,} calls"
    refused = f", {r.sdk.failures:,} refused" if r.sdk.failures else ""
    return f"{_num(r.sdk.wall)} ({marker}{refused})"


def _per_record_run(r: SizeResult, cell: Callable[[EngineRun], str]) -> str:
    return "— (not run at this size)" if r.per_record is None else cell(r.per_record)


def _planned(r: SizeResult, cell: Callable[[EngineRun], str]) -> str:
    return "— (not measured in that run)" if r.planned is None else cell(r.planned)


def _after_changed(r: SizeResult, cell: Callable[[EngineRun], str]) -> str:
    return "— (not measured in that run)" if r.after_changed is None else cell(r.after_changed)


def _outcome(run: EngineRun) -> str:
    if run.error:
        return f"failed: {run.error.splitlines()[-1][:80]}"
    return f"{run.report.get('outcome', '?')} (exit {run.report.get('exit_code', run.exit_code)})"


Row = tuple[str, str, Callable[[SizeResult], str]]

ROWS: list[Row] = [
    ("GP: customers / documents", "", lambda r: f"{r.customers:,} / {r.customers * 5:,}"),
    ("first load: outcome", "", lambda r: _outcome(r.first)),
    ("first load: wall (s)", "", lambda r: _num(r.first.wall)),
    ("first load: peak RSS of the engine (MB)", "≤ 300", lambda r: _num(r.first.peak_rss_mb, 0)),
    ("first load: records written", "", lambda r: f"{r.first.records_written:,}"),
    ("first load: live Mailchimp requests", "", lambda r: f"{r.first.requests:,}"),
    ("first load: batches submitted", "", lambda r: _batches(r.first)),
    ("first load: Mailchimp's batch processing (s)", "",
     lambda r: _num(r.first.batch_processing_s) if r.first.batches else "— (no batches)"),
    ("first load: wall ÷ batch processing", "≤ 1.1",
     lambda r: _ratio(r.first.wall, r.first.batch_processing_s) if r.first.batches else "—"),
    ("first load record by record (batches off): wall (s)", "", lambda r: _per_record_run(r, lambda u: _num(u.wall))),
    ("first load record by record: throughput ÷ (cap ÷ latency)", "≥ 0.9",
     lambda r: _per_record_run(r, lambda u: _throughput(u, r))),
    ("first load record by record: record requests per record written", "≤ 1.1",
     lambda r: _per_record_run(r, _per_record)),
    ("first load record by record: peak RSS (MB)", "≤ 300",
     lambda r: _per_record_run(r, lambda u: _num(u.peak_rss_mb, 0))),
    ("raw download of GP's two collections (s)", "", lambda r: _num(r.raw_download, 2)),
    ("no-op poll after the first load: wall (s)", "", lambda r: _num(r.noop.wall, 2)),
    ("no-op poll after the first load: peak RSS (MB)", "≤ 300, +<10% 10k→100k",
     lambda r: _num(r.noop.peak_rss_mb, 0)),
    ("no-op poll after the first load: Mailchimp writes", "0", lambda r: f"{r.noop.writes:,}"),
    ("no-op poll after the first load ÷ raw download", "≤ 2", lambda r: _ratio(r.noop.wall, r.raw_download, 1)),
    ("no-op poll without a memo (every record planned): wall (s)", "",
     lambda r: _planned(r, lambda u: _num(u.wall, 2))),
    ("no-op poll without a memo: peak RSS (MB)", "≤ 300, +<10% 10k→100k",
     lambda r: _planned(r, lambda u: _num(u.peak_rss_mb, 0))),
    ("no-op poll without a memo: Mailchimp writes", "0", lambda r: _planned(r, lambda u: f"{u.writes:,}")),
    ("no-op poll without a memo ÷ raw download", "",
     lambda r: _planned(r, lambda u: _ratio(u.wall, r.raw_download, 1))),
    ("1% changed poll: changes made in GP", "", lambda r: f"{r.changes:,}"),
    ("1% changed poll: records written", "", lambda r: f"{r.changed.records_written:,}"),
    ("1% changed poll: wall (s)", "", lambda r: _num(r.changed.wall, 2)),
    ("1% changed poll: record requests per record written", "≤ 1.1", lambda r: _per_record(r.changed)),
    ("no-op poll after the 1% changed poll: wall (s)", "", lambda r: _after_changed(r, lambda u: _num(u.wall, 2))),
    ("no-op poll after the 1% changed poll: peak RSS (MB)", "≤ 300",
     lambda r: _after_changed(r, lambda u: _num(u.peak_rss_mb, 0))),
    ("no-op poll after the 1% changed poll: Mailchimp writes", "0",
     lambda r: _after_changed(r, lambda u: f"{u.writes:,}")),
    ("no-op poll after the 1% changed poll ÷ raw download", "≤ 2",
     lambda r: _after_changed(r, lambda u: _ratio(u.wall, r.raw_download, 1))),
    ("SDK, one request at a time: first load wall (s)", "", _sdk_wall),
    ("first load: ours ÷ SDK", "", lambda r: _ratio(r.first.wall, r.sdk.wall) if r.sdk else "—"),
    ("bench time for this size, set-up included (s)", "", lambda r: _num(r.seconds, 0)),
]


def table(results: list[SizeResult], not_run: list[int]) -> list[list[str]]:
    """Header plus one row per measurement: a column per size, then the issue's goal."""
    head = ["measurement", *(f"{r.customers:,}" for r in results), *(f"{n:,}" for n in not_run), "goal"]
    rows = [head]
    for name, goal, cell in ROWS:
        missing = NOT_RUN if name == ROWS[1][0] else "—"
        rows.append([name, *(cell(r) for r in results), *(missing for _ in not_run), goal])
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def engine_phases(results: list[SizeResult]) -> str:
    """The progress phases the engine reported, per size: shows which path (per record, batches) it took."""
    return "; ".join(f"{r.customers:,}: first load {', '.join(r.first.phases) or 'none'}" for r in results)


def save_results(path: Path, machine: MachineInfo, results: list[SizeResult], args: argparse.Namespace) -> None:
    def plain(result: SizeResult) -> dict[str, Any]:
        data = dataclasses.asdict(result)
        for run in RUNS:
            if data[run] is not None:
                data[run].pop("counts")  # (method, path) keys: not JSON, and not in the table
        return data

    saved = {"layout": LAYOUT, "machine": dataclasses.asdict(machine), "results": [plain(r) for r in results],
             "args": {k: getattr(args, k) for k in ("latency", "batch_rate", "sdk_budget", "command", "not_run")}}
    path.write_text(json.dumps(saved, indent=1), encoding="utf-8")


def load_results(path: Path) -> tuple[MachineInfo, list[SizeResult], dict[str, Any]]:
    saved = json.loads(path.read_text(encoding="utf-8"))
    results = []
    for data in saved["results"]:
        if saved.get("layout") != LAYOUT:  # older figures: their no-op poll planned every record
            data["planned"], data["noop"] = data["noop"], data.pop("unchanged", None) or data["noop"]
        runs = {run: EngineRun(**data.pop(run)) for run in ("first", "noop", "changed")}
        for run in RUNS[3:]:
            if data.get(run):
                runs[run] = EngineRun(**data.pop(run))
            data.pop(run, None)
        sdk = SdkRun(**data.pop("sdk")) if data.get("sdk") else None
        data.pop("sdk", None)
        results.append(SizeResult(**data, **runs, sdk=sdk))
    return MachineInfo(**saved["machine"]), results, saved["args"]


def shown_command(argv: list[str]) -> str:
    """The command as docs/benchmarks.md shows it: without where this run kept its figures."""
    shown, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--save="):
            skip = False
            continue
        skip = arg == "--save"
        if not skip:
            shown.append(arg)
    return " ".join(["python benchmarks/bench_scale.py", *shown])


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes {text!r}: give customer counts separated by commas") from None
    if not sizes or min(sizes) < 50:
        raise argparse.ArgumentTypeError("--sizes: each size must be at least 50 customers")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=parse_sizes, default=[1000, 10000],
                    help="customer counts, comma-separated (default 1000,10000; 100000 on request)")
    ap.add_argument("--latency", type=float, default=0.15, help="seconds per live Mailchimp call (default 0.15)")
    ap.add_argument("--batch-rate", type=float, default=0.0,
                    help="batch operations Mailchimp runs per second (default 0: as fast as the simulator can)")
    ap.add_argument("--sdk-budget", type=float, default=120.0,
                    help="seconds the SDK replay may run before the rest is extrapolated (0: run all of it)")
    ap.add_argument("--skip-sdk", action="store_true", help="leave out the SDK comparison")
    ap.add_argument("--per-record-at", type=parse_sizes, default=[1000],
                    help="sizes whose first load is also run record by record, batches off (default 1000)")
    ap.add_argument("--not-run", type=parse_sizes, default=None,
                    help="sizes to list as 'not run on this machine in this revision' (docs only)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write-docs", nargs="?", type=Path, const=DOCS_PATH, metavar="FILE",
                    help=f"rewrite docs/{DOCS_PATH.name} (or FILE) with the table, the machine and a reading")
    ap.add_argument("--save", type=Path, metavar="FILE", help="also keep the figures in FILE (JSON)")
    ap.add_argument("--load", type=Path, nargs="+", metavar="FILE",
                    help="print (and with --write-docs, document) the figures saved in FILE(s) instead of running "
                         "(the sizes of several files together, each as its own run measured it)")
    ap.add_argument("--note", action="append", default=[], metavar="TEXT",
                    help="a paragraph for the page's notes (what the reader should know about these figures)")
    args = ap.parse_args(argv)

    if args.load:
        loaded = [load_results(path) for path in args.load]
        machine, _results, saved_args = loaded[0]
        results = sorted((r for _m, found, _a in loaded for r in found), key=lambda r: r.customers)
        for key, value in saved_args.items():
            setattr(args, key, value)
        args.command = "\n".join(str(a["command"]) for _m, _r, a in loaded)
    else:
        args.command = shown_command(sys.argv[1:] if argv is None else argv)
        machine = MachineInfo.read()
        results = [bench_size(n, args) for n in args.sizes]
    if args.save:
        save_results(args.save, machine, results, args)
    rows = table(results, args.not_run or [])
    text = render_text(rows)
    print(f"{machine.one_line()}; Mailchimp latency {args.latency * 1000:.0f} ms, "
          f"cap {results[0].cap} connections, batch rate {args.batch_rate or 'unlimited'}")
    print(text)
    print(f"engine progress phases: {engine_phases(results)}")
    if args.write_docs:
        write_docs(args.write_docs, rows, machine, args.command, args, results)
        log(f"wrote {args.write_docs}")
    failed = [r for r in results if any(run.error for run in (r.first, r.noop, r.changed, r.planned, r.after_changed)
                                        if run is not None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
