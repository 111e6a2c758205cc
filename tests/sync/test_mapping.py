import datetime as dt
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.profile import SyncFilters
from gpmc_desktop.store import SyncedState
from gpmc_desktop.sync import buyer_address, mapping
from gpmc_desktop.sync.merge_fields import AudienceFields
from gpmc_desktop.sync.plan import build_plan, fit_members

# A new audience's fields (FNAME, LNAME, ADDRESS, PHONE in US format) plus the two the sync creates.
DEFAULT_AUDIENCE = [
    {"tag": "FNAME", "type": "text", "options": {"size": 25}},
    {"tag": "LNAME", "type": "text", "options": {"size": 25}},
    {"tag": "ADDRESS", "type": "address", "options": {"default_country": 164}},
    {"tag": "PHONE", "type": "phone", "options": {"phone_format": "US"}},
    *mapping.EXTRA_MERGE_FIELDS,
]


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
    # The mapping carries what GP holds; the plan fitted to the audience never sends a partial address.
    partial = customer(address=PostalAddress("1 Main St", "", "Chicago", "", "60603"))
    assert mapping.member_payload(partial, "pending")["merge_fields"]["ADDRESS"]["state"] == ""
    plan = build_plan([partial], [], SyncFilters(), "pending")
    fit_members(plan, AudienceFields.from_api(DEFAULT_AUDIENCE))
    member = plan.members["bob@fitz.com"]
    assert "ADDRESS" not in member.payload["merge_fields"]
    assert [(item.tag, item.reason) for item in member.left_out] == [
        ("ADDRESS", "ADDRESS left out: it has no state, and Mailchimp takes an address only with street, city, "
                    "state and zip")]


def test_ecommerce_customer_never_opts_in():
    assert mapping.ecommerce_customer_payload(customer())["opt_in_status"] is False


def test_ecommerce_customer_says_who_buys_and_leaves_the_address_to_the_contact():
    body = mapping.ecommerce_customer_payload(customer())
    assert body == {"id": mapping.ecommerce_customer_id("bob@fitz.com"), "email_address": "bob@fitz.com",
                    "opt_in_status": False, "company": "Aaron Fitz Electrical", "first_name": "Bob",
                    "last_name": "Fitz"}


def test_a_buyer_sent_with_its_address_by_an_earlier_release_is_unchanged_until_gp_changes_it():
    plan = build_plan([customer()], [], SyncFilters(), "transactional")
    buyer = plan.members["bob@fitz.com"].buyer
    sent_before = mapping.content_hash(buyer_address.payload_with_address(customer()))
    assert sent_before != buyer.hash
    synced = {buyer.id: SyncedState(sent_before, buyer.id, "bob@fitz.com")}
    assert buyer_address.rehashed(plan, synced) == {buyer.id: SyncedState(buyer.hash, buyer.id, "bob@fitz.com")}
    assert buyer_address.rehashed(plan, {buyer.id: SyncedState(buyer.hash, buyer.id, "bob@fitz.com")}) == {}
    # Sent before with another name: a real change, sent again (without the address).
    renamed = mapping.content_hash(buyer_address.payload_with_address(customer(first_name="Robert")))
    assert buyer_address.rehashed(plan, {buyer.id: SyncedState(renamed, buyer.id, "bob@fitz.com")}) == {}


def test_ecommerce_customer_id_is_the_md5_of_the_trimmed_lower_cased_email():
    # As Mailchimp's WooCommerce plugin derives it (md5(trim(strtolower(email)))), and as the subscriber hash.
    assert mapping.ecommerce_customer_id(" Bob@Fitz.com ") == hashlib.md5(b"bob@fitz.com").hexdigest()
    body = mapping.ecommerce_customer_payload(customer(number="OTHER0001"))
    assert body["id"] == mapping.ecommerce_customer_id("bob@fitz.com")  # the e-mail's, whoever the GP customer
    assert len(body["id"]) <= 50  # Mailchimp's limit on customer ids


def test_an_order_post_can_carry_its_customer_in_full():
    order = mapping.order_payload(invoice(), mapping.ecommerce_customer_id("bob@fitz.com"), "USD", dt.UTC)
    buyer = mapping.ecommerce_customer_payload(customer())
    carried = mapping.order_with_customer(order, buyer)
    assert carried["customer"] == buyer and order["customer"] == {"id": buyer["id"]}
    assert {k: v for k, v in carried.items() if k != "customer"} == {k: v for k, v in order.items() if k != "customer"}


