"""Legacy SOAP reads: GetCustomerByKey one at a time vs on a pool of signed-in sessions (``[gp] soap_workers``).

    python benchmarks/bench_soap.py                       # 200 customers, 50 ms per call, 1 vs 4 readers
    python benchmarks/bench_soap.py --customers 1000 --latency 0.1 --workers 1 2 4 8

Runs the project's SOAP simulator (NTLM, real sockets) with the latency per call, reads every customer of one
company in full the way a sync does (list, then one GetCustomerByKey each) and prints a table.  Not a test.
"""

from __future__ import annotations

import argparse
import time

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_profile import CompanySpec
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.soap import SoapSource
from gpmc_desktop.profile import GPSettings

PASSWORD = "Bench-Soap-2024!"
COMPANY = "Bench Co"


def read_all(sim: GPSoapSimulator, workers: int) -> tuple[float, int, int]:
    """Seconds to read every customer in full, the customers read and the most calls GP saw at once."""
    gp = GPSettings(url=sim.base_url, company=COMPANY, username="CORP\\svc-bench", api="soap", soap_workers=workers)
    source = SoapSource(gp, build_session(gp, PASSWORD))
    try:
        source.company()
        sim.log.clear()
        started = time.perf_counter()
        customers = source.customers()
        seconds = time.perf_counter() - started
    finally:
        source.session.close()
    return seconds, len(customers), sim.log.most_at_once("GetCustomerByKey")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds GP takes per GetCustomerByKey")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    data = generate_dataset(args.customers, documents=0, seed=5, companies=(CompanySpec(-1, "BENCH", COMPANY),))
    with GPSoapSimulator(data, users=[("CORP", "svc-bench", PASSWORD, {"*"})]) as sim:
        sim.set_latency(args.latency, "GetCustomerByKey")
        rows = [(w, *read_all(sim, w)) for w in args.workers]
    serial = rows[0][1]
    print(f"{args.customers} customers, {args.latency * 1000:.0f} ms per GetCustomerByKey")
    print(f"{'readers':>8} {'wall s':>8} {'customers':>10} {'most at once':>13} {'per s':>8} {'speed-up':>9}")
    for workers, seconds, count, most in rows:
        print(f"{workers:>8} {seconds:>8.2f} {count:>10} {most:>13} {count / seconds:>8.1f} {serial / seconds:>8.2f}x")


if __name__ == "__main__":
    main()
