"""Freed memory handed back to the system (gpmc_desktop/heap.py), measured in this process's resident memory."""

from __future__ import annotations

import sys

import pytest

from gpmc_desktop import heap

glibc = pytest.mark.skipif(not heap.available(), reason="malloc_trim is glibc's (Linux); elsewhere a no-op")


def _resident_anon_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


@glibc
def test_the_free_pages_between_live_allocations_go_back_to_the_system() -> None:
    # 60 MB in 3,000-byte objects (glibc's heap, not Python's small-object arenas), every 16th kept: the rest
    # leaves whole free pages between survivors, which glibc's free() keeps resident.
    objects = [bytes(3000) for _ in range(20_000)]
    kept = objects[::16]
    del objects
    before = _resident_anon_mb()
    assert heap.give_back() is True
    after = _resident_anon_mb()
    assert before - after > 25, (before, after)
    assert all(len(b) == 3000 and not any(b[:8]) for b in kept)  # the survivors are untouched


@glibc
def test_a_run_hands_memory_back_when_it_changes_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    told: list[tuple[str, int, int]] = []
    monkeypatch.setattr(heap, "give_back", lambda: trims.append(len(told)) or True)
    report = heap.giving_back(lambda phase, done, total: told.append((phase, done, total)))
    for call in [("gp", 0, 0), ("gp", 1, 2), ("customers", 0, 10), ("customers", 5, 10), ("batches", 0, 3),
                 ("customers", 10, 20)]:
        report(*call)
    assert told == [("gp", 0, 0), ("gp", 1, 2), ("customers", 0, 10), ("customers", 5, 10), ("batches", 0, 3),
                    ("customers", 10, 20)]
    assert trims == [0, 2, 4, 5]  # before gp, customers, batches, customers again: once per change, not per report


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="checks the other platforms")
def test_elsewhere_the_progress_is_passed_through_as_it_is() -> None:
    def report(phase: str, done: int, total: int) -> None: ...

    assert heap.giving_back(report) is report
    assert heap.give_back() is False
