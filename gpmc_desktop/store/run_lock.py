"""One sync of a profile at a time, across processes: the tray app and a headless ``gpmc sync`` (or two of
them) sharing a state database never run the same profile at once.

The lock is an OS file lock on a small file beside the database (``<database>.<profile>.lock``): the OS
releases it when its holder exits, however it exits (a crash or ``kill -9`` included), so a dead holder never
keeps a profile locked and no stale-lock cleanup is needed.  The file's text names the holder (program,
process, since when) for the message a refused run gives; it is not what locks.

* POSIX: ``flock`` on the open file.  It belongs to the open file description, so two opens in one process
  exclude each other too (the app runs each sync on its own thread).
* Windows: ``msvcrt.locking`` on one byte far beyond the text, so a refused run can still read the holder.

Because a lock outlives no process, a run found "running" in the database while its profile's lock is free was
left by a process that died: `close_interrupted_runs` closes exactly those.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.errors import StoreError
from gpmc_desktop.store.models import database_proxy

_WINDOWS_LOCK_OFFSET = 1 << 30  # the byte msvcrt locks: past any holder text, so the text stays readable
WAIT_POLL_S = 0.25


class ProfileBusyError(StoreError):
    """Another process (or thread) is syncing this profile; nothing of this run was written."""

    def __init__(self, profile: str, holder: dict[str, object] | None) -> None:
        self.profile = profile
        self.holder = holder or {}
        who = self.holder.get("program") or "another program"
        pid = self.holder.get("pid")
        since = self.holder.get("since")
        parts = [str(who)]
        if pid:
            parts.append(f"process {pid}")
        if since:
            parts.append(f"since {since}")
        detail = ", ".join(parts)
        super().__init__(
            f"Profile {profile!r} is being synced by {detail}: this run did nothing. It can run once that "
            "sync has finished (the tray app and gpmc sync never sync the same profile at once).")


def lock_path(database: Path, profile: str) -> Path:
    """The lock file of *profile* beside *database*: a readable slug of the name plus a checksum of the exact
    name, so names that slug alike ("Acme Ltd" and "Acme-Ltd") get their own files."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", profile).strip("-")[:40] or "profile"
    return database.with_name(f"{database.name}.{slug}-{zlib.crc32(profile.encode()):08x}.lock")


def open_database_path() -> Path:
    """The file of the state database this process has open (a lock beside it; a sync process opens the same)."""
    db = database_proxy.obj
    if db is None:
        raise StoreError("the state database is not open")
    return Path(db.database).resolve()


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(_WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(_WINDOWS_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_holder(path: Path) -> dict[str, object] | None:
    """What the lock's holder wrote about itself (None: nothing readable, e.g. it is still writing)."""
    try:
        text = path.read_text(encoding="utf-8").strip("\0 \n")
        value = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@contextmanager
def profile_run_lock(
    profile: str,
    *,
    database: Path | None = None,
    program: str = "gpmc sync",
    wait_s: float = 0.0,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
) -> Iterator[Path]:
    """Hold *profile*'s run lock for the block (yields the lock file's path).  Raises ProfileBusyError if it
    is held elsewhere after waiting up to *wait_s* seconds (0: do not wait; *cancel* ends the wait early).
    *program*: who holds it, in the words a refused run's message uses."""
    path = lock_path(database or open_database_path(), profile)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed in finally; "a+" never truncates
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        while not _try_lock(handle):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                raise ProfileBusyError(profile, read_holder(path))
            time.sleep(WAIT_POLL_S)
        try:
            _write_holder(path, program, resolve_now(now))
            yield path
        finally:
            _unlock(handle)
    finally:
        handle.close()


def _write_holder(path: Path, program: str, moment: datetime) -> None:
    # A separate handle, so the locked one's position (Windows locks a byte range from it) is not disturbed.
    text = json.dumps({"program": program, "pid": os.getpid(),
                       "since": moment.astimezone().strftime("%Y-%m-%d %H:%M")})
    with open(path, "r+", encoding="utf-8") as out:
        out.truncate(0)
        out.write(text)
