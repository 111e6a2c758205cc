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
