"""The GUI's background helper: work runs off the GUI thread, its news arrive on it in order, a dropped task's
answer never arrives, a crash becomes an error message, and wait() delivers what the workers queued."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QThread, QThreadPool

from gpmc_desktop.sync.progress_throttle import throttled_progress
from gpmc_desktop.ui.background import Background, Task

TIMEOUT_MS = 10_000


class Seen:
    """What a task delivered, and on which thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.threads: set[QThread] = set()

    def item(self, value: Any) -> None:
        self._note("item", value)

    def result(self, value: Any) -> None:
        self._note("result", value)

    def error(self, message: str) -> None:
        self._note("error", message)

    def finished(self) -> None:
        self._note("finished", None)

    def _note(self, kind: str, value: Any) -> None:
        self.events.append((kind, value))
        self.threads.add(QThread.currentThread())

    def start(self, background: Background, work: Any) -> Task:
        return background.start(work, on_item=self.item, on_result=self.result, on_error=self.error,
                                on_finished=self.finished)


@pytest.fixture
def background(qtbot) -> Iterator[Background]:
    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    bg = Background(pool=pool)
    yield bg
    assert bg.wait(TIMEOUT_MS)


def test_work_runs_off_the_gui_thread_and_reports_on_it_in_order(qtbot, background: Background) -> None:
    seen = Seen()
    workers: list[QThread] = []

    def work(report: Any) -> str:
        workers.append(QThread.currentThread())
        for n in range(3):
            report(n)
        return "done"

    task = seen.start(background, work)
    qtbot.waitUntil(lambda: not task.running, timeout=TIMEOUT_MS)
    assert seen.events == [("item", 0), ("item", 1), ("item", 2), ("result", "done"), ("finished", None)]
    assert workers and workers[0] is not QThread.currentThread()
    assert seen.threads == {QThread.currentThread()}


def test_a_dropped_task_never_reports_and_the_newer_one_does(qtbot, background: Background) -> None:
    release = threading.Event()
    old, new = Seen(), Seen()

    def slow(report: Any) -> str:
        report("old progress")
        release.wait(TIMEOUT_MS / 1000)
        return "old answer"

    first = old.start(background, slow)
    first.drop()  # the user edited a field: whatever the old check says is stale
    assert not first.active()
    second = new.start(background, lambda report: "new answer")
    qtbot.waitUntil(lambda: not second.running, timeout=TIMEOUT_MS)
    release.set()
    qtbot.waitUntil(lambda: not first.running, timeout=TIMEOUT_MS)
    assert old.events == []
    assert new.events == [("result", "new answer"), ("finished", None)]


def test_a_crash_becomes_an_error_message_and_still_finishes(qtbot, background: Background) -> None:
    seen = Seen()

    def crash(report: Any) -> None:
        raise ValueError("boom")

    task = seen.start(background, crash)
    qtbot.waitUntil(lambda: not task.running, timeout=TIMEOUT_MS)
    assert seen.events == [("error", "ValueError: boom"), ("finished", None)]


def test_wait_delivers_what_the_workers_queued(qtbot, background: Background) -> None:
    """A GUI thread blocked in wait() (quitting) cannot receive queued signals: wait() hands them over."""
    seen = Seen()
    task = seen.start(background, lambda report: 42)
    assert background.wait(TIMEOUT_MS)
    assert seen.events == [("result", 42), ("finished", None)]
    assert not task.running


def test_drop_all_silences_every_running_task(qtbot, background: Background) -> None:
    release = threading.Event()
    seen = Seen()
    tasks = [seen.start(background, lambda report: release.wait(TIMEOUT_MS / 1000)) for _ in range(2)]
    background.drop_all()
    release.set()
    assert background.wait(TIMEOUT_MS)
    assert seen.events == []
    assert not any(task.running for task in tasks)


def test_progress_is_throttled_but_keeps_phase_changes_and_each_phase_ends() -> None:
    calls: list[tuple[str, int, int]] = []
    progress = throttled_progress(lambda phase, done, total: calls.append((phase, done, total)), interval_s=60)
    for done in range(1001):
        progress("customers", done, 1000)
    progress("orders", 1, 5)
    progress("orders", 2, 5)
    progress("orders", 5, 5)
    assert calls == [("customers", 0, 1000), ("customers", 1000, 1000), ("orders", 1, 5), ("orders", 5, 5)]
