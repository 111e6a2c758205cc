"""Which failures of a run are news: the one definition the exit code, the status line and the toasts share.

A record that failed this run is *new* unless the failure ledger held it failed before with this very content.
An old failure is *known* when Mailchimp refused the data for good (it waits for a change in GP) and *retrying*
when it failed for a passing reason (the ledger tries it again by time).  Only new failures make a run
partial (``gpmc sync`` exit 1, an amber status): the same three fake e-mails must not turn every later run amber.
"""

from __future__ import annotations

from enum import StrEnum

from gpmc_desktop.store.ledger import LedgerEntry
from gpmc_desktop.store.vocab import FailureCategory


class FailureNews(StrEnum):
    NEW = "new"  # failed this run, and not before with this content: someone should look
    KNOWN = "known"  # refused for good before, unchanged since: waits for a change in GP
    RETRYING = "retrying"  # failed before for a passing reason: retried by time


def failure_news(prior: LedgerEntry | None, content_hash: str, category: FailureCategory | str) -> FailureNews:
    """*prior*: the record's ledger entry as the run found it (None: never failed); *category*: this run's
    failure (a record the ledger held back unsent keeps the category it failed with)."""
    if prior is None or prior.content_hash != content_hash:
        return FailureNews.NEW
    return FailureNews.KNOWN if category == FailureCategory.PERMANENT else FailureNews.RETRYING
