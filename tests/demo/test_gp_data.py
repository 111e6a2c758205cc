"""The generated GP data is dirty in every way the sync must survive, deterministic, and mutates like GP."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from decimal import Decimal

import pytest

from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import (
    EMPTY_DATE,
    W_ADDRESS,
    W_CITY,
    W_CUSTNAME,
    W_CUSTNMBR,
    W_DOCNUMBR,
    W_STATE,
    W_ZIP,
    CompanyData,
    DocType,
    GPDataset,
    dump_tables,
    key_of,
)
from gpmc_desktop.demo.gp_mutate import GPMutator, GPRuleError
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload, document_payload

EMAIL = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[a-z]{2,}$", re.I)


def _entries(text: str) -> list[str]:
    """Split an e-mail field the way Microsoft's migration does: ';', strip, drop mailto:."""
    out = []
    for part in text.split(";"):
        part = part.strip()
        if part.lower().startswith("mailto:"):
            part = part[7:].strip()
        if part:
            out.append(part)
    return out


@pytest.fixture(scope="module")
def ds() -> GPDataset:
    return generate_dataset(400, seed=3)


def _all(ds: GPDataset) -> list[CompanyData]:
    return list(ds.companies.values())


def test_companies_registry_has_a_tricky_display_name(ds: GPDataset) -> None:
    rows = {c.company.interid.rstrip(): c.company for c in _all(ds)}
    assert rows["TWO"].cmpanyid == -1 and rows["TWO"].cmpnynam.rstrip() == "Fabrikam, Inc."
    tricky = [r.cmpnynam.rstrip() for r in rows.values() if r.interid.rstrip() != "TWO"]
    assert tricky, "a second company is needed"
    name = tricky[0]
    assert " " in name and "," in name and "(" in name and ")" in name and any(ord(ch) > 127 for ch in name)
    assert all(c.customers and (c.open_docs or c.history_docs) for c in _all(ds)), "each company has its own data"


def test_char_columns_are_padded_to_gp_widths(ds: GPDataset) -> None:
    for data in _all(ds):
        for cust in data.customers.values():
            assert len(cust.custnmbr) == W_CUSTNMBR and len(cust.custname) == W_CUSTNAME
            assert len(cust.address1) == W_ADDRESS and len(cust.city) == W_CITY
            assert len(cust.state) == W_STATE and len(cust.zip) == W_ZIP
        for row, _ in data.documents():
            assert len(row.docnumbr) == W_DOCNUMBR
    cust = next(iter(ds.companies["TWO"].customers.values()))
    assert cust.custnmbr.endswith(" ") and cust.custname.endswith(" ")


def test_email_fields_hold_the_usual_dirt(ds: GPDataset) -> None:
    owners: dict[str, set[str]] = {}
    found = Counter()
    for data in _all(ds):
        for key in data.customers:
            rows = data.internet.get(key, [])
            fields = [(r.email_to_address, r.email_cc_address, r.email_bcc_address, r.inet1.strip()) for r in rows]
            if not any(any(f) for f in fields):
                found["no_email"] += 1
            if not rows:
                found["no_row"] += 1
            for to, cc, bcc, inet1 in fields:
                if "mailto:" in (to + cc + bcc).lower():
                    found["mailto"] += 1
                if cc and not to and not bcc:
                    found["only_cc"] += 1
                if bcc and not to and not cc:
                    found["only_bcc"] += 1
                if inet1 and not (to or cc or bcc):
                    found["only_inet1"] += 1
                if len(_entries(to)) > 1:
                    found["list"] += 1
                if ";;" in to or to.rstrip().endswith(";") or to != to.strip():
                    found["blank_entries"] += 1
                for entry in _entries(to) + _entries(cc) + _entries(bcc):
                    if not EMAIL.match(entry):
                        found["junk"] += 1
                    if entry.lower().endswith(("@example.com", "@example.org", "@test.com")):
                        found["fake"] += 1
                    if entry != entry.lower():
                        found["upper"] += 1
                    owners.setdefault(entry.lower(), set()).add(key)
    shared = [email for email, keys in owners.items() if len(keys) >= 4]
    assert shared, "four customers must share one e-mail address (one accounts-payable mailbox)"
    for kind in ("no_email", "no_row", "mailto", "only_cc", "only_bcc", "only_inet1", "list", "junk", "fake", "upper"):
        assert found[kind] > 0, kind


