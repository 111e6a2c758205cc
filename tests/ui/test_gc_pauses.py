"""While a sync runs (in a sync process of its own, or in the app's process), what lived through a progress
report is left out of full garbage collections (their pauses froze the window, benchmarks/bench_gui.py); after
the last run everything is collectable again."""

from __future__ import annotations

import gc
import weakref

import pytest

from gpmc_desktop.ui.gc_pauses import freeze_survivors, short_gc_pauses
from gpmc_desktop.ui.worker import saved_profile_runner
from tests.ui.conftest import wait_for_run


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.mark.parametrize("in_process", [False, True], ids=["sync process", "in the app's process"])
def test_a_sync_freezes_survivors_while_it_runs_and_unfreezes_after(
    qtbot, make_controller, demo_profile, credentials, in_process
):
    controller = make_controller(runner=saved_profile_runner(credentials, in_process=in_process))
    controller.start(show_window=True)
    frozen_during: list[int] = []
    controller.manager.progress.connect(lambda *_: frozen_during.append(gc.get_freeze_count()))

    result = wait_for_run(qtbot, controller)

    assert result.report is not None and result.report.outcome in ("ok", "partial"), result
    assert frozen_during and max(frozen_during) > 0
    assert gc.get_freeze_count() == 0


def test_cycles_frozen_during_runs_are_collected_once_the_last_run_ends() -> None:
    with short_gc_pauses():
        with short_gc_pauses():  # a second profile's run, at the same time
            node = Node()
            gone = weakref.ref(node)
            freeze_survivors()
            del node
            gc.collect()
            assert gone() is not None  # frozen: the collector does not look at it
        gc.collect()
        assert gone() is not None and gc.get_freeze_count() > 0  # the other run still goes
    gc.collect()
    assert gone() is None and gc.get_freeze_count() == 0


def test_no_full_collection_runs_on_its_own_while_a_run_goes() -> None:
    before = gc.get_threshold()
    full: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(note)
    try:
        with short_gc_pauses():
            with short_gc_pauses():
                assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10**8
                junk = [[i] for i in range(300_000)]  # enough promotions to start full collections otherwise
                del junk
            assert gc.get_threshold()[2] > 10**8  # the other run still goes
        assert full == []
        assert gc.get_threshold() == before
    finally:
        gc.callbacks.remove(note)
