"""Secrets never leave the keyring or the environment: after a sync, an audit export, a diagnostics bundle, a GP
sample and a crash, the GP password, the API key and the key's part before the dash are in none of the state
database, its WAL, the logs, the CSV, the zips (member by member), the ``--json`` lines or stderr.  And TLS
verification towards GP cannot be turned off behind the profile's back: the environment variables that loosen
``requests`` and Python change nothing, and the profile has no key that would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gpmc_desktop.profile.schema import KEYS
from tests.reliability.figures import record
from tests.reliability.kill_trials import ROOT
from tests.reliability.secret_scan import Hit, needles, scan_file, scan_text, scan_tree
from tests.sync.engine_support import CliResult, Demo, demo_fixture

demo = demo_fixture("demo", 60)


def gpmc(demo: Demo, *args: str, env: dict[str, str] | None = None, hooked: str = "") -> CliResult:
    """``gpmc`` with the demo's secrets in the environment; *hooked*: a kill point spec that raises a bug."""
    environ = {**demo.cli_env(), "PYTHONPATH": str(ROOT), **(env or {})}
    module = "tests.reliability.kill_points" if hooked else "gpmc_desktop.cli.main"
    if hooked:
        environ["GPMC_TEST_KILL"] = hooked
    done = subprocess.run([sys.executable, "-m", module, *args], env=environ, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    return CliResult(done.returncode, done.stdout, done.stderr)


@dataclass
class Figures:
    files_scanned: int = 0
    outputs_scanned: int = 0
    secret_hits: int = 0

    @property
    def ok(self) -> bool:
        return self.secret_hits == 0


def test_no_secret_in_anything_the_product_writes(demo: Demo, tmp_path: Path) -> None:
    config = str(demo.profile_path)
    out = tmp_path / "exports"
    out.mkdir()
    runs = {
        "sync --json": gpmc(demo, "sync", "--config", config, "--json"),
        "audit --csv": gpmc(demo, "audit", "--config", config, "--csv", str(out / "audit.csv")),
        "audit": gpmc(demo, "audit", "--config", config, "--limit", "0"),
        "diagnose": gpmc(demo, "diagnose", "--config", config, "--out", str(out / "diagnostics.zip")),
        "capture": gpmc(demo, "capture", "--config", config, "--out", str(out / "gp-sample.zip")),
        "a crash": gpmc(demo, "sync", "--config", config, "--json", "--full",
                        hooked=json.dumps({"point": "gp-read", "nth": 3, "when": "raise"})),
        # Killed while it writes, so the WAL it leaves (with what it held uncommitted) is searched too.
        "killed mid-run": gpmc(demo, "sync", "--config", config, "--json", "--full",
                               hooked=json.dumps({"point": "sqlite-commit", "nth": 2, "when": "before"})),
    }
    assert runs["killed mid-run"].code == -signal.SIGKILL, runs["killed mid-run"].stderr
    assert runs["sync --json"].code in (0, 1), runs["sync --json"].stderr
    for name in ("audit --csv", "audit", "diagnose", "capture"):
        assert runs[name].code == 0, (name, runs[name].stderr)
    crash = runs["a crash"]
    assert crash.code == 2 and "unexpected error" in crash.stderr and "Traceback" not in crash.stderr, crash.stderr
    assert "simulated bug with ******** and ********" in crash.stderr

    secrets = demo.env.secrets
    wanted = needles(secrets.gp_password, secrets.mailchimp_api_key)
    hits: list[Hit] = []
    figures = Figures()
    for root in (demo.data_dir, out):
        found, files = scan_tree(root, wanted)
        hits += found
        figures.files_scanned += files
    for name, result in runs.items():
        hits += scan_text(f"{name}: stdout", result.stdout, wanted)
        hits += scan_text(f"{name}: stderr", result.stderr, wanted)
        figures.outputs_scanned += 2
    figures.secret_hits = len(hits)
    record("secrets", figures)
    assert hits == []
    # The scan looked where the secrets would be: the WAL, the log with the crash's traceback, both zips.
    names = {p.name for p in demo.data_dir.rglob("*")}
    assert any(n.endswith("-wal") for n in names) and any(n.startswith("gpmc.log") for n in names)
    log = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in demo.data_dir.rglob("gpmc.log*"))
    assert "simulated bug with ******** and ********" in log and "Traceback" in log
    assert scan_file(out / "diagnostics.zip", needles("a-string-nobody-wrote", "nor-this-us1")) == []
    assert len(zip_names(out / "diagnostics.zip")) > 3 and len(zip_names(out / "gp-sample.zip")) > 1


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_tls_verification_towards_gp_cannot_be_turned_off_from_the_environment(demo: Demo) -> None:
    # The demo's GP speaks TLS with a certificate from the demo's own CA: without ca_bundle it is untrusted.
    bare = demo.env.write_profile("no-ca.toml", database=str(demo.db_path), ca_bundle="")
    loosened = {"CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "", "PYTHONHTTPSVERIFY": "0",
                "SSL_CERT_FILE": os.devnull}
    result = gpmc(demo, "sync", "--config", str(bare), "--json", env=loosened)
    assert result.code == 2, result.stderr
    assert "certificate this computer does not trust" in result.json["error"]
    assert demo.sim.writes == 0 or result.json["customers"]["created"] == 0

    # Only the CA bundle is a choice, and it is the profile's: no key turns verification off.
    keys = {key.name for key in KEYS}
    assert not {k for k in keys if any(w in k.lower() for w in ("verify", "insecure", "ssl", "tls"))}
    assert "ca_bundle" in keys
