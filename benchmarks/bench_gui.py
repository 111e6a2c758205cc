"""GUI benchmark: how responsive the window stays through a big backfill, and how the audit view copes with the
rows that backfill writes and with a million events (issue 14, item 8: worst event-loop stall ≤ 100 ms).

    python benchmarks/bench_gui.py                      # 10,000-customer backfill, 1,000,000-row audit log
    python benchmarks/bench_gui.py --customers 100000   # the 100k backfill (about 50,000 invoices per 10k)
    python benchmarks/bench_gui.py --customers 800 --rows 200000   # quicker
    python benchmarks/bench_gui.py --rows 0             # the backfill only

1. A real first load against the demo simulators (80% of the customers are in the synced company, five
   documents each) with the main window open on its audit page, the progress bar and the live audit view
   updating. A 10 ms QTimer probe records the gaps between its ticks: the worst gap is the longest the GUI froze.
   The run goes in a sync process of its own, as the app runs it (`sync/engine_process.py`; --in-process-engine
   runs it on a thread of this process instead, as releases before that did). The simulators run in their own
   process (`gpmc demo --no-sync`) unless --in-process-sims is given.
2. The audit view over the audit rows that backfill wrote: open, scroll by fetching pages, filter, search,
   trace, and a CSV export of everything (with the probe running: the export runs in a pool thread and must
   not freeze the window).
3. The same over `--rows` generated events (the store benchmark's generator); 0 skips it.

Runs offscreen when there is no display. Prints a table.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import PySide6
from bench_store import BATCH, PER_RUN, T0, make_batch  # the store benchmark's audit generator
from PySide6.QtCore import QEventLoop, QModelIndex, QTimer
from PySide6.QtWidgets import QApplication

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DEMO_DC, DEMO_PASSWORD, DemoEnvironment
from gpmc_desktop.demo.mailchimp_sim import demo_key
from gpmc_desktop.profile import Secrets, load_profile
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.audit_view import AuditView
from gpmc_desktop.ui.controller import DesktopController
from gpmc_desktop.ui.qt_compat import binding_leaks_none
from gpmc_desktop.ui.worker import saved_profile_runner

Row = tuple[str, str, str]


class StallProbe:
    """A 10 ms timer; the gaps between its ticks are how long the event loop was busy elsewhere.

    Each gap also records the CPU time the GUI thread itself spent in it: a long gap with little of it was the
    GUI waiting (for the GIL held by another thread of the app, or for a core on a busy machine), a long gap full
    of it is work on the GUI thread, which is what the code can fix."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.busy: list[float] = []  # GUI-thread CPU ms within each gap
        self.where: list[str] = []  # what was going on at each tick (see `context`)
        self.queued: list[float] = []  # ms the GUI thread was runnable but had no core (Linux schedstat)
        self.context: Callable[[], str] = str
        self._last = 0.0
        self._last_cpu = 0.0
        self._last_queued = 0.0

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append((now - self._last) * 1000)
        self.busy.append((cpu - self._last_cpu) * 1000)
        self.where.append(self.context())
        queued = run_queue_ms()
        self.queued.append(queued - self._last_queued)
        self._last, self._last_cpu, self._last_queued = now, cpu, queued

    def start(self) -> None:
        self.gaps.clear()
        self.busy.clear()
        self.where.clear()
        self.queued.clear()
        self._last, self._last_cpu, self._last_queued = time.perf_counter(), time.thread_time(), run_queue_ms()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def worst(self) -> float:
        """The longest gap so far, counting the time since the last tick."""
        return max([*self.gaps, (time.perf_counter() - self._last) * 1000])

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        gaps = sorted(self.gaps)
        p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
        return f"{gaps[-1]:.0f} / {p99:.0f} / {statistics.median(gaps):.0f}"

    def own_work(self) -> str:
        """The most GUI-thread CPU in one gap, and that gap's length."""
        if not self.busy:
            return "no ticks"
        worst = max(range(len(self.busy)), key=self.busy.__getitem__)
        return f"{self.busy[worst]:.0f} in {self.gaps[worst]:.0f}"

    def worst_breakdown(self) -> str:
        """The worst gap split into the GUI thread's own CPU, waiting for a core (the machine is busy) and the
        rest: blocked (on the GIL another thread holds, on the disk, on Qt's paint helper threads)."""
        if not self.gaps:
            return "no ticks"
        i = max(range(len(self.gaps)), key=self.gaps.__getitem__)
        blocked = max(0.0, self.gaps[i] - self.busy[i] - self.queued[i])
        return f"{self.gaps[i]:.0f} = {self.busy[i]:.0f} + {self.queued[i]:.0f} + {blocked:.0f}"

    def most_blocked(self) -> str:
        """The longest the GUI thread was blocked (neither running nor waiting for a core) within one gap."""
        if not self.gaps:
            return "no ticks"
        blocked = [max(0.0, g - b - q) for g, b, q in zip(self.gaps, self.busy, self.queued, strict=True)]
        i = max(range(len(blocked)), key=blocked.__getitem__)
        return f"{blocked[i]:.0f} in {self.gaps[i]:.0f} ({self.where[i] or '?'})"

    def worst_where(self) -> str:
        """The context of the worst gaps, worst first (e.g. the sync's progress phase)."""
        if not self.gaps:
            return "no ticks"
        order = sorted(range(len(self.gaps)), key=self.gaps.__getitem__, reverse=True)[:3]
        return ", ".join(f"{self.gaps[i]:.0f} ({self.where[i] or '?'})" for i in order)


