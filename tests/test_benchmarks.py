"""The benchmark scripts stay runnable: each answers --help, and bench_scale runs end to end at a tiny size (real
simulators, the engine in a child process, the SDK replay) and writes its docs page.  No assertion on speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))


def run_bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_every_benchmark_is_listed() -> None:
    assert {"bench_scale.py", "bench_gui.py", "bench_sync.py", "bench_store.py", "bench_soap.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_answers_help(script: str) -> None:
    done = run_bench(str(BENCHMARKS / script), "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_bench_scale_runs_at_a_tiny_size(tmp_path: Path) -> None:
    saved, docs = tmp_path / "figures.json", tmp_path / "benchmarks.md"
    done = run_bench(str(BENCHMARKS / "bench_scale.py"), "--sizes", "50", "--latency", "0", "--sdk-budget", "0",
                     "--not-run", "100000", "--per-record-at", "50", "--save", str(saved), "--write-docs", str(docs))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no-op poll after the first load ÷ raw download" in done.stdout
    assert "no-op poll without a memo: Mailchimp writes" in done.stdout
    assert "no-op poll after the 1% changed poll ÷ raw download" in done.stdout

    result = json.loads(saved.read_text(encoding="utf-8"))["results"][0]
    assert result["customers"] == 50
    assert result["first"]["record_writes"] > 0 and result["first"]["peak_rss_mb"] > 0
    assert result["noop"]["writes"] == 0  # nothing changed in GP: nothing may be sent
    for poll in ("planned", "after_changed"):
        assert result[poll]["writes"] == 0 and result[poll]["wall"] > 0 and not result[poll]["error"]
    assert result["changed"]["record_writes"] > 0
    own = result["per_record"]  # the first load again with batches off: every record by its own request
    assert own["batches"] == 0 and own["record_writes"] > 0
    assert own["report"]["customers"]["created"] == result["first"]["report"]["customers"]["created"]
    assert result["changes"] > 0
    sdk = result["sdk"]
    assert sdk["requests_done"] == sdk["requests_total"] > 0 and sdk["failures"] == 0

    page = docs.read_text(encoding="utf-8")
    assert "| measurement | 50 | 100,000 | goal |" in page
    assert "not run on this machine in this revision" in page
    assert "## The machine" in page and "## Reading" in page

    again = run_bench(str(BENCHMARKS / "bench_scale.py"), "--load", str(saved))
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.splitlines()[1:-1] == done.stdout.splitlines()[1:-1]  # the same table from the figures

    # Figures of separate runs document together, each size as its run measured it, with a note.
    other = tmp_path / "other.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["results"][0]["customers"] = 60
    data["args"].update(command="python benchmarks/bench_scale.py --sizes 60", not_run=None)
    other.write_text(json.dumps(data), encoding="utf-8")
    both = run_bench(str(BENCHMARKS / "bench_scale.py"), "--load", str(other), str(saved), "--write-docs",
                     str(docs), "--note", "Sixty was run on its own.")
    assert both.returncode == 0, both.stderr[-3000:]
    page = docs.read_text(encoding="utf-8")
    assert "| measurement | 50 | 60 | goal |" in page and "## Notes\n\nSixty was run on its own." in page
    assert "--sizes 60" in page and "--sizes 50" in page


def test_bench_poll_measures_both_no_op_polls_at_a_tiny_size() -> None:
    """Exit 0 only when neither poll wrote to Mailchimp and both counted the same records unchanged."""
    done = run_bench(str(BENCHMARKS / "bench_poll.py"), "--customers", "300")
    assert done.returncode == 0, done.stderr[-3000:]
    head, row = done.stdout.strip().splitlines()[-2:]
    assert "planned poll s" in head and "unchanged poll s" in head
    assert row.split(" | ")[0] == "240" and row.split(" | ")[-1] == "0"
