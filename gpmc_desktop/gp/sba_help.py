"""A resource GP does not serve where the profile says, explained from the tenant's ``/help`` page.

Microsoft's list of SBA services reads "Sales › Customer Addresses, Customers, Receivables › Transactions": a
server may keep a resource one level deeper than the client's default.  Once the company is known to answer, a
404 for a resource means the path is wrong, not the company; the help page lists what the server does offer.
"""

from __future__ import annotations

import html
import re

from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.profile.schema import key

_TAG = re.compile(r"<[^>]*>")
# "Sales/Customers", "Sales/Receivables/Transactions": a path under Sales, stopping at a key "(…)", a "[.json]"
# or ".json" suffix, or anything else that is not part of a name.
_SALES_PATH = re.compile(r"(?<![A-Za-z0-9_])Sales(?:/[A-Za-z_][A-Za-z0-9_]*)+")
_INVENTORY_PATH = re.compile(r"(?<![A-Za-z0-9_])Inventory(?:/[A-Za-z_][A-Za-z0-9_]*)+")  # where items are kept


class MissingResource(GPError):
    """GP answered 404 for a resource of a company that does answer: the resource path is wrong."""

    def __init__(self, message: str, hint: str, *, path: str, key_name: str, listing: str) -> None:
        super().__init__(Stage.COMPANY, f"{message} {listing}", hint)
        self.path = path
        self.key_name = key_name
        self.listing = listing  # what the help page offers (or why it could not be read), one sentence


def offered_paths(page: str) -> list[str]:
    """Every ``Sales/...`` resource path a help page mentions, in order, once each (tags and entities read as
    text, so a path split by markup still counts)."""
    return _mentioned(page, _SALES_PATH)


def _mentioned(page: str, path: re.Pattern[str]) -> list[str]:
    """Every path of *path*'s kind a help page mentions, once each, tags and entities read as text."""
    return list(dict.fromkeys(path.findall(html.unescape(_TAG.sub(" ", page)))))


def item_paths(page: str) -> list[str]:
    """The ``Inventory/...`` item resources a help page mentions (where a sales line's item is described)."""
    return [p for p in _mentioned(page, _INVENTORY_PATH) if p.endswith("Items")]


def sales_document_paths(paths: list[str]) -> list[str]:
    """The resources among *paths* that look like sales (SOP) documents: what could hold invoice lines."""
    return [p for p in paths if re.search(r"Sales/(?:Sales|Invoice|Order)|Document", p)]


def missing_resource(
    *, path: str, key_name: str, what: str, company: str, offered: list[str] | None, unread: str = ""
) -> MissingResource:
    """The error for *path* (profile key ``[gp] key_name``) missing in *company*: *offered* are the paths the
    help page lists (None when it could not be read, *unread* saying why)."""
    k = key("gp", key_name)
    if offered is None:
        listing = f"The server's help page could not be read ({unread}), so gpmc cannot list what it offers."
    elif offered:
        listing = f"The server's help page lists: {', '.join(offered)}."
    else:
        listing = "The server's help page lists nothing under Sales."
    return MissingResource(
        f"GP has no {path} resource for company {company}.",
        f"Set {k.path} to the one that holds {what} (Advanced settings › {k.label}).",
        path=path, key_name=key_name, listing=listing,
    )
