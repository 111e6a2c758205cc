"""How an SBA URL names the company: ``Companies(<segment>)``, and which spellings of it to try.

Every published SBA URL names the company by its display name (``Companies(Fabrikam,%20Inc.)``), some with the
comma raw, some percent-encoded; whether a server also takes the database name (``TWO``) is unconfirmed.  So the
client tries the display name first, then the database name, each percent-encoded and, when it holds commas or
parentheses, with those raw — and keeps the spelling the server accepted (:class:`CompanyAddress`), for the life
of the source and, through the runner's state store, for later runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import quote

DISPLAY_NAME = "display name"
DATABASE_NAME = "database name"
AS_GIVEN = "name as given"
_PUNCTUATION = ",()"


class ListedCompany(Protocol):
    @property
    def database(self) -> str: ...

    @property
    def name(self) -> str: ...

    def label(self) -> str: ...


@dataclass(frozen=True)
class CompanyAddress:
    """One spelling of the company in the URL, and what it was tried for.  ``company``, ``url`` and ``tenant``
    are the profile's values it was found with: a remembered address is only reused for the same three."""

    segment: str  # between "Companies(" and ")", exactly as sent
    form: str  # DISPLAY_NAME, DATABASE_NAME or AS_GIVEN
    name: str  # the name in it, decoded
    raw_punctuation: bool  # commas and parentheses sent as they are, not percent-encoded
    company: str
    url: str
    tenant: str
    label: str = ""  # "TWO (Fabrikam, Inc.)", as the company list names it; the profile's value when unlisted

    def words(self) -> str:
        """What the server accepted, in plain words: 'GP accepted its display name "Fabrikam, Inc." ...'."""
        if self.form == AS_GIVEN:
            said = f'GP accepted "{self.name}" in the address as written in the profile (the company list does ' \
                   "not show it to this user)"
        else:
            said = f'GP accepted its {self.form} "{self.name}" in the address'
        return said + (", with commas and parentheses written as they are (not percent-encoded)"
                       if self.raw_punctuation else "")

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, value: Any) -> CompanyAddress | None:
        """A remembered address, or None for anything unreadable (an older or hand-edited state)."""
        if not isinstance(value, Mapping):
            return None
        try:
            address = cls(**{k: value[k] for k in cls.__dataclass_fields__ if k in value})
        except TypeError:
            return None
        fields = (address.segment, address.form, address.name, address.company, address.url, address.tenant)
        return address if all(isinstance(v, str) for v in fields) else None

    def serves(self, company: str, url: str, tenant: str) -> bool:
        """Whether this address was found for these profile values (a changed company must never reuse it)."""
        return (self.company.casefold(), self.url.casefold(), self.tenant.casefold()) == (
            company.casefold(), url.casefold(), tenant.casefold())


def matching(companies: list[ListedCompany], wanted: str) -> ListedCompany | None:
    """The listed company whose database or display name is *wanted* (trimmed, any case)."""
    key = " ".join(wanted.split()).casefold()
    for company in companies:
        if key in (" ".join(company.database.split()).casefold(), " ".join(company.name.split()).casefold()):
            return company
    return None


def spellings(name: str) -> Iterator[tuple[str, bool]]:
    """(segment, raw punctuation) for *name*: percent-encoded, then with its commas and parentheses raw."""
    yield quote(name, safe=""), False
    if any(ch in name for ch in _PUNCTUATION):
        yield quote(name, safe=_PUNCTUATION), True


def candidates(
    wanted: str, companies: list[ListedCompany], *, url: str, tenant: str
) -> Iterator[CompanyAddress]:
    """Every address to try for the profile's company *wanted*, in order: its display name, then its database
    name; a company the list does not show (a user may not see every company) as the profile gives it."""
    found = matching(companies, wanted)
    names: list[tuple[str, str]] = []
    if found is None:
        names.append((" ".join(wanted.split()), AS_GIVEN))
        label = wanted
    else:
        names += [(found.name, DISPLAY_NAME), (found.database, DATABASE_NAME)]
        label = found.label()
    seen: set[str] = set()
    for name, form in names:
        for segment, raw in spellings(name) if name else ():
            if segment not in seen:
                seen.add(segment)
                yield CompanyAddress(segment, form, name, raw, wanted, url, tenant, label)
