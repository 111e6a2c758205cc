"""The SBA simulator's posted sales invoices and item catalog over real HTTPS and NTLM: offered on /help, served
whole and by key, adding up to the receivables invoices, and switched off by their options.

Where GP SBA serves these and their JSON is OUR ASSUMPTION (no public sample shows it): see
gp_sba_shapes.sales_invoice_payload and docs/simulators.md.
"""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import requests

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import key_of
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_sba import GPSimulator, SBAOptions
from tests.demo.test_gp_sba_sim import get, session
from tests.simulators import GPSim

PW = "Sba:Sales-Pa55!"
PW_TWO = "Sba-Two-1"
# 200 customers: every dirty case in both companies, and the one deliberate DOCAMNT mismatch (in TWO).
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"*"}), ("CORP", "sba-two", PW_TWO, {"TWO"})], customers=200, seed=11)
COMPANIES = ("TWO", "CPBDA")
INVOICE_FIELDS = {"DocumentNumber", "CustomerNumber", "DocumentDate", "CurrencyId", "LineTotalAmount",
                  "TradeDiscountAmount", "FreightAmount", "MiscellaneousAmount", "TaxAmount", "TotalAmount",
                  "IsVoided", "ModifiedDate", "TransactionState", "Lines"}
LINE_FIELDS = {"LineSequenceNumber", "ItemNumber", "ItemDescription", "Quantity", "UnitPrice", "MarkdownAmount",
               "ExtendedPrice", "TaxAmount"}
ITEM_FIELDS = {"ItemNumber", "Description", "ShortDescription", "ItemClassId", "ItemType", "ModifiedDate"}
Obj = dict[str, Any]


def read(sim: GPSimulator, path: str, *, status: int = 200) -> Any:
    r = get(session(sim, password=PW), sim, path)
    assert r.status_code == status, (path, r.text)
    return r.json() if status != 200 else r.json()["Payload"]


def invoices(sim: GPSimulator, company: str = "TWO") -> list[Obj]:
    return read(sim, f"Companies({company})/Sales/SalesInvoices.json")


def items(sim: GPSimulator, company: str = "TWO") -> list[Obj]:
    return read(sim, f"Companies({company})/Inventory/Items.json")


def value(money: Any) -> Decimal:
    """A money value in any amount shape, exactly (str() of a float of at most 2 places is its decimal)."""
    return Decimal(str(money["Value"] if isinstance(money, dict) else money))


def help_routes(sim: GPSimulator) -> list[str]:
    page = get(session(sim, password=PW), sim, "help").text
    return re.findall(r"<code>GET /GPService/Tenants\([^)]*\)/([^<]*)</code>", page)


@pytest.fixture(scope="module")
def all_invoices(gp_sba: GPSimulator) -> dict[str, list[Obj]]:
    return {company: invoices(gp_sba, company) for company in COMPANIES}


# ------------------------------------------------------------------------------------------------- discovery
def test_help_lists_both_resources_like_the_other_routes(gp_sba: GPSimulator) -> None:
    routes = help_routes(gp_sba)
    assert routes[-4:] == [
        "Companies({company})/Sales/SalesInvoices[.json]",
        "Companies({company})/Sales/SalesInvoices({DocumentNumber})[.json]",
        "Companies({company})/Inventory/Items[.json]",
        "Companies({company})/Inventory/Items({ItemNumber})[.json]",
    ]
    assert routes[:5] == ["Companies[.json]", "Companies({company})/Sales/Customers[.json]",
                          "Companies({company})/Sales/Customers({CustomerNumber})[.json]",
                          "Companies({company})/Sales/Receivables[.json]",
                          "Companies({company})/Sales/Receivables({DocumentType};{DocumentNumber})[.json]"]


