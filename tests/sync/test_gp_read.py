"""One run's GP records in shards (sync/gp_read.py): the same records back, every e-mail's customers together with
their documents, lists as before while the customers fit one shard, and a scratch file that never outlives the
run."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from gpmc_desktop.gp import data_check
from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress, SalesLine, SalesLines
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.gp_read import GPRead


def customer(number: str, email: str | None = "", **changes: object) -> Customer:
    fields: dict[str, object] = {
        "number": number, "company_name": f"Company {number}", "first_name": "Zoë", "last_name": "Ørsted",
        "email": email if email != "" else f"{number.lower()}@example.com", "email_note": "",
        "address": PostalAddress("1 Main St", "", "Köln", "NRW", "50667", "DE"), "phone": "",
        "class_id": "RETAIL", "currency_id": "Z-US$", "is_active": True, "is_on_hold": False,
        "modified_date": dt.date(2024, 5, 1),
    }
    return Customer(**{**fields, **changes})  # type: ignore[arg-type]


def document(number: str, customer_number: str, currency: str = "USD", **changes: object) -> Document:
    fields: dict[str, object] = {
        "number": number, "type": DocumentType.INVOICE, "customer_number": customer_number,
        "date": dt.date(2024, 6, 1), "amount": Decimal("100.00"), "balance": Decimal("0.00"), "currency": currency,
        "is_voided": False, "void_date": None, "modified_date": dt.date(2024, 6, 2),
    }
    return Document(**{**fields, **changes})  # type: ignore[arg-type]


def odd_customers() -> list[Customer]:
    return [
        customer("C1", None, email_note="no e-mail in GP", modified_date=None, rejected_emails=("bad@", "x y")),
        customer("C2", "shared@example.com", company_name="", first_name="", last_name="", phone="",
                 address=PostalAddress(), is_active=False, is_on_hold=True, rejected_emails=("",)),
        customer("C3 ünïcode 漢字", "shared@example.com", company_name="Ça & Co \"quoted\"\n2 lines"),
        customer("C4", "solo@example.com", class_id="", currency_id=""),
    ]


def odd_documents() -> list[Document]:
    return [
        document("D1", "C1", amount=Decimal("-0.01"), balance=Decimal("12345678.12345"), date=None),
        document("D2", "C3 ünïcode 漢字", type=DocumentType.CREDIT_MEMO, is_voided=True,
                 void_date=dt.date(2024, 7, 1), modified_date=None, currency=""),
        document("D3", "C2", amount=Decimal("1E+2"), balance=Decimal("0"), type=DocumentType.PAYMENT),
        document("D4", "nobody", currency="Z-US$"),
        # A sales invoice's lines: a part quantity, a gone item's text, a trailing-zero amount kept as written.
        document("D5", "C4", sales=SalesLines(
            (SalesLine(16384, "PAPER A4/80", "Papier \"A4\" – 80 g", "PAPER", Decimal("2.50000"), Decimal("12.50")),
             SalesLine(32768, "", "Zeile ohne Artikel", "", Decimal("0"), Decimal("0.00"))),
            Decimal("1.00"), Decimal("2.00"), Decimal("0"), Decimal("0.95"), Decimal("14.45"))),
    ]


def filled(tmp_path: Path, customers: list[Customer], documents: list[Document], shard: int) -> GPRead:
    read = GPRead(shard_customers=shard, scratch_dir=tmp_path)
    for c in customers:
        read.add_customer(c)
    read.customers_done()
    for d in documents:
        read.add_document(d)
    read.documents_done()
    return read


def everything(read: GPRead) -> tuple[list[Customer], list[Document]]:
    customers: list[Customer] = []
    documents: list[Document] = []
    for shard_customers, shard_documents in read.shards():
        customers += shard_customers
        documents += shard_documents
    return customers, documents


@pytest.mark.parametrize("shard", [1, 2, 100])
def test_every_field_comes_back_as_it_went_in(tmp_path: Path, shard: int) -> None:
    customers, documents = odd_customers(), odd_documents()
    with filled(tmp_path, customers, documents, shard) as read:
        back_customers, back_documents = everything(read)
        assert read.spilled is (shard < len(customers))
        assert sorted(back_customers, key=customers.index) == customers
        assert sorted(back_documents, key=documents.index) == documents
        assert [d.amount.as_tuple() for d in sorted(back_documents, key=documents.index)] == [
            d.amount.as_tuple() for d in documents]
        assert (read.customer_count, read.document_count) == (4, 5)
        assert sorted(read.emails()) == ["shared@example.com", "solo@example.com"]


def many(count: int) -> tuple[list[Customer], list[Document]]:
    # Every fifth customer shares an e-mail with four others; some have none.
    customers = [customer(f"C{i:05}", None if i % 11 == 0 else f"team{i // 5}@example.com") for i in range(count)]
    documents = [document(f"D{i:05}", f"C{(i * 7) % count:05}") for i in range(3 * count)]
    documents += [document("ORPHAN1", "C99999"), document("ORPHAN2", "")]
    return customers, documents


def test_shards_keep_every_e_mail_together_with_its_documents(tmp_path: Path) -> None:
    customers, documents = many(1000)
    with filled(tmp_path, customers, documents, 120) as read:
        assert read.spilled and read.shard_count == 9
        assert len(list(tmp_path.iterdir())) == 1
        shard_of_email: dict[str, int] = {}
        seen_customers: list[Customer] = []
        seen_documents: list[Document] = []
        shards = list(read.shards())
        assert len(shards) == 9
        for index, (shard_customers, shard_documents) in enumerate(shards):
            assert shard_customers == sorted(shard_customers, key=customers.index)  # in the order added
            assert shard_documents == sorted(shard_documents, key=documents.index)
            numbers = {c.number for c in shard_customers}
            for c in shard_customers:
                if c.email:
                    assert shard_of_email.setdefault(c.email, index) == index
            last = index == len(shards) - 1
            assert all(d.customer_number in numbers or last for d in shard_documents)
            seen_customers += shard_customers
            seen_documents += shard_documents
        assert sorted(seen_customers, key=customers.index) == customers
        assert sorted(seen_documents, key=documents.index) == documents
        assert {d.number for d in shards[-1][1]} >= {"ORPHAN1", "ORPHAN2"}


def test_parts_are_cut_to_one_size_whatever_the_company(tmp_path: Path) -> None:
    """Every part but the last holds the part size, give or take the e-mail group cut at its end (the largest
    part, and the run's peak memory, does not grow with the number of parts)."""
    for count in (1000, 5000):
        customers, documents = many(count)
        with filled(tmp_path, customers, documents, 120) as read:
            sizes = [len(part) for part, _docs in read.shards()]
        assert read.shard_count == len(sizes) == -(-count // 120)
        assert max(sizes) <= 120 + 5 and min(sizes[:-1]) >= 120 - 5  # groups of five share an e-mail


def test_a_duplicate_customer_number_is_handed_out_twice_its_documents_once(tmp_path: Path) -> None:
    customers = [customer("A", "a@example.com"), customer("B", "b@example.com"),
                 customer("A", "other@example.com", company_name="again")]
    with filled(tmp_path, customers, [document("D1", "A")], 1) as read:
        back_customers, back_documents = everything(read)
        assert sorted(back_customers, key=customers.index) == customers
        assert back_documents == [document("D1", "A")]


def test_customers_that_fit_one_shard_stay_in_memory(tmp_path: Path) -> None:
    customers, documents = many(50)
    with filled(tmp_path, customers, documents, 50) as read:
        assert not read.spilled and read.shard_count == 1
        assert list(tmp_path.iterdir()) == []
        assert list(read.shards()) == [(customers, documents)]


def test_the_scratch_file_goes_on_close_and_on_an_error(tmp_path: Path) -> None:
    customers, documents = many(30)
    with filled(tmp_path, customers, documents, 10):
        assert len(list(tmp_path.iterdir())) == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError), filled(tmp_path, customers, documents, 10):
        assert len(list(tmp_path.iterdir())) == 1
        raise RuntimeError("the run stopped")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shard", [2, 100])
@pytest.mark.parametrize("currencies", [
    ["EUR", "USD", "USD", "EUR"],  # a tie: the one seen first
    ["Z-US$", "", "usd ", "CAD", "cad"],
    ["Z-US$"],
    [],
])
def test_the_currency_is_the_store_currency_of_all_documents(tmp_path: Path, shard: int,
                                                             currencies: list[str]) -> None:
    documents = [document(f"D{i}", "C1", c) for i, c in enumerate(currencies)]
    documents.insert(0, document("P", "C1", "GBP", type=DocumentType.PAYMENT))  # not an invoice: not counted
    with filled(tmp_path, [customer("C1"), customer("C2"), customer("C3")], documents, shard) as read:
        assert read.currency == mapping.store_currency(documents)


@pytest.mark.parametrize("shard", [2, 100])
def test_absent_numbers_in_both_modes(tmp_path: Path, shard: int) -> None:
    customers, documents = many(40)
    asked = [f"C{i:05}" for i in range(0, 2000, 3)]
    with filled(tmp_path, customers, documents, shard) as read:
        assert read.spilled is (shard == 2)
        assert list(read.absent_customers(asked)) == [n for n in asked if int(n[1:]) >= 40]
        wanted = ["D00001", "nope", "ORPHAN2", "", *(f"D{i:05}" for i in range(100, 1300))]
        assert list(read.absent_documents(iter(wanted))) == ["nope", "", *(f"D{i:05}" for i in range(120, 1300))]
        assert list(read.absent_customers([])) == []


@pytest.mark.parametrize("shard", [1, 100])
def test_no_customer_with_an_e_mail_is_check_emails_stop(tmp_path: Path, shard: int) -> None:
    customers = [customer("C1", None), replace(customer("C2"), email="")]
    with pytest.raises(GPError) as expected:
        data_check.check_emails(customers)
    with GPRead(shard_customers=shard, scratch_dir=tmp_path) as read:
        for c in customers:
            read.add_customer(c)
        with pytest.raises(GPError) as caught:
            read.customers_done()
    assert (caught.value.stage, caught.value.message, caught.value.hint) == (
        expected.value.stage, expected.value.message, expected.value.hint)
    assert list(tmp_path.iterdir()) == []


def test_no_customers_at_all_is_no_stop(tmp_path: Path) -> None:
    with GPRead(scratch_dir=tmp_path) as read:
        read.customers_done()
        read.documents_done()
        assert list(read.shards()) == [([], [])]
        assert read.currency == mapping.DEFAULT_CURRENCY


def test_parts_leave_out_the_shards_asked_and_number_the_rest(tmp_path: Path) -> None:
    read = GPRead(shard_customers=2, scratch_dir=tmp_path)
    with read:
        for n in range(7):
            read.add_customer(customer(f"C{n}", f"c{n}@example.com"))
        read.customers_done()
        read.documents_done()
        whole = list(read.shards())
        parts = list(read.parts(skip={1, 3}))
    assert read.shard_count == 4
    assert [index for index, _c, _d in parts] == [0, 2]
    assert [(c, d) for _i, c, d in parts] == [whole[0], whole[2]]


@pytest.mark.parametrize("shard_customers", [100, 2], ids=["in memory", "spilled"])
def test_known_emails_are_those_some_customer_has(tmp_path: Path, shard_customers: int) -> None:
    with GPRead(shard_customers=shard_customers, scratch_dir=tmp_path) as read:
        for c in odd_customers():
            read.add_customer(c)
        read.customers_done()
        read.documents_done()
        asked = ["solo@example.com", "nobody@example.com", "shared@example.com", "solo@example.com"]
        assert sorted(read.known_emails(asked)) == ["shared@example.com", "solo@example.com"]
        assert list(read.known_emails([])) == []
