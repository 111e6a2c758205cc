"""The generated items and posted sales invoices (IV00101, SOP30200, SOP30300): GP's rules, the dirty cases, and
no other demo value moved by them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from gpmc_desktop.demo import gp_generate
from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import (
    W_DOCNUMBR,
    W_ITEMDESC,
    W_ITEMNMBR,
    W_ITMCLSCD,
    W_ITMSHNAM,
    CompanyData,
    DocType,
    GPDataset,
    SalesHeaderRow,
    doc_key,
    dump_tables,
)
from gpmc_desktop.demo.gp_mutate import GPMutator, GPRuleError

SALES_TABLES = ("IV00101", "SOP30200", "SOP30300")


@pytest.fixture(scope="module", params=[(60, 5), (200, 7)], ids=["60 customers", "200 customers"])
def ds(request: pytest.FixtureRequest) -> GPDataset:
    customers, seed = request.param
    return generate_dataset(customers, seed=seed)


def _extended(quantity: Decimal, price: int, unit: int) -> int:
    """quantity x price in whole units of the currency (cents, or whole yen as 100 cents)."""
    return int((quantity * price / unit).quantize(Decimal(1), ROUND_HALF_UP)) * unit


def _mismatches(data: CompanyData) -> list[SalesHeaderRow]:
    out = []
    for header in data.sales_headers.values():
        found = data.document(DocType.INVOICE, header.sopnumbe)
        assert found is not None
        if header.docamnt != found[0].ortrxamt:
            out.append(header)
    return out


def test_sales_rows_follow_gp_rules(ds: GPDataset) -> None:
    for data in ds.companies.values():
        assert 30 <= len(data.items) <= 45
        for item in data.items.values():
            assert (len(item.itemnmbr), len(item.itemdesc), len(item.itmshnam), len(item.itmclscd)) == (
                W_ITEMNMBR, W_ITEMDESC, W_ITMSHNAM, W_ITMCLSCD)
            assert item.creatddt <= item.modifdt <= ds.clock.today() and item.dex_row_ts <= ds.clock.utcnow()
        invoices = [r for r, _ in data.documents() if r.rmdtypal == DocType.INVOICE]
        assert 0.6 < len(data.sales_headers) / len(invoices) < 0.85
        for header in data.sales_headers.values():
            rm, _ = data.document(DocType.INVOICE, header.sopnumbe) or (None, None)
            assert rm is not None and rm.custnmbr == header.custnmbr and rm.docdate == header.docdate
            assert len(header.sopnumbe) == W_DOCNUMBR and header.soptype == 3 and header.voidstts == rm.voidstts
            mc = data.multicurrency.get(doc_key(rm.rmdtypal, rm.docnumbr))
            unit = 100 if mc is not None and mc.curncyid.strip() == "Z-YEN" else 1
            rows = data.lines_of(header)
            assert [r.lnitmseq for r in rows] == [16384 * (i + 1) for i in range(len(rows))]
            for prefix, lines in (("", [(r.xtndprce, r.taxamnt) for r in rows]),
                                  ("or", [(r.oxtndprc, r.ortaxamt) for r in rows])):
                sub, disc, frt, misc, tax, total = (getattr(header, prefix + name) for name in (
                    ("subtotal", "trdisamt", "frtamnt", "miscamnt", "taxamnt", "docamnt") if not prefix else
                    ("subtot", "tdisam", "frtamt", "miscamt", "taxamt", "docamt")))
                assert total == sub - disc + frt + misc + tax and min(sub, disc, frt, misc, tax) >= 0
                assert sub == sum(x for x, _ in lines) and tax == sum(t for _, t in lines)
            if mc is not None:
                assert header.ordocamt == mc.ororgtrx or header in _mismatches(data)
            for row in rows:
                assert row.quantity == row.quantity.quantize(Decimal("0.00001")) and row.quantity >= 0
                assert row.oruntprc >= 0 and row.unitprce >= 0 and row.oxtndprc >= 0 and row.xtndprce >= 0
                assert row.oxtndprc == _extended(row.quantity, row.oruntprc, unit) - row.ormrkdam
                if mc is None:
                    assert (row.unitprce, row.xtndprce, row.mrkdnamt) == (row.oruntprc, row.oxtndprc, row.ormrkdam)


def test_exactly_one_mismatch_from_200_customers_on() -> None:
    assert not any(_mismatches(c) for c in generate_dataset(199, seed=7).companies.values())
    big = generate_dataset(200, seed=7)
    [odd] = _mismatches(big.companies["TWO"])
    assert not _mismatches(big.companies["CPBDA"])
    rm, _ = big.companies["TWO"].document(DocType.INVOICE, odd.sopnumbe) or (None, None)
    assert rm is not None and 200 <= abs(odd.docamnt - rm.ortrxamt) < 1000 and not rm.voidstts


def test_every_dirty_case_in_every_company(ds: GPDataset) -> None:
    for data in ds.companies.values():
        rows = [r for rows in data.sales_lines.values() for r in rows]
        assert any(data.item(r.itemnmbr) is None and r.itemdesc.strip() for r in rows), "a deleted item"
        assert any(r.quantity == 0 and r.xtndprce == 0 for r in rows), "quantity 0"
        assert any(r.quantity == Decimal("2.5") and r.decplqty == 3 for r in rows), "2.5 hours"
        assert any(r.mrkdnamt > 0 and r.unitprce > 0 for r in rows), "a markdown"
        headers = list(data.sales_headers.values())
        assert max(len(data.lines_of(h)) for h in headers) >= 100
        for column in ("frtamnt", "miscamnt", "taxamnt", "trdisamt", "voidstts"):
            assert any(getattr(h, column) for h in headers), column
        assert any(not i.itmclscd.strip() for i in data.items.values()), "an item without a class"


def test_the_sales_tables_move_no_other_value(monkeypatch: pytest.MonkeyPatch) -> None:
    def others(dataset: GPDataset) -> str:
        tables = dump_tables(dataset)
        for company in tables.values():
            for name in SALES_TABLES:
                company.pop(name)
        return json.dumps(tables, sort_keys=True)

    with_sales = others(generate_dataset(120, seed=4))
    monkeypatch.setattr(gp_generate, "fill_sales", lambda *args, **kwargs: None)
    assert others(generate_dataset(120, seed=4)) == with_sales


# ----------------------------------------------------------------------------------------------- mutations
def _fresh() -> tuple[GPDataset, GPMutator]:
    dataset = generate_dataset(80, seed=9, clock=SimClock(dt.datetime(2024, 6, 14, 9, 0)))
    return dataset, GPMutator(dataset, seed=2)


def test_new_invoices_come_with_their_sales_invoice_and_nothing_else_changes() -> None:
    (plain_ds, plain), (sales_ds, sales) = _fresh(), _fresh()
    made = [c.key for c in plain.add_invoices(4, with_lines=False)]
    changes = sales.add_invoices(4)
    assert [c.key for c in changes] == made  # the same RM documents either way
    assert changes[0].tables == ("RM20101", "SOP30200", "SOP30300") and changes[0].detail["lines"] >= 1
    data = sales_ds.companies["TWO"]
    for change in changes:
        number = change.key.split(";")[1]
        header = data.sales_invoice(number)
        rm, state = data.document(DocType.INVOICE, number) or (None, None)
        assert header is not None and rm is not None and state == "Open"
        assert header.docamnt == rm.ortrxamt and header.subtotal == sum(r.xtndprce for r in data.lines_of(header))
        assert header.modifdt == sales_ds.clock.today() and header.dex_row_ts == sales_ds.clock.utcnow()
        assert all(data.item(r.itemnmbr) is not None for r in data.lines_of(header))
    assert plain_ds.companies["TWO"].sales_invoice(made[0].split(";")[1]) is None
    number = made[0].split(";")[1]
    assert "SOP30200" in sales.void_invoice(number).tables
    header = data.sales_invoice(number)
    assert header is not None and header.voidstts == 1 and header.modifdt == sales_ds.clock.today()


def test_item_maintenance() -> None:
    dataset, mutator = _fresh()
    data = dataset.companies["TWO"]
    item = next(i for i in data.items.values() if i.itmclscd.strip())
    on_lines = sum(r.itemnmbr == item.itemnmbr for rows in data.sales_lines.values() for r in rows)
    dataset.clock.advance(days=2)
    version = dataset.version
    change = mutator.change_item(item.itemnmbr.strip().lower(), description="Copy paper (new supplier)")
    assert change.kind == "item_changed" and change.detail["after"]["description"] == "Copy paper (new supplier)"
    assert item.itemdesc.rstrip() == "Copy paper (new supplier)" and len(item.itemdesc) == W_ITEMDESC
    assert item.modifdt == dataset.clock.today() and item.dex_row_ts == dataset.clock.utcnow()
    assert dataset.version > version
    mutator.change_item(item.itemnmbr, class_id="")
    assert not item.itmclscd.strip() and len(item.itmclscd) == W_ITMCLSCD
    deleted = mutator.delete_item(item.itemnmbr)
    assert deleted.kind == "item_deleted" and data.item(item.itemnmbr) is None
    assert sum(r.itemnmbr == item.itemnmbr for rows in data.sales_lines.values() for r in rows) == on_lines
    with pytest.raises(KeyError):
        mutator.delete_item(item.itemnmbr)
    for row in list(data.items.values()):
        mutator.delete_item(row.itemnmbr)
    with pytest.raises(GPRuleError):
        mutator.add_invoices(1)
    assert mutator.add_invoices(1, with_lines=False)