def test_a_moved_resource_is_listed_and_served_where_it_is(gp_sba: GPSimulator) -> None:
    moved = "Sales/Transactions/SalesInvoices"
    gp_sba.set_options(sales_invoices_path=moved, items_path="Items")
    routes = help_routes(gp_sba)
    assert f"Companies({{company}})/{moved}({{DocumentNumber}})[.json]" in routes
    assert "Companies({company})/Items({ItemNumber})[.json]" in routes
    assert not any("Sales/SalesInvoices" in r or "Inventory/" in r for r in routes)
    assert len(read(gp_sba, f"Companies(TWO)/{moved}.json")) == len(gp_sba.dataset.companies["TWO"].sales_headers)
    assert read(gp_sba, "Companies(TWO)/Items.json")
    assert read(gp_sba, "Companies(TWO)/Sales/SalesInvoices.json", status=404)["ErrorCode"] == "NotFound"


def test_switched_off_resources_are_neither_listed_nor_served(gp_sba: GPSimulator) -> None:
    data = gp_sba.dataset.companies["TWO"]
    number = next(iter(data.sales_headers.values())).sopnumbe.strip()
    item = next(iter(data.items.values())).itemnmbr.strip()
    gp_sba.set_options(sales_invoices_path=None, items_path=None)
    page = get(session(gp_sba, password=PW), gp_sba, "help").text
    assert "SalesInvoices" not in page and "Items" not in page
    assert "Sales/Receivables" in page
    for path in ("Sales/SalesInvoices.json", f"Sales/SalesInvoices({number}).json", "Inventory/Items.json",
                 f"Inventory/Items({urllib.parse.quote(item, safe='')}).json", "Sales/SalesInvoices"):
        body = read(gp_sba, f"Companies(TWO)/{path}", status=404)
        assert set(body) == {"ErrorCode", "Message", "LogId"} and body["ErrorCode"] == "NotFound", path


@pytest.mark.parametrize("changes", [
    {"sales_invoices_path": "/Sales/SalesInvoices"}, {"items_path": "Inventory/Items/"}, {"items_path": ""},
    {"sales_invoices_path": "Sales/Receivables"}, {"items_path": "sales/customers"},
])
def test_bad_paths_are_refused(changes: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="path"):
        SBAOptions(**changes)


