"""The profile's [mapping]: each GP customer field to an audience field, to tags, or nowhere; what a member then
carries, which members a mapping change touches (its content hash), and how tags are kept and retired."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop.gp.model import Customer, PostalAddress
from gpmc_desktop.profile import FieldMapping, SyncFilters, load_profile
from gpmc_desktop.profile.schema import key, section_keys
from gpmc_desktop.sync import field_targets, mapping
from gpmc_desktop.sync.merge_fields import AudienceFields
from gpmc_desktop.sync.plan import MemberPlan, build_plan, fit_members

AUDIENCE = [
    {"tag": "FNAME", "type": "text"}, {"tag": "LNAME", "type": "text"}, {"tag": "ADDRESS", "type": "address"},
    {"tag": "PHONE", "type": "phone", "options": {"phone_format": "US"}}, *mapping.EXTRA_MERGE_FIELDS,
    *(t.merge_field for t in field_targets.TARGETS),
]


def customer(number: str = "AARONFIT0001", email: str = "bob@fitz.com", class_id: str = "USA-ILMO-T1",
             **fields: str) -> Customer:
    return Customer(
        number=number, company_name="Aaron Fitz Electrical", first_name="Bob", last_name="Fitz", email=email,
        email_note="", phone="312-555-0101", class_id=class_id, currency_id="Z-US$", is_active=True,
        is_on_hold=False, modified_date=dt.date(2024, 5, 6),
        address=PostalAddress("One Microsoft Way", "", "Chicago", "IL", "60603", "US"),
        fields=tuple((k, v) for k, v in fields.items() if v),
    )


def member(customers: list[Customer], field_map: FieldMapping, fitted: bool = True) -> MemberPlan:
    plan = build_plan(customers, [], SyncFilters(), "transactional", zone=dt.UTC, field_map=field_map)
    if fitted:
        fit_members(plan, AudienceFields.from_api(AUDIENCE))
    (only,) = plan.members.values()
    return only


FULL = dict(salesperson="ERIN J.", sales_territory="MIDWEST", price_level="RETAIL", payment_terms="NET 30",
            user_defined_1="Contractor", user_defined_2="Trade show")


def test_a_profile_without_mapping_sends_what_earlier_releases_sent() -> None:
    """The file defaults: the class as tags, nothing else; the hash is the one earlier releases stored, so an
    upgrade re-sends nobody."""
    bob = customer(**FULL)
    plan = member([bob], FieldMapping())
    merge = plan.payload["merge_fields"]
    assert set(merge) == {"FNAME", "LNAME", "PHONE", "COMPANY", "GPCUSTNO", "ADDRESS"}
    assert plan.tags == ["GP class: USA-ILMO-T1"]
    earlier = {"email_address": "bob@fitz.com", "status_if_new": "transactional", "merge_fields": {
        "FNAME": "Bob", "LNAME": "Fitz", "PHONE": "312-555-0101", "COMPANY": "Aaron Fitz Electrical",
        "GPCUSTNO": "AARONFIT0001", "ADDRESS": {"addr1": "One Microsoft Way", "addr2": "", "city": "Chicago",
                                                 "state": "IL", "zip": "60603", "country": "US"}}}
    assert plan.hash == mapping.content_hash({"member": earlier, "tags": ["GP class: USA-ILMO-T1"]})


def test_each_field_goes_where_the_mapping_says_and_nowhere_else() -> None:
    field_map = FieldMapping(customer_class="merge_field", salesperson="merge_field", sales_territory="tags",
                             price_level="off", payment_terms="tags", user_defined_1="tags", user_defined_2="off")
    plan = member([customer(**FULL)], field_map)
    merge = plan.payload["merge_fields"]
    assert merge["SALESREP"] == "ERIN J." and merge["GPCLASS"] == "USA-ILMO-T1"
    assert plan.tags == ["GP terms: NET 30", "GP territory: MIDWEST", "GP user-defined 1: Contractor"]
    sent = repr(plan.payload) + repr(plan.tags)
    for unmapped in ("RETAIL", "Trade show", "PRICELEVEL", "GPUSER2", "GP class: "):
        assert unmapped not in sent


def test_mapping_a_field_touches_only_the_members_that_hold_a_value() -> None:
    off, mapped = FieldMapping(), FieldMapping(salesperson="merge_field", sales_territory="tags")
    without = customer()
    assert member([without], mapped).hash == member([without], off).hash
    assert member([without], mapped).payload["merge_fields"]["SALESREP"] == ""
    holder = customer(salesperson="ERIN J.")
    assert member([holder], mapped).hash != member([holder], off).hash
    assert member([customer(sales_territory="EAST")], mapped).hash != member([customer(sales_territory="EAST")],
                                                                             off).hash
    # Unfitted (the plan as built) and fitted alike.
    assert member([without], mapped, fitted=False).hash == member([without], off, fitted=False).hash


def test_a_value_cleared_in_gp_is_sent_empty() -> None:
    mapped = FieldMapping(salesperson="merge_field")
    before, after = member([customer(salesperson="ERIN J.")], mapped), member([customer()], mapped)
    assert before.hash != after.hash
    assert after.payload["merge_fields"]["SALESREP"] == ""


def test_a_member_of_several_customers_gets_each_value_once_whatever_its_case() -> None:
    group = [customer("A1", user_defined_1="Contractor", sales_territory="EAST"),
             customer("A2", user_defined_1="CONTRACTOR", sales_territory="WEST"),
             customer("A3", user_defined_1="contractor")]
    plan = member(group, FieldMapping(user_defined_1="tags", sales_territory="tags"))
    assert plan.tags == ["GP class: USA-ILMO-T1", "GP territory: EAST", "GP territory: WEST",
                         "GP user-defined 1: Contractor"]


def test_tag_changes_retire_our_tags_case_blind_and_leave_peoples_tags() -> None:
    current = [{"name": "GP user-defined 1: contractor"}, {"name": "VIP"}, {"name": "GP territory: EAST"},
               {"name": "GP class: RETAIL"}, {"name": "gp salesperson notes"}]
    changes = mapping.tag_changes(["GP user-defined 1: Contractor", "GP class: RETAIL", "GP terms: NET 30"], current)
    assert changes == [{"name": "GP terms: NET 30", "status": "active"},
                       {"name": "GP territory: EAST", "status": "inactive"}]


def test_turning_tags_off_retires_them() -> None:
    plan = member([customer(sales_territory="EAST")], FieldMapping(customer_class="off"))
    assert plan.tags == []
    changes = mapping.tag_changes(plan.tags, [{"name": "GP class: USA-ILMO-T1"}, {"name": "Newsletter"}])
    assert changes == [{"name": "GP class: USA-ILMO-T1", "status": "inactive"}]


def test_the_schema_and_the_targets_name_the_same_fields_tags_and_prefixes() -> None:
    keys = section_keys("mapping")
    assert [k.name for k in keys] == [t.key for t in field_targets.TARGETS]
    for k in keys:
        target = field_targets.BY_KEY[k.name]
        assert f"audience field {target.merge_tag}," in k.help and f'"{target.tag_prefix}<value>"' in k.help
        # Mailchimp's app takes merge tags of up to 10 capitals, digits or underscores.
        assert len(target.merge_tag) <= 10 and target.merge_tag.isupper() and target.merge_tag.isalnum()
    assert len({t.merge_tag for t in field_targets.TARGETS}) == len(field_targets.TARGETS)
    assert not {t.merge_tag for t in field_targets.TARGETS} & {f["tag"] for f in mapping.EXTRA_MERGE_FIELDS}
    prefixes = [t.tag_prefix.casefold() for t in field_targets.TARGETS]
    assert not any(a != b and a.startswith(b) for a in prefixes for b in prefixes)


def test_a_file_without_mapping_keeps_its_meaning_and_new_app_profiles_start_mapped(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[gp]\nurl = "https://gp"\ncompany = "TWO"\nusername = "CORP\\\\u"\n'
                    '[mailchimp]\nlist_id = "l"\nstore_id = "s"\nautomations = "off"\n', encoding="utf-8")
    assert load_profile(path).mapping == FieldMapping()
    assert FieldMapping().customer_class == "tags"
    assert all(FieldMapping().target(t.key) == "off" for t in field_targets.TARGETS[1:])
    starts: dict[str, Any] = {k.name: k.initial for k in section_keys("mapping")}
    assert starts["salesperson"] == "merge_field" and starts["sales_territory"] == "tags"
    path.write_text(path.read_text(encoding="utf-8") + '[mapping]\nsalesperson = "Tags"\n', encoding="utf-8")
    assert load_profile(path).mapping == dataclasses.replace(FieldMapping(), salesperson="tags")
    path.write_text(path.read_text(encoding="utf-8").replace('"Tags"', '"groups"'), encoding="utf-8")
    with pytest.raises(Exception, match=r"\[mapping\] salesperson = 'groups' is not one of: off, merge_field, tags"):
        load_profile(path)
    assert key("mapping", "price_level").choices == ("off", "merge_field", "tags")
