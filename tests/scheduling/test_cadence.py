"""Cadence: construction, validation, the stored JSON dict and the plain-words description."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop.scheduling import Cadence, CadenceError

CASES: list[tuple[Cadence, dict[str, Any], str]] = [
    (Cadence.manual(), {"kind": "manual"}, "Manual only: syncs when you click Sync now"),
    (Cadence.every_hours(1), {"kind": "every_hours", "hours": 1}, "Every hour"),
    (Cadence.every_hours(4), {"kind": "every_hours", "hours": 4}, "Every 4 hours"),
    (Cadence.daily("7:00"), {"kind": "daily", "at": "07:00"}, "Every day at 07:00"),
    (Cadence.weekly("mon", "07:30"), {"kind": "weekly", "weekday": "mon", "at": "07:30"}, "Every Monday at 07:30"),
    (
        Cadence.month_end("07:00"),
        {"kind": "month_end", "at": "07:00", "business_days_after": 0},
        "Month-end close: last business day of the month, 07:00",
    ),
    (
        Cadence.month_end("07:00", business_days_after=1),
        {"kind": "month_end", "at": "07:00", "business_days_after": 1},
        "Month-end close: 1 business day after the last day of the month, 07:00",
    ),
    (
        Cadence.month_end(time(7, 0), business_days_after=2),
        {"kind": "month_end", "at": "07:00", "business_days_after": 2},
        "Month-end close: 2 business days after the last day of the month, 07:00",
    ),
    (
        Cadence.custom({d: ["13:00", "07:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["09:00"]}),
        {
            "kind": "custom",
            "times": {d: ["07:00", "13:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["09:00"]},
        },
        "Mon–Fri at 07:00 and 13:00; Sat at 09:00",
    ),
    (
        Cadence.custom({"mon": ["07:00"], "wed": ["07:00"], "fri": ["07:00", "12:00", "17:00"]}),
        {"kind": "custom", "times": {"mon": ["07:00"], "wed": ["07:00"], "fri": ["07:00", "12:00", "17:00"]}},
        "Mon, Wed at 07:00; Fri at 07:00, 12:00 and 17:00",
    ),
    (
        Cadence.custom({d: ["06:00"] for d in range(7)}),
        {"kind": "custom", "times": {d: ["06:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
        "Every day at 06:00",
    ),
]


@pytest.mark.parametrize(("cadence", "stored", "words"), CASES, ids=[c[2] for c in CASES])
def test_json_round_trip_and_description(cadence: Cadence, stored: dict[str, Any], words: str) -> None:
    assert cadence.to_dict() == stored
    assert Cadence.from_dict(json.loads(json.dumps(stored))) == cadence
    assert cadence.describe() == words


def test_an_empty_schedule_is_manual() -> None:
    assert Cadence.from_dict({}) == Cadence.manual()
    assert Cadence.from_dict(None) == Cadence.manual()


@pytest.mark.parametrize("weekday", ["Monday", "MON", "mon", 0])
def test_weekday_spellings(weekday: str | int) -> None:
    assert Cadence.from_dict({"kind": "weekly", "weekday": weekday, "at": "07:00"}).weekday == 0


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ({"kind": "hourly"}, "kind: 'hourly' is not one of"),
        ({"every_minutes": 15}, "kind: None is not one of"),
        ({"kind": "daily"}, "at: expected a time of day"),
        ({"kind": "daily", "at": "7"}, "at: expected a time of day"),
        ({"kind": "daily", "at": "24:00"}, "at: expected a time of day"),
        ({"kind": "daily", "at": "07:60"}, "at: expected a time of day"),
        ({"kind": "daily", "at": "07:00", "hours": 3}, "a daily schedule does not use hours"),
        ({"kind": "every_hours", "hours": 0}, "hours: expected a whole number from 1 to 168"),
        ({"kind": "every_hours", "hours": "4"}, "hours: expected a whole number"),
        ({"kind": "every_hours", "hours": True}, "hours: expected a whole number"),
        ({"kind": "weekly", "weekday": "funday", "at": "07:00"}, "weekday: expected a weekday"),
        ({"kind": "weekly", "weekday": 7, "at": "07:00"}, "weekday: expected a weekday"),
        ({"kind": "month_end", "at": "07:00", "business_days_after": 11}, "business_days_after: expected 0"),
        ({"kind": "month_end", "at": "07:00", "business_days_after": -1}, "business_days_after: expected 0"),
        ({"kind": "custom", "times": {}}, "at least one time"),
        ({"kind": "custom", "times": {"mon": "07:00"}}, "times.mon: expected a list"),
        ({"kind": "custom", "times": {"mon": ["7am"]}}, "times.mon: expected a time of day"),
        ({"kind": "custom", "times": ["07:00"]}, "times: expected a table"),
        ("daily", "schedule: expected a table"),
    ],
)
def test_bad_schedules_are_refused_in_plain_words(stored: Any, message: str) -> None:
    with pytest.raises(CadenceError, match=message):
        Cadence.from_dict(stored)


def test_fields_of_another_kind_are_refused() -> None:
    with pytest.raises(CadenceError, match="a manual schedule does not use at"):
        Cadence("manual", at=time(7))
    with pytest.raises(CadenceError, match="kind"):
        Cadence("sometimes")


def test_cadences_are_values() -> None:
    assert Cadence.daily("07:00") == Cadence.daily(time(7, 0, 59))  # minutes are the resolution
    assert len({Cadence.daily("07:00"), Cadence.daily("07:00"), Cadence.manual()}) == 2


def test_the_stored_dict_passes_the_profile_store(tmp_path: Path) -> None:
    # The profile's `schedule` column refuses keys named like credentials: ours must all pass, and round-trip.
    from gpmc_desktop.store import get_profile, open_store, save_profile

    store = open_store(tmp_path / "state.sqlite")
    try:
        for cadence, _stored, _words in CASES:
            save_profile("acme", schedule=cadence.to_dict())
            row = get_profile("acme")
            assert row is not None
            assert Cadence.from_dict(row.schedule) == cadence
    finally:
        store.close()
