"""``scripts/bench_customer_writes.py``: the counts it reports, on a small demo (a smoke test of the script, and
the claim it backs: carrying a new customer in its first order's POST saves a write per such customer)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_customer_writes.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_customer_writes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_carried_customers_save_one_write_each_and_nothing_else_changes() -> None:
    bench = load_script()
    carried = bench.run_scenarios(60, separate=False)
    separate = bench.run_scenarios(60, separate=True)
    assert [s.scenario for s in carried] == [s.scenario for s in separate]
    assert [s.records for s in carried] == [s.records for s in separate]
    for a, b in zip(carried, separate, strict=True):
        # Every customer write the carried way does not PUT went in an order's POST: one write each.
        assert b.writes - a.writes == b.customer_puts - a.customer_puts >= 0, a.scenario
    first, new, address, moved = zip(carried, separate, strict=True)
    assert first[1].writes - first[0].writes > 10
    assert (new[0].customer_puts, new[1].customer_puts) == (0, 1)
    assert address[0].writes == address[1].writes  # no new order to carry it: a PUT either way
    assert (moved[0].customer_puts, moved[1].customer_puts) == (0, 1)
