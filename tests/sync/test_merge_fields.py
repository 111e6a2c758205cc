"""Fitting a member's merge values to the audience's field definitions (pure: no Mailchimp, no GP)."""

from __future__ import annotations

import pytest

from gpmc_desktop.gp.model import PostalAddress
from gpmc_desktop.profile import SyncFilters
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.merge_fields import AudienceFields, FieldMisfit, Misfit, fit, summary_line
from gpmc_desktop.sync.plan import build_plan, fit_members
from tests.sync.test_mapping import DEFAULT_AUDIENCE, customer

US_AUDIENCE = AudienceFields.from_api(DEFAULT_AUDIENCE)
INTERNATIONAL = AudienceFields.from_api(
    [{**f, "options": {"phone_format": "International"}} if f["tag"] == "PHONE" else f for f in DEFAULT_AUDIENCE]
)
US_ONLY = "and the audience's phone field takes US numbers only"


def phone(value: str, country: str = "", fields: AudienceFields = US_AUDIENCE) -> tuple[str, list[tuple[Misfit, str]]]:
    fitted = fit(fields, {"PHONE": value}, country=country)
    return fitted.values["PHONE"], [(item.misfit, item.reason) for item in fitted.left_out]


@pytest.mark.parametrize("raw", [
    "312-555-0101", "(312) 555-0101", "312.555.0101", "3125550101", "+1 312 555 0101", "1-312-555-0101",
    " 312 555 0101 ", "+1 (312) 555-0101",
])
def test_a_us_number_in_any_punctuation_is_sent_as_npa_nxx_line(raw: str) -> None:
    assert phone(raw) == ("312-555-0101", [])


@pytest.mark.parametrize(("raw", "ext"), [
    ("312-555-0101 x12", "x12"), ("(312) 555-0101 ext. 7", "x7"), ("312.555.0101 EXT 0042", "x0042"),
    ("312-555-0101 #3", "x3"), ("312-555-0101 extension 15", "x15"),
])
def test_an_extension_is_dropped_with_a_reason_and_the_number_still_goes(raw: str, ext: str) -> None:
    assert phone(raw) == ("312-555-0101", [(
        Misfit.EXTENSION,
        f"PHONE sent as 312-555-0101 without its extension {ext}: the audience's US phone format has no room for one",
    )])


def test_a_foreign_number_is_left_out_in_plain_words() -> None:
    assert phone("44 20 7946 0958") == ("", [(
        Misfit.NOT_US_PHONE,
        "PHONE left out: 44 20 7946 0958 is not a US number, and the audience's phone field takes US numbers only",
    )])
    assert phone("+44 20 7946 0958")[1] == [(Misfit.NOT_US_PHONE,
                                             f"PHONE left out: +44 20 7946 0958 is not a US number, {US_ONLY}")]


@pytest.mark.parametrize("raw", ["123-456-7890", "312-155-0101", "555-0101", "31255501011", "+52 55 1234 5678"])
def test_numbers_that_are_not_unambiguously_us_are_left_out(raw: str) -> None:
    assert phone(raw) == ("", [(Misfit.NOT_US_PHONE, f"PHONE left out: {raw} is not a US number, {US_ONLY}")])


def test_text_that_is_no_phone_number_is_left_out() -> None:
    assert phone("ask for Bob") == ("", [(Misfit.NOT_US_PHONE,
                                          f"PHONE left out: ask for Bob is not a phone number, {US_ONLY}")])


def test_a_us_shaped_number_of_a_customer_abroad_is_not_a_us_number() -> None:
    # GP keeps ten digits whatever the country: a German customer's 49 431 234567 looks like a US number.
    assert phone("494-312-3456", country="DE") == ("", [(
        Misfit.NOT_US_PHONE,
        f"PHONE left out: 494-312-3456 is not a US number (the customer's address is in DE), {US_ONLY}",
    )])
    assert phone("494-312-3456", country="CA") == ("494-312-3456", [])  # Canada dials in the same plan
    assert phone("494-312-3456", country="") == ("494-312-3456", [])  # no country: nothing says otherwise


