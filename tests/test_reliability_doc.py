"""docs/reliability.md is the reliability script's output from suites that all passed, and the script renders
every suite's figures from the trials' JSON lines (not typed by hand)."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_script():  # scripts/ is not a package
    spec = importlib.util.spec_from_file_location("reliability_script", ROOT / "scripts" / "reliability.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_came_from_the_script_with_every_suite_passing():
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert "Written by `.venv/bin/python scripts/reliability.py`" in text
    assert "The suites exited 0" in text
    for section in ("## Kill anywhere", "## Faults in combination", "## Consent", "## Secrets", "## Upgrades",
                    "## Dirty data"):
        assert section in text
    assert "Hits: **0**" in text and "Status changes over" in text and "**0**" in text


def test_the_page_is_rendered_from_the_trials_lines(tmp_path: Path):
    script = load_script()
    kill = {"trial": 0, "arm": "batches", "point": "order-write", "nth": 3, "when": "after", "delay": 0.0,
            "killed": True, "rerun_exit": 0, "converged": True, "lost": 0, "duplicates": 0, "different": 0,
            "created_not_audited": 0, "is_syncing_ok": True, "left_running": 0, "writes_after": 0, "records": 143,
            "status_changes": 0, "secret_hits": 0, "files_scanned": 9, "notes": [], "ok": True}
    fault = {"exits": [1, 2, 2, 2, 2, 2, 0], "mailchimp_faults": {"429": 7}, "gp_faults": 5, "half_answers": 1,
             "exit2_changed_state": 0, "gp_failure_writes": 0, "duplicates": 0, "wrongly_synced": 0,
             "repeated_400": 0, "lost": 0, "writes_after": 0, "converged": True, "status_changes": 2,
             "secret_hits": 0, "files_scanned": 2}
    (tmp_path / "kill-anywhere.jsonl").write_text(json.dumps(kill) + "\n" + json.dumps({**kill, "point": "gp-read",
                                                   "killed": False}) + "\n")
    (tmp_path / "faults-combined.jsonl").write_text(json.dumps(fault) + "\n")
    args = argparse.Namespace(kill_trials=2, fault_trials=1, seed=7, dirty_examples=10)
    page = script.page(tmp_path, code=0, args=args)
    assert "2 trials, 1 of them killed mid-run (the rest finished" in page
    assert "| order-write | 1 | 1 | 1/1 |" in page and "| gp-read | 1 | 0 | 1/1 |" in page
    assert "| 429 | 7 |" in page
    assert "Status changes over 3 trials: **2**." in page  # counted from the lines, whatever they say
    assert "No upgrade figures were recorded." in page
