"""Kill anywhere: ``gpmc sync`` SIGKILLed at a random point of a first load (GP read, member and order writes,
batch submission, polling and results, a SQLite commit, a ledger write, or any instant), then rerun: every trial
ends in the clean run's Mailchimp state, with no duplicate order, nothing lost, every created record audited, the
store's is_syncing as the profile says and no run left running.

CI runs ``GPMC_KILL_TRIALS`` trials (default 12, alternating the two arms); ``python scripts/reliability.py``
runs the full 50 and writes docs/reliability.md from what the trials measured.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability.figures import record
from tests.reliability.kill_trials import ARMS, Reference, reference, run_trial

TRIALS = int(os.environ.get("GPMC_KILL_TRIALS", "12"))
SEED = int(os.environ.get("GPMC_KILL_SEED", "2026"))
ARM_NAMES = list(ARMS)


@pytest.fixture(scope="module")
def references() -> dict[str, Reference]:
    return {}  # built on first use: an xdist worker builds only the arms its trials need


def _reference(references: dict[str, Reference], factory: pytest.TempPathFactory, arm: str) -> Reference:
    if arm not in references:
        references[arm] = reference(factory, ARMS[arm])
    return references[arm]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_rerun_after_a_kill_anywhere_ends_as_a_clean_run(
    trial: int, references: dict[str, Reference], tmp_path_factory: pytest.TempPathFactory
) -> None:
    arm = ARM_NAMES[trial % len(ARM_NAMES)]
    ref = _reference(references, tmp_path_factory, arm)
    assert ref.passes.get("sqlite-commit", 0) > 0 and ref.passes.get("gp-read", 0) > 0
    assert (ref.passes.get("batch-submit", 0) > 0) is (arm == "batches")  # the arm takes the path it is about
    result = run_trial(tmp_path_factory, ref, trial, SEED)
    record("kill-anywhere", result)
    assert result.rerun_exit in (0, 1), result.notes
    assert (result.lost, result.duplicates, result.different) == (0, 0, 0), result
    assert result.converged, result
    assert result.created_not_audited == 0, result
    assert result.is_syncing_ok, result
    assert result.left_running == 0, result
    assert result.writes_after == 0, result
    assert result.status_changes == 0, result  # consent: every preset status kept
    assert result.secret_hits == 0 and result.files_scanned > 3, result
    assert result.ok
