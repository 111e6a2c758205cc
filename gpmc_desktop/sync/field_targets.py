"""Where a profile's ``[mapping]`` sends each GP customer field in Mailchimp: an audience field (merge field) of
its own, or a tag per value.

Each field has one fixed merge tag (at most 10 characters, Mailchimp's limit in its app) and one tag prefix, so a
value is found again run after run and an old value's tag can be retired by its prefix, as the class tags always
were.  Tags compare without regard to case: Mailchimp keeps one tag per name whatever its case (a tag is a static
segment, and segment names are matched case-blind — DynamoMTL/spree_chimpy#15), so "Contractor" and "CONTRACTOR"
are the same tag there and must not be retired for each other here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gpmc_desktop.gp.customer_fields import CUSTOMER_FIELDS
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.profile import FieldMapping

MERGE_FIELD = "merge_field"
TAGS = "tags"
OFF = "off"


@dataclass(frozen=True)
class FieldTarget:
    key: str  # the [mapping] key, and gp/customer_fields.py's key
    label: str  # the admin's words for it
    merge_tag: str
    merge_name: str  # the audience field's name, as Mailchimp's app shows it
    tag_prefix: str

    def value(self, customer: Customer) -> str:
        return customer.class_id if self.key == "customer_class" else customer.value_of(self.key)

    def tag(self, value: str) -> str:
        return f"{self.tag_prefix}{value}"

    @property
    def merge_field(self) -> dict[str, Any]:
        """The definition a run creates when the audience lacks it."""
        return {"tag": self.merge_tag, "name": self.merge_name, "type": "text", "public": False}


_TAGS = {"salesperson": ("SALESREP", "GP salesperson: "), "sales_territory": ("TERRITORY", "GP territory: "),
         "price_level": ("PRICELEVEL", "GP price level: "), "payment_terms": ("PAYTERMS", "GP terms: "),
         "user_defined_1": ("GPUSER1", "GP user-defined 1: "), "user_defined_2": ("GPUSER2", "GP user-defined 2: ")}
CLASS = FieldTarget("customer_class", "Customer class", "GPCLASS", "GP customer class", "GP class: ")
TARGETS: tuple[FieldTarget, ...] = (CLASS, *(
    FieldTarget(f.key, f.label, _TAGS[f.key][0], f"GP {f.label.lower()}", _TAGS[f.key][1]) for f in CUSTOMER_FIELDS
))
BY_KEY = {t.key: t for t in TARGETS}
BY_TAG = {t.merge_tag: t for t in TARGETS}
TAG_PREFIXES = tuple(t.tag_prefix for t in TARGETS)
# Merge tags whose empty value is left out of a member's content hash: mapping a field to an audience field then
# re-sends only the members that hold a value (a value GP clears still changes the hash, and "" is sent).
MAPPED_MERGE_TAGS = frozenset(t.merge_tag for t in TARGETS)


def targets(field_map: FieldMapping, kind: str) -> tuple[FieldTarget, ...]:
    """The fields *field_map* sends as *kind* ("merge_field" or "tags")."""
    return tuple(t for t in TARGETS if field_map.target(t.key) == kind)


def merge_fields(field_map: FieldMapping) -> tuple[dict[str, Any], ...]:
    """The definitions of the audience fields *field_map* sends values to."""
    return tuple(t.merge_field for t in targets(field_map, MERGE_FIELD))


def merge_values(customer: Customer, field_map: FieldMapping) -> dict[str, str]:
    """The mapped audience-field values of *customer* ("" where GP holds none: a value GP cleared is cleared)."""
    return {t.merge_tag: t.value(customer) for t in targets(field_map, MERGE_FIELD)}


def member_tags(group: Iterable[Customer], field_map: FieldMapping) -> list[str]:
    """The tags of the member of every GP customer in *group* (one e-mail): each mapped value any of them holds,
    one tag per value whatever its case (the first spelling in GP number order wins)."""
    chosen = targets(field_map, TAGS)
    seen: dict[str, str] = {}
    for customer in group:
        for target in chosen:
            value = target.value(customer)
            if value:
                tag = target.tag(value)
                seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values())


def is_ours(tag: str) -> bool:
    """A tag this sync sets (and so retires when GP no longer calls for it); tags people add are left alone."""
    return tag.startswith(TAG_PREFIXES)


@dataclass
class MappedCounts:
    """What a preview says the mapping sends: per mapped field, the contacts carrying a value and the different
    values (tags: the different tags) among them."""

    contacts: dict[str, int] = field(default_factory=dict)
    values: dict[str, set[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # "merge_field" or "tags"

    def add_members(self, members: Iterable[tuple[Customer, list[str]]], field_map: FieldMapping) -> None:
        """Count each member, given as its primary GP customer (whose values its audience fields carry) and its
        tags."""
        merge, tagged = targets(field_map, MERGE_FIELD), targets(field_map, TAGS)
        for kind, chosen in ((MERGE_FIELD, merge), (TAGS, tagged)):
            for target in chosen:
                self.contacts.setdefault(target.key, 0)
                self.values.setdefault(target.key, set())
                self.kinds[target.key] = kind
        for primary, tags in members:
            for target in merge:
                if value := target.value(primary):
                    self.contacts[target.key] += 1
                    self.values[target.key].add(value)
            for target in tagged:
                mine = [t.casefold() for t in tags if t.startswith(target.tag_prefix)]
                if mine:
                    self.contacts[target.key] += 1
                    self.values[target.key].update(mine)

    def lines(self) -> list[str]:
        """One line per mapped field, in the mapping's order: where it goes and how many contacts carry it."""
        out = []
        for target in TARGETS:
            if target.key not in self.contacts:
                continue
            n, kinds = self.contacts[target.key], len(self.values[target.key])
            contacts = f"{n:,} contact{'s' if n != 1 else ''}"
            if self.kinds[target.key] == MERGE_FIELD:
                out.append(f"{target.label}: the audience field {target.merge_tag}, filled on {contacts} "
                           f"({kinds:,} different value{'s' if kinds != 1 else ''})")
            else:
                out.append(f"{target.label}: {kinds:,} tag{'s' if kinds != 1 else ''} like "
                           f"\u201c{target.tag_prefix}\u2026\u201d, on {contacts}")
        return out
