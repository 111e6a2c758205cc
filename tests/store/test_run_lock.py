"""A profile's run lock across real processes: refused while a live process holds it, free the moment that
process dies (SIGKILL included), and interrupted runs closed only where no live process holds the profile."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import ProfileBusyError, Store, profile_run_lock
from gpmc_desktop.store.run_lock import lock_path, read_holder
from tests.lock_holder import Holder
from tests.store.conftest import T0


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for h in started:
        h.stop()


def test_a_live_holder_refuses_the_run_and_a_killed_one_frees_it(store: Store, holders: list[Holder]) -> None:
    holder = Holder(store.path, "acme")
    holders.append(holder)
    with pytest.raises(ProfileBusyError) as refused, profile_run_lock("acme"):
        pytest.fail("the lock was granted while another process held it")
    message = str(refused.value)
    assert "'acme'" in message and "a test holder" in message and f"process {holder.proc.pid}" in message
    assert refused.value.holder["pid"] == holder.proc.pid
    with profile_run_lock("other profile"):  # profiles lock apart
        pass

    holder.kill()  # no cleanup ran in the holder: the OS released its lock
    with profile_run_lock("acme", program="the second") as path:
        holder_now = read_holder(path)
        assert holder_now is not None and holder_now["pid"] == os.getpid() and holder_now["program"] == "the second"


def test_two_threads_of_one_process_exclude_each_other(store: Store) -> None:
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with profile_run_lock("acme"):
            inside.set()
            leave.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert inside.wait(30)
        with pytest.raises(ProfileBusyError), profile_run_lock("acme"):
            pass
    finally:
        leave.set()
        t.join()
    with profile_run_lock("acme"):
        pass


def test_waiting_gets_the_lock_when_the_holder_finishes_and_cancel_ends_the_wait(
    store: Store, holders: list[Holder]
) -> None:
    holders.append(Holder(store.path, "acme", hold_s=1.0))
    with profile_run_lock("acme", wait_s=60):
        pass  # granted once the holder exited, long before the minute

    holders.append(Holder(store.path, "acme"))
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(ProfileBusyError), profile_run_lock("acme", wait_s=600, cancel=cancel):
        pass


def test_interrupted_runs_are_closed_only_where_no_process_holds_the_profile(
    store: Store, profile_id: int, holders: list[Holder]
) -> None:
    other = st.save_profile("beta", settings=st.get_profile("acme").profile()).id  # type: ignore[union-attr]
    held_run = st.start_run(profile_id, "full", now=T0)
    dead_run = st.start_run(other, "full", now=T0)
    holder = Holder(store.path, "acme")
    holders.append(holder)

    assert st.close_interrupted_runs() == 1  # beta's: nobody holds beta
    assert [r.id for r in st.running_runs()] == [held_run]  # acme's is some live process's run
    assert st.get_run(dead_run).outcome == "failed"  # type: ignore[union-attr]

    holder.kill()
    assert st.close_interrupted_runs(profile_id=profile_id) == 1
    assert st.running_runs() == []


def test_lock_files_are_per_profile_name_even_when_names_look_alike(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    names = ["Acme Ltd", "Acme-Ltd", "acme ltd", "Ünïcode/..\\name", ""]
    paths = {lock_path(db, n) for n in names}
    assert len(paths) == len(names)
    assert all(p.parent == tmp_path and p.name.startswith("state.sqlite.") for p in paths)


def test_a_holder_that_has_not_written_yet_is_named_generically(tmp_path: Path) -> None:
    err = ProfileBusyError("acme", None)
    assert "another program" in str(err) and "did nothing" in str(err) and "process" not in str(err)
