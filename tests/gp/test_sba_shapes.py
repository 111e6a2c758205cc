"""The plausible variants of a real SBA server's answers (gp-sba-contract.md, "What a real server may do
differently"), read over HTTP from the GP simulator with each variant's knob on: every variant must normalise to
exactly what the default shape gives, and a shape the client does not know must stop it with a message naming
what it saw and what it needs, never read as "paid", "no e-mail" or "no customers".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.answer_fields import document_type
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Document, DocumentType
from gpmc_desktop.gp.normalize import read_amount, read_gp_date
from gpmc_desktop.gp.sba_shapes import customer_from_sba
from tests.gp.sba_support import SHAPE_VARIANTS, variant_id
from tests.gp.test_sba_client import source
from tests.simulators import GPSim

PW = "Sba:Shapes-1!"
GP_SIM = GPSim(users=[("CORP", "svc-sba", PW, {"TWO"})], customers=60, seed=11)
pytestmark = pytest.mark.usefixtures("system_ca_env")


def read_all(sim: GPSimulator) -> tuple[list[Any], list[Document]]:
    src, _ = source(sim, password=PW)
    return src.customers(), src.documents()


def without_currency(docs: list[Document]) -> list[Document]:
    return [dataclasses.replace(d, currency="") for d in docs]


# ------------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize(("text", "day"), [
    ("/Date(1714521600000)/", dt.date(2024, 5, 1)),  # WCF, UTC midnight
    ("/Date(1714539600000-0500)/", dt.date(2024, 5, 1)),  # local midnight at -05:00 is 05:00 UTC
    ("/Date(1714485600000+1000)/", dt.date(2024, 5, 1)),  # local midnight at +10:00 is 14:00 UTC the day before
    ("/Date(1714500000000+0200)/", dt.date(2024, 4, 30)),  # 18:00 UTC is 20:00 local: still the 30th
    ("/Date(-2208988800000)/", None),  # GP's empty date 1900-01-01
    ("2024-05-01T00:00:00", dt.date(2024, 5, 1)),
    ("2024-05-01T00:00:00-05:00", dt.date(2024, 5, 1)),
    ("2024-05-01T00:00:00+13:00", dt.date(2024, 5, 1)),
    ("2024-05-01T00:00:00Z", dt.date(2024, 5, 1)),
    ("2024-05-01", dt.date(2024, 5, 1)),
    ("1900-01-01T00:00:00", None),
    ("", None),
    (None, None),
])
def test_dates_in_every_plausible_shape_give_gp_business_day(text: str | None, day: dt.date | None) -> None:
    assert read_gp_date(text) == day


@pytest.mark.parametrize("text", ["/Date(abc)/", "May 1, 2024", "01/05/2024"])
def test_an_unknown_date_shape_is_an_error_not_an_undated_order(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        read_gp_date(text)


@pytest.mark.parametrize(("value", "amount"), [
    (1250, Decimal("1250.00")), (93.98999, Decimal("93.99")), ("250.5", Decimal("250.50")), (" 0.00 ", Decimal("0")),
    ({"Value": 12.345, "Currency": "USD"}, Decimal("12.35")), ({"Value": "7"}, Decimal("7.00")),
])
def test_amounts_as_numbers_strings_or_value_objects(value: Any, amount: Decimal) -> None:
    assert read_amount(value) == amount


@pytest.mark.parametrize("value", [None, "", "n/a", {"Currency": "USD"}, True, [1], "NaN"])
def test_a_missing_or_unreadable_amount_is_an_error_never_zero(value: Any) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        read_amount(value)


@pytest.mark.parametrize(("value", "kind"), [
    (1, DocumentType.INVOICE), ("1", DocumentType.INVOICE), ("Invoice", DocumentType.INVOICE),
    ("Sales / Invoice", DocumentType.INVOICE), ("SalesInvoice", DocumentType.INVOICE),
    ("Scheduled Payment", DocumentType.SCHEDULED_PAYMENT), ("Debit Memo", DocumentType.DEBIT_MEMO),
    ("Finance Charge", DocumentType.FINANCE_CHARGE), ("Service / Repair", DocumentType.SERVICE_REPAIR),
    ("Warranty", DocumentType.WARRANTY), ("Credit Memo", DocumentType.CREDIT_MEMO),
    ("CREDIT_MEMO", DocumentType.CREDIT_MEMO),
    ("Return", DocumentType.RETURN), ("Payment", DocumentType.PAYMENT), (9, DocumentType.PAYMENT),
])
def test_document_types_as_numbers_or_gp_names(value: Any, kind: DocumentType) -> None:
    assert document_type(value) is kind


@pytest.mark.parametrize("value", ["Quote", "", None, 42, True, "Invoices and more"])
def test_an_unknown_document_type_is_an_error_not_an_invoice(value: Any) -> None:
    with pytest.raises(ValueError, match="not a receivables document type"):
        document_type(value)


# ------------------------------------------------------------------------------- whole answers over HTTP
@pytest.mark.parametrize("knobs", [
    *SHAPE_VARIANTS,
    {"list_key": "Customers"},
    {"trim_strings": True, "dates": "wcf_offset", "document_type_names": True, "list_key": "Value",
     "separate_addresses": True},
], ids=variant_id)
def test_each_variant_reads_as_the_default_shape(gp_sba: GPSimulator, knobs: dict[str, Any]) -> None:
    customers, documents = read_all(gp_sba)
    assert len(customers) > 20 and len(documents) > 40
    assert any(d.date for d in documents) and any(d.void_date for d in documents)
    gp_sba.set_options(**knobs)
    first = raw_first_document(gp_sba)
    if "dates" in knobs:  # the answer really is in the variant's shape
        assert first["DocumentDate"].startswith("/Date(") == knobs["dates"].startswith("wcf")
        assert ("/Date(" in first["DocumentDate"] and first["DocumentDate"][-7] in "+-") == (
            knobs["dates"] == "wcf_offset")
    if knobs.get("document_type_names"):
        assert isinstance(first["DocumentType"], str) and not first["DocumentType"].isdigit()
    assert read_all(gp_sba) == (customers, documents)


def test_addresses_from_their_own_resource_are_joined_by_customer_and_address_id(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, password=PW)
    embedded = src.customers()
    assert any(c.email for c in embedded) and any(c.email is None for c in embedded)
    several = [r for r in src.raw_customers() if len(r["Addresses"]) > 1]
    assert several, "the data set has customers with more than one address"
    gp_sba.set_options(separate_addresses=True)
    assert all("Addresses" not in r for r in src.raw_customers())
    entries = src.raw_customer_addresses()
    assert {"CustomerNumber", "AddressId", "EmailToAddress"} <= set(entries[0])
    gp_sba.clear_log()
    assert src.customers() == embedded
    # The addresses are read once for the whole collection, not once per customer.
    assert [r.path.rsplit("/", 1)[1] for r in gp_sba.requests() if r.user is not None] == [
        "Customers.json", "CustomerAddresses.json"]
    by_number = {c.number: c for c in embedded}
    for raw in several[:3]:
        number = raw["CustomerNumber"].strip()
        assert src.customer(number) == by_number[number]


def raw_first_document(sim: GPSimulator) -> dict[str, Any]:
    src, _ = source(sim, password=PW)
    body = src.session.get(f"{src.company_url}/Sales/Receivables.json", timeout=10, verify=src.session.verify).json()
    payload = body["Payload"]
    key = sim.options.list_key
    if key:
        assert list(payload) == [key]
        payload = payload[key]
    return dict(payload[0])


@pytest.mark.parametrize("amount_shape", ["number", "string"])
def test_amounts_as_numbers_or_strings_read_as_the_value_objects(gp_sba: GPSimulator, amount_shape: str) -> None:
    _, documents = read_all(gp_sba)
    assert any(d.is_paid for d in documents) and any(not d.is_paid for d in documents)
    gp_sba.set_options(amount_shape=amount_shape)
    src, _ = source(gp_sba, password=PW)
    raw = src.raw_documents()
    assert all(not isinstance(r["CurrentAmount"], dict) for r in raw)
    got = src.documents()
    # Without {"Currency": ...} the document's currency is GP's id (Z-US$); amounts and states are the same.
    assert without_currency(got) == without_currency(documents)
    assert [d.currency for d in got] == [r["CurrencyId"].strip() for r in raw]


def shape_error(sim: GPSimulator, **knobs: Any) -> GPError:
    sim.set_options(**knobs)
    src, _ = source(sim, password=PW)
    with pytest.raises(GPError) as caught:
        src.customers()
        src.documents()
    assert caught.value.stage is Stage.DATA
    return caught.value


@pytest.mark.parametrize(("missing", "resource"), [
    ("CurrentAmount", "receivables documents"), ("DocumentType", "receivables documents"),
    ("IsVoided", "receivables documents"), ("Addresses", "customers"), ("CustomerNumber", "customers"),
    ("ClassId", "customers"), ("IsOnHold", "customers"), ("Phone1", "customer addresses"),
])
def test_a_missing_required_field_names_the_resource_and_the_keys(
    gp_sba: GPSimulator, missing: str, resource: str
) -> None:
    err = shape_error(gp_sba, omit_fields=(missing,))
    assert err.message.startswith(f"GP's {resource} lack {missing} (they hold ")
    assert "ModifiedDate" in err.message.split("they hold ")[1]  # the keys it saw
    first = {"customers": "CustomerNumber", "customer addresses": "AddressId"}.get(resource, "DocumentNumber")
    assert f"; the sync needs {first}, " in err.message and missing in err.message.split("the sync needs ")[1]
    assert "Nothing was sent to Mailchimp. Send a GP sample to support" in err.hint
    if missing == "Addresses":  # nor are they anywhere else
        assert err.message.endswith("Nor does this server offer Sales/CustomerAddresses, where the addresses and "
                                    "e-mails may be kept instead (404).")


def test_a_payload_object_without_a_known_list_is_an_error_not_zero_customers(gp_sba: GPSimulator) -> None:
    err = shape_error(gp_sba, list_key="Rows")
    assert err.message == ("GP's answer for customers is not in a shape gpmc knows: expected a list, got an object "
                           "holding Rows.")


def test_addresses_null_is_no_addresses_an_object_is_one_address_and_text_is_a_shape_error() -> None:
    base = {"CustomerNumber": "AARONFIT0001 ", "CustomerName": "Aaron Fitz", "ClassId": "", "IsActive": True,
            "IsOnHold": False}
    address = {"AddressId": "PRIMARY", "ContactPerson": "Bob Fitz", "Line1": "1 Way", "Line2": "", "City": "Chicago",
               "State": "IL", "PostalCode": "60603", "CountryCode": "US", "Phone1": "", "EmailToAddress": "b@fitz.com"}
    assert customer_from_sba({**base, "Addresses": None}).email_note == "no e-mail in GP"
    assert customer_from_sba({**base, "Addresses": address}).email == "b@fitz.com"
    assert customer_from_sba({**base, "Addresses": {"Items": [address]}}).address.city == "Chicago"
    with pytest.raises(GPError, match=r"customer AARONFIT0001 is not in a shape gpmc knows: Addresses 'PRIMARY' is "
                                      r"neither a list nor an object"):
        customer_from_sba({**base, "Addresses": "PRIMARY"})
    with pytest.raises(GPError, match=r"IsActive 'maybe' is not true/false"):
        customer_from_sba({**base, "IsActive": "maybe", "Addresses": None})
    assert customer_from_sba({**base, "IsActive": "false", "Addresses": None}).is_active is False