SCHEDSTAT = Path("/proc/thread-self/schedstat")


class GcPauses:
    """The collector's work while the sync runs (gc.callbacks): full collections hold the GIL, every thread waits."""

    def __init__(self) -> None:
        self.young = 0
        self.full: list[float] = []
        self._began = 0.0

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] < 2:
            self.young += phase == "start"
        elif phase == "start":
            self._began = time.perf_counter()
        else:
            self.full.append((time.perf_counter() - self._began) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._note)

    def summary(self) -> str:
        return f"{self.young:,} / {len(self.full)}; {max(self.full, default=0):.0f}"


def run_queue_ms() -> float:
    """Milliseconds this thread has spent runnable but waiting for a core (0 where Linux's schedstat is absent)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def wait_for(signal: object, timeout_s: float) -> list[object]:
    """Run the event loop until `signal` fires; returns its arguments (none for a signal without any)."""
    loop = QEventLoop()
    got: list[object] = []
    fired = False

    def done(*args: object) -> None:
        nonlocal fired
        fired = True
        got.extend(args)
        loop.quit()

    signal.connect(done)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)  # type: ignore[attr-defined]
    if not fired:
        raise TimeoutError(f"nothing within {timeout_s:.0f} s")
    return got


def wall_and_cpu(fn: Callable[[], object]) -> str:
    """Milliseconds *fn* took, and how much of that was the GUI thread's own CPU (the rest was waiting)."""
    t, cpu = time.perf_counter(), time.thread_time()
    fn()
    return f"{(time.perf_counter() - t) * 1000:.1f} (CPU {(time.thread_time() - cpu) * 1000:.0f})"


@contextmanager
def simulators(customers: int, folder: Path, in_process: bool) -> Iterator[tuple[Path, Secrets]]:
    """The demo simulators, by default in their own process (as GP and Mailchimp are remote in real use, and
    in-process simulators would compete with the GUI for the GIL); yields the profile file and the secrets."""
    workdir = folder / "demo"
    if in_process:
        with DemoEnvironment(customers=customers, workdir=workdir) as env:
            yield env.write_profile(), env.secrets
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "gpmc_desktop.cli.main", "demo", "--no-sync", "--customers", str(customers),
         "--workdir", str(workdir)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the banner ends with the headless-sync hint once both servers listen
            if "headless sync" in line:
                break
        else:
            raise RuntimeError("the demo simulators did not start")
        yield workdir / "demo-profile.toml", Secrets(gp_password=DEMO_PASSWORD, mailchimp_api_key=demo_key(DEMO_DC))
    finally:
        proc.terminate()
        proc.wait(30)


