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


def run_suites(out: Path, args: argparse.Namespace) -> int:
    env = {**os.environ, "GPMC_RELIABILITY_OUT": str(out), "GPMC_KILL_TRIALS": str(args.kill_trials),
           "GPMC_KILL_SEED": str(args.seed), "GPMC_FAULT_TRIALS": str(args.fault_trials),
           "GPMC_FAULT_SEED": str(args.seed), "GPMC_DIRTY_EXAMPLES": str(args.dirty_examples),
           "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
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
    rest = ("" if len(killed) == len(rows) else
            " (the rest finished before their random instant and were rerun all the same)")
    lines = [
        f"{len(rows)} trials, {len(killed)} of them killed mid-run{rest}.",
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


def faults_section(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["No fault trials were recorded."]
    injected: Counter[str] = Counter()
    for r in rows:
        injected.update(r["mailchimp_faults"])
    runs = sum(len(r["exits"]) for r in rows)
    exits = Counter(code for r in rows for code in r["exits"])
    lines = [
        f"{len(rows)} trials, {runs} faulty runs ({', '.join(f'{n} exit {c}' for c, n in sorted(exits.items()))}), "
        f"{sum(injected.values()):,} Mailchimp faults and {sum(r['gp_faults'] for r in rows)} GP faults injected "
        f"({sum(r['half_answers'] for r in rows)} answers from GP broken off halfway).",
        "",
        "| Mailchimp fault | injected |",
        "| --- | ---: |",
        *(f"| {kind} | {n:,} |" for kind, n in injected.most_common()),
        "",
        "| requirement | trials that met it |",
        "| --- | ---: |",
    ]
    total = len(rows)
    checks = [
        ("a run stopped by a GP fault (exit 2) changed nothing of the sync state", "exit2_changed_state", 0),
        ("a run that could not read GP sent nothing to Mailchimp", "gp_failure_writes", 0),
        ("Mailchimp never held a duplicate or foreign record", "duplicates", 0),
        ("the state database never called synced what Mailchimp lacked", "wrongly_synced", 0),
        ("no request refused with 400 was sent again unchanged", "repeated_400", 0),
        ("nothing of the clean run was missing after the first good run", "lost", 0),
        ("the run after the first good run had nothing to send", "writes_after", 0),
    ]
    for words, key, want in checks:
        lines.append(f"| {words} | {sum(1 for r in rows if r[key] == want)}/{total} |")
    lines.append(f"| the first good run ended as a clean run | {sum(1 for r in rows if r['converged'])}/{total} |")
    lines += ["", f"Totals over all trials: {sum(r['duplicates'] for r in rows)} duplicates, "
              f"{sum(r['lost'] for r in rows)} records lost, {sum(r['repeated_400'] for r in rows)} refused requests "
              "sent again."]
    return lines


def consent_and_secrets(out: Path) -> list[str]:
    kills, faults, secrets = read(out, "kill-anywhere"), read(out, "faults-combined"), read(out, "secrets")
    trials = kills + faults
    changes = sum(r["status_changes"] for r in trials)
    hits = sum(r["secret_hits"] for r in trials) + sum(r["secret_hits"] for r in secrets)
    files = sum(r["files_scanned"] for r in trials) + sum(r["files_scanned"] + r["outputs_scanned"] for r in secrets)
    return [
        "## Consent",
        "",
        "Every trial above starts with five contacts already in Mailchimp as unsubscribed, cleaned, pending, "
        "transactional and archived (the profile's `status_if_new` is `transactional`; "
        "`tests/sync/test_consent.py` adds subscribed and pending, by batches and record by record, and a full "
        "comparison). The simulator logs every status change of an existing contact.",
        "",
        f"Status changes over {len(trials)} trials: **{changes}**.",
        "",
        "## Secrets",
        "",
        "After every trial the state database, its WAL and shared memory, the logs and every run's output were "
        "searched for the GP password, the API key and the key's part before the dash (as UTF-8, UTF-16, "
        "URL-encoded and JSON-escaped); `tests/reliability/test_secrets_everywhere.py` adds an audit CSV, "
        "`gpmc audit`, a diagnostics bundle and a GP sample (zip members one by one) and a crash whose message "
        "held both secrets.",
        "",
        f"Files and outputs searched: {files:,}. Hits: **{hits}**.",
    ]


def upgrades_section(out: Path) -> list[str]:
    rows = read(out, "upgrades")
    if not rows:
        return ["No upgrade figures were recorded."]
    r = rows[-1]
    versions = ", ".join(f"v{v}" for v in r["versions"])
    return [
        f"Golden databases of every shipped schema ({versions}, `tests/store/golden/`): {r['migrated']} opened at "
        f"the current version, {r['backups_identical']} with a backup holding exactly what the old build left, "
        "table by table and row by row (the current version needs none). Migrations made to fail midway, at "
        f"every step from every version: {r['failures_injected']}; originals whose every table and row stayed "
        "as they were: "
        f"**{r['originals_untouched']}/{r['failures_injected']}**, and `gpmc sync` then exits 2 saying which "
        "migration failed, that the file stays at its version, and where the backup is.",
    ]


def page(out: Path, *, code: int, args: argparse.Namespace) -> str:
    kill_trials, seed = args.kill_trials, args.seed
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
        "## Faults in combination",
        "",
        "A first load and five more runs of the demo company against a Mailchimp that fails requests at random in "
        "five ways at once (20% 429 with Retry-After, 10% 500/502/503, 5% 403 without a body, 2% connection "
        "resets, and 3% of writes applied by Mailchimp without the client hearing so: a reset after the work, or "
        "the CDN's 502 at its cut-off), while GP, one run each in a random order, is offline, answers slower than "
        "the profile's timeout, presents a certificate from another CA, has its password changed between the "
        "customers and the invoices, and breaks off an answer halfway. Then the faults clear, IT's fixes are in "
        "(the new CA, the password), and two ordinary runs follow, the first after the failure ledger's retry "
        f"times. Trials: {args.fault_trials}, seed {seed} (`tests/reliability/test_faults_combined.py`).",
        "",
        *faults_section(read(out, "faults-combined")),
        "",
        *consent_and_secrets(out),
        "",
        "## Upgrades",
        "",
        *upgrades_section(out),
        "",
        "## Dirty data",
        "",
        f"`tests/reliability/test_dirty_data.py` (hypothesis, {args.dirty_examples} generated companies a run) "
        "feeds the normaliser and the planner answers with any text GP can hold (padding, control characters, "
        "`mailto:` and `;`-lists, unicode and upper-case e-mails, fields past 255 bytes), any amount (negative, "
        "zero, huge, many decimals), any date (1900-01-01 to 9999-12-31) and nulls or absent optional keys: every "
        "customer ends planned or skipped with a reason, every invoice as an order or skipped with its reason, "
        "and every member, e-commerce customer and order payload validates against `openapi.yaml`. "
        f"The suites' exit code above covers it ({'passed' if code == 0 else 'see the run'}).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-trials", type=int, default=50)
    parser.add_argument("--fault-trials", type=int, default=20)
    parser.add_argument("--dirty-examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print the page instead of writing it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gpmc-reliability-") as tmp:
        out = Path(tmp)
        code = run_suites(out, args)
        text = page(out, code=code, args=args)
    if args.no_write:
        print(text)
    else:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
