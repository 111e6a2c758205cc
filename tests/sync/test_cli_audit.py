"""``gpmc audit`` reads the trail and never writes the profile it is asked about."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gpmc_desktop import store
from gpmc_desktop.profile import load_profile, profile_from_mapping, profile_to_mapping, to_toml
from tests.profile.test_schema import every_key_document


def audit(config: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_")}
    return subprocess.run([sys.executable, "-m", "gpmc_desktop.cli.main", "audit", "--config", str(config), *flags],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_audit_reads_without_writing_the_profile(tmp_path: Path) -> None:
    doc = every_key_document()
    doc["profile"]["database"] = str(tmp_path / "state.sqlite")
    config = tmp_path / "profile.toml"
    config.write_text(to_toml(doc), encoding="utf-8")
    profile = load_profile(config)

    first = audit(config)
    assert first.returncode == 0, first.stderr
    assert f"no runs recorded yet for profile {profile.name!r}" in first.stderr
    with store.open_store(profile.database):
        assert store.list_profiles() == []  # asking about a profile did not create it

    with store.open_store(profile.database):
        older = dict(profile_to_mapping(profile))
        older["gp"] = {**older["gp"], "timeout_seconds": 33}  # what the app last saved differs from the file
        row = store.save_profile(profile.name, settings=profile_from_mapping(older))
        run = store.start_run(row.id, store.RunKind.FULL)
        store.record_audit(run, [store.NewAuditEvent("customer", "AARONFIT0001", "created",
                                                     email="aaron@example.com")])
        store.finish_run(run, store.Outcome.OK)
    shown = audit(config, "--search", "aaron")
    assert shown.returncode == 0, shown.stderr
    assert "AARONFIT0001" in shown.stdout and "aaron@example.com" in shown.stdout
    with store.open_store(profile.database):
        after = store.get_profile(profile.name)
        assert after is not None
        assert after.profile().gp.timeout_seconds == 33.0 and after.updated_at == row.updated_at


def audit_with_events(tmp_path: Path, events: int, runs: int = 2) -> Path:
    """A profile file whose state database holds *runs* runs sharing *events* audit events."""
    doc = every_key_document()
    doc["profile"]["database"] = str(tmp_path / "state.sqlite")
    config = tmp_path / "profile.toml"
    config.write_text(to_toml(doc), encoding="utf-8")
    profile = load_profile(config)
    with store.open_store(profile.database):
        row = store.save_profile(profile.name, settings=profile)
        for r in range(runs):
            run = store.start_run(row.id, store.RunKind.SCHEDULED)
            share = events // runs + (events % runs if r == runs - 1 else 0)
            store.record_audit(run, [store.NewAuditEvent("customer", f"CUST{r:02d}{i:06d}", "created",
                                                         email=f"c{r}.{i}@contoso.com") for i in range(share)])
            store.finish_run(run, store.Outcome.OK)
    return config


def test_audit_says_how_many_rows_it_left_out_and_limit_0_prints_them_all(tmp_path: Path) -> None:
    config = audit_with_events(tmp_path, 1_450)
    shown = audit(config)
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout.splitlines()) == 200
    assert "… 1,250 more not shown; use --limit N (0 for every row) or --csv" in shown.stderr
    every = audit(config, "--limit", "0")
    assert every.returncode == 0 and len(every.stdout.splitlines()) == 1_450 and "more not shown" not in every.stderr
    assert every.stdout.splitlines()[0].split()[6] == "CUST00000000"  # oldest first, as a page prints
    exact = audit(config, "--limit", "1450")
    assert len(exact.stdout.splitlines()) == 1_450 and "more not shown" not in exact.stderr


def test_audit_of_an_unknown_run_exits_2_naming_the_runs_there_are(tmp_path: Path) -> None:
    config = audit_with_events(tmp_path, 10, runs=3)
    unknown = audit(config, "--run", "999")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "has no run 999: its runs are runs 1 to 3" in unknown.stderr
    assert audit(config, "--run", "2").returncode == 0


def test_audit_into_a_reader_that_stops_early_exits_0_without_a_traceback(tmp_path: Path) -> None:
    config = audit_with_events(tmp_path, 20_000)  # far more than a pipe holds: the writer meets the closed end
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_")}
    proc = subprocess.Popen([sys.executable, "-m", "gpmc_desktop.cli.main", "audit", "--config", str(config),
                             "--limit", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # `| head -1`: read one line, then close the pipe
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert b"CUST00" in first and "Traceback" not in err and "BrokenPipeError" not in err and err == ""