def bench_sync(customers: int, folder: Path, in_process: bool, in_process_engine: bool) -> list[Row]:
    rows: list[Row] = []
    app = QApplication.instance()
    probe = StallProbe()
    s = store.open_store(folder / "sync" / "state.sqlite")
    try:
        with simulators(customers, folder, in_process) as (profile_file, secrets), use_test_keyring():
            credentials = default_store()
            profile = load_profile(profile_file)
            save_profile_settings(profile)
            credentials.set(profile.name, GP_PASSWORD, secrets.gp_password)
            credentials.set(profile.name, MAILCHIMP_API_KEY, secrets.mailchimp_api_key)
            runner = saved_profile_runner(credentials, in_process=in_process_engine)
            controller = DesktopController(credentials, use_tray=False, schedule_tick_ms=3_600_000, runner=runner)
            controller.start(show_window=True)
            controller.window.tabs.setCurrentWidget(controller.window.audit_view)  # the live audit refresh
            progress: list[str] = []
            controller.manager.progress.connect(lambda _profile, phase, *_: progress.append(phase))
            probe.context = lambda: progress[-1] if progress else "before the first progress"

            probe.start()
            idle_from = time.perf_counter()
            while time.perf_counter() - idle_from < 1.0:
                app.processEvents()
            probe.stop()
            rows.append(("idle event loop: worst / p99 / median gap", probe.summary(), "ms"))
            rows.append(("idle event loop: most GUI-thread CPU in one gap", probe.own_work(), "ms"))
            rows.append(("idle: worst gap = own CPU + waiting for a core + blocked", probe.worst_breakdown(), "ms"))

            gc.collect()
            objects_before = len(gc.get_objects())
            collections = GcPauses()
            probe.start()
            began = time.perf_counter()
            with collections:
                controller.sync_now(profile.name)
                result = wait_for(controller.run_finished, 3600)[0]
            took = time.perf_counter() - began
            probe.stop()
            report = result.report
            assert report is not None, result.error
            records = sum(sum(v for k, v in counts.items() if k != "skipped")
                          for counts in (report.customers, report.orders))
            where = "in this process" if in_process else "in another process"
            engine = "on a thread of this process" if in_process_engine else "in a sync process"
            rows.append((f"sync ({report.outcome}, engine {engine}, simulators {where}): records sent",
                         f"{records:,}", "records"))
            rows.append(("sync: duration", f"{took:.1f}", "s"))
            rows.append(("sync: progress signals delivered to the GUI", f"{len(progress):,}", "signals"))
            rows.append(("sync: GUI worst / p99 / median gap (10 ms probe; goal: worst ≤ 100)", probe.summary(), "ms"))
            rows.append(("sync: most GUI-thread CPU in one gap (the GUI's own work)", probe.own_work(), "ms"))
            rows.append(("sync: the three worst gaps (engine phase)", probe.worst_where(), "ms"))
            rows.append(("sync: worst gap = own CPU + waiting for a core + blocked (GIL, I/O)", probe.worst_breakdown(),
                         "ms"))
            rows.append(("sync: longest blocked (GIL, I/O) within one gap", probe.most_blocked(), "ms"))
            rows.append(("sync: garbage collections in this process, young / full; longest full", collections.summary(),
                         "ms"))
            live = controller.window.audit_view.model
            while live.querying:  # the last refresh, read in the pool
                wait_for(live.loaded, 60)
            rows.append(("sync: audit rows shown live at the end", f"{live.rowCount():,}", "rows"))
            gc.collect()
            rows.append(("sync: objects the collector tracks in this process, before / after the run",
                         f"{objects_before:,} / {len(gc.get_objects()):,}", "objects"))
            controller.shutdown()
            controller.window.close()
            pid = store.get_profile(profile.name).id
            written = store.count_audit(store.AuditFilter(profile_id=pid))
            rows += measure_audit_view(pid, [report.run_id], folder, f"backfill's {written:,} audit rows",
                                       searches_in(pid))
    finally:
        s.close()
    return rows


