"""docs/benchmarks.md for bench_scale.py: the table, the command, the machine it ran on (read from the system)
and a plain reading of the figures against the goals of issue 14."""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench_scale import SizeResult


@dataclass
class MachineInfo:
    cpu: str
    cores: int
    ram_gb: float
    os: str
    python: str
    date: str

    @classmethod
    def read(cls) -> MachineInfo:
        return cls(_cpu_model(), os.cpu_count() or 0, _ram_gb(), platform.platform(), sys.version.split()[0],
                   datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def one_line(self) -> str:
        return (f"{self.cpu}, {self.cores} cores, {self.ram_gb:.1f} GB RAM, {self.os}, Python {self.python}, "
                f"{self.date}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _ram_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return float("nan")


def markdown_table(rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    head, *body = rows
    align = ["---", *("---:" for _ in head[1:-1]), "---"]
    return "\n".join([line(head), line(align), *(line(r) for r in body)])


def _fmt(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def _goal(met: bool, goal: str) -> str:
    return f"goal {goal}: {'met' if met else 'not met'}"


def reading(results: list[SizeResult]) -> list[str]:
    """One plain paragraph per size: what the engine did and which goals it met."""
    out = []
    for r in results:
        first, noop, changed = r.first, r.noop, r.changed
        if first.error:
            out.append(f"- **{r.customers:,} customers**: the first load failed ({first.error.splitlines()[-1]}).")
            continue
        path = (f"through {first.batches:,} batches ({first.batch_operations:,} operations; Mailchimp was busy with "
                f"them {_fmt(first.batch_processing_s)} s, the client's wall is "
                f"{_fmt(first.wall / first.batch_processing_s, 2) if first.batch_processing_s else '—'}× that)"
                if first.batches else
                f"one record at a time ({first.requests:,} live requests, no batches)")
        bound = r.cap / r.latency if r.latency else float("nan")
        rate = first.record_writes / first.wall if first.wall and first.record_writes else float("nan")
        parts = [
            f"the first load took {_fmt(first.wall)} s {path}, at {_fmt(first.peak_rss_mb, 0)} MB peak "
            f"({_goal(first.peak_rss_mb <= 300, '≤ 300 MB')})",
        ]
        if not first.batches and not math.isnan(rate):
            parts.append(f"it wrote {_fmt(rate)} records a second, {_fmt(rate / bound, 2)} of the "
                         f"{_fmt(bound)}/s a client can reach with {r.cap} connections at "
                         f"{r.latency * 1000:.0f} ms ({_goal(rate / bound >= 0.9, '≥ 0.9')})")
        ratio = noop.wall / r.raw_download if r.raw_download else float("nan")
        parts.append(f"the poll after it, with nothing to send, took {_fmt(noop.wall, 2)} s and "
                     f"{_fmt(noop.peak_rss_mb, 0)} MB, {_fmt(ratio)}× the {_fmt(r.raw_download, 2)} s it takes just to "
                     f"download GP's two collections ({_goal(ratio <= 2, '≤ 2×')}), and sent {noop.writes} writes "
                     f"({_goal(noop.writes == 0, '0')})")
        if r.planned is not None:
            ratio = r.planned.wall / r.raw_download if r.raw_download else float("nan")
            parts.append(f"without the memo the first load left, the same poll plans every record: "
                         f"{_fmt(r.planned.wall, 2)} s, {_fmt(r.planned.peak_rss_mb, 0)} MB, {_fmt(ratio)}× the raw "
                         f"download")
        if r.per_record is not None and not r.per_record.error and r.per_record.wall:
            own = r.per_record
            own_rate = own.record_writes / own.wall
            per = own.record_writes / own.records_written if own.records_written else float("nan")
            parts.append(f"the same first load record by record (batches off) took {_fmt(own.wall)} s: "
                         f"{_fmt(own_rate)} record requests a second, {_fmt(own_rate / bound, 2)} of the "
                         f"{_fmt(bound)}/s {r.cap} connections allow at {r.latency * 1000:.0f} ms "
                         f"({_goal(own_rate / bound >= 0.9, '≥ 0.9')}), {_fmt(per, 2)} requests per record "
                         f"({_goal(per <= 1.1, '≤ 1.1')})")
        if changed.records_written:
            per_record = changed.record_writes / changed.records_written
            parts.append(f"after {r.changes:,} changes in GP the next poll wrote {changed.records_written:,} "
                         f"records in {_fmt(changed.wall, 2)} s with "
                         f"{_fmt(per_record, 2)} requests per record ({_goal(per_record <= 1.1, '≤ 1.1')})")
        if r.after_changed is not None:
            again = r.after_changed
            ratio = again.wall / r.raw_download if r.raw_download else float("nan")
            parts.append(f"the no-op poll after that one took {_fmt(again.wall, 2)} s and "
                         f"{_fmt(again.peak_rss_mb, 0)} MB, {_fmt(ratio)}× the raw download "
                         f"({_goal(ratio <= 2, '≤ 2×')}), and sent {again.writes} writes")
        if r.sdk is not None and not math.isnan(r.sdk.wall):
            parts.append(f"the same first load through the official SDK, one call at a time, takes "
                         f"{'about ' if r.sdk.extrapolated else ''}{_fmt(r.sdk.wall / 60)} min: ours is "
                         f"{_fmt(r.sdk.wall / first.wall)}× faster")
        out.append(f"- **{r.customers:,} customers**: " + "; ".join(parts) + ".")
    return out


def not_run_estimate(results: list[SizeResult], not_run: list[int]) -> str:
    """How long a size left out would take, scaled linearly from the largest size that ran."""
    ran = [r for r in results if not r.first.error and r.first.wall > 0]
    if not not_run or not ran:
        return "Every size asked for ran."
    base = max(ran, key=lambda r: r.customers)
    lines = []
    for size in not_run:
        scale = size / base.customers
        first_h = base.first.wall * scale / 3600
        path = "through batches" if base.first.batches else "one record at a time"
        lines.append(
            f"At {size:,} customers the first load ({path}, as at {base.customers:,}) would be about "
            f"{base.first.requests * scale:,.0f} live requests and {first_h:.1f} hours on this machine, and the whole "
            f"bench for that size about {base.seconds * scale / 3600:.1f} hours (set-up, the polls and the SDK "
            f"sample included; the GP data set alone takes about 550 MB and 26 s to generate). That did not fit in "
            f"this revision's time on a shared 2-core machine. Run `--sizes {size}` where there is time and "
            f"regenerate this page." + (
                "" if base.first.batches else
                " Runs that big go by batch operations (`[sync] batch_threshold`): the first load is then bounded "
                "by Mailchimp's batch processing instead."))
    return "\n\n".join(lines)


def write_docs(path: Path, rows: list[list[str]], machine: MachineInfo, command: str, args: argparse.Namespace,
               results: list[Any]) -> None:
    not_run = ", ".join(f"{n:,}" for n in (args.not_run or []))
    text = f"""# Benchmarks: GP → Mailchimp at scale

Generated by `benchmarks/bench_scale.py --write-docs` (issue 14, item 7). Not part of the tests: the figures
depend on the machine and on what else runs on it.

## How to run

```sh
PYTHONPATH=. python benchmarks/bench_scale.py                              # 1,000 and 10,000 customers
PYTHONPATH=. python benchmarks/bench_scale.py --sizes 1000,10000,100000    # and 100,000
PYTHONPATH=. python benchmarks/bench_scale.py --sizes 200 --skip-sdk       # a quick look
```

The SDK comparison needs the `bench` extra (`pip install -e '.[bench]'`: the official `mailchimp-marketing`).
This page came from:

```sh
{command}
```

Each size gets fresh simulators (GP's SBA over HTTPS with NTLM; Mailchimp answering every live call in
{args.latency * 1000:.0f} ms) and five syncs, each in a child process so the peak RSS is the engine's own. The
engine keeps at most {results[0].cap if results else 5} calls in flight (the profile's `max_connections`); batch
operations, if it submits any, are processed at {f'{args.batch_rate:g} a second' if args.batch_rate
else 'the simulator’s own pace'}.

1. **first load** of 5 invoices per customer (80% of the customers are in the synced company `TWO`; its outcome
   is "partial" because the demo data holds, on purpose, a few addresses Mailchimp refuses);
2. **no-op poll after the first load**: nothing changed in GP, nothing may be sent; it replays the memo the
   first load left (`sync/quiet_poll.py`: it reads GP's answers without making a record and finds them as the
   first load did); compared with the **raw download** of the two GP collections (customers and receivables)
   with plain `requests` and NTLM, never parsed;
3. **no-op poll without a memo**: the same poll once more with the memo deleted first, so it plans every record
   (what an install upgraded from an older build does once);
4. **1% changed poll**: 1% of the company's customers moved address and 1% of its open invoices were paid;
5. **no-op poll after the 1% changed poll**: it replays the memo that poll left.

Requests and `POST /batches` are counted by the Mailchimp simulator, whatever path the engine takes; "record
requests" are live writes of members, tags, e-commerce customers and orders. The throughput ratio is record
requests per second over the first load ÷ (`max_connections` ÷ latency), the most any client can send. The SDK
column replays the records the first load left in the simulator into a fresh one with `mailchimp-marketing`, one
call at a time (store, merge fields, product, then per customer its member, tags, e-commerce customer and
orders); reading GP is not included, which favours the SDK. Past {args.sdk_budget:.0f} s the SDK's time is
extrapolated from its rate (the table says so).

## The machine

| | |
|---|---|
| CPU | {machine.cpu} |
| cores | {machine.cores} (shared with other work while this ran: the figures are noisy) |
| RAM | {_fmt(machine.ram_gb)} GB |
| OS | {machine.os} |
| Python | {machine.python} |
| date | {machine.date} |

## Results

{markdown_table(rows)}

{f"{not_run} customers: not run on this machine in this revision (see below for how long that takes)."
 if not_run else ""}

## Reading

{chr(10).join(reading(results))}

{"## Notes" + chr(10) + chr(10) + (chr(10) * 2).join(args.note) if getattr(args, "note", None) else ""}

## Sizes not run here

{not_run_estimate(results, args.not_run or [])}

## The window during a backfill

`PYTHONPATH=. python benchmarks/bench_gui.py` (10,000 customers; `--customers 100000` for the big
one) keeps the main window open on its audit page through a first load and prints the worst event-loop stall
(goal ≤ 100 ms), split into the GUI thread's own CPU, waiting for a core and blocked (on the GIL another thread
of the app holds, on the disk); the run goes in a sync process of its own, as the app runs it
(`--in-process-engine` puts it on a thread of the app's process, as releases before did). Then it times the audit
view over the rows that backfill wrote and over a million generated ones.
"""
    path.write_text(text.replace("\n\n\n", "\n\n"), encoding="utf-8")
