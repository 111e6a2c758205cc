"""The SOAP simulator's sales invoices and items, read with a zeep client built from Microsoft's WSDL (the answers
must be what the contract says, since the client reads them with the same contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import requests
from requests_ntlm import HttpNtlmAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.helpers import serialize_object
from zeep.transports import Transport

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import GPDataset, key_of
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.gp.soap_wsdl import BINDING, DYN_NS, GP_NS, SYSTEM_FAULT_TEXT, contract
from tests.demo.test_gp_soap_sim import ENVELOPE, call, fault
from tests.simulators import GPSim

PW = "Soap:Sales-Pa55!"
USER = "CORP\\svc-gp"
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"*"})], customers=60, seed=5)
COMPANIES = {"TWO": -1, "CPBDA": 2}
Obj = dict[str, Any]


class Gp:
    """The GP Web Services operations through zeep, as plain dicts, for one company and currency view."""

    def __init__(self, service: Any, company_id: int, currency: str = "Transactional") -> None:
        self.service = service
        company_key = contract().type("CompanyKey", DYN_NS)
        self.context = {"OrganizationKey": company_key(Id=company_id), "CurrencyType": currency}

    def __getattr__(self, operation: str) -> Any:
        method = getattr(self.service, operation)
        return lambda **kw: serialize_object(method(**kw, context=self.context), target_cls=dict)

    def invoices(self, **criteria: Any) -> list[Obj]:
        return self.GetSalesInvoiceList(criteria={"Scope": "Return All", **criteria}) or []

    def invoice(self, number: str) -> Obj:
        return self.GetSalesInvoiceByKey(key={"Id": number})

    def receivables(self) -> dict[str, Obj]:
        found = self.GetReceivablesInvoiceList(criteria={"Scope": "Return All"}) or []
        return {r["Key"]["Id"].strip(): r for r in found}


@contextmanager
def zeep_service(sim: GPSoapSimulator) -> Iterator[Any]:
    session = requests.Session()
    session.auth = HttpNtlmAuth(USER, PW)
    client = Client(contract().document, transport=Transport(session=session))
    try:
        yield client.create_service(BINDING, sim.endpoint_url)
    finally:
        session.close()


@pytest.fixture(scope="module")
def service(gp_soap: GPSoapSimulator) -> Iterator[Any]:
    with zeep_service(gp_soap) as svc:
        yield svc


@pytest.fixture(scope="module")
def full_invoices(service: Any) -> dict[str, list[Obj]]:
    """Every sales invoice of each company, read by key (Transactional amounts)."""
    out = {}
    for interid, company_id in COMPANIES.items():
        gp = Gp(service, company_id)
        out[interid] = [gp.invoice(s["Key"]["Id"]) for s in gp.invoices()]
    return out


def value(money: Obj | None) -> Decimal:
    assert money is not None
    return Decimal(money["Value"])


def lines(invoice: Obj) -> list[Obj]:
    return (invoice.get("Lines") or {}).get("SalesInvoiceLine") or []


def check_totals(invoice: Obj, *, line_prices: bool = True) -> None:
    """The invoice adds up: header, lines, taxes; each line is quantity x unit price - markdown."""
    total = value(invoice["LineTotalAmount"]) - value(invoice["TradeDiscount"]["Amount"]) \
        + value(invoice["FreightAmount"]) + value(invoice["MiscellaneousAmount"]) + value(invoice["TaxAmount"])
    assert total == value(invoice["TotalAmount"]), invoice["Key"]
    assert value(invoice["DiscountAmount"]) == value(invoice["TradeDiscount"]["Amount"])
    assert sum(value(line["TotalAmount"]) for line in lines(invoice)) == value(invoice["LineTotalAmount"])
    assert sum(value(line["TaxAmount"]) for line in lines(invoice)) == value(invoice["TaxAmount"])
    digits = invoice["TotalAmount"]["DecimalDigits"]
    for line in lines(invoice):
        assert value(line["UnitPrice"]) >= 0 and value(line["TotalAmount"]) >= 0
        assert line["UnitPrice"]["Currency"] == invoice["TotalAmount"]["Currency"]
        if line_prices:
            markdown = value(line["Discount"]["Amount"]) if line["Discount"] else Decimal(0)
            gross = (value(line["Quantity"]) * value(line["UnitPrice"])).quantize(Decimal(1).scaleb(-digits),
                                                                                ROUND_HALF_UP)
            assert gross - markdown == value(line["TotalAmount"]), (invoice["Key"], line["Key"])


# ------------------------------------------------------------------------------------------------- reading
def test_list_and_by_key_round_trip(service: Any, gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    gp = Gp(service, -1)
    data = gp_dataset.companies["TWO"]
    summaries = gp.invoices()
    numbers = [s["Key"]["Id"].strip() for s in summaries]
    assert numbers == sorted(h.sopnumbe.strip() for h in data.sales_headers.values())
    assert 0.6 < len(summaries) / sum(1 for r, _ in data.documents() if r.rmdtypal == 1) < 0.85
    summary = next(s for s in summaries if s["FreightAmount"]["Value"] and s["TaxAmount"]["Value"])
    assert summary["TransactionState"] == "History" and summary["DocumentTypeKey"] == {
        "CompanyKey": None, "Type": "Invoice", "Id": "STDINV" + " " * 9}
    invoice = gp.invoice(summary["Key"]["Id"])
    for member in ("Key", "CustomerKey", "CustomerName", "Date", "CurrencyKey", "LineTotalAmount", "FreightAmount",
                   "MiscellaneousAmount", "TaxAmount", "TotalAmount", "ModifiedDate", "LastModifiedDate"):
        assert invoice[member] == summary[member], member
    assert invoice["TradeDiscount"]["Amount"] == summary["TradeDiscountAmount"]
    header = data.sales_invoice(summary["Key"]["Id"])
    assert header is not None
    rows = data.lines_of(header)
    assert [(line["Key"]["SalesDocumentKey"]["Id"], line["Key"]["LineSequenceNumber"]) for line in lines(invoice)] \
        == [(header.sopnumbe, 16384 * (i + 1)) for i in range(len(rows))]
    first, row = lines(invoice)[0], rows[0]
    assert first["ItemKey"]["Id"] == row.itemnmbr and first["ItemDescription"] == row.itemdesc
    assert invoice["IsVoided"] is False and invoice["Type"] == "Invoice"
    body = call(gp_soap, "GetSalesInvoiceList",
                "<gp:criteria><gp:Scope>Return All</gp:Scope></gp:criteria>", password=PW).text
    assert "IsVoided" not in body and "SalesInvoiceLine" not in body  # summaries: no void flag, no lines


@pytest.mark.parametrize("currency", ["Transactional", "Local"])
@pytest.mark.parametrize("interid", list(COMPANIES))
def test_every_invoice_reconciles_with_its_receivables_invoice(service: Any, gp_dataset: GPDataset, interid: str,
                                                               currency: str) -> None:
    gp = Gp(service, COMPANIES[interid], currency)
    receivables = gp.receivables()
    data = gp_dataset.companies[interid]
    foreign = 0
    for summary in gp.invoices():
        number = summary["Key"]["Id"].strip()
        invoice = gp.invoice(number)
        rm = receivables[number]
        assert invoice["CustomerKey"] == rm["CustomerKey"] and invoice["Date"] == rm["Date"]
        assert invoice["TotalAmount"] == rm["DocumentAmount"], number  # the same amount, currency and digits
        header = data.sales_invoice(number)
        assert header is not None
        in_own_currency = header.curncyid.strip() not in ("", "Z-US$")
        foreign += in_own_currency
        # A foreign-currency invoice's functional amounts are converted, so they only add up as a whole.
        check_totals(invoice, line_prices=currency == "Transactional" or not in_own_currency)
    assert foreign, "some invoices are in another currency"


def test_one_deliberate_mismatch_in_a_demo_of_200_customers(tmp_path_factory: pytest.TempPathFactory) -> None:
    dataset = generate_dataset(200, seed=7)
    with GPSoapSimulator(dataset, users=GP_SIM.users, workdir=tmp_path_factory.mktemp("sales200")) as sim, \
            zeep_service(sim) as svc:
        odd = []
        for interid, company_id in COMPANIES.items():
            gp = Gp(svc, company_id)
            receivables = gp.receivables()
            for summary in gp.invoices():
                rm = receivables[summary["Key"]["Id"].strip()]
                if summary["TotalAmount"] != rm["DocumentAmount"]:
                    odd.append((interid, summary, rm))
                    check_totals(gp.invoice(summary["Key"]["Id"]))  # consistent in itself
    assert len(odd) == 1
    interid, summary, rm = odd[0]
    difference = abs(value(summary["TotalAmount"]) - value(rm["DocumentAmount"]))
    assert interid == "TWO" and Decimal(2) <= difference < Decimal(10)


def test_every_dirty_case_is_there(service: Any, gp_dataset: GPDataset, full_invoices: dict[str, list[Obj]]) -> None:
    receivables = {interid: Gp(service, company_id).receivables() for interid, company_id in COMPANIES.items()}
    for interid, invoices in full_invoices.items():
        data = gp_dataset.companies[interid]
        all_lines = [line for inv in invoices for line in lines(inv)]
        deleted = [line for line in all_lines if data.item(line["ItemKey"]["Id"]) is None]
        assert deleted and all(line["ItemDescription"].strip() for line in deleted), interid
        zero = [line for line in all_lines if value(line["Quantity"]) == 0]
        assert zero and all(value(line["TotalAmount"]) == 0 for line in zero), interid
        assert any(value(line["Quantity"]) == Decimal("2.5") and line["Quantity"]["DecimalDigits"] == 2
                   for line in all_lines), interid
        assert any(line["Discount"] and value(line["UnitPrice"]) > 0 for line in all_lines), interid
        assert max(len(lines(inv)) for inv in invoices) >= 100, interid
        for member in ("FreightAmount", "MiscellaneousAmount", "TaxAmount", "DiscountAmount"):
            assert any(value(inv[member]) > 0 for inv in invoices), (interid, member)
        voided = [inv for inv in invoices if inv["IsVoided"]]
        assert voided, interid
        for inv in voided:
            rm = Gp(service, COMPANIES[interid]).GetReceivablesInvoiceByKey(key={"Id": inv["Key"]["Id"]})
            assert rm["IsVoided"] is True and inv["Key"]["Id"].strip() in receivables[interid]


def test_items_by_key_are_concrete_subtypes(service: Any, gp_dataset: GPDataset) -> None:
    gp = Gp(service, -1)
    data = gp_dataset.companies["TWO"]
    kinds = {}
    for row in data.items.values():
        item = service.GetItemByKey(key={"Id": row.itemnmbr.strip()}, context=gp.context)
        kinds.setdefault(item._xsd_type.name, item.Type)
        plain = serialize_object(item, target_cls=dict)
        assert plain["Key"]["Id"] == row.itemnmbr and plain["Description"] == row.itemdesc
        assert plain["ShortDescription"] == row.itmshnam
        assert plain["ModifiedDate"] == dt.datetime.combine(row.modifdt, dt.time())
        assert plain["LastModifiedDate"] == row.dex_row_ts
        if row.itmclscd.strip():
            assert plain["ClassKey"]["Id"] == row.itmclscd
        else:
            assert plain["ClassKey"] is None
    assert kinds == {"SalesItem": "Sales Item", "Service": "Service", "Fee": "Miscellaneous Charges", "Kit": "Kit"}
    assert any(not r.itmclscd.strip() for r in data.items.values()), "some items have no class"
    assert any(ord(ch) > 127 for r in data.items.values() for ch in r.itemdesc)
    assert any(" " in r.itemnmbr.strip() or "/" in r.itemnmbr for r in data.items.values())


def test_unknown_invoice_and_deleted_item_are_validation_faults(service: Any, gp_soap: GPSoapSimulator,
                                                                gp_dataset: GPDataset) -> None:
    gp = Gp(service, -1)
    deleted = next(line.itemnmbr.strip() for lines_ in gp_dataset.companies["TWO"].sales_lines.values()
                   for line in lines_ if gp_dataset.companies["TWO"].item(line.itemnmbr) is None)
    for run, message in ((lambda: gp.invoice("NOPE-0001"), "Sales invoice 'NOPE-0001' does not exist."),
                         (lambda: gp.GetItemByKey(key={"Id": deleted}), f"Item '{deleted}' does not exist.")):
        with pytest.raises(Fault) as err:
            run()
        assert err.value.message == message
        log_id = err.value.detail.findtext(f"{{{GP_NS}}}LogId")
        entry = gp_soap.logged(log_id or "")
        assert entry is not None and entry["ExceptionType"] == "ValidationException"


def test_modified_date_and_other_criteria(service: Any, gp_dataset: GPDataset) -> None:
    gp = Gp(service, -1)
    headers = list(gp_dataset.companies["TWO"].sales_headers.values())
    day = sorted(h.modifdt for h in headers)[len(headers) // 2]
    since = dt.datetime.combine(day, dt.time())
    got = [s["Key"]["Id"].strip() for s in gp.invoices(ModifiedDate={"From": since})]
    assert got == sorted(h.sopnumbe.strip() for h in headers if h.modifdt >= day) and 0 < len(got) < len(headers)
    between = gp.invoices(ModifiedDate={"From": since, "To": since + dt.timedelta(days=30)})
    assert {s["Key"]["Id"].strip() for s in between} == {
        h.sopnumbe.strip() for h in headers if day <= h.modifdt <= day + dt.timedelta(days=30)}
    stamp = sorted(h.dex_row_ts for h in headers)[-5]
    assert len(gp.invoices(LastModifiedDate={"GreaterThan": stamp})) == 4
    customer = headers[0].custnmbr
    assert {s["CustomerKey"]["Id"] for s in gp.invoices(CustomerId={"EqualValue": customer.strip()})} == {customer}
    assert all(s["Key"]["Id"].startswith("STDINV") for s in gp.invoices(DocumentId={"Like": "STDINV%"}))


def test_the_list_stops_at_the_cap(service: Any, gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    everything = [s["Key"]["Id"] for s in Gp(service, -1).invoices()]
    assert len(everything) < gp_soap.options.list_cap
    gp_soap.set_options(list_cap=10)
    assert [s["Key"]["Id"] for s in Gp(service, -1).invoices()] == everything[:10]  # the first N by key


def test_an_unknown_sales_state_is_refused(gp_soap: GPSoapSimulator) -> None:
    payload = ("<gp:criteria><gp:TransactionState><gp:EqualValue>Open</gp:EqualValue></gp:TransactionState>"
               "<gp:Scope>Return All</gp:Scope></gp:criteria>")  # Open is an RM state, not a SOP one
    code, text, _ = fault(call(gp_soap, "GetSalesInvoiceList", payload, password=PW))
    assert code == "s:Client" and "TransactionState" in text
    body = ENVELOPE.format(op="GetSalesInvoiceList", company="-1",
                           payload="<gp:criteria><gp:Scope>Return All</gp:Scope></gp:criteria>")
    assert call(gp_soap, "GetSalesInvoiceList", body=body, password=PW).status_code == 200


@pytest.mark.parametrize(("right", "operation", "other"), [
    ("Query Items", "GetItemByKey", "GetSalesInvoiceList"),
    ("Query Sales Invoices", "GetSalesInvoiceList", "GetItemByKey"),
])
def test_a_missing_role_is_the_generic_fault(service: Any, gp_soap: GPSoapSimulator, gp_dataset: GPDataset,
                                              right: str, operation: str, other: str) -> None:
    gp = Gp(service, -1)
    item = next(iter(gp_dataset.companies["TWO"].items.values())).itemnmbr.strip()
    calls = {"GetItemByKey": lambda: gp.GetItemByKey(key={"Id": item}), "GetSalesInvoiceList": gp.invoices}
    gp_soap.deny(USER, right)
    with pytest.raises(Fault) as err:
        calls[operation]()
    assert err.value.message == SYSTEM_FAULT_TEXT  # the caller learns nothing more...
    entry = gp_soap.logged(err.value.detail.findtext(f"{{{GP_NS}}}LogId") or "")
    assert entry is not None and right in entry["Detail"]  # ...the exception log does
    assert calls[other]()  # other roles still work


# ----------------------------------------------------------------------------------------------- mutations
def test_mutations_show_up_in_the_answers(tmp_path_factory: pytest.TempPathFactory) -> None:
    dataset = generate_dataset(60, seed=5)
    mutator = GPMutator(dataset, seed=3)
    data = dataset.companies["TWO"]
    with GPSoapSimulator(dataset, users=GP_SIM.users, workdir=tmp_path_factory.mktemp("sales-mut")) as sim, \
            zeep_service(sim) as svc:
        gp = Gp(svc, -1)
        dataset.clock.advance(days=1)
        today = dt.datetime.combine(dataset.clock.today(), dt.time())
        added = [c.key.split(";")[1] for c in mutator.add_invoices(3, amount="249.99")]
        [plain] = [c.key.split(";")[1] for c in mutator.add_invoices(1, with_lines=False)]
        assert [s["Key"]["Id"].strip() for s in gp.invoices(ModifiedDate={"From": today})] == sorted(added)
        receivables = gp.receivables()
        for number in added:
            invoice = gp.invoice(number)
            check_totals(invoice)
            assert invoice["TotalAmount"] == receivables[number]["DocumentAmount"]
            assert invoice["LastModifiedDate"] == dataset.clock.utcnow()
        with pytest.raises(Fault, match="does not exist"):
            gp.invoice(plain)  # keyed in Receivables: no sales invoice

        mutator.void_invoice(added[0])
        assert gp.invoice(added[0])["IsVoided"] is True

        item = next(r for r in data.items.values() if r.itmclscd.strip())
        number = item.itemnmbr.strip()
        dataset.clock.advance(hours=3)
        change = mutator.change_item(number, description="Renamed in Item Maintenance", class_id="")
        assert change.kind == "item_changed" and change.tables == ("IV00101",)
        got = serialize_object(svc.GetItemByKey(key={"Id": number}, context=gp.context), target_cls=dict)
        assert got["Description"].strip() == "Renamed in Item Maintenance" and got["ClassKey"] is None
        assert got["LastModifiedDate"] == dataset.clock.utcnow() and got["ModifiedDate"] == today

        on_lines = next(key_of(line.itemnmbr) for rows in data.sales_lines.values() for line in rows
                        if data.item(line.itemnmbr) is not None)
        with_item = next(h.sopnumbe for h in data.sales_headers.values()
                         if any(key_of(line.itemnmbr) == on_lines for line in data.lines_of(h)))
        before = gp.invoice(with_item)
        assert mutator.delete_item(on_lines).kind == "item_deleted"
        with pytest.raises(Fault, match="does not exist"):
            svc.GetItemByKey(key={"Id": on_lines}, context=gp.context)
        assert gp.invoice(with_item) == before  # posted lines outlive the item
