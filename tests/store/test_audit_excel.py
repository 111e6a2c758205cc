"""The desktop's CSV export is for Excel: readable headers, local times Excel reads as dates, formulas defused;
the CLI's export (`export_audit_csv`, IT's published contract) keeps database names and UTC ISO times."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, Store
from gpmc_desktop.store.audit_excel import export_audit_csv_readable, readable_header


def test_readable_headers_and_excel_times(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full")
    at = datetime(2026, 12, 4, 6, 0, 1, 123456, tzinfo=UTC)
    st.record_audit(run, [NewAuditEvent("customer", "AARONFIT0001", "created", email="a@example.com", at=at),
                          NewAuditEvent("customer", "=CMD()", "failed", error_detail="+1", at=at)])
    out = io.StringIO()
    assert export_audit_csv_readable(out, AuditFilter(run_id=run)) == 2
    table = list(csv.reader(io.StringIO(out.getvalue())))
    header = table[0]
    assert header[:2] == ["Event", "Time"]
    for words in ("GP key", "E-mail", "Action", "Record", "Error detail"):
        assert words in header
    row = dict(zip(header, table[1], strict=True))
    assert row["Time"] == at.astimezone().strftime("%Y-%m-%d %H:%M:%S")  # local, no microseconds, no offset
    assert row["GP key"] == "AARONFIT0001" and row["E-mail"] == "a@example.com"
    failed = dict(zip(header, table[2], strict=True))
    assert failed["GP key"] == "'=CMD()" and failed["Error detail"] == "'+1"  # no formula runs in Excel


def test_the_cli_export_is_left_as_it_was(store: Store, profile_id: int) -> None:
    run = st.start_run(profile_id, "full")
    st.record_audit(run, [NewAuditEvent("customer", "C1", "created",
                                        at=datetime(2026, 12, 4, 6, 0, 1, 5, tzinfo=UTC))])
    out = io.StringIO()
    st.export_audit_csv(out, AuditFilter(run_id=run))
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == list(st.CSV_HEADER) and "gp_key" in table[0]
    assert table[1][table[0].index("at")].startswith("2026-12-04T06:00:01")


def test_a_column_added_later_is_spelt_out() -> None:
    assert readable_header("order_total") == "Order total"
    assert readable_header("email") == "E-mail"
