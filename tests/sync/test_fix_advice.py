"""What to fix in GP terms, one test per Mailchimp answer the failures list meets (texts as Mailchimp and its
simulator send them), and whether Retry can help."""

from __future__ import annotations

import pytest

from gpmc_desktop.demo.mailchimp_sim.errors import (
    DETAIL_CUSTOMER_EMAIL_EXISTS,
    DETAIL_CUSTOMER_EMAIL_IMMUTABLE,
    DETAIL_MERGE_INVALID,
    DETAIL_NOT_FOUND,
    DETAIL_VALIDATION,
    detail_compliance,
    detail_customer_email_invalid,
    detail_fake,
    detail_forgotten,
)
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.sync.bookkeeping import _detail_with_fields
from gpmc_desktop.sync.fix_advice import FailedRecord, advise

EMAIL = "abrown@example.com"


def _customer(status: int | None, title: str, detail: str, category: str = "permanent") -> FailedRecord:
    return FailedRecord("customer", "THOMASEL0001", category, status, title, detail, EMAIL, "THOMASEL0001")


def test_fake_address_is_fixed_in_gp() -> None:
    advice = advise(_customer(400, "Invalid Resource", detail_fake(EMAIL)))
    assert advice.text == ("Correct the e-mail address of customer THOMASEL0001 in GP: Mailchimp refuses "
                           f"{EMAIL} as fake")
    assert advice.fix_in_gp and not advice.retry_helps


def test_an_invoice_names_its_customer() -> None:
    record = FailedRecord("order", "INV0001", "permanent", 400, "Invalid Resource", detail_fake(EMAIL), EMAIL,
                          "THOMASEL0001")
    assert advise(record).text.startswith("Correct the e-mail address of customer THOMASEL0001 in GP")
    old_entry = FailedRecord("order", "INV0001", "permanent", 400, "Invalid Resource", detail_fake(EMAIL))
    assert "the customer of invoice INV0001" in advise(old_entry).text


@pytest.mark.parametrize("detail", [detail_customer_email_invalid(EMAIL), "Please provide a valid email address."])
def test_an_invalid_address_is_fixed_in_gp(detail: str) -> None:
    advice = advise(_customer(400, "Invalid Resource", detail))
    assert advice.text == (f"Correct the e-mail address of customer THOMASEL0001 in GP: {EMAIL} is not a valid "
                           "e-mail address")
    assert advice.fix_in_gp


def test_forgotten_contact_must_sign_up_again_then_retry() -> None:
    advice = advise(_customer(400, "Forgotten Email Not Subscribed", detail_forgotten(EMAIL)))
    assert "permanently deleted" in advice.text and "sign up again" in advice.text and "Retry" in advice.text
    assert advice.retry_helps


def test_compliance_state_must_resubscribe_then_retry() -> None:
    advice = advise(_customer(400, "Member In Compliance State", detail_compliance(EMAIL)))
    assert "unsubscribed, bounced" in advice.text and "THOMASEL0001" in advice.text
    assert advice.retry_helps


def test_merge_field_errors_name_the_field() -> None:
    err = MailchimpError(400, "Invalid Resource", DETAIL_MERGE_INVALID,
                         errors=[{"field": "ADDRESS", "message": "Please enter a complete address"}])
    advice = advise(_customer(400, err.title, _detail_with_fields(err)))
    assert "does not fit the Mailchimp audience's fields (ADDRESS: Please enter a complete address)" in advice.text
    assert advice.retry_helps  # the audience's field may be changed instead of the GP record


def test_an_email_another_store_customer_has() -> None:
    advice = advise(_customer(400, "Bad Request", DETAIL_CUSTOMER_EMAIL_EXISTS))
    assert "already has abrown@example.com" in advice.text and advice.fix_in_gp


def test_a_store_customers_email_cannot_change() -> None:
    advice = advise(_customer(400, "Bad Request", DETAIL_CUSTOMER_EMAIL_IMMUTABLE))
    assert "ask IT" in advice.text and advice.retry_helps


def test_store_or_audience_gone_is_for_it_then_retry() -> None:
    advice = advise(FailedRecord("order", "INV0001", "permanent", 404, "Resource Not Found", DETAIL_NOT_FOUND))
    assert "no longer has the audience or store" in advice.text and advice.retry_helps


@pytest.mark.parametrize(("status", "category"), [(429, "transient"), (503, "transient"), (None, "transient"),
                                                  (500, "permanent")])
def test_busy_or_unreachable_mailchimp_needs_nothing(status: int | None, category: str) -> None:
    advice = advise(_customer(status, "Service Unavailable", "", category))
    assert "tries again by itself" in advice.text and advice.retry_helps


def test_other_validation_errors_point_at_the_gp_record() -> None:
    advice = advise(_customer(400, "Invalid Resource", DETAIL_VALIDATION))
    assert advice.text.startswith("Mailchimp refuses the data of customer THOMASEL0001 as invalid")
    assert advice.fix_in_gp


def test_anything_else_has_a_sensible_default() -> None:
    advice = advise(_customer(400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."))
    assert advice.text.startswith("Mailchimp refused customer THOMASEL0001: check the record in GP")
    assert advice.fix_in_gp