def test_customers_are_dirty_too(ds: GPDataset) -> None:
    customers = [c for data in _all(ds) for c in data.customers.values()]
    phones = [p.strip() for c in customers for p in (c.phone1, c.phone2, c.phone3, c.fax)]
    assert "00000000000000" in phones
    assert any("E+" in p for p in phones), "Excel-mangled phones"
    names = "".join(c.custname for c in customers)
    assert any(ord(ch) > 127 for ch in names)
    assert any(ch in names for ch in "ßøåæÅØÆöü"), "German or Nordic letters"
    assert any(c.inactive for c in customers) and any(c.hold for c in customers)
    assert any(not c.inactive and not c.hold for c in customers)
    assert any(not c.country.strip() for c in customers), "missing countries"
    assert any(not c.cntcprsn.strip() for c in customers), "contact person empty"
    for data in _all(ds):  # keys are unique per company database, not across them
        assert len({c.custnmbr for c in data.customers.values()}) == len(data.customers)
    # The customer row's copy of the primary address is the primary RM00102 row.
    data = ds.companies["TWO"]
    for cust in list(data.customers.values())[:50]:
        primary = data.address(cust.custnmbr, cust.adrscode)
        assert primary is not None and primary.address1 == cust.address1


def test_documents_cover_all_types_and_invoice_states(ds: GPDataset) -> None:
    for data in _all(ds):
        docs = list(data.documents())
        assert {r.rmdtypal for r, _ in docs} >= set(range(1, 10)), data.interid
        invoices = [(r, s) for r, s in docs if r.rmdtypal == DocType.INVOICE]
        assert any(r.voidstts for r, _ in invoices)
        assert any(r.curtrxam == 0 and not r.voidstts and r.ortrxamt > 0 for r, _ in invoices), "paid"
        assert any(r.curtrxam == r.ortrxamt > 0 and not r.voidstts for r, _ in invoices), "open"
        assert any(0 < r.curtrxam < r.ortrxamt and not r.voidstts for r, _ in invoices), "partially paid"
        assert {s for _, s in docs} == {"Open", "History"}
        for row, _ in docs:
            assert type(row.docdate) is dt.date and type(row.lstedtdt) is dt.date
            assert (row.voiddate == EMPTY_DATE) == (not row.voidstts)
            assert type(row.dex_row_ts) is dt.datetime and row.dex_row_ts.microsecond % 1000 == 0
    currencies = Counter(r.curncyid.strip() for data in _all(ds) for r, _ in data.documents())
    assert currencies.most_common(1)[0][0] == "Z-US$" and len(currencies) > 1


def test_dates_are_date_only_and_stamps_never_in_the_future(ds: GPDataset) -> None:
    now, today = ds.clock.utcnow(), ds.clock.today()
    for data in _all(ds):
        for cust in data.customers.values():
            assert type(cust.modifdt) is dt.date and cust.creatddt <= cust.modifdt <= today
            addresses = data.addresses_of(cust.custnmbr)
            # the RM00102 trigger bumps RM00101.DEX_ROW_TS: the customer's stamp is never older than its addresses'
            assert all(a.dex_row_ts <= cust.dex_row_ts <= now for a in addresses)
        stamps = [r.dex_row_ts for rows in data.internet.values() for r in rows]
        stamps += [r.dex_row_ts for r, _ in data.documents()]
        assert max(stamps) <= now


def test_sba_shapes_follow_the_contract(ds: GPDataset) -> None:
    data = ds.companies["TWO"]
    cust = next(iter(data.customers.values()))
    payload = customer_payload(data, cust, ShapeOptions())
    assert payload["CustomerNumber"] == cust.custnmbr  # padded by default
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00", payload["ModifiedDate"])
    assert payload["Addresses"][0]["AddressId"] == cust.adrscode
    trimmed = customer_payload(data, cust, ShapeOptions(trim_strings=True))
    assert trimmed["CustomerNumber"] == cust.custnmbr.rstrip()
    for row, state in data.documents():
        doc = document_payload(data, row, state, ShapeOptions())
        value = Decimal(str(doc["OriginalAmount"]["Value"]))
        assert value == value.quantize(Decimal(1).scaleb(-doc["OriginalAmount"]["DecimalDigits"]))
        assert doc["TransactionState"] == state and doc["DocumentType"] == row.rmdtypal


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = json.dumps(dump_tables(generate_dataset(80, seed=42)), sort_keys=True)
    b = json.dumps(dump_tables(generate_dataset(80, seed=42)), sort_keys=True)
    c = json.dumps(dump_tables(generate_dataset(80, seed=43)), sort_keys=True)
    assert a == b
    assert a != c


def test_fifty_customers_still_show_the_essential_dirt() -> None:
    small = generate_dataset(50, seed=5)
    assert sum(len(c.customers) for c in small.companies.values()) == 50
    two = small.companies["TWO"]
    assert {r.rmdtypal for r, _ in two.documents()} >= set(range(1, 10))
    assert any(not two.internet.get(k) or not any(r.email_to_address for r in two.internet[k]) for k in two.customers)


# ----------------------------------------------------------------------------------------------- mutations
@pytest.fixture()
def fresh() -> tuple[GPDataset, GPMutator]:
    ds = generate_dataset(120, seed=9, clock=SimClock(dt.datetime(2024, 6, 14, 9, 0)))
    return ds, GPMutator(ds, seed=1)


