"""What a reliability trial measured, appended as one JSON line to ``$GPMC_RELIABILITY_OUT/<suite>.jsonl`` for
scripts/reliability.py to turn into docs/reliability.md (nothing is written when the variable is unset)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

OUT_ENV = "GPMC_RELIABILITY_OUT"


def record(suite: str, result: Any) -> None:
    """*result*: a dataclass with an ``ok`` property (whether the trial met every requirement)."""
    out = os.environ.get(OUT_ENV)
    if not out:
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / f"{suite}.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({**asdict(result), "ok": bool(result.ok)}) + "\n")
