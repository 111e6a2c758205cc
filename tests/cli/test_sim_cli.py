"""`gpmc sim gp|mailchimp` and `gpmc demo` run as real processes and answer on real sockets."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from requests_ntlm import HttpNtlmAuth


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gpmc(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc = subprocess.Popen([sys.executable, "-m", "gpmc_desktop.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, []
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def read_until(proc: subprocess.Popen[str], lines: list[str], marker: str) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"process ended before printing {marker!r}:\n{''.join(lines)}")


def test_sim_mailchimp_serves_ping_with_printed_key(tmp_path):
    port = free_port()
    with gpmc("sim", "mailchimp", "--port", str(port)) as (proc, lines):
        text = read_until(proc, lines, "try")
        key = re.search(r"API key\s*:\s*(\S+)", text).group(1)
        assert f"http://127.0.0.1:{port}/3.0" in text
        ok = requests.get(f"http://127.0.0.1:{port}/3.0/ping", auth=("any", key), timeout=10)
        assert ok.json() == {"health_status": "Everything's Chimpy!"}
        bad = requests.get(f"http://127.0.0.1:{port}/3.0/ping", auth=("any", "00ff-us6"), timeout=10)
        assert bad.status_code == 401


def test_sim_gp_serves_companies_over_verified_tls_with_ntlm(tmp_path):
    port = free_port()
    with gpmc("sim", "gp", "--port", str(port), "--customers", "60", "--workdir", str(tmp_path),
              "--user", "CORP\\alice", "--password", "Pa55-word") as (proc, lines):
        text = read_until(proc, lines, "try")
        ca = re.search(r"CA certificate\s*:\s*(\S+)", text).group(1)
        url = f"https://127.0.0.1:{port}/GPService/Tenants(DefaultTenant)/Companies.json"
        resp = requests.get(url, auth=HttpNtlmAuth("CORP\\alice", "Pa55-word"), verify=ca, timeout=20)
        assert resp.status_code == 200
        assert "TWO" in {c["DatabaseName"].strip() for c in resp.json()["Payload"]}
        denied = requests.get(url, auth=HttpNtlmAuth("CORP\\alice", "wrong"), verify=ca, timeout=20)
        assert denied.status_code == 401


def test_demo_starts_both_simulators_and_runs_a_real_first_sync(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gpmc_desktop.cli.main", "demo", "--exit", "--customers", "60",
         "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: the dirty data may hold a fake-looking e-mail
    assert "GP (SBA, HTTPS + NTLM)" in result.stdout
    assert "First load (run 1): done" in result.stdout
    held = re.search(r"now holds (\d+) members and (\d+) orders \((\S+)\)", result.stdout)
    assert held and int(held.group(1)) > 0 and int(held.group(2)) > 0
    # The closing line states the reconciliation's holdings, as the summary above it does.
    chain = re.search(r"Mailchimp now holds from GP: (\d+) audience members, \d+ e-commerce customers?, "
                      r"(\d+) orders? \((\S+)\)", result.stdout)
    assert chain and chain.groups() == held.groups(), result.stdout
    assert "[True, False]" in result.stdout  # the historical load was framed by is_syncing
    profile = tmp_path / "demo-profile.toml"
    assert profile.is_file()
    assert "password" not in profile.read_text().lower()
