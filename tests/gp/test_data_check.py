"""The "GP data" check (gp/data_check.py) on whole answers: each shape the readers tolerate passes and says what
was checked; a missing field, a value of an unknown kind, and a field empty in every record where that would
quietly go wrong for all of them (no e-mail, no balance) each fail with the resource, the keys seen and needed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp import answer_fields, data_check, soap_shapes
from gpmc_desktop.gp.customer_fields import SBA_NAMES
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer, PostalAddress
from gpmc_desktop.gp.sba_shapes import customers_from_sba, document_from_sba
from tests.gp.test_sba_client import source
from tests.simulators import GPSim

PW = "Data:Check-1!"
GP_SIM = GPSim(users=[("CORP", "svc-sba", PW, {"TWO"})], customers=40, seed=5)
pytestmark = pytest.mark.usefixtures("system_ca_env")

ADDRESS = {"AddressId": "PRIMARY", "ContactPerson": "Bob Fitz", "Line1": "1 Way", "Line2": "", "City": "Chicago",
           "State": "IL", "PostalCode": "60603", "CountryCode": "US", "Phone1": "31255501010000",
           "EmailToAddress": "bob@fitz.example"}
CUSTOMER = {"CustomerNumber": "AARONFIT0001", "CustomerName": "Aaron Fitz", "ClassId": "USA", "IsActive": True,
            "IsOnHold": False, "ModifiedDate": "2024-05-06T00:00:00", "Addresses": [ADDRESS]}
DOCUMENT = {"DocumentNumber": "INV001", "DocumentType": 1, "CustomerNumber": "AARONFIT0001",
            "DocumentDate": "2024-05-01T00:00:00", "OriginalAmount": 100, "CurrentAmount": 40, "IsVoided": False}


def documents(n: int = 3, **changes: Any) -> list[dict[str, Any]]:
    return [{**DOCUMENT, "DocumentNumber": f"INV{i:03d}", **changes} for i in range(1, n + 1)]


def fails(check: Any, *args: Any) -> str:
    with pytest.raises(GPError) as caught:
        check(*args)
    assert caught.value.stage is Stage.DATA
    assert caught.value.hint.startswith("Nothing was sent to Mailchimp. Send a GP sample to support (gpmc capture")
    return caught.value.message


# ------------------------------------------------------------------------------------------------ missing
def test_a_field_missing_from_every_record_names_the_resource_the_keys_seen_and_needed() -> None:
    rows = [{k: v for k, v in r.items() if k != "CurrentAmount"} for r in documents()]
    assert fails(data_check.check_sba_documents, rows) == (
        "GP's receivables documents lack CurrentAmount (they hold CustomerNumber, DocumentDate, DocumentNumber, "
        "DocumentType, IsVoided, OriginalAmount; the sync needs DocumentNumber, DocumentType, CustomerNumber, "
        "DocumentDate, OriginalAmount, CurrentAmount, IsVoided).")


def test_a_field_missing_from_some_records_names_them() -> None:
    rows = documents(6)
    for row in rows[1:6]:
        del row["IsVoided"]
    message = fails(data_check.check_sba_documents, rows)
    assert message.startswith("GP's receivables documents lack IsVoided (5 of 6: INV002, INV003, INV004 and 2 more) "
                              "(they hold ")


def test_a_customer_field_the_mapping_needs_is_checked_in_the_addresses_too() -> None:
    lacking = {k: v for k, v in ADDRESS.items() if k != "PostalCode"}
    message = fails(data_check.check_sba_customers, [{**CUSTOMER, "Addresses": [lacking]}], None)
    assert message.startswith("GP's customer addresses lack PostalCode (they hold AddressId, City, ContactPerson, ")
    assert "the sync needs AddressId, ContactPerson, Line1, Line2, City, State, PostalCode, " in message


def test_separate_address_entries_need_their_customer_number() -> None:
    entry = dict(ADDRESS)
    message = fails(data_check.check_sba_customers, [{k: v for k, v in CUSTOMER.items() if k != "Addresses"}],
                    {"AARONFIT0001": [entry]})
    assert message.startswith("GP's customer addresses (Sales/CustomerAddresses) lack CustomerNumber (they hold ")


# ------------------------------------------------------------------------------------------------ unknown kinds
@pytest.mark.parametrize(("field", "value", "words"), [
    ("DocumentDate", "May 1, 2024", "DocumentDate in a form gpmc cannot read ('May 1, 2024' in 3 of 3: INV001, "
                                    "INV002, INV003); the sync needs a date (ISO or /Date(ms)/)."),
    ("OriginalAmount", "n/a", "OriginalAmount in a form gpmc cannot read ('n/a' in 3 of 3"),
    ("DocumentType", "Quote", "DocumentType in a form gpmc cannot read ('Quote' in 3 of 3: INV001, INV002, INV003); "
                              "the sync needs a receivables document type"),
    ("IsVoided", "perhaps", "IsVoided in a form gpmc cannot read ('perhaps' in 3 of 3"),
    ("CustomerNumber", {"Id": "AARON"}, "CustomerNumber in a form gpmc cannot read ({'Id': 'AARON'} in 3 of 3"),
])
def test_a_value_of_an_unknown_kind_names_the_field_the_value_and_what_is_needed(
    field: str, value: Any, words: str
) -> None:
    message = fails(data_check.check_sba_documents, documents(**{field: value}))
    assert message.startswith(f"GP's receivables documents hold {words}"), message


@pytest.mark.parametrize("addresses", ["PRIMARY", 42, [ADDRESS, "SHIPPING"]])
def test_addresses_neither_a_list_nor_an_object_fail(addresses: Any) -> None:
    message = fails(data_check.check_sba_customers, [{**CUSTOMER, "Addresses": addresses}], None)
    assert message.startswith("GP's customers hold Addresses in a form gpmc cannot read (")
    assert message.endswith("the sync needs a list of addresses.")


@pytest.mark.parametrize("addresses", [None, [], ADDRESS, {"Items": [ADDRESS]}, {"CustomerAddress": [ADDRESS]}])
def test_addresses_as_a_list_an_object_or_null_pass(addresses: Any) -> None:
    checked = data_check.check_sba_customers([{**CUSTOMER, "Addresses": addresses}], None)
    assert [c.what for c in checked] == ["customers", "customer addresses"]


# ------------------------------------------------------------------------------------------------ all empty
def test_a_balance_empty_in_every_document_would_mark_every_invoice_paid() -> None:
    assert fails(data_check.check_sba_documents, documents(4, CurrentAmount=None)) == (
        "GP's receivables documents hold CurrentAmount, but it is empty in all 4 of them: every invoice would be "
        "marked paid for want of a balance.")
    assert fails(data_check.check_sba_documents, documents(2, CurrentAmount={"Value": None, "Currency": "USD"}))


def test_a_balance_empty_in_some_documents_is_unreadable_there() -> None:
    rows = documents(4)
    rows[2]["CurrentAmount"] = ""
    assert fails(data_check.check_sba_documents, rows).startswith(
        "GP's receivables documents hold CurrentAmount in a form gpmc cannot read (empty in 1 of 4: INV003)")


def test_dates_empty_in_every_document_would_send_every_order_undated() -> None:
    assert "every order would go out undated" in fails(data_check.check_sba_documents,
                                                       documents(DocumentDate=None))


def customer(email: str | None) -> Customer:
    return Customer("C1", "Fitz", "Bob", "", email, "", PostalAddress(), "", "", "", True, False, None)


def test_no_customer_with_an_email_would_skip_every_one() -> None:
    assert fails(data_check.check_emails, [customer(None), customer(None)]) == (
        "None of the 2 customers GP returned has an e-mail address, so every one would be skipped for \"no e-mail\". "
        "If GP does hold e-mail addresses for them, its answers keep them where gpmc does not look.")
    data_check.check_emails([customer(None), customer("a@b.example")])
    data_check.check_emails([])  # a company without customers has nothing to skip


def test_an_answer_without_records_passes_with_nothing_checked() -> None:
    assert data_check.check_sba_documents([]) == data_check.Checked("receivables documents", 0, 0)


def test_the_check_and_the_readers_share_one_table() -> None:
    """A field the check does not know is never read: every key the readers ask for is in the table."""
    seen: set[str] = set()

    class Spy(dict):  # type: ignore[type-arg]
        def get(self, key: str, default: Any = None) -> Any:
            seen.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> Any:
            seen.add(key)
            return super().__getitem__(key)

    document_from_sba(Spy(DOCUMENT))
    customers_from_sba([Spy({**CUSTOMER, "Addresses": [Spy(ADDRESS)]})], None)
    known = {f.name for table in (answer_fields.CUSTOMER, answer_fields.ADDRESS, answer_fields.DOCUMENT)
             for f in table}
    assert seen - known == set()
    assert {"CustomerNumber", "EmailToAddress", "CurrentAmount", "DocumentType", "IsOnHold"} <= seen


# ------------------------------------------------------------------------------- tolerated shapes over HTTP
@pytest.mark.parametrize(("knobs", "dates"), [
    ({}, "ISO"),
    ({"dates": "wcf"}, "WCF /Date()/"),
    ({"dates": "wcf_offset", "server_offset_minutes": -300}, "WCF /Date(ms±hhmm)/"),
    ({"dates": "iso_offset", "server_offset_minutes": 780}, "ISO with an offset"),
    ({"amount_shape": "number"}, "ISO"),
    ({"amount_shape": "string"}, "ISO"),
    ({"document_type_names": True}, "ISO"),
    ({"list_key": "Items"}, "ISO"),
    ({"separate_addresses": True}, "ISO"),
    ({"trim_strings": True, "dates": "wcf", "amount_shape": "string", "document_type_names": True,
      "list_key": "Value", "separate_addresses": True}, "WCF /Date()/"),
], ids=lambda k: ",".join(f"{n}={v}" for n, v in k.items()) if isinstance(k, dict) else k)
def test_each_tolerated_shape_passes_and_says_what_was_checked(
    gp_sba: GPSimulator, gp_dataset: GPDataset, knobs: dict[str, Any], dates: str
) -> None:
    count = len(gp_dataset.companies["TWO"].customers)
    gp_sba.set_options(**knobs)
    src, _ = source(gp_sba, password=PW)
    raws, joined = src.customer_answers()
    checked = [*data_check.check_sba_customers(raws, joined), data_check.check_sba_documents(src.raw_documents())]
    customers, addresses, docs = checked
    assert customers.read == len(raws) == count and docs.read > count and addresses.read >= count
    # Without Addresses: they are a resource. The segmentation fields (gp/customer_fields.py) are checked too.
    customer_fields = (8 if knobs.get("separate_addresses") else 9) + len(SBA_NAMES)
    assert customers.fields == customer_fields and docs.fields == 10
    address_fields = len(answer_fields.ADDRESS_ENTRY if knobs.get("separate_addresses") else answer_fields.ADDRESS)
    assert addresses.fields == address_fields
    words = data_check.summary(checked)
    assert words == (f"customers: {count} read, {customer_fields} fields checked; "
                     f"{addresses.what}: {addresses.read} read, {address_fields} fields checked; "
                     f"receivables documents: {docs.read} read, 10 fields checked; "
                     f"dates {dates}")


def test_the_summary_names_each_resource_and_the_date_formats() -> None:
    checked = [data_check.Checked("customers", 40, 11, "WCF /Date()/"),
               data_check.Checked("receivables documents", 120, 8, "WCF /Date()/")]
    assert data_check.summary(checked) == ("customers: 40 read, 11 fields checked; receivables documents: 120 read, "
                                           "8 fields checked; dates WCF /Date()/")
    assert data_check.summary([dataclasses.replace(checked[0], dates="")]) == "customers: 40 read, 11 fields checked"


def test_web_services_invoices_are_checked_by_path_and_an_optional_null_passes() -> None:
    invoice = {"Key": {"Id": "INV001"}, "CustomerKey": {"Id": "AARON"}, "Type": None, "Date": "2024-05-01T00:00:00",
               "DocumentAmount": {"Value": 100, "Currency": "USD"}, "CurrentDocumentAmount": {"Value": 40},
               "IsVoided": None, "VoidDate": None, "ModifiedDate": None, "CurrencyKey": None}
    assert soap_shapes.check_invoices([invoice]).fields == 5  # the optional nulls are skipped, as the readers do
    lacking = fails(soap_shapes.check_invoices, [{**invoice, "CustomerKey": None}])
    assert lacking.startswith("GP's receivables invoices lack CustomerKey.Id (they hold ")
    unknown = fails(soap_shapes.check_invoices, [{**invoice, "Type": "Sales Quote"}])
    assert unknown.startswith("GP's receivables invoices hold Type in a form gpmc cannot read ('Sales Quote' in 1 of "
                              "1: INV001)")