def test_email_change_leaves_modified_date_and_customer_stamp(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    cust = next(c for c in data.customers.values() if data.internet_of(c.custnmbr, c.adrscode))
    inet = data.internet_of(cust.custnmbr, cust.adrscode)
    assert inet is not None
    before = (cust.modifdt, cust.dex_row_ts, inet.dex_row_ts)
    ds.clock.advance(hours=2)
    version = ds.version
    change = mut.change_email(cust.custnmbr, "new.ap@example-client.com")
    assert change.kind == "email" and change.tables == ("SY01200",)
    assert inet.email_to_address == "new.ap@example-client.com"
    assert (cust.modifdt, cust.dex_row_ts) == before[:2]
    assert inet.dex_row_ts == ds.clock.utcnow() != before[2]
    assert ds.version > version


def test_address_change_moves_modified_date_and_stamp(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    cust = next(c for c in data.customers.values() if c.modifdt < ds.clock.today())
    ds.clock.advance(days=3)
    change = mut.change_address(cust.custnmbr, line1="1 New Street")
    addr = data.address(cust.custnmbr, cust.adrscode)
    assert addr is not None and addr.address1.rstrip() == "1 New Street" == cust.address1.rstrip()
    assert cust.modifdt == addr.modifdt == ds.clock.today() == dt.date(2024, 6, 17)
    assert cust.dex_row_ts == addr.dex_row_ts == ds.clock.utcnow()
    assert set(change.tables) == {"RM00101", "RM00102"}


def test_secondary_address_change_bumps_only_the_customer_stamp(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    cust = next(c for c in data.customers.values() if len(data.addresses_of(c.custnmbr)) > 1)
    other = data.addresses_of(cust.custnmbr)[1]
    modified = cust.modifdt
    ds.clock.advance(days=1)
    mut.change_address(cust.custnmbr, address_code=other.adrscode)
    assert cust.modifdt == modified and cust.dex_row_ts == ds.clock.utcnow()


def test_add_customers_and_invoices(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    n = len(data.customers)
    added = mut.add_customers(3)
    assert len(data.customers) == n + 3 and len({c.key for c in added}) == 3
    new = data.customer(added[0].key)
    assert new is not None and new.creatddt == new.modifdt == ds.clock.today()
    inv = mut.add_invoices(2, customer=added[0].key, amount="125.40")
    for change in inv:
        doc_type, number = change.key.split(";")
        found = data.document(int(doc_type), number)
        assert found is not None
        row, state = found
        assert state == "Open" and row.rmdtypal == 1 and row.docdate == ds.clock.today()
        assert row.curtrxam == row.ortrxamt and key_of(row.custnmbr) == added[0].key


def test_void_and_pay_invoices(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    [change] = mut.add_invoices(1, amount="300.00")
    number = change.key.split(";")[1]
    partial = mut.apply_payment(number, amount="100.00")
    row, state = data.document(1, number) or (None, None)
    assert row is not None and state == "Open" and row.curtrxam > 0 and not partial.detail["paid_in_full"]
    pay_type, pay_number = partial.detail["payment"].split(";")
    payment = data.document(int(pay_type), pay_number)
    assert payment is not None and payment[0].rmdtypal == DocType.PAYMENT
    full = mut.apply_payment(number, move_to_history=True)
    assert full.detail["paid_in_full"]
    row, state = data.document(1, number) or (None, None)
    assert row is not None and state == "History" and row.curtrxam == 0 and row.dinvpdof == ds.clock.today()

    [other] = mut.add_invoices(1)
    voided = mut.void_invoice(other.key.split(";")[1])
    row, state = data.document(1, other.key.split(";")[1]) or (None, None)
    assert row is not None and row.voidstts == 1 and row.voiddate == ds.clock.today() and state == "History"
    assert voided.kind == "invoice_voided"
    with pytest.raises(GPRuleError):
        mut.apply_payment(other.key.split(";")[1])


def test_paid_transaction_removal(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    paid_open = [r for r in data.open_docs.values() if r.curtrxam == 0]
    assert paid_open
    moved = mut.remove_paid_transactions()
    assert len(moved) == len(paid_open) and all(r.curtrxam for r in data.open_docs.values())


def test_delete_customer_follows_gp_rules(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    data = ds.companies["TWO"]
    with_docs = next(iter({key_of(r.custnmbr) for r, _ in data.documents()}))
    with pytest.raises(GPRuleError):
        mut.delete_customer(with_docs)
    change = mut.delete_customer()
    assert data.customer(change.key) is None and change.key not in data.addresses
    mut.delete_customer(with_docs, force=True)
    assert data.customer(with_docs) is None


def test_random_round_changes_something(fresh: tuple[GPDataset, GPMutator]) -> None:
    ds, mut = fresh
    version = ds.version
    changes = mut.random_round(10)
    assert changes and ds.version > version


def test_ten_thousand_customers_generate() -> None:
    big = generate_dataset(10_000, seed=1)
    counts = big.counts()
    assert sum(c["RM00101"] for c in counts.values()) == 10_000
    assert sum(c["RM20101"] + c["RM30101"] for c in counts.values()) == 50_000
