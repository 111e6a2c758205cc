"""Typed merge fields, end to end: a US-format audience takes every member of the dirty demo data, with the values
that fit its fields; what does not fit is left out, said in the audit and counted alike by the dry run, the real
run, ``gpmc sync`` and (see tests/ui) the wizard's preview."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import requests

from gpmc_desktop import store
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload
from gpmc_desktop.demo.mailchimp_sim import subscriber_hash
from gpmc_desktop.gp.model import Customer, Document, PostalAddress
from gpmc_desktop.gp.sba_shapes import customer_from_sba
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.engine import SyncEngine
from gpmc_desktop.sync.merge_fields import FieldMisfit, Misfit, summary_line
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import save_profile_settings
from tests.sync.engine_support import FAST_RETRY, Demo, assert_matches_expectation, demo_fixture, expected_state

demo = demo_fixture("demo", 200)

NPA_NXX_LINE = re.compile(r"\d{3}-\d{3}-\d{4}")
# How GP's phones look in the demo data: digits GP formatted, or typed with parentheses, maybe with an extension.
US_SHAPES = (re.compile(r"(\d{3})-(\d{3})-(\d{4})(?: x(\d+))?"), re.compile(r"\((\d{3})\) (\d{3})-(\d{4})"))
ABROAD = {"GB", "DE", "NO", "MX"}


def gp_customers(demo: Demo) -> dict[str, Customer]:
    """Every GP customer as the GP client reads it, straight from the data set."""
    with demo.env.dataset.lock:
        raws = [customer_payload(demo.company, c, ShapeOptions()) for c in demo.company.customers.values()]
    return {c.number: c for c in map(customer_from_sba, raws)}


def api_session(demo: Demo) -> requests.Session:
    session = requests.Session()
    session.auth = ("gpmc", demo.env.api_key)
    return session


def set_phone_format(demo: Demo, phone_format: str) -> None:
    """What the audience's owner does in Mailchimp: switch the PHONE field's format (through the API)."""
    with api_session(demo) as session:
        base = f"{demo.sim.api_base}/lists/{demo.list_id}/merge-fields"
        phone = next(f for f in session.get(base, timeout=10).json()["merge_fields"] if f["tag"] == "PHONE")
        answer = session.patch(f"{base}/{phone['merge_id']}", timeout=10,
                               json={"name": phone["name"], "options": {"phone_format": phone_format}})
        assert answer.status_code == 200, answer.text


def audit_reasons(demo: Demo, run_id: int | None) -> dict[str, str]:
    """The customer audit rows' reasons of one run, by GP customer number."""
    def read(profile_id: int) -> dict[str, str]:
        page = store.audit_page(store.AuditFilter(profile_id=profile_id, run_id=run_id, entity="customer"),
                                limit=10_000)
        return {row.gp_key: row.reason or "" for row in page.rows}

    return dict(demo.with_store(read))


def test_a_us_format_audience_takes_every_member_with_the_values_that_fit(demo: Demo) -> None:
    demo.sim.config.fake_email_domains = set()  # this Mailchimp refuses no address: only merge fields could fail
    exp = expected_state(demo)
    gp = gp_customers(demo)
    primaries = {email: gp[number] for email, number in exp.members.items()}
    abroad = {e: c for e, c in primaries.items() if c.phone and c.address.country_code in ABROAD}
    reshaped = {}  # e-mail -> (the number Mailchimp must hold, the extension GP has, if any)
    for email, c in primaries.items():
        match = next((m for m in (s.fullmatch(c.phone) for s in US_SHAPES) if m), None)
        if match and c.address.country_code not in ABROAD and not NPA_NXX_LINE.fullmatch(c.phone):
            a, b, line, *ext = match.groups()
            reshaped[email] = (f"{a}-{b}-{line}", ext[0] if ext else None)
    incomplete = {e: c for e, c in primaries.items()
                  if (c.address.line1 or c.address.city) and not c.address.is_complete}
    # The demo data has each case, so nothing below holds vacuously.
    assert len(abroad) >= 3 and len(incomplete) >= 3
    assert any(ext for _, ext in reshaped.values()) and any(not ext for _, ext in reshaped.values())
    phone_field = next(f for f in demo.sim.merge_fields(demo.list_id) if f["tag"] == "PHONE")
    assert phone_field["options"]["phone_format"] == "US"

    # As GP holds them, these phones fail the whole member write: the sync cannot send them unchanged.
    email, c = next((e, gp[exp.members[e]]) for e in reshaped)
    with api_session(demo) as session:
        refused = session.put(f"{demo.sim.api_base}/lists/{demo.list_id}/members/{subscriber_hash(email)}",
                              json={"email_address": email, "status_if_new": "transactional",
                                    "merge_fields": {"PHONE": c.phone}}, timeout=10)
    assert refused.status_code == 400 and refused.json()["detail"] == "Your merge fields were invalid."

    demo.sim.reset_counters()
    predicted = demo.run(dry_run=True)
    assert demo.sim.writes == 0
    result = demo.cli()

    assert result.code == 0, result.stderr  # every member synced
    line = result.json
    assert line["customers"]["failed"] == 0 and line["customers"]["created"] == len(exp.synced)
    assert demo.failures("customer") == {}  # none ledgered, so no order held back
    assert_matches_expectation(demo, exp)
    # The dry run counted what the real run left out, value for value.
    assert line["fields_left_out"] == predicted.left_out_by_tag()
    assert line["fields_left_out"]["PHONE"] >= len(abroad) and line["fields_left_out"]["ADDRESS"] == len(incomplete)
    for key, n in predicted.fields_left_out.items():
        assert summary_line(key, n, done=True) in result.stderr  # `gpmc sync` prints them
    assert predicted.fields_left_out[FieldMisfit("PHONE", Misfit.EXTENSION)] == len(
        [1 for _, ext in reshaped.values() if ext])

    members = {m["email_address"]: m["merge_fields"] for m in demo.sim.members(demo.list_id)}
    assert all(v.get("PHONE", "") == "" or NPA_NXX_LINE.fullmatch(v["PHONE"]) for v in members.values())
    reasons = audit_reasons(demo, line["run_id"])
    for email, (number, ext) in reshaped.items():
        assert members[email]["PHONE"] == number
        if ext:
            assert (f"PHONE sent as {number} without its extension x{ext}: the audience's US phone format has no "
                    "room for one") in reasons[exp.members[email]]
    for email, c in abroad.items():
        assert members[email]["PHONE"] == ""
        assert (f"PHONE left out: {c.phone} is not a US number (the customer's address is in "
                f"{c.address.country_code}), and the audience's phone field takes US numbers only"
                ) in reasons[c.number]
    for email, c in incomplete.items():
        assert "ADDRESS" not in members[email]
        assert "ADDRESS left out: it has no " in reasons[c.number]
    # One audit row says so for every value counted.
    assert sum("PHONE left out:" in r for r in reasons.values()) == line["fields_left_out"]["PHONE"]
    assert sum("ADDRESS left out:" in r for r in reasons.values()) == line["fields_left_out"]["ADDRESS"]


