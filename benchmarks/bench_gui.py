"""GUI benchmark: how responsive the window stays during a big sync, and how the audit view copes with a
million events.

    python benchmarks/bench_gui.py                      # ~10,000-record sync, 1,000,000-row audit log
    python benchmarks/bench_gui.py --customers 800 --rows 200000   # quicker

1. A real sync against the demo simulators (about 2.5 records per customer: 4,000 customers give ~10,000
   customer and invoice records) with the main window open, its progress bar and live audit view updating.
   A 10 ms QTimer probe records the gaps between its ticks: the worst gap is the longest the GUI froze.
   The simulators run in their own process (`gpmc demo --no-sync`) unless --in-process-sims is given.
2. The audit view over `--rows` events (written with the store benchmark's generator): open, scroll by
   fetching pages, filter, search, trace, and a CSV export of everything (with the probe running, since
   the export runs in a pool thread and must not freeze the window).

Runs offscreen when there is no display. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

Row = tuple[str, str, str]


class StallProbe:
    """A 10 ms timer; the gaps between its ticks are how long the event loop was busy elsewhere."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        gaps = sorted(self.gaps)
        p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
        return f"{gaps[-1]:.0f} / {p99:.0f} / {statistics.median(gaps):.0f}"


def wait_for(signal: object, timeout_s: float) -> list[object]:
    """Run the event loop until `signal` fires; returns its arguments."""
    loop = QEventLoop()
    got: list[object] = []

    def done(*args: object) -> None:
        got.extend(args)
        loop.quit()

    signal.connect(done)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)  # type: ignore[attr-defined]
    if not got:
        raise TimeoutError(f"nothing within {timeout_s:.0f} s")
    return got


def ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


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


def bench_sync(customers: int, folder: Path, in_process: bool) -> list[Row]:
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
            controller = DesktopController(credentials, use_tray=False, schedule_tick_ms=3_600_000)
            controller.start(show_window=True)
            controller.window.tabs.setCurrentWidget(controller.window.audit_view)  # the live audit refresh
            progress: list[int] = []
            controller.manager.progress.connect(lambda *_: progress.append(1))

            probe.start()
            idle_from = time.perf_counter()
            while time.perf_counter() - idle_from < 1.0:
                app.processEvents()
            probe.stop()
            rows.append(("idle event loop: worst / p99 / median gap", probe.summary(), "ms"))

            probe.start()
            began = time.perf_counter()
            controller.sync_now(profile.name)
            result = wait_for(controller.run_finished, 3600)[0]
            took = time.perf_counter() - began
            probe.stop()
            report = result.report
            assert report is not None, result.error
            records = sum(sum(v for k, v in counts.items() if k != "skipped")
                          for counts in (report.customers, report.orders))
            where = "in this process" if in_process else "in another process"
            rows.append((f"sync ({report.outcome}, simulators {where}): records sent", f"{records:,}", "records"))
            rows.append(("sync: duration", f"{took:.1f}", "s"))
            rows.append(("sync: progress signals delivered to the GUI", f"{len(progress):,}", "signals"))
            rows.append(("sync: GUI worst / p99 / median gap (10 ms probe)", probe.summary(), "ms"))
            rows.append(("sync: audit rows shown live at the end",
                         f"{controller.window.audit_view.model.rowCount():,}", "rows"))
            controller.shutdown()
            controller.window.close()
    finally:
        s.close()
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

        view = AuditView()
        view.resize(1200, 700)
        view.show()
        app = QApplication.instance()
        app.processEvents()
        model = view.model
        rows.append(("open the audit view (first page + paint)",
                     f"{ms(lambda: (view.set_profile(pid), view.table.viewport().repaint())):.1f}", "ms"))
        scrolls = []
        for _ in range(40):
            if not model.canFetchMore(QModelIndex()):
                break
            before = model.rowCount()
            scrolls.append(ms(lambda: (view.table.scrollToBottom(), app.processEvents(),
                                       view.table.viewport().repaint())))
            assert model.rowCount() > before
        rows.append((f"scroll to the end {len(scrolls)}x (fetchMore, now {model.rowCount():,} rows): median / worst",
                     f"{statistics.median(scrolls):.1f} / {max(scrolls):.1f}", "ms"))

        def choose(box: object, data: object) -> Callable[[], object]:
            return lambda: box.setCurrentIndex(box.findData(data))  # type: ignore[attr-defined]

        def search(text: str) -> Callable[[], object]:
            return lambda: (view.search.setText(text), view.apply_filters())

        cases: list[tuple[str, Callable[[], object]]] = [
            ("filter: action = failed (1%)", choose(view.action_box, "failed")),
            ("filter: back to all actions", choose(view.action_box, None)),
            ("filter: entity = product (2%)", choose(view.entity_box, "product")),
            ("filter: back to all records", choose(view.entity_box, None)),
            ("search: one GP key", search("CUST012345")),
            ("search: e-mail prefix", search("buyer1234")),
            ("search: broad prefix 'INV00'", search("INV00")),
            ("search: cleared", search("")),
            ("filter: one run", lambda: view.set_run(run_ids[len(run_ids) // 2])),
            ("filter: all runs", lambda: view.set_run(None)),
        ]
        for name, fn in cases:
            rows.append((name, f"{ms(fn):.1f}", "ms"))
        event = model.row_at(0)
        rows.append(("per-record trace dialog", f"{ms(lambda: view.trace_dialog(event).deleteLater()):.1f}", "ms"))

        probe = StallProbe()
        probe.start()
        began = time.perf_counter()
        view.export_to(folder / "audit.csv")
        exported = wait_for(view.export_finished, 3600)[0]
        took = time.perf_counter() - began
        probe.stop()
        rows.append((f"CSV export of all ({exported:,} rows), in the pool", f"{took:.1f}", "s"))
        rows.append(("CSV export: GUI worst / p99 / median gap", probe.summary(), "ms"))
        view.close()
    finally:
        s.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=4000, help="demo company size for the sync")
    ap.add_argument("--rows", type=int, default=1_000_000, help="audit events for the audit view")
    ap.add_argument("--dir", type=Path, help="folder for the databases (default: a temporary one)")
    ap.add_argument("--in-process-sims", action="store_true",
                    help="run the simulators inside this process, as gpmc-desktop --demo does")
    args = ap.parse_args()
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication(sys.argv[:1])
    if binding_leaks_none():
        sys.stderr.write("warning: this PySide6 corrupts None's reference count (see ui/qt_compat.py); "
                         "install PySide6-Essentials<6.12 for a run that does not abort\n")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        results = bench_sync(args.customers, folder, args.in_process_sims) + bench_audit(args.rows, folder)
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
