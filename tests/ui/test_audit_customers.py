"""The audit page: a search for a customer (name, number, e-mail) finds its invoices, with their customer and
amount shown; the status gives the total matching count; the record history shows no payload hash and the
whole e-mail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from gpmc_desktop import store
from gpmc_desktop.store import NewAuditEvent
from gpmc_desktop.ui.audit_model import PAGE_SIZE
from gpmc_desktop.ui.audit_view import AuditView, TraceDialog

LONG_EMAIL = "accounts.payable.department@thomas-electrical-supply.example.org"


@pytest.fixture
def view(qtbot, state: store.Store) -> AuditView:
    pid = store.save_profile("Acme").id
    run_id = store.start_run(pid, "incremental")
    events = [NewAuditEvent("customer", f"FILL{i:05d}", "unchanged", email=f"f{i}@x.org") for i in range(1200)]
    events += [
        NewAuditEvent("customer", "THOMASEL0001", "created", email=LONG_EMAIL, customer_name="Thomas Electrical",
                      payload_hash="0123456789abcdef"),
        NewAuditEvent("order", "INV0001", "created", email=LONG_EMAIL, customer_number="THOMASEL0001",
                      customer_name="Thomas Electrical", amount=Decimal("4320.15"), currency="USD"),
        NewAuditEvent("order", "INV0002", "updated", email=LONG_EMAIL, customer_number="THOMASEL0001",
                      customer_name="Thomas Electrical", amount=Decimal("12"), currency="USD"),
    ]
    store.record_audit(run_id, events)
    store.finish_run(run_id, "ok")
    v = AuditView()
    qtbot.addWidget(v)
    with qtbot.waitSignal(v.total_counted):
        v.set_profile(pid)
    qtbot.waitUntil(lambda: not v.model.loading)  # the first page is read off the GUI thread too
    return v


def _column(view: AuditView, title: str) -> int:
    model = view.model
    return next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == title)


def test_the_status_gives_the_total_matching_count(qtbot, view: AuditView) -> None:
    assert view.model.rowCount() == PAGE_SIZE
    assert view.total == 1203
    assert view.status.text() == f"Showing {PAGE_SIZE} of 1,203 events (scroll for more)"
    run_id = store.start_run(view.profile_id, "incremental")  # type: ignore[arg-type]
    store.record_audit(run_id, [NewAuditEvent("customer", "NEW1", "created")])
    with qtbot.waitSignal(view.model.refreshed):
        view.refresh()
    assert view.total == 1204 and view.status.text() == f"Showing {PAGE_SIZE + 1} of 1,204 events (scroll for more)"


def test_a_customer_search_finds_its_invoices_with_customer_and_amount(qtbot, view: AuditView) -> None:
    for text in ("thomas elec", "THOMASEL0001", LONG_EMAIL.upper()):
        with qtbot.waitSignal(view.total_counted):
            view.search.setText(text)
        qtbot.waitUntil(lambda: not view.model.loading)
        model = view.model
        assert [model.row_at(r).gp_key for r in range(model.rowCount())] == ["INV0002", "INV0001", "THOMASEL0001"]
        assert view.status.text() == "Showing all 3 event(s)"
    row = next(r for r in range(view.model.rowCount()) if view.model.row_at(r).gp_key == "INV0001")
    assert view.model.index(row, _column(view, "Customer")).data() == "Thomas Electrical (THOMASEL0001)"
    assert view.model.index(row, _column(view, "Amount")).data() == "4,320.15 USD"


def test_the_record_history_shows_no_payload_hash_and_the_whole_email(qtbot, view: AuditView) -> None:
    event = store.audit_page(store.AuditFilter(profile_id=view.profile_id, gp_key="THOMASEL0001")).rows[0]
    trace = view.trace_dialog(event)
    qtbot.addWidget(trace)
    assert isinstance(trace, TraceDialog)
    headers = [trace.table.horizontalHeaderItem(c).text() for c in range(trace.table.columnCount())]
    assert "Payload hash" not in headers
    cells = [trace.table.item(0, c).text() for c in range(trace.table.columnCount())]
    assert not any("0123456789ab" in c for c in cells)
    email = headers.index("E-mail")
    assert cells[email] == LONG_EMAIL
    assert trace.table.columnWidth(email) >= trace.table.fontMetrics().horizontalAdvance(LONG_EMAIL)
