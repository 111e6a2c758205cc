"""Column types shared by the models."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import peewee

from gpmc_desktop.store.clock import from_iso, to_iso


class UtcDateTimeField(peewee.TextField):
    """An aware datetime stored as fixed-width ISO 8601 UTC text (see `clock`), so text order is time order.

    Raw strings are passed through untouched: that is how SQL comparisons against already-formatted
    bounds work, and nothing else writes strings here.
    """

    def db_value(self, value: datetime | str | None) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return to_iso(value)

    def python_value(self, value: str | None) -> datetime | None:
        return None if value is None else from_iso(value)


class JsonTextField(peewee.TextField):
    """A JSON document as TEXT (not SQLite's JSON type affinity, which would make it NUMERIC)."""

    def db_value(self, value: Any) -> str:
        # None is stored as JSON null, not SQL NULL: every JSON column is NOT NULL.
        # Sorted and compact: equal settings serialise equally, so diffs and change checks are meaningful.
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class DecimalTextField(peewee.TextField):
    """A money amount as its exact decimal text ("4320.15"): SQLite's NUMERIC would round it through a float."""

    def db_value(self, value: Decimal | str | None) -> str | None:
        return None if value is None else str(value)

    def python_value(self, value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)
