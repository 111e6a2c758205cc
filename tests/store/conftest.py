"""Store fixtures: a real SQLite file per test in tmp_path, opened and closed around the test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gpmc_desktop.profile import profile_from_mapping
from gpmc_desktop.store import Store, open_store, save_profile

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


ACME = profile_from_mapping({
    "profile": {"name": "acme"},
    "gp": {"url": "https://gp.example", "company": "TWO", "username": "CORP\\svc"},
    "mailchimp": {"list_id": "l1", "store_id": "gp-two"},
})


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = open_store(db_path)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def profile_id(store: Store) -> int:
    return save_profile("acme", settings=ACME).id
