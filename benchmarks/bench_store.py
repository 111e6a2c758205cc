"""Store benchmark: audit insert rate, keyset page fetches at 1,000,000 audit rows, synced-map load at 100k.

    python benchmarks/bench_store.py                 # full size, in a temporary folder
    python benchmarks/bench_store.py --rows 200000   # quicker
    python benchmarks/bench_store.py --dir D:/tmp    # on a particular disk

Prints a table. Page fetches are measured twice: right after the bulk insert (no planner statistics yet,
as on a machine whose log just grew) and after closing and reopening (close runs PRAGMA optimize).
"""

from __future__ import annotations

import argparse
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, SyncedState

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 5_000  # events per record_audit call, as the engine flushes them
PER_RUN = 10_000


def make_batch(rng: random.Random, start: int, n: int, run_no: int) -> list[NewAuditEvent]:
    events = []
    for i in range(start, start + n):
        r = rng.random()
        if r < 0.45:
            key = rng.randrange(50_000)
            gp_key, entity, email = f"CUST{key:06d}", "customer", f"buyer{key}@example.com"
            mc_id = f"{key:032x}"
        elif r < 0.98:
            gp_key, entity, email, mc_id = f"INV{rng.randrange(400_000):07d}", "order", None, None
            mc_id = gp_key
        else:
            gp_key, entity, email, mc_id = f"ITEM{rng.randrange(5_000):05d}", "product", None, None
        failed = rng.random() < 0.01
        action = (
            "failed" if failed else rng.choice(("created", "updated", "unchanged", "unchanged", "unchanged"))
        )
        events.append(
            NewAuditEvent(
                entity,
                gp_key,
                action,
                mailchimp_id=mc_id,
                email=email,
                reason="no change since last sync" if action == "unchanged" else None,
                http_status=400 if failed else 200,
                error_title="Invalid Resource" if failed else None,
                error_detail="The resource submitted could not be validated." if failed else None,
                payload_hash=f"{i:064x}",
                at=T0 + timedelta(hours=run_no, milliseconds=i % PER_RUN * 50),
            )
        )
    return events


def timed(fn: Callable[[], object], repeat: int = 7) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def page_cases(pid: int, run_ids: list[int], mid_id: int) -> list[tuple[str, Callable[[], object]]]:
    run_no = (mid_id - 1) // PER_RUN  # ids start at 1 in a new file, PER_RUN events per run
    mid_run = run_ids[run_no]
    in_run = run_no * PER_RUN + PER_RUN // 2  # a cursor halfway through that run
    when = T0 + timedelta(hours=len(run_ids) // 3)
    return [
        ("page 1, no filter", lambda: st.audit_page(limit=100)),
        (f"page at row {mid_id:,}, no filter", lambda: st.audit_page(after=mid_id, limit=100)),
        ("one run", lambda: st.audit_page(AuditFilter(run_id=mid_run), limit=100)),
        (
            "one run, page halfway",
            lambda: st.audit_page(AuditFilter(run_id=mid_run), after=in_run, limit=100),
        ),
        (
            "entity=product (2%)",
            lambda: st.audit_page(AuditFilter(profile_id=pid, entity="product"), limit=100),
        ),
        ("action=failed (1%)", lambda: st.audit_page(AuditFilter(action="failed"), limit=100)),
        (
            "run + action=failed",
            lambda: st.audit_page(AuditFilter(run_id=mid_run, action="failed"), limit=100),
        ),
        ("text: one GP key", lambda: st.audit_page(AuditFilter(text="cust012345"), limit=100)),
        ("text: e-mail prefix", lambda: st.audit_page(AuditFilter(text="buyer1234"), limit=100)),
        ("text: broad prefix 'INV00'", lambda: st.audit_page(AuditFilter(text="INV00"), limit=100)),
        (
            "time window (1 h)",
            lambda: st.audit_page(AuditFilter(since=when, until=when + timedelta(hours=1)), limit=100),
        ),
        ("per-record trace", lambda: st.record_trace(pid, "customer", "CUST012345")),
        (
            "CSV export of one run (10k rows)",
            lambda: st.export_audit_csv(io.StringIO(), AuditFilter(run_id=mid_run)),
        ),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="audit events to insert")
    ap.add_argument("--synced", type=int, default=100_000, help="synced records for the map load")
    ap.add_argument("--dir", type=Path, help="folder for the database (default: a temporary one)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(dir=args.dir)
    path = Path(tmp.name) / "state.sqlite"
    rng = random.Random(7)
    results: list[tuple[str, str, str]] = []

    s = st.open_store(path)
    pid = st.save_profile("bench").id
    run_ids: list[int] = []
    insert_s = 0.0
    for start in range(0, args.rows, BATCH):
        run_no = start // PER_RUN
        if len(run_ids) <= run_no:
            if run_ids:
                st.finish_run(run_ids[-1], "ok")
            run_ids.append(st.start_run(pid, "incremental", now=T0 + timedelta(hours=run_no)))
        batch = make_batch(rng, start, min(BATCH, args.rows - start), run_no)
        t = time.perf_counter()
        st.record_audit(run_ids[-1], batch)
        insert_s += time.perf_counter() - t
    st.finish_run(run_ids[-1], "ok")
    results.append(
        (f"audit insert ({args.rows:,} rows, {BATCH:,}/batch)", f"{args.rows / insert_s:,.0f}", "rows/s")
    )
    mid_id = args.rows // 2

    cold = {name: timed(fn) for name, fn in page_cases(pid, run_ids, mid_id)}
    s.close()
    t = time.perf_counter()
    s = st.open_store(path)
    reopen_ms = (time.perf_counter() - t) * 1000
    warm = {name: timed(fn) for name, fn in page_cases(pid, run_ids, mid_id)}
    for name in cold:
        results.append(
            (f"keyset page (100): {name}", f"{cold[name]:.2f} / {warm[name]:.2f}", "ms (no stats / stats)")
        )
    results.append(("reopen the store", f"{reopen_ms:.1f}", "ms"))

    records = {
        f"CUST{i:06d}": SyncedState(f"{rng.getrandbits(256):064x}", f"{i:032x}", f"buyer{i}@example.com")
        for i in range(args.synced)
    }
    t = time.perf_counter()
    st.upsert_synced(pid, "customer", records)
    upsert_s = time.perf_counter() - t
    results.append((f"synced upsert ({args.synced:,} records)", f"{args.synced / upsert_s:,.0f}", "rows/s"))
    loaded: dict[str, SyncedState] = {}

    def load() -> None:
        nonlocal loaded
        loaded = st.synced_map(pid, "customer")

    results.append((f"synced map load ({args.synced:,} records)", f"{timed(load, 5):.0f}", "ms"))
    assert len(loaded) == args.synced
    s.close()
    results.append(("database file size", f"{path.stat().st_size / 1e6:,.0f}", "MB"))

    width = max(len(r[0]) for r in results)
    vwidth = max(len(r[1]) for r in results)
    sys.stdout.write(
        f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}\n"
    )
    sys.stdout.write(f"{'measurement'.ljust(width)}  {'value'.rjust(vwidth)}  unit\n")
    sys.stdout.write(f"{'-' * width}  {'-' * vwidth}  ----\n")
    for name, value, unit in results:
        sys.stdout.write(f"{name.ljust(width)}  {value.rjust(vwidth)}  {unit}\n")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
