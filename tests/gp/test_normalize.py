import datetime as dt
from decimal import Decimal

import pytest

from gpmc_desktop.gp.normalize import (
    clean_phone,
    email_candidates,
    is_valid_email,
    money,
    parse_gp_date,
    pick_email,
    split_contact,
    trim,
)


def test_trim_removes_gp_padding_and_none():
    assert trim("AARONFIT0001   ") == "AARONFIT0001"
    assert trim(None) == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bob@example.com;ap@example.com", ["bob@example.com", "ap@example.com"]),
        ("mailto:Bob@Fitz.COM ; ", ["bob@fitz.com"]),
        ("MAILTO:a@b.org,<c@d.org>", ["a@b.org", "c@d.org"]),
        ("", []),
    ],
)
def test_email_candidates_split_strip_and_lower(raw, expected):
    assert email_candidates(raw) == expected


def test_pick_email_prefers_to_then_cc_then_bcc_and_reports_rejects():
    email, rejected = pick_email(["n/a;call first", "mailto:AP@Contoso.com", "boss@contoso.com"])
    assert email == "ap@contoso.com"
    assert rejected == ("n/a", "call", "first")


def test_pick_email_none_when_nothing_valid():
    assert pick_email(["", "  ", "not-an-address"]) == (None, ("not-an-address",))


@pytest.mark.parametrize("bad", ["a@b", "a b@c.com", "@c.com", "a@.com", "a@c.c", "x" * 250 + "@c.com"])
def test_invalid_emails(bad):
    assert not is_valid_email(bad)


@pytest.mark.parametrize("good", ["a@b.co", "o'neil@contoso.com", "first.last+tag@sub.example.org"])
def test_valid_emails(good):
    assert is_valid_email(good)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00000000000000", ""),
        ("3.12555E+13", ""),
        ("31255501010000", "312-555-0101"),
        ("31255501010042", "312-555-0101 x42"),
        ("3125550101", "312-555-0101"),
        ("+44 20 7946 0958  ", "+44 20 7946 0958"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_phone(raw, expected):
    assert clean_phone(raw) == expected


def test_split_contact_and_company_fallback():
    assert split_contact("  Bob   van Fitz ", "Aaron Fitz Electrical") == ("Bob", "van Fitz")
    assert split_contact("", "Aaron Fitz Electrical") == ("Aaron Fitz Electrical", "")


def test_parse_gp_date_treats_1900_as_empty():
    assert parse_gp_date("2024-05-06T00:00:00") == dt.date(2024, 5, 6)
    assert parse_gp_date("1900-01-01T00:00:00") is None
    assert parse_gp_date("garbage") is None


def test_money_rounds_to_cents_from_moneyamount_or_number():
    assert money({"Value": 93.98999999999999, "Currency": "USD"}) == Decimal("93.99")
    assert money("1250.00500") == Decimal("1250.01")
    assert money(None) == Decimal("0.00")
    assert money("n/a") == Decimal("0.00")


def test_choose_email_explains_the_choice_for_the_audit():
    from gpmc_desktop.gp.normalize import choose_email

    assert choose_email(["junk", "a@b.co"]) == ("a@b.co", ("junk",), "skipped invalid: junk")
    assert choose_email(["junk"]) == (None, ("junk",), "no valid e-mail (invalid: junk)")
    assert choose_email(["", ""]) == (None, (), "no e-mail in GP")


def test_join_lines_trims_and_drops_empty_parts():
    from gpmc_desktop.gp.normalize import join_lines

    assert join_lines("Suite 5   ", "", None, " Bldg C") == "Suite 5 Bldg C"
