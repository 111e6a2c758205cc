"""Where the state database lives: the per-user data folder, unless told otherwise.

Resolution order: an explicit folder (CLI ``--data-dir``), then ``GPMC_DATA_DIR`` (tests, development, a
portable install), then platformdirs' per-user data folder (``%LOCALAPPDATA%\\gpmc-desktop`` on Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "gpmc-desktop"
DATA_DIR_ENV = "GPMC_DATA_DIR"
STATE_DB_NAME = "state.sqlite"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder for the state database and its backups (not created here: `open_store` does that)."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    # appauthor=False: no "<author>\<app>" nesting on Windows; roaming=False: the database is machine-local
    # (roaming profiles copy files at logon, which would fight SQLite's locking and WAL files).
    return Path(platformdirs.user_data_dir(appname=APP_NAME, appauthor=False, roaming=False))


def state_db_path(explicit_dir: str | os.PathLike[str] | None = None) -> Path:
    """The state database file inside `data_dir(explicit_dir)`."""
    return data_dir(explicit_dir) / STATE_DB_NAME
