"""The audit log as a CSV file for a person with Excel (the desktop's Export CSV): column headers in words
("Time", "GP key", "E-mail") and local times as ``YYYY-MM-DD HH:MM:SS``, which Excel reads as dates (it does not
read ISO 8601 with microseconds and "+00:00"). The columns and their order are those of `export_audit_csv`, whose
database names and UTC times stay as they are for IT (``gpmc audit --csv`` is a published contract)."""

from __future__ import annotations

import csv
from dataclasses import fields
from datetime import datetime
from typing import TextIO

from gpmc_desktop.store.audit import AuditEventRow, AuditFilter, _cell, iter_audit

EXCEL_TIME = "%Y-%m-%d %H:%M:%S"
READABLE_HEADERS = {
    "id": "Event",
    "at": "Time",
    "run_id": "Run",
    "profile_id": "Profile",
    "entity": "Record",
    "gp_key": "GP key",
    "customer_number": "Customer",
    "customer_name": "Customer name",
    "amount": "Amount",
    "mailchimp_id": "Mailchimp id",
    "email": "E-mail",
    "action": "Action",
    "reason": "Reason",
    "http_status": "HTTP status",
    "error_title": "Error",
    "error_detail": "Error detail",
    "payload_hash": "Payload hash",
}


def readable_header(name: str) -> str:
    """A column's header in words; a column added later gets its name spelt out ("order_total" → "Order total")."""
    return READABLE_HEADERS.get(name) or name.replace("_", " ").capitalize()


def excel_time(moment: datetime) -> str:
    """Local time without microseconds or offset: a date and time to Excel."""
    return moment.astimezone().strftime(EXCEL_TIME)


def _value(value: object) -> object:
    return excel_time(value) if isinstance(value, datetime) else value


def export_audit_csv_readable(out: TextIO, filters: AuditFilter | None = None, *, excel_safe: bool = True) -> int:
    """Matching events, oldest first, with readable headers and Excel times; returns the row count.

    Open `out` with ``newline=""`` and ``encoding="utf-8-sig"`` (Excel recognises UTF-8 by the BOM)."""
    names = [f.name for f in fields(AuditEventRow)]
    writer = csv.writer(out)
    writer.writerow([readable_header(name) for name in names])
    n = 0
    for row in iter_audit(filters):
        writer.writerow([_cell(_value(getattr(row, name)), excel_safe) for name in names])
        n += 1
    return n
