"""A poll that finds GP exactly as the last run found it ends as a poll with nothing to do would, without planning a
single record.

A real run that found nothing to do (every part quiet: nothing sent, audited, resolved or failed) leaves a memo:
the prints of GP's two answers (gp/answer_prints.py), the audience's merge fields, what the run told (counts,
skips, reconciliation), and what it depended on besides GP: the profile's settings, the engine state it reads,
this build, and the number of writes ever made to the profile's synced state, failure ledger and batches in
flight (store.state_changes, kept by triggers).  A run that sent leaves the memo of the poll after it instead,
when that poll would find nothing to do: its sent parts surveyed again against the state it left
(engine ``_rehearse``).  A later poll whose context and write count are the same and whose GP answers match the
prints block by block is that quiet poll again: the same decisions over the same records and the same synced
state.  It still reads Mailchimp's store and fields as any run does; anything else that differs sends it down the
ordinary path, which plans every record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gpmc_desktop import __version__
from gpmc_desktop.gp.answer_prints import AnswerPrint
from gpmc_desktop.profile import Profile
from gpmc_desktop.profile.document import profile_to_mapping
from gpmc_desktop.store import AUTOMATIONS_APPLIED, BACKFILL_DONE, BACKFILL_IN_PROGRESS
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.mapping import content_hash
from gpmc_desktop.sync.mass_change import MISSING_STATE, EntityChange, MassChange, read_missing
from gpmc_desktop.sync.reconciliation import Reconciliation
from gpmc_desktop.sync.report import RunReport

STATE_KEY = "quiet_poll"  # the memo, in the profile's engine state
FORMAT = 2  # the memo's own shape and the meaning of its parts: a change here drops every memo
# The engine state a run's decisions read besides the synced tables (those are counted by store.state_changes).
STATE_READ = (BACKFILL_DONE, BACKFILL_IN_PROGRESS, AUTOMATIONS_APPLIED, MISSING_STATE)


def context(profile: Profile, state: Mapping[str, str | None], part_size: int, day: dt.date) -> str:
    """What a run depends on besides GP's answers, Mailchimp's fields and the synced tables: the profile's
    settings, the engine *state* it reads (:data:`STATE_READ`), how many customers one plan holds, this build,
    and the company's *day* (an invoice voided without any date is cancelled as of today)."""
    read = {**state, MISSING_STATE: {k: sorted(v) for k, v in read_missing(state.get(MISSING_STATE)).items()}}
    return content_hash({"format": FORMAT, "build": __version__, "profile": profile_to_mapping(profile),
                    "state": read, "part": part_size, "day": day.isoformat()})


def fields_print(definitions: list[dict[str, Any]]) -> str:
    """The audience's merge fields as Mailchimp lists them (what fits them decides what members carry)."""
    return content_hash(definitions)


@dataclass(frozen=True)
class QuietStart:
    """A run's context and the profile's write count, taken before it reads GP."""

    context: str
    changes: int


@dataclass(frozen=True)
class QuietMemo:
    """What a quiet run left for the polls after it (see the module's docstring)."""

    context: str
    changes: int
    customers: AnswerPrint
    documents: AnswerPrint
    fields: str
    currency: str
    told: dict[str, Any]  # the run's counts, skips, guard and reconciliation

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "context": self.context, "changes": self.changes,
                "customers": self.customers.as_json(), "documents": self.documents.as_json(),
                "fields": self.fields, "currency": self.currency, "told": self.told}

    @classmethod
    def from_json(cls, data: Any) -> QuietMemo | None:
        """The memo, or None when there is none or it is not one this build reads."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            return None
        try:
            return cls(str(data["context"]), int(data["changes"]), AnswerPrint.from_json(data["customers"]),
                       AnswerPrint.from_json(data["documents"]), str(data["fields"]), str(data["currency"]),
                       dict(data["told"]))
        except (KeyError, TypeError, ValueError):
            return None

    def matches(self, start: QuietStart) -> bool:
        return (self.context, self.changes) == (start.context, start.changes)

    @property
    def reconciliation(self) -> Reconciliation:
        return Reconciliation.from_json(self.told["reconciliation"])

    @property
    def totals(self) -> tuple[int, int]:
        """The run's e-mail addresses and GP invoices (its progress totals)."""
        return int(self.told["addresses"]), int(self.told["invoices"])

    def tell(self, report: RunReport) -> None:
        """What the quiet run told, into *report*."""
        told = self.told
        report.customers.update(told["customers"])
        report.orders.update(told["orders"])
        report.skip_reasons.update(told["skip_reasons"])
        report.ignored_documents = dict(told["ignored_documents"])
        report.failure_news.update({FailureNews(news): int(n) for news, n in told["failure_news"].items()})
        guard = told.get("guard")
        if guard is not None:
            report.mass_change = MassChange(
                float(guard["limit"]), EntityChange("customers", int(guard["customers"]), Counter()),
                EntityChange("invoices", int(guard["invoices"]), Counter()))


def told_by(report: RunReport, reconciliation: Reconciliation, totals: tuple[int, int]) -> dict[str, Any]:
    """The parts of a quiet run's *report* a memo keeps (its guard counted no change, or there is none)."""
    guard = report.mass_change
    addresses, invoices = totals
    return {"customers": dict(report.customers), "orders": dict(report.orders),
            "skip_reasons": dict(report.skip_reasons), "ignored_documents": dict(report.ignored_documents),
            "failure_news": {str(news): n for news, n in report.failure_news.items() if n},
            "guard": None if guard is None else {"limit": guard.limit, "customers": guard.customers.synced,
                                                 "invoices": guard.orders.synced},
            "reconciliation": reconciliation.as_json(), "addresses": addresses, "invoices": invoices}
