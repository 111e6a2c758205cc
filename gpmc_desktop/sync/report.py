"""What one run did, in the shape of the ``--json`` line IT scripts read (a published contract)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from gpmc_desktop.store.vocab import Action, Entity, Outcome
from gpmc_desktop.sync.decide import WAITING_FOR
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.field_targets import MappedCounts
from gpmc_desktop.sync.mass_change import MassChange
from gpmc_desktop.sync.merge_fields import FieldMisfit, summary_line
from gpmc_desktop.sync.order_lines import LineCounts
from gpmc_desktop.sync.reconciliation import Reconciliation, RecordOutcomes


class ExitCode(IntEnum):
    OK = 0  # everything synced or unchanged
    PARTIAL = 1  # the run finished but records failed that had not failed before with this content (new failures)
    FAILED = 2  # the run could not proceed; nothing was marked synced that was not
    INTERRUPTED = 130  # stopped by Ctrl-C / SIGTERM / Ctrl-Break (128 + SIGINT, as shells report it)


def empty_counts() -> dict[str, int]:
    """A count per action, keyed by plain strings (Action members index it alike: StrEnum hashes as its value)."""
    return {action.value: 0 for action in Action}


@dataclass
class RunReport:
    run_id: int | None = None
    customers: dict[str, int] = field(default_factory=empty_counts)
    orders: dict[str, int] = field(default_factory=empty_counts)
    outcome: Outcome = Outcome.OK
    error: str = ""
    dry_run: bool = False
    new_contacts: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    ignored_documents: dict[str, int] = field(default_factory=dict)
    backfill: bool = False
    # Merge values the members written this run went without (the audience's fields could not take them).
    fields_left_out: Counter[FieldMisfit] = field(default_factory=Counter)
    # The mass-change guard's count (None: the first load, or the guard is off); ``stops``: nothing was sent.
    mass_change: MassChange | None = None
    # What became of each member, e-commerce customer and order (the engine fills it in), and the run's counts
    # reconciled from GP to Mailchimp once it ends (None when GP could not be read).
    outcomes: RecordOutcomes = field(default_factory=RecordOutcomes)
    reconciliation: Reconciliation | None = None
    # The failed records by news (sync/failure_news.py): only new ones make the run partial (exit 1).
    failure_news: Counter[FailureNews] = field(default_factory=Counter)
    to_send: int = 0  # the records (customers and invoices) this run set out to send
    kind: str = ""  # the run kind it is recorded as (store.vocab.RunKind), "" when no run was started
    # A run sent by Mailchimp batch operations: batches submitted, operations, operations that failed.
    batches: dict[str, int] | None = None
    # A dry run's count of what the profile's [mapping] sends (None: not a dry run, or GP was not read).
    mapped: MappedCounts | None = None
    # A dry run's count of the orders' lines, when the profile reads sales invoices (sync/order_lines.py).
    order_lines: LineCounts | None = None
    # A dry run's finding that the audience would hold more fields than most plans allow: (the fields it holds
    # with the e-mail address, the names of those the sync would add).  None: room enough, or not a dry run.
    fields_over_limit: tuple[int, list[str]] | None = None

    @property
    def waits_for_decision(self) -> bool:
        """Stopped by the mass-change guard: nothing was sent, a person must confirm the changes."""
        return self.mass_change is not None and self.mass_change.stops and not self.dry_run

    def counts(self, entity: Entity) -> dict[str, int]:
        """The action counts of customers or orders."""
        return self.customers if entity == Entity.CUSTOMER else self.orders

    def count_skip(self, entity: Entity, reason: str) -> None:
        """One record left out, tallied under its reason without the record-specific detail in parentheses
        (an invoice waiting for a customer that failed keeps it: which customer, and why, is the point)."""
        self.counts(entity)[Action.SKIPPED] += 1
        tally = reason if reason.startswith(WAITING_FOR) else reason.split(" (")[0]
        self.skip_reasons[f"{entity}: {tally}"] += 1

    def left_out_by_tag(self) -> dict[str, int]:
        """Values left out whole, by merge tag (a phone sent without its extension is not counted)."""
        counts: Counter[str] = Counter()
        for key, n in self.fields_left_out.items():
            if key.misfit.drops_value:
                counts[key.tag] += n
        return dict(sorted(counts.items()))

    def left_out_lines(self) -> list[str]:
        """The merge values left out, in plain words, largest count first (a dry run says "will be")."""
        return [summary_line(key, n, done=not self.dry_run) for key, n in self.fields_left_out.most_common()]

    def field_room_line(self) -> str:
        """The dry run's warning that the first sync would stop for want of room for its audience fields."""
        if self.fields_over_limit is None:
            return ""
        held, new = self.fields_over_limit
        return (f"The audience holds {held} fields with the e-mail address and the sync would add {len(new)} "
                f"({', '.join(new)}): most Mailchimp plans allow 30, so the sync may stop before writing any contact. "
                "Delete audience fields you no longer use in Mailchimp, or send those GP fields as tags.")

    def notes(self) -> dict[str, int]:
        """What the runs table keeps beside the counts (under store.runs.RUN_NOTES), for the status after a restart."""
        return {"to_send": self.to_send, **{f"{news}_failures": self.failure_news[news] for news in FailureNews}}

    @property
    def exit_code(self) -> ExitCode:
        if self.outcome == Outcome.CANCELLED:
            # The engine stopped at a cancel (in `gpmc sync`, the first Ctrl-C): what was sent is recorded,
            # the rest waits for the next run.  Not a success, and not a failure to look into.
            return ExitCode.INTERRUPTED
        if self.outcome == Outcome.FAILED:
            return ExitCode.FAILED
        if self.outcome == Outcome.PARTIAL:
            # The engine's word: records failed that had not failed before with this content.  Known failures
            # (the ledger's, waiting for a change in GP) leave the run OK, so they do not exit 1 every day.
            return ExitCode.PARTIAL
        return ExitCode.OK

    def json_line(self) -> dict[str, Any]:
        """The contract: ``run_id``, ``customers`` and ``orders`` with the five action counts; more keys may
        be added, none renamed."""
        line: dict[str, Any] = {
            "run_id": self.run_id,
            "customers": dict(self.customers),
            "orders": dict(self.orders),
            "outcome": str(self.outcome),
            "exit_code": int(self.exit_code),
            "dry_run": self.dry_run,
            "fields_left_out": self.left_out_by_tag(),
            "failures": {str(news): self.failure_news[news] for news in FailureNews},
        }
        if self.kind:
            line["kind"] = str(self.kind)
        if self.dry_run:
            line["new_contacts"] = self.new_contacts
        if self.reconciliation is not None:
            line["reconciliation"] = self.reconciliation.as_json()
        if self.error:
            line["error"] = self.error
        if self.batches is not None:
            line["batches"] = dict(self.batches)
        if self.mass_change is not None and self.mass_change.over_limit:
            line["mass_change"] = {**self.mass_change.as_json(),
                                   "message": self.mass_change.message(dry_run=self.dry_run)}
        return line
