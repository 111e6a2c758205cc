"""What reading the sales invoices' lines costs over GP Web Services (``[gp] order_lines = "sales_invoices"``):
one company's receivables invoices read in full as a full comparison does, with and without their sales
invoices and items, on the project's SOAP simulator (NTLM, real sockets) with a latency per call.

    python benchmarks/bench_soap_lines.py                          # 300 customers, 20 ms a call, 4 readers
    python benchmarks/bench_soap_lines.py --customers 2000 --latency 0.05

Prints a table: the calls each way takes by operation, and the wall time.  Not a test.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_profile import CompanySpec
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import GPSettings
from gpmc_desktop.sync import order_lines

PASSWORD = "Bench-Soap-2024!"
COMPANY = "Bench Co"
OPERATIONS = ("GetReceivablesInvoiceByKey", "GetSalesInvoiceByKey", "GetItemByKey")


def read_invoices(sim: GPSoapSimulator, lines: str, workers: int) -> tuple[float, int, int, Counter[str]]:
    """Seconds to read every invoice as a full comparison does, the invoices, those with items, and the calls."""
    gp = GPSettings(url=sim.base_url, company=COMPANY, username="CORP\\svc-bench", api="soap", soap_workers=workers,
                    order_lines=lines)
    source = SoapSource(gp, build_session(gp, PASSWORD))
    try:
        source.company()
        source.calls.clear()
        started = time.perf_counter()
        docs = source.documents()
        seconds = time.perf_counter() - started
    finally:
        source.session.close()
    return seconds, len(docs), sum(1 for d in docs if order_lines.uses_lines(d)), Counter(source.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds GP takes per call")
    parser.add_argument("--workers", type=int, default=4, help="[gp] soap_workers")
    args = parser.parse_args()
    data = generate_dataset(args.customers, seed=5, companies=(CompanySpec(-1, "BENCH", COMPANY),))
    with GPSoapSimulator(data, users=[("CORP", "svc-bench", PASSWORD, {"*"})]) as sim:
        sim.set_latency(args.latency)
        rows = [(lines, *read_invoices(sim, lines, args.workers)) for lines in ("receivables", "sales_invoices")]
    print(f"{args.customers} customers, {args.latency * 1000:.0f} ms a call, {args.workers} readers")
    print(f"{'order_lines':>15} {'invoices':>9} {'with items':>11} " + " ".join(f"{op[3:-5]:>22}" for op in OPERATIONS)
          + f" {'other calls':>12} {'wall s':>8}")
    base = rows[0][1]
    for lines, seconds, invoices, with_items, calls in rows:
        other = sum(n for op, n in calls.items() if op not in OPERATIONS)
        print(f"{lines:>15} {invoices:>9} {with_items:>11} " + " ".join(f"{calls[op]:>22}" for op in OPERATIONS)
              + f" {other:>12} {seconds:>8.2f}  ({seconds / base:.2f}x)")


if __name__ == "__main__":
    main()
