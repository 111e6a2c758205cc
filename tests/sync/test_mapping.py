import datetime as dt
import hashlib
from decimal import Decimal

from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.sync import mapping


def customer(**kw):
    base = dict(
        number="AARONFIT0001", company_name="Aaron Fitz Electrical", first_name="Bob", last_name="Fitz",
        email="bob@fitz.com", email_note="", phone="312-555-0101", class_id="USA-ILMO-T1", currency_id="Z-US$",
        is_active=True, is_on_hold=False, modified_date=dt.date(2024, 5, 6),
        address=PostalAddress("One Microsoft Way", "", "Chicago", "IL", "60603-0776", "US"),
    )
    base.update(kw)
    return Customer(**base)


def invoice(**kw):
    base = dict(
        number="STDINV2185", type=DocumentType.INVOICE, customer_number="AARONFIT0001",
        date=dt.date(2024, 5, 1), amount=Decimal("1250.00"), balance=Decimal("250.00"), currency="USD",
        is_voided=False, void_date=None, modified_date=dt.date(2024, 5, 20),
    )
    base.update(kw)
    return Document(**base)


def test_member_payload_uses_status_if_new_never_status():
    body = mapping.member_payload(customer(), "transactional")
    assert body["status_if_new"] == "transactional"
    assert "status" not in body
    assert body["merge_fields"]["ADDRESS"]["zip"] == "60603-0776"
    assert body["merge_fields"]["GPCUSTNO"] == "AARONFIT0001"


def test_incomplete_address_is_left_out_entirely():
    body = mapping.member_payload(customer(address=PostalAddress("1 Main St", "", "Chicago", "", "60603")), "pending")
    assert "ADDRESS" not in body["merge_fields"]


def test_ecommerce_customer_never_opts_in():
    assert mapping.ecommerce_customer_payload(customer())["opt_in_status"] is False


def test_ecommerce_customer_id_is_the_md5_of_the_trimmed_lower_cased_email():
    # As Mailchimp's WooCommerce plugin derives it (md5(trim(strtolower(email)))), and as the subscriber hash.
    assert mapping.ecommerce_customer_id(" Bob@Fitz.com ") == hashlib.md5(b"bob@fitz.com").hexdigest()
    body = mapping.ecommerce_customer_payload(customer(number="OTHER0001"))
    assert body["id"] == mapping.ecommerce_customer_id("bob@fitz.com")  # the e-mail's, whoever the GP customer
    assert len(body["id"]) <= 50  # Mailchimp's limit on customer ids


def test_an_order_post_can_carry_its_customer_in_full():
    order = mapping.order_payload(invoice(), mapping.ecommerce_customer_id("bob@fitz.com"), "USD")
    buyer = mapping.ecommerce_customer_payload(customer())
    carried = mapping.order_with_customer(order, buyer)
    assert carried["customer"] == buyer and order["customer"] == {"id": buyer["id"]}
    assert {k: v for k, v in carried.items() if k != "customer"} == {k: v for k, v in order.items() if k != "customer"}


def test_order_statuses_and_timestamps_have_offsets():
    pending = mapping.order_payload(invoice(), "AARONFIT0001", "USD")
    assert pending["financial_status"] == "pending"
    assert pending["processed_at_foreign"] == "2024-05-01T00:00:00+00:00"
    assert pending["lines"][0]["price"] == 1250.0
    paid = mapping.order_payload(invoice(balance=Decimal("0.00")), "AARONFIT0001", "USD")
    assert paid["financial_status"] == "paid"
    void = mapping.order_payload(invoice(is_voided=True, void_date=dt.date(2024, 6, 2)), "AARONFIT0001", "USD")
    assert void["financial_status"] == "cancelled"
    assert void["cancelled_at_foreign"] == "2024-06-02T00:00:00+00:00"
    assert "id" not in mapping.order_patch(void)


def test_hash_changes_only_with_payload():
    a = mapping.member_payload(customer(), "subscribed")
    assert mapping.content_hash(a) == mapping.content_hash(dict(reversed(list(a.items()))))
    b = mapping.member_payload(customer(email="new@fitz.com"), "subscribed")
    assert mapping.content_hash(a) != mapping.content_hash(b)


def test_store_currency_is_most_common_iso_code_of_invoices():
    docs = [invoice(currency="CAD"), invoice(currency="USD"), invoice(currency="USD"),
            invoice(currency="EUR", type=DocumentType.PAYMENT), invoice(currency="EUR", type=DocumentType.PAYMENT)]
    assert mapping.store_currency(docs) == "USD"
    assert mapping.store_currency([]) == "USD"
    assert mapping.iso_currency("Z-US$", "USD") == "USD"