def test_switching_the_phone_field_to_international_sends_the_left_out_numbers(demo: Demo) -> None:
    demo.sim.config.fake_email_domains = set()
    exp = expected_state(demo)
    gp = gp_customers(demo)
    first = demo.run()
    assert first.fields_left_out[FieldMisfit("PHONE", Misfit.NOT_US_PHONE)] >= 3
    # Left out, sent without an extension, or reshaped into NPA-NXX-LINE.
    not_as_gp = [e for e, number in exp.members.items()
                 if demo.sim.member(demo.list_id, e)["merge_fields"]["PHONE"] != gp[number].phone]
    assert len(not_as_gp) > sum(n for key, n in first.fields_left_out.items() if key.tag == "PHONE")

    set_phone_format(demo, "International")
    predicted = demo.run(dry_run=True)
    second = demo.run()

    # Exactly the members whose phone did not go as GP holds it are sent again; the rest stay unchanged.
    assert second.customers["updated"] == predicted.customers["updated"] == len(not_as_gp)
    assert second.customers["failed"] == 0
    assert not [key for key in second.fields_left_out if key.tag == "PHONE"]
    for email, number in exp.members.items():
        assert demo.sim.member(demo.list_id, email)["merge_fields"]["PHONE"] == gp[number].phone
    assert demo.run().customers["updated"] == 0  # and then they are in step


# ---------------------------------------------------------------------------------------- a value GP never sends
class FixedSource:
    """A GP stand-in with given customers (GP's own columns cannot hold text this long)."""

    def __init__(self, customers: list[Customer]) -> None:
        self._customers = customers

    def customers(self) -> list[Customer]:
        return list(self._customers)

    def documents(self) -> list[Document]:
        return []


def run_engine(demo: Demo, source: FixedSource, *, dry_run: bool = False) -> RunReport:
    profile, key = demo.profile(), demo.env.secrets.mailchimp_api_key
    with store.open_store(demo.db_path):
        profile_id = save_profile_settings(profile)
        transport = MailchimpTransport(api_base_for(key, profile.mailchimp.api_base), key,
                                       max_connections=profile.mailchimp.max_connections, retry=FAST_RETRY)
        try:
            engine = SyncEngine(profile, source, MailchimpApi(transport), Bookkeeping(profile_id))
            return engine.run(dry_run=dry_run)
        finally:
            transport.close()


def long_named(company: str) -> Iterator[Customer]:
    yield Customer(
        number="LONGNAME0001", company_name=company, first_name="Ann", last_name="Lee",
        email="ann.lee@contoso-supplies.com", email_note="", phone="(404) 555-0123",
        address=PostalAddress("1 Peachtree St", "", "Atlanta", "GA", "30303", "US"), class_id="", currency_id="",
        is_active=True, is_on_hold=False, modified_date=dt.date(2024, 5, 6),
    )


def test_text_longer_than_mailchimp_keeps_is_left_out_not_cut(demo: Demo) -> None:
    company = "Überseehandelsgesellschaft " * 10  # 280 bytes
    source = FixedSource(list(long_named(company)))
    predicted = run_engine(demo, source, dry_run=True)
    real = run_engine(demo, source)

    assert real.exit_code == 0 and real.customers["created"] == 1
    assert real.fields_left_out == predicted.fields_left_out == {FieldMisfit(mapping.TAG_COMPANY, Misfit.TOO_LONG): 1}
    merge: dict[str, Any] = demo.sim.member(demo.list_id, "ann.lee@contoso-supplies.com")["merge_fields"]
    assert merge[mapping.TAG_COMPANY] == ""  # never a cut name that GP does not hold
    assert (merge["FNAME"], merge["PHONE"], merge["ADDRESS"]["city"]) == ("Ann", "404-555-0123", "Atlanta")
    assert audit_reasons(demo, real.run_id)["LONGNAME0001"] == (
        "COMPANY left out: 280 bytes, longer than the 255 bytes Mailchimp keeps in a field")