@dataclass(frozen=True)
class AuditSearches:
    """What the audit cases look for: a GP key, an e-mail prefix and a broad prefix that exist in the rows."""

    key: str
    email_prefix: str
    broad: str


SYNTHETIC_SEARCHES = AuditSearches("CUST012345", "buyer1234", "INV00")


def searches_in(pid: int) -> AuditSearches:
    """Searches over the rows a backfill wrote: a customer's key and e-mail from the middle of the log."""
    rows = store.audit_page(store.AuditFilter(profile_id=pid, entity="customer"), limit=1000).rows
    row = rows[len(rows) // 2] if rows else None
    key = row.gp_key if row else "X"
    email = (row.email or key) if row else "x"
    return AuditSearches(key, email[:5], key[:2])


def until_shown(view: AuditView, action: Callable[[], object]) -> tuple[float, float]:
    """*action* (open, filter, search, scroll), then the event loop until the rows it asked for are shown and
    painted: the milliseconds that took and the longest the event loop stalled meanwhile (the pages are read
    in a pool thread, so the first is what the user waits for and the second is whether the window froze)."""
    model = view.model
    probe = StallProbe()
    probe.start()
    began = time.perf_counter()
    action()
    if model.querying:
        wait_for(model.loaded, 600)
    view.table.viewport().repaint()
    shown = (time.perf_counter() - began) * 1000
    worst = probe.worst()
    probe.stop()
    return shown, worst


def shown_text(view: AuditView, action: Callable[[], object]) -> str:
    shown, worst = until_shown(view, action)
    return f"{shown:.1f} / {worst:.0f}"


def measure_audit_view(pid: int, run_ids: list[int], folder: Path, label: str,
                       searches: AuditSearches) -> list[Row]:
    """Open, scroll, filter, search, trace and export the audit view of profile *pid*; *label* names the rows."""
    rows: list[Row] = []
    view = AuditView()
    view.resize(1200, 700)
    view.show()
    app = QApplication.instance()
    app.processEvents()
    model = view.model
    shown = "rows shown / worst event-loop stall"
    rows.append((f"{label}: open the audit view (first page + paint): {shown}",
                 shown_text(view, lambda: view.set_profile(pid)), "ms"))
    scrolls: list[float] = []
    stalls: list[float] = []
    for _ in range(40):
        if not model.canFetchMore(QModelIndex()):
            break
        before = model.rowCount()
        took, stall = until_shown(view, view.table.scrollToBottom)
        scrolls.append(took)
        stalls.append(stall)
        assert model.rowCount() > before
    if scrolls:
        rows.append((f"{label}: scroll to the end {len(scrolls)}x (fetchMore, now {model.rowCount():,} rows): "
                     "median / worst to the rows, worst stall",
                     f"{statistics.median(scrolls):.1f} / {max(scrolls):.1f}, {max(stalls):.0f}", "ms"))

    def choose(box: object, data: object) -> Callable[[], object]:
        return lambda: box.setCurrentIndex(box.findData(data))  # type: ignore[attr-defined]

    def search(text: str) -> Callable[[], object]:
        return lambda: (view.search.setText(text), view.apply_filters())

    cases: list[tuple[str, Callable[[], object]]] = [
        ("filter: action = failed", choose(view.action_box, "failed")),
        ("filter: back to all actions", choose(view.action_box, None)),
        ("filter: entity = product", choose(view.entity_box, "product")),
        ("filter: back to all records", choose(view.entity_box, None)),
        (f"search: one GP key ({searches.key})", search(searches.key)),
        (f"search: e-mail prefix ({searches.email_prefix})", search(searches.email_prefix)),
        (f"search: broad prefix '{searches.broad}'", search(searches.broad)),
        ("search: cleared", search("")),
        ("filter: one run", lambda: view.set_run(run_ids[len(run_ids) // 2])),
        ("filter: all runs", lambda: view.set_run(None)),
    ]
    for name, fn in cases:
        rows.append((f"{label}: {name}: {shown}", shown_text(view, fn), "ms"))
    if model.rowCount():
        event = model.row_at(0)
        rows.append((f"{label}: per-record trace dialog",
                     wall_and_cpu(lambda: view.trace_dialog(event).deleteLater()), "ms"))

    probe = StallProbe()
    probe.start()
    began = time.perf_counter()
    view.export_to(folder / f"audit-{label.replace(' ', '-')}.csv")
    exported = wait_for(view.export_finished, 3600)[0]
    took = time.perf_counter() - began
    probe.stop()
    rows.append((f"{label}: CSV export of all ({exported:,} rows), in the pool", f"{took:.1f}", "s"))
    rows.append((f"{label}: CSV export: GUI worst / p99 / median gap", probe.summary(), "ms"))
    rows.append((f"{label}: CSV export: most GUI-thread CPU in one gap", probe.own_work(), "ms"))
    view.close()
    return rows


def bench_audit(n_rows: int, folder: Path) -> list[Row]:
    rows: list[Row] = []
    s = store.open_store(folder / "audit" / "state.sqlite")
    try:
        pid = store.save_profile("bench").id
        rng = random.Random(7)
        run_ids: list[int] = []
        began = time.perf_counter()
        for start in range(0, n_rows, BATCH):
            run_no = start // PER_RUN
            if len(run_ids) <= run_no:
                if run_ids:
                    store.finish_run(run_ids[-1], "ok")
                run_ids.append(store.start_run(pid, "incremental", now=T0 + timedelta(hours=run_no)))
            store.record_audit(run_ids[-1], make_batch(rng, start, min(BATCH, n_rows - start), run_no))
        store.finish_run(run_ids[-1], "ok")
        rows.append((f"fill the audit log ({n_rows:,} rows)", f"{time.perf_counter() - began:.1f}", "s"))
        rows += measure_audit_view(pid, run_ids, folder, f"{n_rows:,} generated rows", SYNTHETIC_SEARCHES)
    finally:
        s.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=10_000,
                    help="customers in the demo for the backfill (default 10000; 100000 for the big one)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="generated audit events for the audit view (0: none)")
    ap.add_argument("--dir", type=Path, help="folder for the databases (default: a temporary one)")
    ap.add_argument("--in-process-sims", action="store_true",
                    help="run the simulators inside this process, as gpmc-desktop --demo does")
    ap.add_argument("--in-process-engine", action="store_true",
                    help="run the sync on a thread of this process, not in a sync process of its own")
    args = ap.parse_args()
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication(sys.argv[:1])
    if binding_leaks_none():
        sys.stderr.write("warning: this PySide6 corrupts None's reference count (see ui/qt_compat.py); "
                         "install PySide6-Essentials<6.12 for a run that does not abort\n")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        results = bench_sync(args.customers, folder, args.in_process_sims, args.in_process_engine)
        if args.rows:
            results += bench_audit(args.rows, folder)
    width = max(len(r[0]) for r in results)
    vwidth = max(len(r[1]) for r in results)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sys.stdout.write(f"PySide6 {PySide6.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
                     f"load average {load:.1f} at the end, QPA {app.platformName()}\n")
    sys.stdout.write(f"{'measurement'.ljust(width)}  {'value'.rjust(vwidth)}  unit\n")
    sys.stdout.write(f"{'-' * width}  {'-' * vwidth}  ----\n")
    for name, value, unit in results:
        sys.stdout.write(f"{name.ljust(width)}  {value.rjust(vwidth)}  {unit}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
