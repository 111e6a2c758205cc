"""Golden state databases: one SQL dump per schema version, frozen when that version ships.

A test builds a file from each dump and opens it with the current code, so every future migration is
exercised against data exactly as an old build wrote it. When a new schema version ships, freeze its dump:

    python -m tests.store.golden          # writes golden/state-v<CURRENT>.sql; never overwrites
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
WHEN = datetime(2025, 1, 15, 8, 30, tzinfo=UTC)


def golden_sql(version: int) -> Path:
    return GOLDEN_DIR / f"state-v{version}.sql"


def golden_versions() -> list[int]:
    return sorted(int(p.stem.removeprefix("state-v")) for p in GOLDEN_DIR.glob("state-v*.sql"))


def build_golden_db(version: int, path: Path) -> Path:
    """A database file exactly as the build that shipped schema `version` left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(golden_sql(version).read_text(encoding="utf-8"))
    finally:
        conn.close()
    return path


def _since_v3(**values: object) -> dict[str, object]:
    """Keyword arguments that only builds from schema v3 on take (the freezing build's API)."""
    from gpmc_desktop.store import CURRENT_SCHEMA_VERSION

    return values if CURRENT_SCHEMA_VERSION >= 3 else {}


def populate_sample() -> None:
    """Sample rows in every table, through the public API of the build that freezes the dump."""
    from gpmc_desktop import store as st
    from gpmc_desktop.profile import profile_from_mapping

    settings = profile_from_mapping({
        "gp": {"api": "sba", "url": "https://gp.example:443", "tenant": "DefaultTenant", "company": "TWO",
               "auth": "ntlm", "username": "CORP\\sync", "spn_host": "gp01.corp.example"},
        "mailchimp": {"list_id": "a1b2c3", "store_id": "gp-two", "status_if_new": "transactional"},
        "filters": {"skip_inactive": True, "customer_classes": ["RETAIL"]},
    })
    profile = st.save_profile("golden", settings=settings, schedule={"every_minutes": 15}, now=WHEN)
    run_id = st.start_run(profile.id, st.RunKind.FULL, now=WHEN)
    st.record_audit(
        run_id,
        [
            st.NewAuditEvent(
                "customer",
                "AARONFIT0001",
                "created",
                mailchimp_id="5d41402abc4b2a76b9719d911017c592",
                email="aaron@example.com",
                payload_hash="h-aaron",
            ),
            st.NewAuditEvent("order", "INV00001", "created", mailchimp_id="INV00001", payload_hash="h-inv1",
                             **_since_v3(customer_number="AARONFIT0001", customer_name="Aaron Fitz Electrical",
                                         amount=Decimal("4320.15"), currency="USD")),
            st.NewAuditEvent(
                "customer",
                "BAKERSEM0001",
                "failed",
                email="bad@",
                reason="invalid e-mail",
                http_status=400,
                error_title="Invalid Resource",
                error_detail="email looks fake",
            ),
        ],
        now=WHEN,
    )
    st.finish_run(run_id, st.Outcome.PARTIAL, now=WHEN + timedelta(minutes=2))
    st.upsert_synced(
        profile.id,
        "customer",
        {"AARONFIT0001": st.SyncedState("h-aaron", "5d41402abc4b2a76b9719d911017c592", "aaron@example.com")},
        now=WHEN,
    )
    st.upsert_synced(profile.id, "order", {"INV00001": st.SyncedState("h-inv1", "INV00001")}, now=WHEN)
    st.record_failure(
        profile.id,
        "customer",
        "BAKERSEM0001",
        category="permanent",
        content_hash="h-baker",
        error_title="Invalid Resource",
        http_status=400,
        now=WHEN,
        **_since_v3(email="bad@", customer_number="BAKERSEM0001", customer_name="Baker's Emporium"),
    )
    st.set_state(profile.id, st.BACKFILL_IN_PROGRESS, False, now=WHEN)


def freeze_current() -> Path:
    from gpmc_desktop.store import CURRENT_SCHEMA_VERSION, open_store

    target = golden_sql(CURRENT_SCHEMA_VERSION)
    if target.exists():
        raise SystemExit(f"{target} exists: a shipped version's golden dump is never rewritten")
    with tempfile.TemporaryDirectory() as tmp:
        db_file = Path(tmp) / "state.sqlite"
        with open_store(db_file, now=WHEN):
            populate_sample()
        conn = sqlite3.connect(db_file)
        try:
            dump = "\n".join(conn.iterdump()) + "\n"
        finally:
            conn.close()
    target.write_text(dump, encoding="utf-8")
    return target


if __name__ == "__main__":
    sys.stdout.write(f"wrote {freeze_current()}\n")