def test_an_international_phone_field_takes_the_number_as_gp_holds_it() -> None:
    for raw in ("44 20 7946 0958", "312-555-0101 x12", "+49 40 1234567"):
        assert phone(raw, country="GB", fields=INTERNATIONAL) == (raw, [])


def test_blank_values_fit_every_field_and_are_sent_as_empty_strings() -> None:
    fitted = fit(US_AUDIENCE, {"PHONE": "", "FNAME": "  ", mapping.TAG_COMPANY: ""})
    assert fitted.values == {"PHONE": "", "FNAME": "", mapping.TAG_COMPANY: ""}
    assert fitted.left_out == ()


def test_text_longer_than_mailchimps_255_bytes_is_left_out_not_cut() -> None:
    exactly = "é" * 127 + "x"  # 255 bytes
    fitted = fit(US_AUDIENCE, {mapping.TAG_COMPANY: exactly, "FNAME": "Bartholomew-Alexander Fitzgerald-Smythe"})
    assert fitted.values == {mapping.TAG_COMPANY: exactly, "FNAME": "Bartholomew-Alexander Fitzgerald-Smythe"}
    assert fitted.left_out == ()  # FNAME's options.size 25 is the form's width, not a limit

    too_long = "é" * 128  # 128 characters, 256 bytes
    fitted = fit(US_AUDIENCE, {mapping.TAG_COMPANY: too_long})
    assert fitted.values == {mapping.TAG_COMPANY: ""}
    assert [(i.misfit, i.reason) for i in fitted.left_out] == [
        (Misfit.TOO_LONG, "COMPANY left out: 256 bytes, longer than the 255 bytes Mailchimp keeps in a field")]


def test_an_incomplete_address_is_not_sent_and_says_what_it_lacks() -> None:
    complete = {"addr1": "1 Main St", "addr2": "", "city": "Chicago", "state": "IL", "zip": "60603", "country": "US"}
    assert fit(US_AUDIENCE, {"ADDRESS": complete}).values == {"ADDRESS": complete}
    fitted = fit(US_AUDIENCE, {"ADDRESS": {**complete, "city": "", "zip": " "}})
    assert fitted.values == {}
    assert [(i.misfit, i.reason) for i in fitted.left_out] == [(
        Misfit.INCOMPLETE_ADDRESS,
        "ADDRESS left out: it has no city or zip, and Mailchimp takes an address only with street, city, state and zip",
    )]
    long_street = fit(US_AUDIENCE, {"ADDRESS": {**complete, "addr1": "x" * 256}})
    assert long_street.values == {} and long_street.left_out[0].misfit is Misfit.TOO_LONG


def test_a_tag_the_audience_lacks_is_not_sent() -> None:
    fields = AudienceFields.from_api([f for f in DEFAULT_AUDIENCE if f["tag"] != "PHONE"])
    fitted = fit(fields, {"PHONE": "312-555-0101", "FNAME": "Bob"})
    assert fitted.values == {"FNAME": "Bob"}
    assert [(i.misfit, i.reason) for i in fitted.left_out] == [
        (Misfit.NO_FIELD, "PHONE left out: the audience has no PHONE field")]
    assert fit(fields, {"PHONE": ""}).left_out == ()  # nothing was there to leave out


