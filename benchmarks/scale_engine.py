"""The engine as bench_scale.py measures it: one sync in a child process, so its peak RSS is its own, and what
the simulators saw of it (requests, POST /batches, Mailchimp's batch processing time, GP's raw download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import load_profile
from gpmc_desktop.profile.schema import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY

# Runs in the child: the engine's own wall time (imports excluded) and every progress phase it reported.
CHILD = """
import json, sys, time
from gpmc_desktop import store
from gpmc_desktop.profile import load_profile, secrets_from_env
from gpmc_desktop.sync.runner import run_profile
phases = {}
def progress(phase, done, total):
    phases[phase] = max(phases.get(phase, 0), total)
profile = load_profile(sys.argv[1])
with store.open_store(profile.database):
    started = time.perf_counter()
    report = run_profile(profile, secrets_from_env(), progress=progress)
    wall = time.perf_counter() - started
# The child's own peak (VmHWM): ru_maxrss would carry the parent's (the simulators') peak over fork and exec.
import os
status = "/proc/self/status"
hwm = next((int(line.split()[1]) * 1024 / 1e6 for line in open(status) if line.startswith("VmHWM:")), None) \
    if os.path.exists(status) else None
print(json.dumps({"wall": wall, "phases": phases, "report": report.json_line(), "rss": hwm}))
"""

# Live requests that write one record (member, its tags, e-commerce customer, order).
RECORD_PATHS = (
    "/lists/{list_id}/members",  # a contact new to the sync, created with its tags in one call
    "/lists/{list_id}/members/{subscriber_hash}",
    "/lists/{list_id}/members/{subscriber_hash}/tags",
    "/ecommerce/stores/{store_id}/customers/{customer_id}",
    "/ecommerce/stores/{store_id}/orders",
    "/ecommerce/stores/{store_id}/orders/{order_id}",
)
BATCH_SUBMIT = ("POST", "/batches")


@dataclass
class EngineRun:
    wall: float  # seconds run_profile took in the child
    peak_rss_mb: float  # the child's peak resident set (nan where the OS cannot say)
    exit_code: int
    report: dict[str, Any]
    phases: dict[str, int]
    requests: int = 0  # live requests Mailchimp saw
    writes: int = 0  # live requests other than GET/HEAD
    record_writes: int = 0  # live writes of members, tags, customers and orders
    batches: int = 0  # POST /batches
    batch_operations: int = 0
    batch_processing_s: float = 0.0  # time Mailchimp had a batch in hand (union of submitted → completed)
    error: str = ""
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def records_written(self) -> int:
        """Customers and orders the run created or updated (its --json line's counts)."""
        return sum(self.report.get(kind, {}).get(action, 0)
                   for kind in ("customers", "orders") for action in ("created", "updated"))


def _wait_with_rusage(proc: subprocess.Popen[bytes]) -> float:
    """Wait for *proc*; its peak RSS in MB (os.wait4 reports this child alone), nan without wait4."""
    if not hasattr(os, "wait4"):
        proc.wait()
        return float("nan")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return usage.ru_maxrss * scale / 1e6


def run_engine(env: DemoEnvironment, profile_path: Path) -> EngineRun:
    """One sync of *profile_path* in a child process, with the simulators' counters taken around it."""
    sim = env.mailchimp
    sim.reset_counters()
    batches_before = {b.id for b in sim.batches.all()}
    child_env = {**os.environ, ENV_GP_PASSWORD: env.secrets.gp_password,
                 ENV_MAILCHIMP_API_KEY: env.secrets.mailchimp_api_key}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(profile_path)], stdout=out, stderr=err,
                                env=child_env)
        rss = _wait_with_rusage(proc)
        out.seek(0)
        err.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
        stderr = err.read().decode("utf-8", "replace")
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return EngineRun(float("nan"), rss, proc.returncode or -1, {}, {}, error=stderr.strip()[-2000:])
    own = result.get("rss")  # VmHWM where /proc has it (Linux)
    run = EngineRun(result["wall"], own if own is not None else rss, proc.returncode or 0, result["report"],
                    result["phases"])
    count_traffic(run, sim, batches_before)
    return run


def count_traffic(run: EngineRun, sim: MailchimpSimulator, batches_before: set[str]) -> None:
    counts = sim.request_counts()
    run.counts = counts
    run.requests = sum(counts.values())
    run.writes = sim.writes
    run.record_writes = sum(n for (method, path), n in counts.items() if method != "GET" and path in RECORD_PATHS)
    run.batches = counts.get(BATCH_SUBMIT, 0)
    run.batch_operations = sum(sim.batch_operation_counts().values())
    mine = [b for b in sim.batches.all() if b.id not in batches_before]
    run.batch_processing_s = busy_seconds([(b.submitted_at, b.completed_at or time.time()) for b in mine])


def busy_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of the (start, end) spans: the time at least one batch was in Mailchimp's hands."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def raw_download_seconds(env: DemoEnvironment, profile_path: Path, repeat: int = 2) -> float:
    """GP's two collections fetched with plain requests and NTLM, as the engine fetches them, never parsed: the
    floor a no-op poll is compared with (the best of *repeat* tries; the first also signs in)."""
    gp = load_profile(profile_path).gp
    session = build_session(gp, env.secrets.gp_password)
    company = f"{gp.url}/GPService/Tenants({gp.tenant})/Companies({DEMO_COMPANY})"
    urls = [f"{company}/Sales/Customers.json", f"{company}/{gp.receivables_path}.json"]
    best = float("inf")
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            for url in urls:
                resp = session.get(url, verify=session.verify, timeout=(10, 600))
                resp.raise_for_status()
                _ = resp.content
            best = min(best, time.perf_counter() - started)
    finally:
        session.close()
    return best
