"""Incremental-poll watermarks: per profile and entity, a GP ModifiedDate (``YYYY-MM-DD``; GP keeps no time).

The sync does not use this table: the only incremental GP reader (SOAP, `gp.soap_sync`) keeps its mark inside its
snapshot of the last read, so the two are always written together.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from gpmc_desktop.store.clock import resolve_now
from gpmc_desktop.store.connection import write_transaction
from gpmc_desktop.store.models import Watermark
from gpmc_desktop.store.vocab import Entity, check

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_text(value: str | date) -> str:
    if isinstance(value, datetime):  # a datetime is a date too: refuse the time part, don't drop it
        raise ValueError(f"watermark must be a date without time, got {value!r}")
    text = value.isoformat() if isinstance(value, date) else value
    if not _DATE_ONLY.fullmatch(text):
        raise ValueError(f"watermark must be YYYY-MM-DD, got {text!r}")
    date.fromisoformat(text)  # rejects 2025-02-30
    return text


def get_watermark(profile_id: int, entity: Entity | str) -> str | None:
    entity = check(Entity, entity, "entity")
    row = (
        Watermark.select(Watermark.value)
        .where((Watermark.profile == profile_id) & (Watermark.entity == entity))
        .tuples()
        .first()
    )
    return None if row is None else str(row[0])


def set_watermark(
    profile_id: int, entity: Entity | str, value: str | date, *, now: datetime | None = None
) -> None:
    entity = check(Entity, entity, "entity")
    text = _date_text(value)
    with write_transaction():
        (
            Watermark.insert(profile=profile_id, entity=entity, value=text, updated_at=resolve_now(now))
            .on_conflict(
                conflict_target=[Watermark.profile, Watermark.entity],
                preserve=[Watermark.value, Watermark.updated_at],
            )
            .execute()
        )


def clear_watermark(profile_id: int, entity: Entity | str | None = None) -> int:
    """Forget the watermark (one entity, or all of the profile's): the next poll reads everything."""
    query = Watermark.delete().where(Watermark.profile == profile_id)
    if entity is not None:
        query = query.where(Watermark.entity == check(Entity, entity, "entity"))
    with write_transaction():
        return int(query.execute())


def watermarks(profile_id: int) -> dict[str, str]:
    query = Watermark.select(Watermark.entity, Watermark.value).where(Watermark.profile == profile_id)
    return {entity: value for entity, value in query.tuples()}