def test_a_field_someone_retyped_takes_only_values_of_its_type() -> None:
    fields = AudienceFields.from_api([
        {"tag": "GPCUSTNO", "type": "number"}, {"tag": "COMPANY", "type": "dropdown",
                                                "options": {"choices": ["Aaron Fitz Electrical"]}},
        {"tag": "ADDRESS", "type": "text"}, {"tag": "FNAME", "type": "zip"},
    ])
    fitted = fit(fields, {"GPCUSTNO": "AARONFIT0001", "COMPANY": "Aaron Fitz Electrical", "FNAME": "Bob",
                          "ADDRESS": {"addr1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60603"}})
    assert fitted.values == {"GPCUSTNO": "", "COMPANY": "Aaron Fitz Electrical", "FNAME": ""}
    assert [(i.tag, i.misfit) for i in fitted.left_out] == [
        ("GPCUSTNO", Misfit.WRONG_TYPE), ("FNAME", Misfit.WRONG_TYPE), ("ADDRESS", Misfit.WRONG_TYPE)]
    assert fitted.left_out[0].reason == ("GPCUSTNO left out: AARONFIT0001 is not a number, and the audience's "
                                         "GPCUSTNO field holds numbers")
    assert fit(fields, {"GPCUSTNO": "42"}).values == {"GPCUSTNO": "42"}


def test_the_dry_run_fits_to_the_fields_the_real_run_would_create() -> None:
    bare = AudienceFields.from_api([f for f in DEFAULT_AUDIENCE if f["tag"] in ("FNAME", "PHONE")]
                                   + [{"tag": "COMPANY", "type": "number"}])
    ahead = bare.with_missing(mapping.EXTRA_MERGE_FIELDS)
    assert ahead.by_tag["GPCUSTNO"].type == "text"
    assert ahead.by_tag["COMPANY"].type == "number"  # an existing field is never re-created
    assert "ADDRESS" not in ahead.by_tag


def test_the_member_hash_follows_what_the_audience_takes() -> None:
    abroad = customer(phone="44 20 7946 0958", address=PostalAddress("1 High St", "", "London", "", "EC1A 1BB", "GB"))
    plan = build_plan([abroad], [], SyncFilters(), "transactional")
    fit_members(plan, US_AUDIENCE)
    member = plan.members["bob@fitz.com"]
    us_hash = member.hash
    assert member.payload["merge_fields"]["PHONE"] == "" and "ADDRESS" not in member.payload["merge_fields"]
    assert [i.key for i in member.left_out] == [FieldMisfit("PHONE", Misfit.NOT_US_PHONE),
                                                 FieldMisfit("ADDRESS", Misfit.INCOMPLETE_ADDRESS)]
    fit_members(plan, INTERNATIONAL)  # the audience's owner switched the phone field to International
    assert member.payload["merge_fields"]["PHONE"] == "44 20 7946 0958"
    assert member.hash != us_hash  # so the member is sent again
    fit_members(plan, US_AUDIENCE)
    assert member.hash == us_hash  # fitting starts from GP's values every time


def test_summary_lines_in_plain_words() -> None:
    phones = FieldMisfit("PHONE", Misfit.NOT_US_PHONE)
    assert summary_line(phones, 12, done=False) == (
        "12 phone numbers do not fit the audience's US phone format and will be left out")
    assert summary_line(phones, 1, done=True) == (
        "1 phone number did not fit the audience's US phone format and was left out")
    assert summary_line(FieldMisfit("ADDRESS", Misfit.INCOMPLETE_ADDRESS), 3, done=False) == (
        "3 addresses are incomplete (Mailchimp needs street, city, state and zip) and will be left out")
    assert summary_line(FieldMisfit("PHONE", Misfit.EXTENSION), 2, done=False) == (
        "2 phone numbers will go without their extension: the audience's US phone format has no room for one")
    assert summary_line(FieldMisfit("COMPANY", Misfit.TOO_LONG), 1, done=False) == (
        "1 COMPANY value is longer than the 255 bytes Mailchimp keeps and will be left out")


def test_an_explicit_country_code_outweighs_the_address() -> None:
    assert phone("+1 312 555 0101", country="GB") == ("312-555-0101", [])
    assert phone("312-055-0101", country="MX")[1] == [(
        Misfit.NOT_US_PHONE,
        f"PHONE left out: 312-055-0101 is not a US number (the customer's address is in MX), {US_ONLY}",
    )]
