"""Orders in the audit carry their customer (number, name) and amount: a search for a customer, by number,
name or e-mail, finds its invoices; the total matching count agrees with the pages; the CSV has the columns."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, Store
from tests.store.conftest import T0


def _log(profile_id: int) -> None:
    run_id = st.start_run(profile_id, "incremental", now=T0)
    st.record_audit(run_id, [
        NewAuditEvent("customer", "THOMASEL0001", "created", email="abrown@example.com",
                      customer_name="Thomas Electrical"),
        NewAuditEvent("order", "INV0001", "created", mailchimp_id="INV0001", email="abrown@example.com",
                      customer_number="THOMASEL0001", customer_name="Thomas Electrical",
                      amount=Decimal("4320.15"), currency="USD"),
        NewAuditEvent("order", "INV0002", "updated", mailchimp_id="INV0002", email="abrown@example.com",
                      customer_number="THOMASEL0001", customer_name="Thomas Electrical",
                      amount=Decimal("-12.00"), currency="USD"),
        NewAuditEvent("customer", "AARONFIT0001", "created", email="aaron@example.com",
                      customer_name="Aaron Fitz"),
        NewAuditEvent("order", "INV0003", "created", mailchimp_id="INV0003", email="aaron@example.com",
                      customer_number="AARONFIT0001", customer_name="Aaron Fitz", amount=Decimal("1.10")),
    ], now=T0)


def _keys(text: str, profile_id: int) -> list[str]:
    return [r.gp_key for r in st.audit_page(AuditFilter(profile_id=profile_id, text=text)).rows]


def test_a_customer_search_finds_its_invoices_by_number_name_or_email(store: Store, profile_id: int) -> None:
    _log(profile_id)
    thomas = ["INV0002", "INV0001", "THOMASEL0001"]
    assert _keys("thomasel0001", profile_id) == thomas  # the number, any case
    assert _keys("Thomas Elec", profile_id) == thomas  # the name, from its start
    assert _keys("ABROWN@", profile_id) == thomas  # the e-mail
    assert _keys("INV0003", profile_id) == ["INV0003"]
    order = st.audit_page(AuditFilter(profile_id=profile_id, gp_key="INV0001")).rows[0]
    assert (order.customer_number, order.customer_name, order.amount, order.currency) == (
        "THOMASEL0001", "Thomas Electrical", Decimal("4320.15"), "USD")


def test_the_total_count_agrees_with_the_pages(store: Store, profile_id: int) -> None:
    _log(profile_id)
    for f in (AuditFilter(profile_id=profile_id), AuditFilter(profile_id=profile_id, text="thomas"),
              AuditFilter(profile_id=profile_id, entity="order"), AuditFilter(profile_id=profile_id, text="zzz"),
              AuditFilter(profile_id=profile_id, entity="order", action="created", text="aaron")):
        assert st.count_audit(f) == len(list(st.iter_audit(f)))
    assert st.count_audit(AuditFilter(profile_id=profile_id, text="thomas")) == 3
    assert st.count_audit(AuditFilter(profile_id=profile_id + 1)) == 0


def test_the_csv_export_has_the_customer_and_amount_columns(store: Store, profile_id: int) -> None:
    _log(profile_id)
    out = io.StringIO(newline="")
    st.export_audit_csv(out, AuditFilter(profile_id=profile_id, entity="order"))
    out.seek(0)
    rows = list(csv.DictReader(out))
    assert [(r["gp_key"], r["customer_number"], r["customer_name"], r["amount"], r["currency"]) for r in rows] == [
        ("INV0001", "THOMASEL0001", "Thomas Electrical", "4320.15", "USD"),
        ("INV0002", "THOMASEL0001", "Thomas Electrical", "-12.00", "USD"),  # a number, not a formula
        ("INV0003", "AARONFIT0001", "Aaron Fitz", "1.10", ""),
    ]