# --------------------------------------------------------------------------------------------- sales invoices
def test_sales_invoice_collection_and_by_key(gp_sba: GPSimulator, all_invoices: dict[str, list[Obj]]) -> None:
    data = gp_sba.dataset.companies["TWO"]
    listed = all_invoices["TWO"]
    assert [i["DocumentNumber"] for i in listed] == [data.sales_headers[k].sopnumbe for k in sorted(data.sales_headers)]
    for invoice in listed:
        assert set(invoice) == INVOICE_FIELDS and invoice["TransactionState"] == "History"
        assert invoice["Lines"] and all(set(line) == LINE_FIELDS for line in invoice["Lines"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00", invoice["DocumentDate"])
    first = listed[0]
    header = data.sales_invoice(first["DocumentNumber"])
    assert header is not None
    assert first["CustomerNumber"] == header.custnmbr and first["CurrencyId"] == header.curncyid
    assert [line["LineSequenceNumber"] for line in first["Lines"]] == [
        16384 * (i + 1) for i in range(len(data.lines_of(header)))]
    assert first["Lines"][0]["ItemDescription"] == data.lines_of(header)[0].itemdesc
    s = session(gp_sba, password=PW)
    number = first["DocumentNumber"].strip()
    for key in (number, number.lower(), f"'{number}'", urllib.parse.quote(first["DocumentNumber"], safe="")):
        r = get(s, gp_sba, f"Companies(TWO)/Sales/SalesInvoices({key}).json")
        assert r.status_code == 200 and r.json()["Payload"] == first, key


def test_xml_without_the_json_suffix(gp_sba: GPSimulator, all_invoices: dict[str, list[Obj]]) -> None:
    s = session(gp_sba, password=PW)
    r = get(s, gp_sba, "Companies(CPBDA)/Sales/SalesInvoices")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert len(root.findall("SalesInvoice")) == len(all_invoices["CPBDA"])
    assert root.find("SalesInvoice/Lines/SalesInvoiceLine/ExtendedPrice/Value") is not None
    number = all_invoices["CPBDA"][0]["DocumentNumber"].strip()
    one = ET.fromstring(get(s, gp_sba, f"Companies(CPBDA)/Sales/SalesInvoices({number})").content)
    assert one.findtext("SalesInvoice/DocumentNumber", "").strip() == number
    item = ET.fromstring(get(s, gp_sba, "Companies(CPBDA)/Inventory/Items").content)
    assert len(item.findall("Item")) == len(gp_sba.dataset.companies["CPBDA"].items)


def check_adds_up(invoice: Obj, *, line_prices: bool) -> None:
    """Header: lines - discount + freight + misc + tax = total; the lines' extended prices and taxes add up to the
    header's; each line is quantity x unit price - markdown (where the amounts were not converted one by one)."""
    total = (value(invoice["LineTotalAmount"]) - value(invoice["TradeDiscountAmount"])
             + value(invoice["FreightAmount"]) + value(invoice["MiscellaneousAmount"]) + value(invoice["TaxAmount"]))
    number = invoice["DocumentNumber"]
    assert total == value(invoice["TotalAmount"]), number
    assert sum(value(line["ExtendedPrice"]) for line in invoice["Lines"]) == value(invoice["LineTotalAmount"])
    assert sum(value(line["TaxAmount"]) for line in invoice["Lines"]) == value(invoice["TaxAmount"])
    digits = invoice["TotalAmount"]["DecimalDigits"]
    for line in invoice["Lines"]:
        assert line["UnitPrice"]["Currency"] == invoice["TotalAmount"]["Currency"]
        if line_prices:
            gross = (Decimal(str(line["Quantity"])) * value(line["UnitPrice"])).quantize(
                Decimal(1).scaleb(-digits), ROUND_HALF_UP)
            assert gross - value(line["MarkdownAmount"]) == value(line["ExtendedPrice"]), (number, line)


@pytest.mark.parametrize("amounts", ["transactional", "functional"])
def test_totals_reconcile_with_the_receivables_invoices(gp_sba: GPSimulator, amounts: str) -> None:
    gp_sba.set_options(amounts=amounts)
    odd, foreign = [], 0
    for company in COMPANIES:
        receivables = {d["DocumentNumber"]: d for d in read(gp_sba, f"Companies({company})/Sales/Receivables.json")
                       if d["DocumentType"] == 1}
        for invoice in invoices(gp_sba, company):
            rm = receivables[invoice["DocumentNumber"]]
            assert (invoice["CustomerNumber"], invoice["DocumentDate"], invoice["IsVoided"]) == (
                rm["CustomerNumber"], rm["DocumentDate"], rm["IsVoided"])
            own_currency = invoice["CurrencyId"].strip() != "Z-US$"
            foreign += own_currency
            if amounts == "functional":
                assert invoice["TotalAmount"]["Currency"] == "USD"
            if invoice["TotalAmount"] != rm["OriginalAmount"]:  # the same value, currency and digits
                odd.append((company, invoice, rm))
            # A foreign invoice's functional amounts are each converted: they only add up as a whole.
            check_adds_up(invoice, line_prices=amounts == "transactional" or not own_currency)
    assert foreign, "some invoices are in another currency"
    [(company, invoice, rm)] = odd  # the deliberate mismatch of a data set of 200 customers, and nothing else
    assert company == "TWO" and invoice["CurrencyId"].strip() == "Z-US$"
    assert Decimal(2) <= abs(value(invoice["TotalAmount"]) - value(rm["OriginalAmount"])) < Decimal(10)


def test_every_dirty_line_is_there(gp_sba: GPSimulator, all_invoices: dict[str, list[Obj]]) -> None:
    for company, listed in all_invoices.items():
        catalog = {key_of(i["ItemNumber"]) for i in items(gp_sba, company)}
        lines = [line for invoice in listed for line in invoice["Lines"]]
        deleted = [line for line in lines if key_of(line["ItemNumber"]) not in catalog]
        assert deleted and all(line["ItemDescription"].strip() for line in deleted), company
        zero = [line for line in lines if line["Quantity"] == 0]
        assert zero and all(value(line["ExtendedPrice"]) == 0 for line in zero), company
        assert any(line["Quantity"] == 2.5 for line in lines), company
        assert any(value(line["MarkdownAmount"]) > 0 and value(line["UnitPrice"]) > 0 for line in lines), company
        assert max(len(invoice["Lines"]) for invoice in listed) >= 100, company
        for member in ("FreightAmount", "MiscellaneousAmount", "TaxAmount", "TradeDiscountAmount"):
            assert any(value(invoice[member]) > 0 for invoice in listed), (company, member)
        assert any(invoice["IsVoided"] for invoice in listed), company


def test_shape_options_are_honoured(gp_sba: GPSimulator, all_invoices: dict[str, list[Obj]]) -> None:
    number = next(i["DocumentNumber"].strip() for i in all_invoices["TWO"] if value(i["TaxAmount"]))
    gp_sba.set_options(trim_strings=True, amount_shape="string", dates="wcf", omit_fields=("TaxAmount", "ItemType"),
                       list_key="Items")
    invoice = read(gp_sba, f"Companies(TWO)/Sales/SalesInvoices({number}).json")
    assert invoice["DocumentNumber"] == number and invoice["CurrencyId"] == invoice["CurrencyId"].strip()
    assert "TaxAmount" not in invoice and all("TaxAmount" not in line for line in invoice["Lines"])
    assert re.fullmatch(r"-?\d+(\.\d+)?", invoice["TotalAmount"]) and re.fullmatch(r"/Date\(-?\d+\)/",
                                                                                invoice["DocumentDate"])
    assert all(line["ItemNumber"] == line["ItemNumber"].strip() for line in invoice["Lines"])
    listed = read(gp_sba, "Companies(TWO)/Inventory/Items.json")["Items"]
    assert listed and all("ItemType" not in i and i["ItemNumber"] == i["ItemNumber"].strip() for i in listed)
    assert "Items" in read(gp_sba, "Companies(TWO)/Sales/SalesInvoices.json")


# ------------------------------------------------------------------------------------------------------- items
def test_items_collection_and_by_key(gp_sba: GPSimulator) -> None:
    data = gp_sba.dataset.companies["TWO"]
    listed = items(gp_sba)
    assert [i["ItemNumber"] for i in listed] == [data.items[k].itemnmbr for k in sorted(data.items)]
    assert all(set(i) == ITEM_FIELDS for i in listed)
    blank = [i for i in listed if not i["ItemClassId"].strip()]
    assert blank and all(i["ItemClassId"] == " " * 11 for i in blank), "a blank class is served padded, like GP's"
    assert {i["ItemType"] for i in listed} >= {1, 3, 5}
    s = session(gp_sba, password=PW)
    odd = [i for i in listed if " " in i["ItemNumber"].strip() or "/" in i["ItemNumber"]]
    assert odd, "item numbers with a space or a slash"
    for item in [listed[0], *odd]:
        key = urllib.parse.quote(item["ItemNumber"].strip(), safe="")  # a slash must travel as %2F
        r = get(s, gp_sba, f"Companies(TWO)/Inventory/Items({key}).json")
        assert r.status_code == 200 and r.json()["Payload"] == item, key
    gp_sba.set_options(trim_strings=True)
    assert all(i["ItemClassId"] == "" for i in items(gp_sba) if not i["ItemClassId"].strip())


# ------------------------------------------------------------------------------------------ errors and plumbing
def test_unknown_numbers_are_404(gp_sba: GPSimulator, all_invoices: dict[str, list[Obj]]) -> None:
    data = gp_sba.dataset.companies["TWO"]
    deleted = next(line["ItemNumber"].strip() for i in all_invoices["TWO"] for line in i["Lines"]
                   if data.item(line["ItemNumber"]) is None)
    receivables_only = next(r.docnumbr.strip() for r, _ in data.documents()
                            if r.rmdtypal == 1 and data.sales_invoice(r.docnumbr) is None)
    for path, code, message in (
        ("Sales/SalesInvoices(NOPE-0001).json", "SalesInvoiceNotFound", "Sales invoice 'NOPE-0001' was not found."),
        (f"Sales/SalesInvoices({receivables_only}).json", "SalesInvoiceNotFound",
         f"Sales invoice '{receivables_only}' was not found."),
        (f"Inventory/Items({urllib.parse.quote(deleted, safe='')}).json", "ItemNotFound",
         f"Item '{deleted}' was not found."),
        ("Inventory/Items(NO-SUCH-ITEM)", "ItemNotFound", "Item 'NO-SUCH-ITEM' was not found."),
    ):
        body = read(gp_sba, f"Companies(TWO)/{path}", status=404)
        assert set(body) == {"ErrorCode", "Message", "LogId"}
        assert (body["ErrorCode"], body["Message"]) == (code, message)
        assert any(e["LogId"] == body["LogId"] for e in gp_sba.errors)


def test_authentication_company_access_and_gzip_apply(gp_sba: GPSimulator) -> None:
    assert get(requests, gp_sba, "Companies(TWO)/Sales/SalesInvoices.json").status_code == 401
    two_only = session(gp_sba, "CORP\\sba-two", PW_TWO)
    assert get(two_only, gp_sba, "Companies(TWO)/Inventory/Items.json").status_code == 200
    r = get(two_only, gp_sba, "Companies(CPBDA)/Sales/SalesInvoices.json")
    assert r.status_code == 403 and r.json()["ErrorCode"] == "AccessDenied"
    gp_sba.set_options(gzip=True)
    r = get(session(gp_sba, password=PW), gp_sba, "Companies(TWO)/Sales/SalesInvoices.json",
            headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip" and r.json()["Payload"]


def test_mutations_show_up(tmp_path_factory: pytest.TempPathFactory) -> None:
    dataset = generate_dataset(60, seed=5)
    mutator = GPMutator(dataset, seed=3)
    data = dataset.companies["TWO"]
    with GPSimulator(dataset, users=[("CORP", "sba-mut", PW, {"*"})],
                     workdir=tmp_path_factory.mktemp("sba-sales-mut")) as sim:
        s = session(sim, "CORP\\sba-mut", PW)

        def one(path: str) -> requests.Response:
            return get(s, sim, f"Companies(TWO)/{path}")

        [number] = [c.key.split(";")[1] for c in mutator.add_invoices(1, amount="249.99")]
        invoice = one(f"Sales/SalesInvoices({number}).json").json()["Payload"]
        rm = one(f"Sales/Receivables(1;{number}).json").json()["Payload"]
        assert invoice["TotalAmount"] == rm["OriginalAmount"] and invoice["IsVoided"] is False
        check_adds_up(invoice, line_prices=True)
        mutator.void_invoice(number)
        assert one(f"Sales/SalesInvoices({number}).json").json()["Payload"]["IsVoided"] is True
        header = data.sales_invoice(number)
        assert header is not None
        on_lines = next(line.itemnmbr.strip() for line in data.lines_of(header) if data.item(line.itemnmbr))
        key = urllib.parse.quote(on_lines, safe="")
        assert one(f"Inventory/Items({key}).json").status_code == 200
        mutator.delete_item(on_lines)
        assert one(f"Inventory/Items({key}).json").status_code == 404
        lines = one(f"Sales/SalesInvoices({number}).json").json()["Payload"]["Lines"]
        assert on_lines in {line["ItemNumber"].strip() for line in lines}, "posted lines outlive the item"