def test_order_statuses_and_timestamps_have_offsets():
    pending = mapping.order_payload(invoice(), "AARONFIT0001", "USD", dt.UTC)
    assert pending["financial_status"] == "pending"
    assert pending["processed_at_foreign"] == "2024-05-01T12:00:00+00:00"
    assert pending["lines"][0]["price"] == 1250.0
    paid = mapping.order_payload(invoice(balance=Decimal("0.00")), "AARONFIT0001", "USD", dt.UTC)
    assert paid["financial_status"] == "paid"
    void = mapping.order_payload(invoice(is_voided=True, void_date=dt.date(2024, 6, 2)), "AARONFIT0001", "USD",
                                 dt.UTC)
    assert void["financial_status"] == "cancelled"
    assert void["cancelled_at_foreign"] == "2024-06-02T12:00:00+00:00"
    assert "id" not in mapping.order_patch(void)
    assert "updated_at_foreign" not in pending  # GP's modified date is a day-granular hint, not an edit time


LOS_ANGELES = ZoneInfo("America/Los_Angeles")
AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.mark.parametrize(
    ("zone", "day", "stamp"),
    [
        (LOS_ANGELES, dt.date(2024, 3, 9), "2024-03-09T12:00:00-08:00"),
        (LOS_ANGELES, dt.date(2024, 3, 10), "2024-03-10T12:00:00-07:00"),  # clocks went forward at 02:00
        (LOS_ANGELES, dt.date(2024, 11, 3), "2024-11-03T12:00:00-08:00"),  # and back at 02:00
        (AUCKLAND, dt.date(2024, 4, 7), "2024-04-07T12:00:00+12:00"),  # NZDT ended at 03:00
        (AUCKLAND, dt.date(2024, 9, 29), "2024-09-29T12:00:00+13:00"),  # NZDT began at 02:00
        (AUCKLAND, dt.date(2024, 1, 1), "2024-01-01T12:00:00+13:00"),
        (dt.UTC, dt.date(2024, 3, 10), "2024-03-10T12:00:00+00:00"),
        (ZoneInfo("UTC"), dt.date(2024, 11, 3), "2024-11-03T12:00:00+00:00"),
    ],
)
def test_gp_dates_land_on_their_own_day_in_the_company_zone(zone, day, stamp):
    void = invoice(date=day, is_voided=True, void_date=day)
    body = mapping.order_payload(void, "AARONFIT0001", "USD", zone)
    assert body["processed_at_foreign"] == body["cancelled_at_foreign"] == stamp
    moment = dt.datetime.fromisoformat(stamp)
    assert moment.astimezone(zone).date() == day  # the day Mailchimp shows in an account in that zone
    assert moment.utcoffset() == moment.astimezone(zone).utcoffset()  # the offset in force that day


def test_a_void_without_any_date_is_stamped_with_a_stable_day():
    # The modified date before today: today's stamp would change the order's hash, and re-send it, every day.
    void = invoice(date=None, is_voided=True, void_date=None, modified_date=dt.date(2024, 5, 20))
    body = mapping.order_payload(void, "AARONFIT0001", "USD", LOS_ANGELES)
    assert "processed_at_foreign" not in body
    assert body["cancelled_at_foreign"] == "2024-05-20T12:00:00-07:00"


def midnight_utc_payload(payload):
    """The same order with its date-times at midnight UTC of their day."""
    return {k: (f"{v[:10]}T00:00:00+00:00" if k.endswith("_at_foreign") else v) for k, v in payload.items()}


@pytest.mark.parametrize(
    "zone", [dt.UTC, ZoneInfo("Europe/London"), AUCKLAND, ZoneInfo("Asia/Kolkata"), ZoneInfo("Atlantic/Azores")]
)
def test_orders_stored_at_midnight_utc_keep_their_hash_where_that_is_the_same_day(zone):
    for doc in (invoice(), invoice(date=dt.date(2024, 9, 29), is_voided=True, void_date=dt.date(2024, 10, 1))):
        payload = mapping.order_payload(doc, "AARONFIT0001", "USD", zone)
        assert mapping.order_hash(payload, zone) == mapping.content_hash(midnight_utc_payload(payload))


@pytest.mark.parametrize(
    ("zone", "day"),
    [(LOS_ANGELES, dt.date(2024, 5, 1)), (ZoneInfo("America/Sao_Paulo"), dt.date(2024, 5, 1)),
     (ZoneInfo("Atlantic/Azores"), dt.date(2024, 1, 15))],  # UTC-1 in winter (UTC+0 in summer: the same day)
)
def test_orders_stored_at_midnight_utc_are_sent_again_where_that_showed_the_day_before(zone, day):
    payload = mapping.order_payload(invoice(date=day), "AARONFIT0001", "USD", zone)
    assert mapping.order_hash(payload, zone) != mapping.content_hash(midnight_utc_payload(payload))
    # ... and the hash still follows the content.
    later = mapping.order_payload(invoice(date=day + dt.timedelta(days=1)), "AARONFIT0001", "USD", zone)
    assert mapping.order_hash(later, zone) != mapping.order_hash(payload, zone)
    assert mapping.order_hash(payload, zone) == mapping.order_hash(dict(payload), zone)


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
