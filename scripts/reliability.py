#!/usr/bin/env python3
"""Run the reliability suites at their full counts and write docs/reliability.md from what they measured.

    .venv/bin/python scripts/reliability.py              # full counts, writes docs/reliability.md
    .venv/bin/python scripts/reliability.py --no-write   # print the page only

The suites live in tests/reliability/ and run in CI at smaller counts; here every trial appends what it measured
(JSON lines, one file per suite) to a scratch folder (GPMC_RELIABILITY_OUT), and the page is made from those
lines only: nothing in it is typed by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
COMMAND = ".venv/bin/python scripts/reliability.py"


def run_suites(out: Path, kill_trials: int, seed: int) -> int:
    env = {**os.environ, "GPMC_RELIABILITY_OUT": str(out), "GPMC_KILL_TRIALS": str(kill_trials),
           "GPMC_KILL_SEED": str(seed), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider", "-n", "2"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def read(out: Path, suite: str) -> list[dict[str, Any]]:
    path = out / f"{suite}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def machine() -> str:
    cpus = os.cpu_count() or 0
    memory = ""
    try:
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} cores{memory}, Python {platform.python_version()}"


def kill_section(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["No kill trials were recorded."]
    killed = [r for r in rows if r["killed"]]
    by_point: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_point.setdefault(r["point"], []).append(r)
    lines = [
        f"{len(rows)} trials, {len(killed)} of them killed mid-run (the rest finished before their random "
        "instant and were rerun all the same).",
        "",
        "| where the kill landed | trials | killed | ended as the clean run | duplicate orders or records | lost "
        "records | created but not audited | runs left running | writes a third run still had to send |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for point in sorted(by_point):
        lines.append(_kill_row(point, by_point[point]))
    lines.append(_kill_row("**all**", rows))
    arms = Counter(r["arm"] for r in rows)
    syncing_wrong = sum(1 for r in rows if not r["is_syncing_ok"])
    lines += ["", f"Arms: {', '.join(f'{n} {arm}' for arm, n in sorted(arms.items()))}. The store's is_syncing "
              f"was not what the profile says after {syncing_wrong} trial(s). Records Mailchimp held after each "
              f"rerun: {min(r['records'] for r in rows)}–{max(r['records'] for r in rows)}."]
    return lines


def _kill_row(point: str, rows: list[dict[str, Any]]) -> str:
    total = len(rows)
    return (f"| {point} | {total} | {sum(r['killed'] for r in rows)} | {sum(r['converged'] for r in rows)}/{total} "
            f"| {sum(r['duplicates'] for r in rows)} | {sum(r['lost'] for r in rows)} "
            f"| {sum(r['created_not_audited'] for r in rows)} | {sum(r['left_running'] for r in rows)} "
            f"| {sum(r['writes_after'] for r in rows)} |")


def page(out: Path, *, code: int, kill_trials: int, seed: int) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability figures",
        "",
        f"Written by `{COMMAND}` on {when} ({machine()}); the suites' own measurements, nothing typed by hand. "
        f"The suites exited {code} (0: every trial passed its assertions). CI runs the same suites at smaller "
        "counts (tests/reliability/).",
        "",
        "## Kill anywhere",
        "",
        "`gpmc sync` is SIGKILLed during a first load of the demo company at a randomly drawn point: the nth "
        "record parsed from GP's socket, the nth member or order write (before it is sent or after Mailchimp "
        "applied it), a batch submission, status poll or result, a commit of the state database, a failure-ledger "
        "write, or any instant of the run. Then an ordinary `gpmc sync` runs, and a third one. Every trial is "
        "compared with a clean run of the same data on its own simulators. "
        f"Trials: {kill_trials}, seed {seed} (`tests/reliability/test_kill_anywhere.py`).",
        "",
        *kill_section(read(out, "kill-anywhere")),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print the page instead of writing it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gpmc-reliability-") as tmp:
        out = Path(tmp)
        code = run_suites(out, args.kill_trials, args.seed)
        text = page(out, code=code, kill_trials=args.kill_trials, seed=args.seed)
    if args.no_write:
        print(text)
    else:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
