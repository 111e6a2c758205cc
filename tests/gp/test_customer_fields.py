"""The customer fields marketing segments by (gp/customer_fields.py: salesperson, territory, price level, terms,
the two user-defined fields) come out of both GP sources alike: from the SBA customer (or its primary address) and
from the Web Services' Customer and its primary CustomerAddress, trimmed, the blank ones left out; a server that
sends none of them gives none, and one that sends an object where text belongs is stopped with the field named."""

from __future__ import annotations

import pytest

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload
from gpmc_desktop.demo.gp_soap_shapes import Shape, customer_object
from gpmc_desktop.gp.customer_fields import CUSTOMER_FIELDS
from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.sba_shapes import customer_from_sba
from gpmc_desktop.gp.soap_shapes import customer_from_soap
from gpmc_desktop.sync.gp_read import GPRead

COLUMNS = {"salesperson": "slprsnid", "sales_territory": "salsterr", "price_level": "prclevel",
           "payment_terms": "pymtrmid", "user_defined_1": "userdef1", "user_defined_2": "userdef2"}


@pytest.fixture(scope="module")
def company():
    return generate_dataset(customers=300, seed=16).companies["TWO"]


def test_both_sources_read_the_same_fields_as_gp_holds_them(company) -> None:
    assert {f.key for f in CUSTOMER_FIELDS} == set(COLUMNS)
    seen: dict[str, set[str]] = {key: set() for key in COLUMNS}
    blanks = 0
    for row in company.customers.values():
        want = tuple((key, value) for key in COLUMNS if (value := getattr(row, COLUMNS[key]).strip()))
        sba = customer_from_sba(customer_payload(company, row, ShapeOptions()))
        soap = customer_from_soap(customer_object(company, row, Shape()))
        assert sba.fields == soap.fields == want, row.custnmbr
        for key, value in want:
            seen[key].add(value)
            assert sba.value_of(key) == value
        blanks += len(COLUMNS) - len(want)
    assert all(len(values) >= 3 for values in seen.values()), seen  # real variety to segment by
    assert blanks > 0  # and the blank ones GP has, left out
    assert {"Contractor", "contractor", "CONTRACTOR"} <= seen["user_defined_1"]  # hand-typed variants, as sent


def test_fields_on_the_primary_address_only_are_read_from_there(company) -> None:
    row = next(r for r in company.customers.values() if r.slprsnid.strip() and r.userdef1.strip())
    payload = customer_payload(company, row, ShapeOptions())
    for name in ("SalespersonId", "UserDefined1"):
        payload.pop(name)
    primary = next(a for a in payload["Addresses"] if a["AddressId"] == payload["PrimaryAddressId"])
    primary["SalespersonId"], primary["UserDefined1"] = row.slprsnid, row.userdef1
    customer = customer_from_sba(payload)
    assert customer.value_of("salesperson") == row.slprsnid.strip()
    assert customer.value_of("user_defined_1") == row.userdef1.strip()


def test_a_server_without_these_fields_offers_none(company) -> None:
    row = next(iter(company.customers.values()))
    names = tuple(f.sba for f in CUSTOMER_FIELDS)
    sba = customer_from_sba(customer_payload(company, row, ShapeOptions(omit_fields=names)))
    assert sba.fields == ()
    raw = customer_object(company, row, Shape())
    for name in ("PriceLevelKey", "PaymentTermsKey"):
        raw.pop(name)
    for address in raw["Addresses"]["CustomerAddress"]:
        for name in ("SalespersonKey", "SalesTerritoryKey", "UserDefined1", "UserDefined2"):
            address.pop(name)
    assert customer_from_soap(raw).fields == ()


def test_an_object_where_text_belongs_stops_with_the_field_named(company) -> None:
    row = next(iter(company.customers.values()))
    payload = customer_payload(company, row, ShapeOptions())
    payload["SalespersonId"] = {"Id": "ERIN J."}
    with pytest.raises(GPError, match="SalespersonId"):
        customer_from_sba(payload)


def test_the_fields_survive_a_big_company_read_in_parts(company, tmp_path) -> None:
    """A company read in parts goes through a scratch SQLite file (sync/gp_read.py): the fields come back."""
    rows = company.customers.values()
    customers = [customer_from_sba(customer_payload(company, row, ShapeOptions())) for row in rows]
    with GPRead(shard_customers=50, scratch_dir=tmp_path) as read:
        for customer in customers:
            read.add_customer(customer)
        read.customers_done()
        read.documents_done()
        assert read.spilled
        back = {c.number: c for part, _docs in read.shards() for c in part}
    assert {c.number: c.fields for c in customers} == {n: c.fields for n, c in back.items()}
    assert all(type(c.fields) is tuple and all(type(f) is tuple for f in c.fields) for c in back.values())
