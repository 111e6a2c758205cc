"""One poll cycle: read GP, decide what changed, write it to Mailchimp, remember what was written.

Order of work (Mailchimp's dependencies): store → merge fields → product → members and e-commerce customers
(one per e-mail; a customer to write goes in its first new order's POST when it has one) → orders → the store
customers no e-mail or order needs any more.  Every Mailchimp write is an idempotent upsert, a create that
tolerates "already exists" or a delete that tolerates "not found", and the local state is written only after
Mailchimp accepted a record, so killing the process at any instant and running again converges with no
duplicates and nothing lost.  Worker threads only talk to Mailchimp; all database writes happen on the engine's
own thread.  What each record should become is decided in :mod:`gpmc_desktop.sync.decide`, for the dry run and
the real run alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import threading
from collections import ChainMap
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from gpmc_desktop import heap
from gpmc_desktop.gp.answer_prints import AnswerPrint, PrintTaker
from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.batches import BatchClient
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.profile import Profile
from gpmc_desktop.store import (
    AUTOMATIONS_APPLIED,
    BACKFILL_DONE,
    BACKFILL_IN_PROGRESS,
    Action,
    Entity,
    LedgerEntry,
    NewAuditEvent,
    Outcome,
    RunKind,
    SyncedMap,
    SyncedState,
)
from gpmc_desktop.store.bulk import chunks
from gpmc_desktop.store.runs import RUN_NOTES
from gpmc_desktop.sync import buyer_address, field_targets, mapping, mass_change, order_lines, quiet_poll
from gpmc_desktop.sync.archived import archived_print
from gpmc_desktop.sync.automations import OFF, ON, keeps_store_syncing
from gpmc_desktop.sync.batch_backfill import BatchBackfill, BatchesUnfinished, BatchSettings
from gpmc_desktop.sync.batch_work import Record, Work, group_work, order_work
from gpmc_desktop.sync.bookkeeping import Bookkeeping, failure_category
from gpmc_desktop.sync.business_dates import company_zone
from gpmc_desktop.sync.decide import (
    GONE_ORDER_HASH,
    CustomerDecision,
    Decision,
    Forecast,
    MemberGroup,
    OrderDecision,
    decide_orders,
    forecast,
    ledger_hash,
    order_reason,
    sendable_customers,
    surplus_buyers,
)
from gpmc_desktop.sync.failure_news import FailureNews, failure_news
from gpmc_desktop.sync.gp_read import SHARD_CUSTOMERS, GPRead
from gpmc_desktop.sync.mass_change import MISSING_STATE, MassChange, assess, read_missing, write_missing
from gpmc_desktop.sync.merge_fields import AudienceFields
from gpmc_desktop.sync.plan import BuyerPlan, CustomerPlan, MemberPlan, OrderPlan, Plan, build_plan, fit_members
from gpmc_desktop.sync.progress_throttle import ProgressCallback
from gpmc_desktop.sync.progress_words import CHECKING
from gpmc_desktop.sync.quiet_poll import QuietMemo, QuietStart
from gpmc_desktop.sync.reconciliation import Holdings, Reconciliation, RecordOutcomes, Tally, held_money
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.resumed import Resumed

ProgressFn = ProgressCallback  # phase, done, total (sync/progress_throttle.py)
T = TypeVar("T")
R = TypeVar("R")

FLUSH_EVERY = 200


class GPSource(Protocol):
    """GP's records; a source may also take ``into=``, a callable each record is handed to as it is read (then
    it returns none)."""

    def customers(self) -> Iterable[Customer]: ...
    def documents(self) -> Iterable[Document]: ...


class AbortRun(Exception):
    """The run cannot go on (authentication refused, audience missing...): exit 2."""


class MassChangeStop(AbortRun):
    """The mass-change guard stopped the run before any Mailchimp write: a person must confirm (exit 2)."""


@dataclass(frozen=True)
class MailchimpHolds:
    """What Mailchimp holds now, read by a full comparison: a record last synced that Mailchimp lost (deleted by
    hand) is sent again, though its content did not change.  An archived contact's customers are left out by the
    plan before (sync/archived.py): a full comparison never unarchives anyone."""

    members: set[str]  # e-mail addresses, lower case
    buyers: set[str]  # e-commerce customer ids
    orders: set[str]

    def keeps(self, entity: Entity, key: str, state: SyncedState) -> bool:
        if entity == Entity.MEMBER:
            return key.lower() in self.members
        if entity == Entity.ECOMMERCE_CUSTOMER:
            return key in self.buyers
        if entity == Entity.ORDER:  # an order deleted on purpose, to be created again, stays as it is
            return key in self.orders or state.content_hash == GONE_ORDER_HASH
        return True


class SyncedWrite(NamedTuple):
    """A record's synced state, to be kept once its push result is applied."""

    entity: Entity
    gp_key: str
    state: SyncedState


@dataclass(frozen=True)
class PushResult:
    """What a worker did for one GP record; applied to the database on the engine thread."""

    event: NewAuditEvent  # the audit row (not written when the action is UNCHANGED)
    ledger_hash: str  # the content the failure ledger compares with on later runs
    error: MailchimpError | None = None
    synced: tuple[SyncedWrite, ...] = ()
    carried_buyer: bool = False  # an order whose POST also wrote its e-commerce customer
    audit: tuple[NewAuditEvent, ...] = ()  # more audit rows, on other records (not counted)


class OrderSent(NamedTuple):
    action: Action  # what the order counts as
    carried_buyer: bool  # its POST carried the e-commerce customer in full
    moved: bool  # it was deleted and created again on its buyer


# What the last run that went through sent GP's fields and invoice lines as (the profile's [mapping] and order_lines):
# a run that changes much after they changed says that is why.
SENT_WITH = "sent_with_mapping"
MAPPING_CHANGED = ("That is expected: the profile now sends GP's customer fields or invoice lines otherwise than "
                   "at the last sync, and every contact or order that holds them is sent again.")


# Most Mailchimp plans allow 30 audience fields, the e-mail address among them (80 on Premium).
AUDIENCE_FIELD_LIMIT = 30


def merge_field_refused(field_def: Mapping[str, Any], err: MailchimpError, listed: int) -> str:
    """Why the run stopped when Mailchimp would not add an audience field, and what to do, in plain words."""
    tag, name = field_def["tag"], field_def["name"]
    target = field_targets.BY_TAG.get(tag)
    if target is None:  # one of the sync's own fields: nothing to map elsewhere
        return (f"Mailchimp would not add the audience field {name} ({tag}) the sync needs: "
                f"{err.detail or err.title}. Delete an audience field you no longer use in Mailchimp (Audience > "
                "Settings > Audience fields). No contact or order was sent.")
    full = (f" The audience has {listed + 1} fields with the e-mail address; most Mailchimp plans allow "
            f"{AUDIENCE_FIELD_LIMIT}." if listed + 1 >= AUDIENCE_FIELD_LIMIT else "")
    return (f"Mailchimp would not add the audience field {name} ({tag}): {err.detail or err.title}.{full} Delete "
            "an audience field you no longer use in Mailchimp (Audience > Settings > Audience fields), or send "
            f"this GP field as tags or not at all ([mapping] {target.key}; in the app: Settings, GP fields in "
            "Mailchimp). No contact or order was sent.")


def _audit_event(
    entity: Entity, gp_key: str, action: Action, *, reason: str = "", mailchimp_id: str = "", email: str = "",
    payload_hash: str = "", error: MailchimpError | None = None, customer_name: str = "",
    order: OrderPlan | None = None,
) -> NewAuditEvent:
    """The audit row, with an absent text stored as NULL. *order*: the plan of an order's row, whose customer and
    amount it carries (so a search for the customer finds its invoices)."""
    doc = order.doc if order else None
    return NewAuditEvent(
        entity=entity, gp_key=gp_key, action=action, mailchimp_id=mailchimp_id or None, email=email or None,
        reason=reason or None, http_status=error.status if error else None,
        error_title=(error.title or None) if error else None, error_detail=(error.detail or None) if error else None,
        payload_hash=payload_hash or None, customer_name=customer_name or None,
        customer_number=(doc.customer_number or None) if doc else None, amount=doc.amount if doc else None,
        currency=(order.payload.get("currency_code") or None) if order else None,
    )


def _error_reason(err: MailchimpError) -> str:
    return f"{err.title}: {err.detail}".strip(": ")


class SyncEngine:
    def __init__(
        self,
        profile: Profile,
        source: GPSource,
        api: MailchimpApi,
        book: Bookkeeping,
        *,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        now: Callable[[], dt.datetime] | None = None,
        batches: BatchSettings | None = None,
        shard_customers: int = SHARD_CUSTOMERS,
        scratch_dir: Path | None = None,
    ) -> None:
        """*batches*: how a big run goes through Mailchimp batch operations (default: the profile's
        ``[sync] batch_threshold`` with the module's sizes and timings).  *shard_customers*: how many GP
        customers one plan holds (a bigger company is planned a part at a time, the rest kept in a scratch file
        in *scratch_dir*, the system's temporary folder by default)."""
        self.profile = profile
        self.source = source
        self.api = api
        self.book = book
        self.progress = heap.giving_back(progress or (lambda phase, done, total: None))
        self.cancel = cancel or threading.Event()
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.workers = profile.mailchimp.max_connections
        self.batch_settings = batches or BatchSettings(profile.sync.batch_threshold)
        self._abort: AbortRun | None = None
        self._paused = False  # the store's is_syncing this run: tag posts say the same
        self._repointing = False  # orders move to their e-mail's customer this run (created again)
        self._product_lock = threading.Lock()
        self._holds: MailchimpHolds | None = None  # a full comparison's read of Mailchimp
        self._previewing = False  # this run writes nothing, to Mailchimp or to the synced state
        self._lost: dict[Entity, set[str]] = {}  # what it found Mailchimp lost, by entity: sent again, and said so
        self.shard_customers = shard_customers
        self.scratch_dir = scratch_dir
        self._begin_run()

    def _begin_run(self) -> None:
        """The state of one run, fresh for each."""
        # The reconciliation's sums, the money Mailchimp holds by part, the plan of a run in one part.
        self._tally = Tally()
        self._money: dict[int, Decimal] = {}
        self._whole: Plan | None = None
        self._planned = False  # every part of GP's records was planned (the reconciliation has GP's side)
        self._repoints = 0  # orders this run moves to their e-mail's buyer
        self._progress = _Progress(self.progress, {"customers": 0, "orders": 0})
        self._resumed = Resumed()  # what the run finished of a stopped run's batches (sync/resumed.py)
        self._archived: frozenset[str] | None = None  # the audience's archived contacts, read once when needed
        # The parts a real run's survey found nothing to do in, by index: (e-mail addresses, invoices), counted
        # there (in a report and a tally of their own until the guard lets the run go) and not planned again.
        self._quiet: dict[int, tuple[int, int]] = {}
        self._quiet_report = RunReport()
        self._quiet_tally = Tally()
        # For a quiet run's memo (sync/quiet_poll.py): GP's answers' prints, how many parts they made, the
        # audience's fields as this run found them; and the reconciliation of a run that replayed a memo.
        self._prints: tuple[PrintTaker, PrintTaker] | None = None
        self._parts = 0
        self._fields_print = ""
        self._currency = ""  # the store's, as this run found it in GP's invoices
        self._replayed: Reconciliation | None = None
        # For the memo of a run that sent (its sent parts surveyed again, :meth:`_rehearse`): GP's side of the
        # reconciliation as the survey counted it, the guard's count of each quiet part, and whether every buyer
        # the run set out to delete is gone.
        self._printed: tuple[AnswerPrint, AnswerPrint] | None = None
        self._gp_side: Tally | None = None
        self._quiet_guards: list[MassChange] | None = None
        # What the survey's decisions read besides the parts' synced state: the failure ledger, the engine state.
        self._survey_read: tuple[tuple[Mapping[str, LedgerEntry], ...], dict[str, str | None]] | None = None
        self._buyers_left = 0

    # ================================================================================================ public
    def run(
        self, *, full: bool = False, dry_run: bool = False, confirm_mass_change: bool = False,
        trigger: RunKind = RunKind.SCHEDULED,
    ) -> RunReport:
        """*confirm_mass_change*: a person confirmed this run's changes however many they are (this run only).
        *trigger*: what started the run (the schedule, Sync now, a retry), the kind it is recorded as unless it
        is a preview, the first load or a full comparison (:func:`run_kind`)."""
        report = RunReport(dry_run=dry_run)
        self._previewing = dry_run
        first_load = self.book.get_state(BACKFILL_DONE) != "1"
        report.kind = run_kind(trigger, full=full, dry_run=dry_run, first_load=first_load)
        report.run_id = self.book.start_run(report.kind)
        self._begin_run()
        gp: GPRead | None = None
        start: QuietStart | None = None
        try:
            if not dry_run:
                self._preflight()  # a wrong key or audience shows before a GP pull that may take minutes
                self._finish_stored_batches()  # a killed run's batches: applied before anything is planned
                if not full:
                    start = self._quiet_start()
            if not self.cancel.is_set() and not (start is not None and self._replay(start, report)):
                gp = self._read_gp()
                if dry_run:
                    self._dry_run(gp, report, full)
                else:
                    self._sync(gp, report, full, confirm_mass_change)
        except GPError as err:
            report.outcome, report.error = Outcome.FAILED, f"GP: {err}"
        except (AbortRun, BatchesUnfinished) as err:  # past the batches' deadline: they stay stored for the next run
            report.outcome, report.error = Outcome.FAILED, str(err)
        except MailchimpError as err:
            report.outcome, report.error = Outcome.FAILED, f"Mailchimp: {err}"
        except BaseException:
            if gp is not None:
                gp.close()
            raise
        finally:
            self.book.scope(None)
        try:
            self._end_run(report, start, gp, dry_run)
        finally:
            if gp is not None:
                gp.close()
        self._whole = None
        return report

    def _end_run(self, report: RunReport, start: QuietStart | None, gp: GPRead | None, dry_run: bool) -> None:
        """The run's outcome, reconciliation and memo for the polls after it (GP's records still at hand), stored."""
        if self.cancel.is_set() and report.outcome != Outcome.FAILED:
            report.outcome = Outcome.CANCELLED
        elif report.outcome == Outcome.OK and report.failure_news[FailureNews.NEW]:
            report.outcome = Outcome.PARTIAL  # known failures alone leave it OK (sync/failure_news.py)
        self.book.flush()
        counts: dict[str, Any] = {Entity.CUSTOMER: report.customers, Entity.ORDER: report.orders,
                                  RUN_NOTES: report.notes()}
        if self._replayed is not None:
            report.reconciliation = self._replayed
            counts["reconciliation"] = report.reconciliation.as_json()
        elif self._planned:
            # The one reconciliation every later view reads (the summary, the runs, the tray): stored with the run.
            report.reconciliation = self._tally.reconcile(
                customers=report.customers, orders=report.orders, skip_reasons=report.skip_reasons,
                dry_run=dry_run, holds=None if dry_run else self._holdings())
            counts["reconciliation"] = report.reconciliation.as_json()
        if start is not None and self._replayed is None:
            self._remember(start, report, gp)
        self.book.finish_run(report.run_id, report.outcome, counts, report.error)

    def _holdings(self) -> Holdings:
        """What Mailchimp holds from GP now, from the synced state the run leaves (the money: its parts')."""
        count = self.book.synced_count
        return Holdings(count(Entity.MEMBER), count(Entity.ECOMMERCE_CUSTOMER),
                        count(Entity.ORDER, without_hash=GONE_ORDER_HASH), sum(self._money.values(), Decimal(0)))

    # ================================================================================================ GP
    def _read_gp(self) -> GPRead:
        """GP's customers, then its documents, as the run's parts (sync/gp_read.py): a big company is held a
        part at a time, the rest in a scratch file.  Each answer is checked whole before a plan is made
        (gp/data_check.py); a customer list without a single e-mail stops here too, before the documents' long
        pull and before any Mailchimp write."""
        self.progress("gp", 0, 0)
        gp = GPRead(self.shard_customers, self.scratch_dir)
        prints = (PrintTaker(), PrintTaker())
        try:
            took = _feed(self.source.customers, gp.add_customer, prints[0])
            gp.customers_done()
            self.progress("gp", 1, 2)
            took = _feed(self.source.documents, gp.add_document, prints[1]) and took
            gp.documents_done()
        except BaseException:
            gp.close()
            raise
        self._prints = prints if took else None
        self._parts = gp.shard_count
        self.progress("gp", 2, 2)
        return gp

    # ================================================================================================ quiet polls
    def _quiet_start(self) -> QuietStart:
        """This run's context and the profile's write count, before anything is read (sync/quiet_poll.py)."""
        self.book.flush()
        state = self._state_read()
        day = self.now().astimezone(company_zone(self.profile.gp.time_zone)).date()
        return QuietStart(quiet_poll.context(self.profile, state, self.shard_customers, day), self.book.state_changes())

    def _state_read(self) -> dict[str, str | None]:
        return {key: self.book.get_state(key) for key in quiet_poll.STATE_READ}

    def _replay(self, start: QuietStart, report: RunReport) -> bool:
        """End as the quiet run whose memo matches *start* did, when GP answers exactly as it did then and the
        audience's fields are the same; False (nothing written) to plan the run as usual."""
        memo = QuietMemo.from_json(self.book.get_value(quiet_poll.STATE_KEY))
        same_answers = getattr(self.source, "answers_as_printed", None)
        if memo is None or not memo.matches(start) or same_answers is None:
            return False
        self.progress("gp", 0, 0)
        if not same_answers(memo.customers, memo.documents):
            return False
        self.progress("gp", 2, 2)
        try:
            definitions = self.api.merge_fields(self.profile.mailchimp.list_id)
        except MailchimpError as err:
            raise self._audience_abort(err) from err
        if self._audience_print(definitions) != memo.fields:
            return False
        # What every run does besides planning: the store as the profile's automations want it, the product.
        self._paused = keeps_store_syncing(self.profile.mailchimp.automations, backfill=False)
        self._ensure_store(memo.currency, backfill=False)
        self._ensure_product()
        memo.tell(report)
        addresses, invoices = memo.totals
        progress = _Progress(self.progress, {"customers": addresses, "orders": invoices})
        progress.done_already(customers=addresses, orders=invoices)
        progress.finish()
        self._replayed = memo.reconciliation
        return True

    def _remember(self, start: QuietStart, report: RunReport, gp: GPRead | None) -> None:
        """Leave a memo for the polls after this run when it found nothing to do and changed nothing it was
        decided from, or when it did all it set out to and the poll after it, finding GP as this run did, would
        have nothing to do; else drop the one an earlier run left if it can no longer be replayed."""
        memo = self._quiet_memo(start, report)
        if memo is None and gp is not None:
            memo = self._rehearse(gp, report)
        if memo is not None:
            self.book.set_value(quiet_poll.STATE_KEY, memo.as_json())
            return
        earlier = self.book.get_value(quiet_poll.STATE_KEY)
        if earlier is not None:
            left = QuietMemo.from_json(earlier)
            if left is None or not left.matches(self._quiet_start()):
                self.book.delete_value(quiet_poll.STATE_KEY)  # past its use (a run that stopped keeps it)

    def _quiet_memo(self, start: QuietStart, report: RunReport) -> QuietMemo | None:
        guard = report.mass_change
        quiet = (report.outcome == Outcome.OK and not self.cancel.is_set() and self._planned and not report.to_send
                 and not self._repoints and report.batches is None and len(self._quiet) == self._parts
                 and (guard is None or not (guard.customers.changed or guard.orders.changed))
                 and report.reconciliation is not None and bool(self._fields_print and self._currency))
        if not quiet or not self._memo_may_follow(self._ledgers()):
            return None
        if self._quiet_start() != start:
            return None  # something this run depends on changed while it ran
        assert report.reconciliation is not None
        customers, documents = self._answer_prints()
        return QuietMemo(start.context, start.changes, customers, documents, self._fields_print, self._currency,
                         quiet_poll.told_by(report, report.reconciliation,
                                            (self._tally.addresses, self._tally.gp_invoices)))

    def _memo_may_follow(self, ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]]) -> bool:
        """What any memo needs besides a quiet poll: GP's answers printed, the first load done, every buyer the
        run set out to delete gone, no failure in *ledgers* (the customers' and orders' now) waiting for its retry
        time (retried when its time comes, not only when GP changes)."""
        if self._prints is None or not all(p.usable for p in self._prints) or self._buyers_left:
            return False
        if self.book.get_state(BACKFILL_DONE) != "1":
            return False
        return not any(entry.next_retry_at is not None and not entry.dismissed
                       for ledger in ledgers for entry in ledger.values())

    def _ledgers(self) -> tuple[dict[str, LedgerEntry], dict[str, LedgerEntry]]:
        """The customers' and the orders' failure ledgers as they are now."""
        return self.book.failures(Entity.CUSTOMER), self.book.failures(Entity.ORDER)

    def _answer_prints(self) -> tuple[AnswerPrint, AnswerPrint]:
        assert self._prints is not None
        if self._printed is None:
            customers, documents = (p.finish() for p in self._prints)
            self._printed = (customers, documents)
        return self._printed

    def _quiet_parts_hold(
        self, guard: bool, ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]]
    ) -> bool:
        """Whether the parts this run's survey found quiet would be found so again, as it counted them: nothing
        they were decided from changed since but what this run wrote (it wrote nothing of theirs; *ledgers*: the
        failure ledgers now), and the guard counted them as it now would."""
        if self._survey_read is None or (guard and self._quiet_guards is None):
            return False
        surveyed, state = self._survey_read
        if state != self._state_read():
            return False  # the first load ended, or the guard's missing records moved: decided otherwise now
        written = self.book.ledger_written
        for entity, before, now in zip((Entity.CUSTOMER, Entity.ORDER), surveyed, ledgers, strict=True):
            keys = (before.keys() | now.keys()) - {key for e, key in written if e == entity}
            if any(before.get(key) != now.get(key) for key in keys):
                return False  # replayed or dismissed in the window meanwhile
        return True

    def _rehearse(self, gp: GPRead, report: RunReport) -> QuietMemo | None:
        """The memo the poll after this run would leave, finding GP as this run did: the parts this run sent
        surveyed again against the state it left (those its survey found quiet are as it counted them), nothing
        written and nothing told.  None when a part would still have something to do, or the run did not do all
        it set out to (failed, cancelled, a transient failure waiting for its retry)."""
        done = (report.outcome in (Outcome.OK, Outcome.PARTIAL) and not report.dry_run and self._planned
                and self._abort is None and not self.cancel.is_set() and self._gp_side is not None)
        ledgers = self._ledgers()
        if not done or not self._memo_may_follow(ledgers):
            return None
        assert self._gp_side is not None
        start = self._quiet_start()
        try:
            definitions = self.api.merge_fields(self.profile.mailchimp.list_id)
        except MailchimpError:
            return None  # the next poll plans as usual
        tags = {f.get("tag") for f in definitions}
        if any(f["tag"] not in tags for f in self._merge_fields_wanted()):
            return None
        fields = AudienceFields.from_api(definitions)
        guard = self._guard_applies()
        told, tally, guards = RunReport(), self._gp_side.plans_side(), []
        skip: Container[int] = ()
        if self._quiet_parts_hold(guard, ledgers):
            skip = self._quiet
            _add_counts(told, self._quiet_report)
            tally.add_outcome_counts(self._quiet_tally)
            guards.extend(self._quiet_guards or ())
        self._whole = None  # a plan the run sent from is planned afresh, as the next poll would
        try:
            for part, plan in self._plans(gp, skip=skip):
                if self.cancel.is_set():
                    return None
                fit_members(plan, fields)
                fc = self._forecast(plan)
                if _to_send(fc) or fc.repoints or not self._is_quiet(plan, fc, ledgers):
                    return None
                if guard:
                    guards.append(self._assess(plan, fc, False))
                self._count_preview(plan, fc, told, tally, ledgers)
                self._money[part] = held_money(plan, self.book.synced(Entity.ORDER))
        finally:
            self.book.scope(None)
        if guard:
            told.mass_change = mass_change.merged(guards + self._absent_guard(gp),
                                                  self.profile.sync.mass_change_percent, confirmed=False)
            counted = told.mass_change
            if counted.customers.changed or counted.orders.changed or read_missing(write_missing(counted)) != \
                    read_missing(self.book.get_state(MISSING_STATE)):
                return None
        told.ignored_documents = dict(tally.not_orders)
        reconciliation = tally.reconcile(customers=told.customers, orders=told.orders,
                                         skip_reasons=told.skip_reasons, holds=self._holdings())
        if self._quiet_start() != start:
            return None  # the survey wrote (an earlier release's buyer rehashed): the next poll plans as usual
        customers, documents = self._answer_prints()
        return QuietMemo(start.context, start.changes, customers, documents, self._audience_print(definitions),
                         gp.currency, quiet_poll.told_by(told, reconciliation, (tally.addresses, tally.gp_invoices)))

    def _plans(self, gp: GPRead, skip: Container[int] = ()) -> Iterator[tuple[int, Plan]]:
        """The run's plans, one per part of GP's records (a shard: every customer of an e-mail with their
        invoices), the bookkeeping's synced state scoped to each in turn; those *skip* names are not read.  A run
        that fits one part has one plan, made once and kept for all its passes (the guard's and the sync's)."""
        zone = company_zone(self.profile.gp.time_zone)

        archived = self._archived_emails()

        def plan_of(customers: list[Customer], documents: list[Document]) -> Plan:
            return build_plan(customers, documents, self.profile.filters, self.profile.mailchimp.status_if_new,
                              zone=zone, currency=gp.currency, archived=archived, field_map=self.profile.mapping)

        if gp.shard_count == 1:
            if 0 in skip:
                return
            if self._whole is None:
                self._whole = plan_of(*next(iter(gp.shards())))
            yield 0, self._whole
            return
        for part, customers, documents in gp.parts(skip):
            self.book.scope(_scope(customers, documents))
            yield part, plan_of(customers, documents)
        self.book.scope(None)

    def _survey(
        self, gp: GPRead, report: RunReport, *, fields: AudienceFields, holds: MailchimpHolds | None, dry_run: bool,
        confirmed: bool = False,
    ) -> None:
        """One pass over every plan before anything is sent: GP's side of the reconciliation, what the run sets
        out to send, whether orders move to another buyer, what Mailchimp holds of GP's invoices now, and the
        mass-change guard's count.  A preview counts everything it would do here too (its only pass).
        *fields*: the audience's merge fields the members are fitted to; *holds*: a full comparison's read."""
        guard = self._guard_applies()
        parts: list[MassChange] = []
        quiet_guards: list[MassChange] = []
        to_send = repoints = 0
        ledgers = self._ledgers()
        checked = 0
        self.progress(CHECKING, 0, gp.customer_count)
        for part, plan in self._plans(gp):
            if self.cancel.is_set():
                return  # nothing sent: the run stops with the GP side of its figures unknown
            self._tally.add_plan(plan)
            fit_members(plan, fields)
            fc = self._forecast(plan, holds)
            sends = _to_send(fc)
            to_send += sends
            repoints += fc.repoints
            if guard:
                # The guard counts against what was synced: a full comparison's repairs are not GP's changes.
                parts.append(self._assess(plan, fc if holds is None else self._forecast(plan), confirmed))
            if dry_run:
                self._count_preview(plan, fc, report, self._tally, ledgers)
                if report.mapped is None:
                    report.mapped = field_targets.MappedCounts()
                report.mapped.add_members(((m.buyer.primary, m.tags) for m in plan.members.values()),
                                          self.profile.mapping)
                if self._reads_lines():
                    report.order_lines = report.order_lines or order_lines.LineCounts()
                    for op in plan.orders.values():
                        report.order_lines.add(op.doc)
            else:
                self._money[part] = held_money(plan, self.book.synced(Entity.ORDER))
                # Not after finishing a stopped run's batches: what they did is counted record by record.
                # A part whose only news is an item's new description or class is not quiet: its product goes.
                if not sends and not self._resumed and self._is_quiet(plan, fc, ledgers) and \
                        not self._products_due(plan):
                    # Counted now and not planned again: a poll that finds nothing to do reads each part once.
                    self._count_preview(plan, fc, self._quiet_report, self._quiet_tally, ledgers)
                    self._quiet[part] = (len(fc.groups), len(plan.orders) + len(plan.skipped_orders))
                    if guard:
                        quiet_guards.append(parts[-1])
            checked += len(plan.customers) + len(plan.skipped_customers)
            self.progress(CHECKING, checked, gp.customer_count)
        self._planned = True
        if not dry_run:
            self._gp_side = self._tally.plans_side()
            self._survey_read = ledgers, self._state_read()
            self._quiet_guards = quiet_guards if guard else None
        report.ignored_documents = dict(self._tally.not_orders)
        report.to_send, self._repoints = to_send, repoints
        if guard:
            report.mass_change = mass_change.merged(parts + self._absent_guard(gp),
                                                    self.profile.sync.mass_change_percent, confirmed=confirmed)
            sent_with = self.book.get_state(SENT_WITH)
            if report.mass_change.over_limit and sent_with is not None and sent_with != self._sends_with():
                report.mass_change = dataclasses.replace(report.mass_change, cause=MAPPING_CHANGED)

    def _absent_guard(self, gp: GPRead) -> list[MassChange]:
        """The guard's count of what GP's answer lacks, which no part's plan has (a run of one part: its plan's)."""
        if gp.shard_count == 1:
            return []
        missing = self.book.get_state(MISSING_STATE)
        return [MassChange(
            self.profile.sync.mass_change_percent,
            mass_change.absent("customers", list(gp.absent_customers(self.book.synced_keys(Entity.CUSTOMER))), missing),
            mass_change.absent("invoices", list(gp.absent_documents(self.book.synced_keys(Entity.ORDER))), missing))]

    def _is_quiet(
        self, plan: Plan, fc: Forecast, ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]]
    ) -> bool:
        """Of a plan with nothing to send (*fc*'s): nothing is audited or resolved this run either, as the failure
        ledger holds back every record of it that it holds (none is resolved), no older build's customer is in
        the way, and its skips are those last audited."""
        if any(group.legacy for group in fc.groups):
            return False
        customer_ledger, order_ledger = ledgers
        held_customers = {cp.customer.number for group in fc.groups for cp, d in group.customers if d.held}
        held_orders = {op.doc.number for op, decision in fc.orders if decision.held}
        if any(n in customer_ledger and n not in held_customers for n in plan.customers) or any(
                n in order_ledger and n not in held_orders for n in plan.orders):
            return False
        if any(n in customer_ledger for n in plan.skipped_customers) or any(
                n in order_ledger for n in plan.skipped_orders):
            return False
        for skipped, seen_entity in ((plan.skipped_customers, Entity.CUSTOMER_SKIP),
                                     (plan.skipped_orders, Entity.ORDER_SKIP)):
            seen = self.book.synced(seen_entity)
            if seen.keys() != skipped.keys() or any(
                    _hash_of(seen, n) != mapping.content_hash(reason) for n, (_r, reason) in skipped.items()):
                return False
        return True

    def _guard_applies(self) -> bool:
        """The mass-change guard counts this run: it is on, and this is not the first load."""
        return bool(self.profile.sync.mass_change_percent) and self.book.get_state(BACKFILL_DONE) == "1"

    def _assess(self, plan: Plan, fc: Forecast, confirmed: bool) -> MassChange:
        book = self.book
        return assess(plan, fc, synced_customers=book.synced(Entity.CUSTOMER), synced_orders=book.synced(Entity.ORDER),
                      customer_skips=book.synced(Entity.CUSTOMER_SKIP), order_skips=book.synced(Entity.ORDER_SKIP),
                      missing=book.get_state(MISSING_STATE), limit=self.profile.sync.mass_change_percent,
                      confirmed=confirmed)

    # ================================================================================================ dry run
    def _dry_run(self, gp: GPRead, report: RunReport, full: bool) -> None:
        """Count what :meth:`_sync` would do, from the same decisions, without a single Mailchimp write (the
        audience's merge fields are read: what fits them decides what members carry).  Says whether a real run
        would stop (from what was synced, as the real run's guard counts)."""
        self._survey(gp, report, fields=self._audience_fields(report), holds=self._read_holds() if full else None,
                     dry_run=True)

    def _count_preview(
        self, plan: Plan, fc: Forecast, report: RunReport, tally: Tally,
        ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]],
    ) -> None:
        """One plan's part of the preview, its records' outcomes into *tally*; *ledgers*: the customers' and
        orders' failure ledgers, read once by the pass over every plan."""
        _count_plan_skips(report, Entity.CUSTOMER, plan.skipped_customers.values())
        _count_held(report, fc.groups, ledgers[0])
        for group in fc.groups:
            report.outcomes.count_group(group)
        for group in fc.sending:
            for _cp, decision in group.to_send:
                report.customers[decision.action] += 1
            report.new_contacts += int(group.adds_contact)
            report.fields_left_out.update(group.fields_left_out)
        _count_plan_skips(report, Entity.ORDER, plan.skipped_orders.values())
        for _op, decision in _orders_to_send(report, fc.orders, ledgers[1]):
            report.orders[decision.action] += 1
        tally.add_outcomes(plan, report.outcomes)
        report.outcomes = RecordOutcomes()

    def _read_holds(self) -> MailchimpHolds:
        """What Mailchimp holds now (a page per 1,000 records: reads only)."""
        mc = self.profile.mailchimp
        buyers = self.api.customer_ids(mc.store_id) if self.api.get_store(mc.store_id) else set()
        orders = self.api.order_ids(mc.store_id) if buyers else set()
        return MailchimpHolds(self.api.member_emails(mc.list_id), buyers, orders)

    def _synced(self, entity: Entity) -> Mapping[str, SyncedState]:
        """What was last synced of *entity*, less what a full comparison found Mailchimp no longer holds."""
        synced = self.book.synced(entity)
        holds = self._holds
        if holds is None:
            return synced
        kept = {k: s for k, s in synced.items() if holds.keeps(entity, k, s)}
        self._lost[entity] = synced.keys() - kept.keys()
        return kept

    def _lost_reason(self, entity: Entity, key: str, reason: str) -> str:
        """*reason*, led by "not in Mailchimp any more" when a full comparison sends the record again for it."""
        if key not in self._lost.get(entity, ()):
            return reason
        return "; ".join(r for r in ("not in Mailchimp any more (deleted there): sent again",
                                     reason) if r)

    def _forecast(self, plan: Plan, holds: MailchimpHolds | None = None) -> Forecast:
        """Every decision of this run, from what was synced before it (see :func:`decide.forecast`); with
        *holds*, what Mailchimp lost counts as never sent."""
        self._holds, self._lost = holds, {}
        _prefer_plan_strings(self.book, plan)
        synced_members, synced_orders = self._synced(Entity.MEMBER), self._synced(Entity.ORDER)
        synced_buyers, synced_customers = self._synced(Entity.ECOMMERCE_CUSTOMER), self.book.synced(Entity.CUSTOMER)
        _prefer_plan_strings(self.book, None)  # read: the plan is not kept alive by the bookkeeping after the run
        if upgraded := buyer_address.rehashed(plan, synced_buyers):
            # Sent with an address by an earlier release: unchanged, and (a real run) stored with today's hash.
            if not self._previewing:
                for buyer_id, state in upgraded.items():
                    self.book.mark_synced(Entity.ECOMMERCE_CUSTOMER, buyer_id, state)
            synced_buyers = ChainMap(upgraded, synced_buyers)
        _share_hashes(plan, synced_members, synced_buyers, synced_customers, synced_orders)
        return forecast(
            plan, synced_members=synced_members, synced_buyers=synced_buyers, synced_customers=synced_customers,
            synced_orders=synced_orders, customer_ledger=self.book.failures(Entity.CUSTOMER),
            order_ledger=self.book.failures(Entity.ORDER), now=self.now(),
        )

    # ================================================================================================ guard
    def _guard_mass_change(self, report: RunReport) -> None:
        """Stop before the first Mailchimp write when the run would change too much of what Mailchimp holds
        (the count: :meth:`_survey`'s)."""
        guard = report.mass_change
        if guard is None:
            return
        missing = write_missing(guard)
        if not guard.stops and read_missing(missing) != read_missing(self.book.get_state(MISSING_STATE)):
            # What GP's answer lacks is old news from now on (the skips, the engine keeps as it audits them).
            self.book.set_state(MISSING_STATE, missing)
        if not guard.over_limit:
            return
        # In the audit either way: the stop, or the person's go-ahead for this one run.
        store_id = self.profile.mailchimp.store_id
        self.book.audit(_audit_event(Entity.STORE, store_id, Action.SKIPPED if guard.stops else Action.UPDATED,
                                     mailchimp_id=store_id, reason=guard.message()))
        if guard.stops:
            raise MassChangeStop(guard.message())

    # ================================================================================================ sync
    def _sync(self, gp: GPRead, report: RunReport, full: bool, confirmed: bool) -> None:
        backfill = self.book.get_state(BACKFILL_DONE) != "1"
        automations = self.profile.mailchimp.automations
        report.backfill = backfill
        # A full comparison's repair: what someone deleted in Mailchimp is sent again (never an archived contact:
        # sync/archived.py); what Mailchimp holds as it was sent is left alone (counted and audited as unchanged).
        holds = self._read_holds() if full else None
        if self._guard_applies():  # nothing is written before the guard's count: the fields are only read
            self._survey(gp, report, fields=self._audience_fields(), holds=holds, dry_run=False, confirmed=confirmed)
            if self.cancel.is_set():
                return
            self._guard_mass_change(report)
            fields = self._ensure_merge_fields()
        else:
            fields = self._ensure_merge_fields()  # what fits the audience decides what members carry
            self._survey(gp, report, fields=fields, holds=holds, dry_run=False)
            if self.cancel.is_set():
                return
        _add_counts(report, self._quiet_report)  # the parts with nothing to do, counted by the survey
        self._tally.add_outcome_counts(self._quiet_tally)
        if backfill:
            self.book.set_state(BACKFILL_IN_PROGRESS, "1")
        # Orders moved to their e-mail's buyer are created again, which would send their buyer order e-mails:
        # the store's automations are paused for such a run as for the historical load.
        repointing = self._repoints > 0
        self._paused = keeps_store_syncing(automations, backfill=backfill) or repointing
        self._repointing = repointing
        self._currency = gp.currency
        self._ensure_store(gp.currency, backfill)
        if self.book.get_state(AUTOMATIONS_APPLIED) != automations:
            self.book.set_state(AUTOMATIONS_APPLIED, automations)
        # The one record a full comparison re-sends unchanged: the placeholder every order line points at, one
        # PUT that puts it back if someone deleted it in Mailchimp (the orders would fail without it).
        self._ensure_product(force=full)
        batcher: BatchBackfill | None = None  # made for the first part that goes by batches
        self._progress = _Progress(self.progress, {"customers": self._tally.addresses,
                                                   "orders": self._tally.gp_invoices})
        self._progress.done_already(customers=sum(c for c, _o in self._quiet.values()),
                                    orders=sum(o for _c, o in self._quiet.values()))
        try:
            for part, plan in self._plans(gp, skip=self._quiet):
                fit_members(plan, fields)
                fc = self._forecast(plan, holds)
                # By batches when the part has more writes than the threshold (a first load's, a big import's);
                # the few of a poll's parts go record by record, sooner than a batch's round trips.
                if self.batch_settings.wanted(_to_send(fc)):
                    batcher = batcher or self._batch_backfill()
                    by_batches: BatchBackfill | None = batcher
                else:
                    by_batches = None
                try:
                    self._ensure_item_products(plan)  # before any order (a new member's first carries one)
                    carried = self._sync_customers(plan, report, fc, by_batches)
                    if self._abort:
                        raise self._abort
                    self._sync_orders(plan, report, carried, by_batches)
                finally:
                    self._tally.add_outcomes(plan, self._resumed.outcomes(report.outcomes))
                    report.outcomes = RecordOutcomes()
                    self._money[part] = held_money(plan, self.book.synced(Entity.ORDER))
                    self._progress.next_part()
                if self._abort:
                    raise self._abort
                if self.cancel.is_set():
                    return
        finally:
            if batcher is not None:
                batcher.client.close()
        self._progress.finish()
        self._retire_buyers(gp)
        if self._abort:
            raise self._abort
        if gp.shard_count > 1:
            self._forget_absent_skips(gp)
        if backfill:
            self._end_first_load(automations)
            self.book.set_state(BACKFILL_DONE, "1")
            self.book.set_state(BACKFILL_IN_PROGRESS, "0")
        elif repointing and automations == ON:
            self._set_is_syncing(False, "orders moved to their e-mail's customer: automations on again")
        if self.book.get_state(SENT_WITH) != self._sends_with():
            self.book.set_state(SENT_WITH, self._sends_with())

    def _reads_lines(self) -> bool:
        """The profile asks for the sales invoices' lines and the source can read them (Web Services always; an
        SBA server when its help page lists sales invoices)."""
        if self.profile.gp.order_lines != "sales_invoices":
            return False
        reads = getattr(self.source, "reads_sales_lines", None)
        return bool(reads()) if reads is not None else self.profile.gp.api == "soap"

    def _sends_with(self) -> str:
        """The profile's choices of what GP data goes where (its [mapping] and order lines), as one print."""
        return mapping.content_hash({"mapping": dataclasses.asdict(self.profile.mapping),
                                     "order_lines": self.profile.gp.order_lines})

    def _preflight(self) -> None:
        try:
            self.api.get_list(self.profile.mailchimp.list_id)
        except MailchimpError as err:
            raise self._audience_abort(err) from err

    def _audience_abort(self, err: MailchimpError) -> AbortRun:
        if err.is_not_found:
            return AbortRun(f"Mailchimp has no audience {self.profile.mailchimp.list_id!r}: "
                            "check list_id (gpmc check lists the audiences).")
        return self._as_abort(err)

    def _as_abort(self, err: MailchimpError) -> AbortRun:
        if err.category is Category.AUTH:
            return AbortRun(f"Mailchimp refused the API key ({err.status} {err.title}): enter a valid key.")
        return AbortRun(f"Mailchimp is not reachable or failing: {err}")

    # ---------------------------------------------------------------------------------- store, fields, product
    def _ensure_store(self, currency: str, backfill: bool) -> None:
        """The store exists, in this audience, with ``is_syncing`` as the first load and the profile's
        ``automations`` want it (``self._paused``)."""
        mc = self.profile.mailchimp
        store = self.api.get_store(mc.store_id)
        if store is None:
            body = {
                "id": mc.store_id,
                "list_id": mc.list_id,
                "name": f"Dynamics GP – {self.profile.gp.company}",
                "platform": "Microsoft Dynamics GP",
                "currency_code": currency,
                "is_syncing": self._paused,
            }
            self.api.create_store(body)
            reason = ("historical load: automations paused" if backfill else
                      "automations = off: created syncing, so Mailchimp sends nothing about GP invoices"
                      if self._paused else "")
            self.book.audit(_audit_event(
                Entity.STORE, mc.store_id, Action.CREATED, mailchimp_id=mc.store_id,
                payload_hash=mapping.content_hash(body), reason=reason,
            ))
            return
        if store.get("list_id") != mc.list_id:
            raise AbortRun(f"Store {mc.store_id!r} belongs to audience {store.get('list_id')!r}, not "
                           f"{mc.list_id!r}; a store can never move. Choose another store_id.")
        if bool(store.get("is_syncing")) != self._paused:
            self._set_is_syncing(self._paused, self._store_flip_reason(backfill))

    def _store_flip_reason(self, backfill: bool) -> str:
        """Why this run sets the store's is_syncing to ``self._paused``, in the audit's plain words."""
        if backfill:
            return "historical load starts: automations paused"
        choice = self.profile.mailchimp.automations
        if self._repointing and choice == ON:
            return "orders move to their e-mail's customer and are created again: automations paused meanwhile"
        # Before the key existed every profile ran "on" after its first load.
        switched = (self.book.get_state(AUTOMATIONS_APPLIED) or ON) != choice
        if choice == OFF:
            return ("automations switched to off: the store is syncing again, so Mailchimp sends nothing about "
                    "GP invoices" if switched else
                    "automations = off, but the store was found not syncing in Mailchimp: set syncing again, so "
                    "Mailchimp sends nothing about GP invoices")
        return ("automations switched to on: the store stops syncing, so Mailchimp may e-mail customers about new "
                "invoices, payments and voids" if switched else
                "automations = on, but the store was found syncing in Mailchimp (automations paused): "
                "syncing turned off")

    def _end_first_load(self, automations: str) -> None:
        """The first load is done: "on" lets Mailchimp act from now on, "off" keeps the store syncing."""
        store_id = self.profile.mailchimp.store_id
        if automations == OFF:
            self.book.audit(_audit_event(
                Entity.STORE, store_id, Action.UNCHANGED, mailchimp_id=store_id,
                reason="historical load done: the store stays syncing (automations = off), so Mailchimp sends "
                       "nothing about GP invoices"))
            return
        self._set_is_syncing(False, "historical load done: automations on")

    def _set_is_syncing(self, on: bool, reason: str) -> None:
        store_id = self.profile.mailchimp.store_id
        self.api.patch_store(store_id, {"is_syncing": on})
        self.book.audit(_audit_event(Entity.STORE, store_id, Action.UPDATED, mailchimp_id=store_id, reason=reason))

    def _archived_emails(self) -> frozenset[str]:
        """The audience's archived contacts (lower case), whose GP customers the plans leave out
        (sync/archived.py); read once per run, a page per 1,000 of them."""
        if self._archived is None:
            try:
                self._archived = frozenset(self.api.archived_emails(self.profile.mailchimp.list_id))
            except MailchimpError as err:
                raise self._audience_abort(err) from err
        return self._archived

    def _audience_print(self, definitions: list[dict[str, Any]]) -> str:
        """The audience as a quiet poll's memo depends on it: its merge fields and its archived contacts."""
        return f"{quiet_poll.fields_print(definitions)}:{archived_print(self._archived_emails())}"

    def _merge_fields_wanted(self) -> tuple[dict[str, Any], ...]:
        return mapping.merge_fields_for(self.profile.mapping)

    def _ensure_merge_fields(self) -> AudienceFields:
        """Create the audience fields the sync writes to that the audience lacks (its own and those the profile's
        [mapping] asks for); returns every field's definition (its type and options decide which values fit).
        A field Mailchimp will not add stops the run here, before any contact is written."""
        list_id = self.profile.mailchimp.list_id
        definitions = self.api.merge_fields(list_id)
        self._fields_print = self._audience_print(definitions)
        existing = {f.get("tag") for f in definitions}
        for field_def in self._merge_fields_wanted():
            if field_def["tag"] in existing:
                continue
            try:
                created = self.api.create_merge_field(list_id, dict(field_def))
            except MailchimpError as err:
                if err.category is not Category.PERMANENT:
                    raise
                raise AbortRun(merge_field_refused(field_def, err, len(definitions))) from err
            definitions.append(created)
            self.book.audit(_audit_event(
                Entity.MERGE_FIELD, str(field_def["tag"]), Action.CREATED,
                mailchimp_id=str(created.get("merge_id", "")), payload_hash=mapping.content_hash(field_def),
            ))
        return AudienceFields.from_api(definitions)

    def _audience_fields(self, report: RunReport | None = None) -> AudienceFields:
        """The dry run's read of the merge fields, with those :meth:`_ensure_merge_fields` would create; into
        *report*, the fields the audience would then hold when that is more than most plans allow."""
        try:
            definitions = self.api.merge_fields(self.profile.mailchimp.list_id)
        except MailchimpError as err:
            raise self._audience_abort(err) from err
        held = {f.get("tag") for f in definitions}
        new = [f for f in self._merge_fields_wanted() if f["tag"] not in held]
        if report is not None and new and len(definitions) + 1 + len(new) > AUDIENCE_FIELD_LIMIT:
            report.fields_over_limit = (len(definitions) + 1, [str(f["name"]) for f in new])
        return AudienceFields.from_api(definitions).with_missing(self._merge_fields_wanted())

    def _ensure_product(self, force: bool = False) -> None:
        with self._product_lock:
            digest = mapping.content_hash(mapping.PRODUCT)
            prior = self.book.synced(Entity.PRODUCT).get(mapping.PRODUCT_ID)
            if not force and prior and prior.content_hash == digest:
                return
            store_id = self.profile.mailchimp.store_id
            self.api.put_product(store_id, mapping.PRODUCT)
            if self.api.get_product(store_id, mapping.PRODUCT_ID) is None:  # confirmed before any order
                raise AbortRun("Mailchimp did not keep the placeholder product; orders cannot be sent.")
            self.book.mark_synced(Entity.PRODUCT, mapping.PRODUCT_ID, SyncedState(digest, mapping.PRODUCT_ID))
            self.book.audit(_audit_event(
                Entity.PRODUCT, mapping.PRODUCT_ID, Action.UNCHANGED if prior else Action.CREATED,
                mailchimp_id=mapping.PRODUCT_ID, payload_hash=digest,
            ))

    def _products_due(self, plan: Plan) -> dict[str, tuple[dict[str, Any], str, SyncedState | None]]:
        """The item products the plan's orders point at that Mailchimp does not hold as they are now: each with
        its content hash and what was last sent of it (None: never)."""
        wanted: dict[str, dict[str, Any]] = {}
        for op in plan.orders.values():
            wanted.update(order_lines.products(op.doc))
        if not wanted:
            return {}
        synced = self.book.synced(Entity.PRODUCT)
        due = {}
        for product_id, body in sorted(wanted.items()):
            digest = mapping.content_hash(body)
            prior = synced.get(product_id)
            if prior is None or prior.content_hash != digest:
                due[product_id] = (body, digest, prior)
        return due

    def _ensure_item_products(self, plan: Plan) -> None:
        """The products of GP's items that the plan's orders carry as lines (sync/order_lines.py): created before
        the orders, and sent again when the item changed in GP (its description or class).  A product Mailchimp
        refuses is audited; the orders that need it then fail on their own and wait in the ledger."""
        store_id = self.profile.mailchimp.store_id
        due = self._products_due(plan)

        def put(product_id: str) -> tuple[str, MailchimpError | None]:  # on the pool: the API call only
            try:
                self.api.put_product(store_id, due[product_id][0])
            except MailchimpError as err:
                return product_id, err
            return product_id, None

        # A first load may bring hundreds of items: they go on the run's connections, as records do.
        for product_id, err in self._parallel(sorted(due), put):
            _body, digest, prior = due[product_id]
            if err is not None:
                if err.category is Category.AUTH:
                    self._abort = self._as_abort(err)
                self.book.audit(_audit_event(Entity.PRODUCT, product_id, Action.FAILED, reason=_error_reason(err),
                                             mailchimp_id=product_id, payload_hash=digest, error=err))
                continue
            self.book.mark_synced(Entity.PRODUCT, product_id, SyncedState(digest, product_id))
            self.book.audit(_audit_event(Entity.PRODUCT, product_id, Action.UPDATED if prior else Action.CREATED,
                                         mailchimp_id=product_id, payload_hash=digest))
        if self._abort is not None:
            raise self._abort

    # ---------------------------------------------------------------------------------- customers
    def _sync_customers(
        self, plan: Plan, report: RunReport, fc: Forecast, batcher: BatchBackfill | None = None
    ) -> set[str]:
        """Send the members and e-commerce customers (by *batcher*'s batches what it can, the rest record by
        record); returns the orders whose POST carried a customer (sent and counted already)."""
        ledger = self.book.failures(Entity.CUSTOMER)
        order_ledger = self.book.failures(Entity.ORDER)
        _count_plan_skips(report, Entity.CUSTOMER, plan.skipped_customers.values())
        self._audit_skips(Entity.CUSTOMER, plan.skipped_customers, Entity.CUSTOMER_SKIP)
        _count_held(report, fc.groups, ledger)
        groups = fc.sending
        for group in groups:
            report.fields_left_out.update(group.fields_left_out)
        held = [g for g in fc.groups if not g.to_send]
        for group in held:
            report.outcomes.count_group(group)
        # The orders the forecast sends first for their buyer, one per buyer to write (by batches, the buyers
        # go in the step after their members instead, and every order after them).
        carriers = fc.carriers() if batcher is None else {}
        # Progress counts e-mail addresses (one contact each), as the reconciliation does: those the failure
        # ledger holds whole are done from the start.
        total = len(fc.groups)
        self._progress("customers", len(held), total)
        carried: set[str] = set()
        if batcher is not None:
            groups = self._send_groups_by_batch(batcher, groups, report, (ledger, order_ledger), carried)
            if self.cancel.is_set():
                return carried

        def push(group: MemberGroup) -> tuple[MemberGroup, list[PushResult]]:
            return group, self._push_member_group(group, carriers.get(group.member.email))

        for done, (group, results) in enumerate(self._parallel(groups, push), start=total - len(groups) + 1):
            self._apply_group(group, results, report, (ledger, order_ledger), carried)
            self._progress("customers", done, total)
            if done % FLUSH_EVERY == 0:
                self.book.flush()
        self.book.flush()
        return carried

    def _apply_group(
        self, group: MemberGroup, results: list[PushResult], report: RunReport,
        ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]], carried: set[str],
    ) -> None:
        """A member group's results (its customers', and a carrier order's) into the report and the store."""
        written = {w.entity for result in results for w in result.synced}
        report.outcomes.count_group(group, member_written=Entity.MEMBER in written,
                                    buyer_written=Entity.ECOMMERCE_CUSTOMER in written)
        ledger, order_ledger = ledgers
        for result in results:
            self._apply(result, report, order_ledger if result.event.entity == Entity.ORDER else ledger)
            if result.event.entity == Entity.ORDER:
                report.outcomes.orders[result.event.gp_key] = result.event.action
                carried.add(result.event.gp_key)

    # ---------------------------------------------------------------------------------- by batches
    def _batch_backfill(self) -> BatchBackfill:
        return BatchBackfill(BatchClient(self.api.t), self.book.profile_id, self.batch_settings,
                             flush=self.book.flush, progress=self.progress, cancel=self.cancel)

    def _finish_stored_batches(self) -> None:
        """Apply what a killed or cancelled run left in flight (its records then plan as synced): audited and
        ledgered now, and counted in this run's figures as what the batches did where the plan finds them
        unchanged (sync/resumed.py)."""
        backfill = self._batch_backfill()
        if not backfill.has_stored():
            return
        self.progress("batches", 0, 0)
        ledgers = {e: self.book.failures(e) for e in (Entity.CUSTOMER, Entity.ORDER)}
        scratch = RunReport()

        def apply(done: list[Work]) -> None:
            for work in done:
                results = self._work_results(work)
                for result in results:
                    self._apply(result, scratch, ledgers[Entity(result.event.entity)])
                self._resumed.note(results)

        try:
            backfill.resume(apply)
        finally:
            backfill.client.close()

    def _send_groups_by_batch(
        self, batcher: BatchBackfill, groups: list[MemberGroup], report: RunReport,
        ledgers: tuple[Mapping[str, LedgerEntry], Mapping[str, LedgerEntry]], carried: set[str],
    ) -> list[MemberGroup]:
        """Send the groups that write their member or buyer simply by batches; returns the rest (nothing to
        write, or an older build's customers to delete first) for the per-record path."""
        simple = {f"member:{g.member.email}": g for g in groups
                  if not g.legacy and (g.member_decision.writes or g.writes_buyer)}

        def apply(done: list[Work]) -> None:
            for work in done:
                self._apply_group(simple[work.key], self._work_results(work), report, ledgers, carried)

        try:
            batcher.run([self._group_work(g) for g in simple.values()], apply)
        finally:
            report.batches = batcher.counts()
        return [g for g in groups if f"member:{g.member.email}" not in simple]

    def _group_work(self, group: MemberGroup) -> Work:
        member, mc = group.member, self.profile.mailchimp
        records = []
        for cp, decision in group.to_send:
            records.append(_as_record(self._customer_result(member, cp, decision, ())))
        return group_work(
            member.email, records, list_id=mc.list_id,
            member=(member.payload, member.hash) if group.member_decision.writes else None,
            tags=member.tags, paused=self._paused,
            buyer=(mc.store_id, member.buyer.payload, member.buyer.hash) if group.writes_buyer else None)

    def _send_orders_by_batch(
        self, batcher: BatchBackfill, todo: list[tuple[OrderPlan, OrderDecision]], report: RunReport,
        ledger: Mapping[str, LedgerEntry],
    ) -> list[tuple[OrderPlan, OrderDecision]]:
        """Send the orders created or updated in place by batches; returns the rest for the per-record path:
        orders moved to another customer, and those the batches handed back."""
        # An update of an order that may carry item lines goes record by record: its answer says which lines
        # Mailchimp kept that GP no longer has, to delete them (a batch operation's answer is not read back).
        lines = self.profile.gp.order_lines == "sales_invoices"
        simple = {f"order:{op.doc.number}": (op, d) for op, d in todo
                  if not d.repoint and not d.gone and not (lines and d.action == Action.UPDATED)}
        store_id = self.profile.mailchimp.store_id

        def apply(done: list[Work]) -> None:
            for work in done:
                for result in self._work_results(work):
                    self._apply(result, report, ledger)
                    report.outcomes.orders[result.event.gp_key] = result.event.action

        works = []
        for op, decision in simple.values():
            record = _as_record(self._order_result(op, decision, decision.action))
            works.append(order_work(record, store_id=store_id, payload=op.payload,
                                    update=decision.action == Action.UPDATED))
        try:
            batcher.run(works, apply)
        finally:
            report.batches = batcher.counts()
        back = {w.key for w in batcher.handed_back}
        return [item for key, item in simple.items() if key in back] + [
            (op, d) for op, d in todo if f"order:{op.doc.number}" not in simple]

    def _work_results(self, work: Work) -> list[PushResult]:
        """What a record sent by batches applies: as the per-record path's results (the first carries the
        group's member and buyer), or its failure."""
        err = work.failure()
        if err is not None and err.category is Category.AUTH:
            self._abort = self._as_abort(err)
        results = []
        for i, record in enumerate(work.records):
            kept = tuple(SyncedWrite(*w) for w in work.kept()) if i == 0 else ()
            if err is None:
                own = tuple(SyncedWrite(*w) for w in record.writes)
                results.append(PushResult(record.event, record.ledger_hash, synced=(*kept, *own)))
                continue
            event = dataclasses.replace(
                record.event, action=Action.FAILED, reason=_error_reason(err), http_status=err.status,
                error_title=err.title or None, error_detail=err.detail or None,
                mailchimp_id=record.event.mailchimp_id if record.event.entity == Entity.ORDER else None)
            results.append(PushResult(event, record.ledger_hash, error=err, synced=kept))
        return results

    def _push_member_group(
        self, group: MemberGroup, carrier: tuple[OrderPlan, OrderDecision] | None
    ) -> list[PushResult]:
        """The member, then its e-commerce customer (in *carrier*'s POST when there is one), then a result for
        each GP customer sharing them (and for the carrier order)."""
        member, to_send = group.member, group.to_send
        synced: tuple[SyncedWrite, ...] = ()  # what Mailchimp accepted so far; carried by the first result
        audit: tuple[NewAuditEvent, ...] = ()
        carrier_result = None
        try:
            if group.member_decision.writes:
                synced = (self._write_member(member, new=group.member_decision.action == Action.CREATED),)
            if group.legacy:
                legacy_state, audit = self._delete_legacy(group)
                synced = (*synced, *legacy_state)
                if carrier is not None and any(w.gp_key == carrier[0].doc.number for w in legacy_state):
                    carrier = (carrier[0], dataclasses.replace(carrier[1], gone=True))  # deleted just now
            if group.writes_buyer:
                buyer_state, carrier_result = self._write_buyer(member.buyer, carrier)
                synced = (*synced, *buyer_state)
        except MailchimpError as err:
            return [self._failed_customer(member, cp, err, synced if i == 0 else ())
                    for i, (cp, _decision) in enumerate(to_send)]
        results = []
        for cp, decision in to_send:
            results.append(self._customer_result(member, cp, decision, synced, audit))
            synced, audit = (), ()  # carried by the first customer sent only
        return [*results, carrier_result] if carrier_result else results

    def _write_member(self, member: MemberPlan, new: bool = False) -> SyncedWrite:
        """Upsert the member, then bring its tags to the GP class.  *new*: never synced from this profile; when the
        store is not syncing its tags go in the create itself (one call, not two)."""
        list_id = self.profile.mailchimp.list_id
        if new and member.tags and not self._paused:
            # A tag set while the store is syncing must carry is_syncing (tag automations stay quiet), which only
            # the tags call takes: the create-with-tags is for live runs.  An address Mailchimp lists already
            # (from a form, another tool, a crash after this POST) answers "Member Exists" and is upserted, so its
            # status is never touched.
            try:
                answer = self.api.add_member(list_id, mapping.member_create(member.payload, member.tags))
            except MailchimpError as err:
                if not err.member_exists:
                    raise
            else:
                return SyncedWrite(Entity.MEMBER, member.email,
                                   SyncedState(member.hash, str(answer.get("id", "")) or None, member.email))
        answer = self.api.upsert_member(list_id, member.payload)
        # The member's tags as Mailchimp holds them now, from the upsert's answer: a class tag that no longer
        # applies is removed, and unchanged tags are not posted again.
        tags = mapping.tag_changes(member.tags, answer.get("tags"))
        if tags:
            # As the store: is_syncing during the historical load and for good with automations = off; otherwise
            # a new class tag is news that tag-based automations may act on.
            self.api.set_tags(list_id, member.email, tags, is_syncing=self._paused)
        state = SyncedState(member.hash, str(answer.get("id", "")) or None, member.email)
        return SyncedWrite(Entity.MEMBER, member.email, state)

    def _delete_legacy(self, group: MemberGroup) -> tuple[tuple[SyncedWrite, ...], tuple[NewAuditEvent, ...]]:
        """Delete the older build's customers in the way of the group's buyer (Mailchimp refuses a second
        customer with an e-mail one has), each after the orders that hang on it; those orders are created again
        on the buyer (their synced rows say they are gone).  Audited on the GP customer the customer was of."""
        store_id = self.profile.mailchimp.store_id
        writes: list[SyncedWrite] = []
        events: list[NewAuditEvent] = []
        for legacy in group.legacy:
            for number in legacy.orders:
                self._delete_order(store_id, number)
                writes.append(SyncedWrite(Entity.ORDER, number, SyncedState(GONE_ORDER_HASH, number)))
            self._delete_customer(store_id, legacy.id)
            if legacy.id in group.member.customers:
                reason = (f"deleted its own e-commerce customer (an older build's, id {legacy.id}): its orders are "
                          f"created again on the e-commerce customer of {group.member.email}")
                events.append(_audit_event(Entity.CUSTOMER, legacy.id, Action.UPDATED, reason=reason,
                                           mailchimp_id=legacy.id, email=legacy.email))
        return tuple(writes), tuple(events)

    def _write_buyer(
        self, buyer: BuyerPlan, carrier: tuple[OrderPlan, OrderDecision] | None
    ) -> tuple[tuple[SyncedWrite, ...], PushResult | None]:
        """Create or update the e-mail's e-commerce customer: in full in *carrier*'s POST (one call fewer), or
        with a PUT of its own when there is no carrier or the carrier could not take it (then the order, unless
        it went, is left to the orders step, and the PUT says whether the customer itself is refused)."""
        written = (SyncedWrite(Entity.ECOMMERCE_CUSTOMER, buyer.id, SyncedState(buyer.hash, buyer.id, buyer.email)),)
        order_result = None
        if carrier is not None:
            result = self._push_order(carrier, buyer)
            if result.error is None:
                order_result = result
                if result.carried_buyer:
                    return written, result
            elif result.error.category is Category.AUTH:
                raise result.error
        self.api.put_customer(self.profile.mailchimp.store_id, buyer.payload)
        return written, order_result

    def _customer_result(
        self, member: MemberPlan, cp: CustomerPlan, decision: CustomerDecision, synced: tuple[SyncedWrite, ...],
        audit: tuple[NewAuditEvent, ...] = (),
    ) -> PushResult:
        number = cp.customer.number
        writes = synced
        if decision.action != Action.UNCHANGED:
            state = SyncedState(cp.hash, cp.buyer_id, member.email)
            writes = (*writes, SyncedWrite(Entity.CUSTOMER, number, state))
        reason = self._lost_reason(Entity.MEMBER, member.email, decision.reason) if decision.writes else decision.reason
        event = _audit_event(Entity.CUSTOMER, number, decision.action, reason=reason,
                             mailchimp_id=cp.buyer_id, email=member.email, payload_hash=cp.hash,
                             customer_name=cp.customer.display_name)
        return PushResult(event, ledger_hash(member, cp), synced=writes, audit=audit)

    def _failed_customer(
        self, member: MemberPlan, cp: CustomerPlan, err: MailchimpError, synced: tuple[SyncedWrite, ...] = ()
    ) -> PushResult:
        if err.category is Category.AUTH:
            self._abort = self._as_abort(err)
        event = _audit_event(Entity.CUSTOMER, cp.customer.number, Action.FAILED, reason=_error_reason(err),
                             email=member.email, payload_hash=cp.hash, error=err,
                             customer_name=cp.customer.display_name)
        return PushResult(event, ledger_hash(member, cp), error=err, synced=synced)

    # ---------------------------------------------------------------------------------- orders
    def _sync_orders(
        self, plan: Plan, report: RunReport, carried: Collection[str], batcher: BatchBackfill | None = None
    ) -> None:
        synced_orders = self._synced(Entity.ORDER)
        ledger = self.book.failures(Entity.ORDER)
        _count_plan_skips(report, Entity.ORDER, plan.skipped_orders.values())
        self._audit_skips(Entity.ORDER, plan.skipped_orders, Entity.ORDER_SKIP)
        sendable = sendable_customers(plan, self.book.synced(Entity.CUSTOMER).keys(),
                                      self.book.synced(Entity.ECOMMERCE_CUSTOMER).keys())
        decisions = decide_orders(plan, synced_orders, ledger, sendable=sendable, now=self.now(),
                                  customer_ledger=self.book.failures(Entity.CUSTOMER))
        todo = _orders_to_send(report, decisions, ledger, already_sent=carried, resumed=self._resumed)
        # Progress counts every GP invoice, as the reconciliation does: those left out, unchanged, held, or sent
        # with their customer in the customers step are done from the start.
        total = len(plan.orders) + len(plan.skipped_orders)
        self._progress("orders", total - len(todo), total)
        if batcher is not None:
            todo = self._send_orders_by_batch(batcher, todo, report, ledger)
            if self.cancel.is_set():
                return
        for done, result in enumerate(self._parallel(todo, self._push_order), start=total - len(todo) + 1):
            self._apply(result, report, ledger)
            report.outcomes.orders[result.event.gp_key] = result.event.action
            self._progress("orders", done, total)
            if done % FLUSH_EVERY == 0:
                self.book.flush()
        self.book.flush()

    def _push_order(
        self, item: tuple[OrderPlan, OrderDecision], buyer: BuyerPlan | None = None, retried_product: bool = False
    ) -> PushResult:
        """Send one order; with *buyer*, a POST carries its e-commerce customer in full."""
        op, decision = item
        store_id = self.profile.mailchimp.store_id
        number = op.doc.number
        try:
            sent = self._send_order(store_id, op, decision, buyer)
        except MailchimpError as err:
            if err.missing_product and not retried_product:
                # Someone deleted a product in Mailchimp (the placeholder, or an item's): put the order's back and
                # try once more.  Only the API here (this is a worker thread); the products' synced state is left
                # to the engine thread.
                with self._product_lock:
                    for body in (order_lines.products(op.doc) or {mapping.PRODUCT_ID: mapping.PRODUCT}).values():
                        self.api.put_product(store_id, body)
                return self._push_order(item, buyer, retried_product=True)
            if err.category is Category.AUTH:
                self._abort = self._as_abort(err)
            event = _audit_event(Entity.ORDER, number, Action.FAILED, reason=_error_reason(err), mailchimp_id=number,
                                 email=op.email, payload_hash=op.hash, error=err, customer_name=op.customer_name,
                                 order=op)
            return PushResult(event, op.hash, error=err)
        result = self._order_result(op, decision, sent.action, moved=sent.moved)
        return dataclasses.replace(result, carried_buyer=sent.carried_buyer)

    def _order_result(
        self, op: OrderPlan, decision: OrderDecision, action: Action, *, moved: bool = False
    ) -> PushResult:
        """An order Mailchimp accepted as *action*: its audit row and synced state."""
        number = op.doc.number
        reason = self._lost_reason(Entity.ORDER, number, order_reason(op, repoint=decision.repoint or moved))
        event = _audit_event(Entity.ORDER, number, action, mailchimp_id=number, email=op.email,
                             payload_hash=op.hash, reason=reason, customer_name=op.customer_name, order=op)
        state = SyncedState(op.hash, number, op.email)
        return PushResult(event, op.hash, synced=(SyncedWrite(Entity.ORDER, number, state),))

    def _send_order(
        self, store_id: str, op: OrderPlan, decision: OrderDecision, buyer: BuyerPlan | None
    ) -> OrderSent:
        number = op.doc.number
        if decision.repoint:
            # PATCH cannot move an order to another customer: delete it and create it again on its buyer.
            if not decision.gone:
                self._delete_order(store_id, number)
            return self._create_order(store_id, op, buyer, Action.UPDATED, moved=True)
        if decision.action == Action.UPDATED:
            payload = op.payload
            try:
                answer = self.api.update_order(store_id, number, mapping.order_patch(payload))
            except MailchimpError as err:
                if not err.is_not_found:
                    raise
                return self._create_order(store_id, op, buyer, Action.CREATED)  # our state said it existed
            self._drop_stale_lines(store_id, number, payload, answer)
            return self._settle_patched(store_id, op, answer, buyer, Action.UPDATED)
        return self._create_order(store_id, op, buyer, Action.CREATED)

    def _create_order(
        self, store_id: str, op: OrderPlan, buyer: BuyerPlan | None, action: Action, *, moved: bool = False
    ) -> OrderSent:
        try:
            self.api.create_order(store_id, _order_body(op, buyer))
        except MailchimpError as err:
            if not err.already_exists:
                raise
            # Sent before a crash, or by an earlier install: update it instead (never PUT an order).
            answer = self.api.update_order(store_id, op.doc.number, mapping.order_patch(op.payload))
            return self._settle_patched(store_id, op, answer, buyer, Action.UPDATED)
        return OrderSent(action, buyer is not None, moved)

    def _drop_stale_lines(self, store_id: str, number: str, payload: dict[str, Any], answer: object) -> None:
        """Delete the lines Mailchimp's *answer* to a PATCH still holds that *payload* no longer has: a PATCH
        merges lines by id and keeps the rest (the placeholder line of an order that now carries its items, or an
        item line GP dropped), which would count their money twice."""
        held = answer.get("lines") if isinstance(answer, dict) else None
        if not isinstance(held, list):
            return
        sent = {str(line["id"]) for line in payload["lines"]}
        for line in held:
            line_id = str(line.get("id", "")) if isinstance(line, dict) else ""
            if line_id and line_id not in sent:
                try:
                    self.api.delete_order_line(store_id, number, line_id)
                except MailchimpError as err:
                    if not err.is_not_found:
                        raise

    def _settle_patched(
        self, store_id: str, op: OrderPlan, answer: object, buyer: BuyerPlan | None, action: Action
    ) -> OrderSent:
        """A PATCH leaves an order on the customer it has.  If Mailchimp's answer shows another than its buyer
        (our memory of it was lost or stale), it is deleted and created again on its buyer."""
        customer = answer.get("customer") if isinstance(answer, dict) else None
        holder = customer.get("id") if isinstance(customer, dict) else None
        if not holder or holder == op.payload["customer"]["id"]:
            return OrderSent(action, False, False)
        self._delete_order(store_id, op.doc.number)
        self.api.create_order(store_id, _order_body(op, buyer))
        return OrderSent(Action.UPDATED, buyer is not None, True)

    def _delete_order(self, store_id: str, number: str) -> None:
        try:
            self.api.delete_order(store_id, number)
        except MailchimpError as err:
            if not err.is_not_found:  # gone already (deleted before a crash)
                raise

    def _delete_customer(self, store_id: str, customer_id: str) -> None:
        try:
            self.api.delete_customer(store_id, customer_id)
        except MailchimpError as err:
            if not err.is_not_found:  # gone already
                raise

    # ---------------------------------------------------------------------------------- retiring customers
    def _retire_buyers(self, gp: GPRead) -> None:
        """Delete the buyers of e-mails no GP customer has and no order hangs on any more (an e-mail changed).
        Their synced state is forgotten only once Mailchimp confirmed, so a kill here is finished next run."""
        if gp.shard_count == 1 and self._whole is not None:
            surplus = surplus_buyers(self._whole, self.book.synced(Entity.ECOMMERCE_CUSTOMER),
                                     self.book.synced(Entity.ORDER))
        else:
            surplus = sorted(self._surplus_by_key(gp))
        for buyer_id, state, error in self._parallel(surplus, self._delete_buyer):
            reason = f"deleted the e-commerce customer of {state.remote_email}: no GP customer has this e-mail any more"
            if error is None:
                self.book.forget(Entity.ECOMMERCE_CUSTOMER, buyer_id)
                self.book.audit(_audit_event(Entity.CUSTOMER, buyer_id, Action.UPDATED, reason=reason,
                                             mailchimp_id=buyer_id, email=state.remote_email or ""))
            else:  # tried again next run; not a GP record, so nothing is ledgered
                self._buyers_left += 1
                self.book.audit(_audit_event(Entity.CUSTOMER, buyer_id, Action.FAILED, mailchimp_id=buyer_id,
                                             email=state.remote_email or "", error=error,
                                             reason=f"{reason}: {_error_reason(error)}"))
        self.book.flush()

    def _surplus_by_key(self, gp: GPRead) -> Iterator[tuple[str, SyncedState]]:
        """:func:`decide.surplus_buyers` a few hundred buyers at a time, the synced tables left in the database: a
        buyer is kept while a GP customer has its e-mail or an order hangs on it."""
        for chunk in chunks(self.book.synced_items(Entity.ECOMMERCE_CUSTOMER), 500):
            # A buyer of this build: its id is its e-mail's (an older build's, its GP customer's: never kept).
            own = {bid: s.remote_email for bid, s in chunk
                   if s.remote_email and mapping.ecommerce_customer_id(s.remote_email) == bid}
            in_gp = set(gp.known_emails(own.values()))
            maybe = [(bid, s) for bid, s in chunk if own.get(bid) not in in_gp]
            ordered = self.book.emails_held(Entity.ORDER, (own[bid] for bid, _s in maybe if bid in own))
            yield from ((bid, s) for bid, s in maybe if own.get(bid) not in ordered)

    def _forget_absent_skips(self, gp: GPRead) -> None:
        """The skips of records GP no longer answers with are forgotten (audited again should they come back and
        be skipped), as a single plan's :meth:`_audit_skips` does for its own."""
        for entity, absent in ((Entity.CUSTOMER_SKIP, gp.absent_customers), (Entity.ORDER_SKIP, gp.absent_documents)):
            for number in list(absent(self.book.synced_keys(entity))):
                self.book.forget(entity, number)
        self.book.flush()

    def _delete_buyer(self, item: tuple[str, SyncedState]) -> tuple[str, SyncedState, MailchimpError | None]:
        buyer_id, state = item
        try:
            self._delete_customer(self.profile.mailchimp.store_id, buyer_id)
        except MailchimpError as err:
            if err.category is Category.AUTH:
                self._abort = self._as_abort(err)
            return buyer_id, state, err
        return buyer_id, state, None

    # ---------------------------------------------------------------------------------- shared plumbing
    def _audit_skips(
        self, entity: Entity, skipped: Mapping[str, tuple[Customer | Document, str]], seen_entity: Entity
    ) -> None:
        """Audit each record the plan leaves out once, not on every poll: the reason last audited is kept as the
        synced state of *seen_entity*, and forgotten when the record is no longer skipped (so a later skip is
        audited again)."""
        seen = self.book.synced(seen_entity)
        for number, (record, reason) in skipped.items():
            digest = mapping.content_hash(reason)
            prior = seen.get(number)
            if prior is None or prior.content_hash != digest:
                if isinstance(record, Customer):
                    event = _audit_event(entity, number, Action.SKIPPED, reason=reason, email=record.email or "",
                                         customer_name=record.display_name)
                else:  # the order's customer and amount, so a search for the customer finds it
                    event = dataclasses.replace(
                        _audit_event(entity, number, Action.SKIPPED, reason=reason),
                        customer_number=record.customer_number or None, amount=record.amount)
                self.book.audit(event)
                self.book.mark_synced(seen_entity, number, SyncedState(digest, None))
        for number in seen.keys() - skipped.keys():
            self.book.forget(seen_entity, number)

    def _parallel(self, items: Iterable[T], fn: Callable[[T], R]) -> Iterator[R]:
        """Run *fn* over *items* on the capped pool, yielding results as they finish (in any order).

        Submits only a little ahead of the workers so a cancel or an abort stops promptly."""
        source = iter(items)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="gpmc-sync") as pool:
            pending: set[Future[R]] = set()
            while True:
                while len(pending) < self.workers * 2 and not self.cancel.is_set() and self._abort is None:
                    try:
                        pending.add(pool.submit(fn, next(source)))
                    except StopIteration:
                        break
                if not pending:
                    return
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()

    def _apply(self, result: PushResult, report: RunReport, ledger: Mapping[str, LedgerEntry]) -> None:
        """*ledger*: the failure ledger of the record's entity as the run found it (what a failure is news to)."""
        event = result.event
        entity = Entity(event.entity)
        report.counts(entity)[self._resumed.counted(entity, event.gp_key, event.action)] += 1
        for write in result.synced:
            self.book.mark_synced(write.entity, write.gp_key, write.state)
        if event.action == Action.FAILED and result.error is not None:
            category = failure_category(result.error)
            report.failure_news[failure_news(ledger.get(event.gp_key), result.ledger_hash, category)] += 1
            # A refused key is not this record's fault: the run aborts (exit 2), and once the key is fixed the
            # next run must send the record, so it is not ledgered.
            if result.error.category is not Category.AUTH:
                self.book.record_failure(entity, event.gp_key, result.error, result.ledger_hash, event)
        elif event.action != Action.FAILED and event.gp_key in ledger:
            # Only records the ledger holds: resolving is a write transaction of its own, and one per record
            # would make every poll write once for each unchanged customer.
            self.book.resolve_failure(entity, event.gp_key)
        if event.action != Action.UNCHANGED:
            self.book.audit(event)
        for extra in result.audit:
            self.book.audit(extra)


def _as_record(result: PushResult) -> Record:
    """A record about to go by batches: what its per-record result would apply once Mailchimp took it."""
    return Record(result.event, result.ledger_hash, [tuple(w) for w in result.synced])


def _share_hashes(
    plan: Plan, members: Mapping[str, SyncedState], buyers: Mapping[str, SyncedState],
    customers: Mapping[str, SyncedState], orders: Mapping[str, SyncedState],
) -> None:
    """Where a planned record's hash equals the one synced, the plan takes the synced state's string, so a poll
    of 400,000 unchanged records holds each hash once, not twice (the values are equal: nothing is decided
    differently).  The synced state's keys become the plan's strings likewise."""
    for number, op in plan.orders.items():
        if (held := _hash_of(orders, number)) is not None and held == op.hash:
            op.hash = held
    for number, cp in plan.customers.items():
        if (held := _hash_of(customers, number)) is not None and held == cp.hash:
            cp.hash = held
    for email, member in plan.members.items():
        if (held := _hash_of(members, email)) is not None and held == member.hash:
            member.hash = held
        if (held := _hash_of(buyers, member.buyer.id)) is not None and held == member.buyer.hash:
            member.buyer.hash = held
    if isinstance(orders, SyncedMap):
        orders.share_keys(lambda n: None if (op := plan.orders.get(n)) is None else op.doc.number)
    if isinstance(customers, SyncedMap):
        customers.share_keys(lambda n: None if (cp := plan.customers.get(n)) is None else cp.customer.number)
    if isinstance(members, SyncedMap):
        members.share_keys(lambda e: None if (member := plan.members.get(e)) is None else member.email)


def _prefer_plan_strings(book: Bookkeeping, plan: Plan | None) -> None:
    """The synced state, when read, holds the plan's equal record numbers and hashes, not copies of its own
    (None: its own again)."""
    if plan is None:
        for entity in (Entity.ORDER, Entity.CUSTOMER, Entity.MEMBER):
            book.prefer_strings(entity, None)
        return
    orders, customers, members = plan.orders, plan.customers, plan.members
    book.prefer_strings(Entity.ORDER, lambda n: None if (op := orders.get(n)) is None else (op.doc.number, op.hash))
    book.prefer_strings(Entity.CUSTOMER, lambda n: None if (cp := customers.get(n)) is None else (
        cp.customer.number, cp.hash))
    book.prefer_strings(Entity.MEMBER, lambda e: None if (m := members.get(e)) is None else (m.email, m.hash))


def _hash_of(synced: Mapping[str, SyncedState], key: str) -> str | None:
    if isinstance(synced, SyncedMap):
        return synced.hash_of(key)  # no SyncedState made for each of 400,000 records
    prior = synced.get(key)
    return None if prior is None else prior.content_hash


def _count_plan_skips(report: RunReport, entity: Entity, skipped: Iterable[tuple[object, str]]) -> None:
    for _record, reason in skipped:
        report.count_skip(entity, reason)


def _count_held(report: RunReport, groups: Iterable[MemberGroup], ledger: Mapping[str, LedgerEntry]) -> None:
    """The customers the failure ledger holds back this run (nothing is sent for them)."""
    for group in groups:
        for cp, decision in group.customers:
            if decision.held:
                report.customers[decision.action] += 1
                _count_held_failure(report, decision, ledger.get(cp.customer.number), ledger_hash(group.member, cp))


def _count_held_failure(report: RunReport, decision: Decision, prior: LedgerEntry | None, content_hash: str) -> None:
    """A held record counted FAILED failed before with this content: known or retrying, never new."""
    if decision.action == Action.FAILED and prior is not None:
        report.failure_news[failure_news(prior, content_hash, prior.category)] += 1


def _to_send(fc: Forecast) -> int:
    """The customers and invoices the run sets out to send ("120 of 318 sent" when it is cancelled)."""
    customers = sum(1 for group in fc.sending for _cp, decision in group.to_send if decision.writes)
    return customers + sum(1 for _op, decision in fc.orders if decision.writes and not decision.held)


def run_kind(trigger: RunKind, *, full: bool, dry_run: bool, first_load: bool) -> RunKind:
    """The kind a run is recorded as: a preview, the first load (whatever started it), a full comparison, or
    else what started it."""
    if dry_run:
        return RunKind.DRY_RUN
    if first_load:
        return RunKind.FIRST_LOAD
    return RunKind.FULL if full else trigger


def _orders_to_send(
    report: RunReport, decisions: Iterable[tuple[OrderPlan, OrderDecision]], ledger: Mapping[str, LedgerEntry],
    already_sent: Container[str] = (), resumed: Resumed | None = None,
) -> list[tuple[OrderPlan, OrderDecision]]:
    """The orders this run sends, with their decisions; the rest are counted in *report* (waiting for their
    customer, unchanged, or held by the failure ledger).  *already_sent*: orders that carried their customer in
    the customers step, sent and counted there.  *resumed*: what the run finished of a stopped run's batches
    (an order they created counts as created, not unchanged)."""
    todo = []
    for op, decision in decisions:
        if op.doc.number in already_sent:
            continue
        if decision.writes:
            todo.append((op, decision))
            if report.dry_run:  # a real run notes what Mailchimp made of it
                report.outcomes.orders[op.doc.number] = decision.action
            continue
        action = resumed.counted(Entity.ORDER, op.doc.number, decision.action) if resumed else decision.action
        report.outcomes.orders[op.doc.number] = action
        if decision.action == Action.SKIPPED and not decision.held:
            report.count_skip(Entity.ORDER, decision.reason)
        else:
            report.orders[action] += 1
            if decision.held:
                _count_held_failure(report, decision, ledger.get(op.doc.number), op.hash)
    return todo


def _order_body(op: OrderPlan, buyer: BuyerPlan | None) -> dict[str, Any]:
    """The order's POST; with *buyer*, carrying its e-commerce customer in full."""
    return op.payload if buyer is None else mapping.order_with_customer(op.payload, buyer.payload)


def _feed(read: Callable[..., Iterable[T]], into: Callable[[T], None], prints: PrintTaker) -> bool:
    """Every record *read* gives, into *into*: handed over as the source reads them when it can (a streamed SBA
    answer is never held whole), else from the list it returns.  Whether *prints* took the answer's print (a
    source that prints its answers: sync/quiet_poll.py)."""
    parameters = inspect.signature(read).parameters
    if "into" in parameters:
        if "prints" in parameters:
            read(into=into, prints=prints)
            return True
        read(into=into)
        return False
    for record in read():
        into(record)
    return False


def _scope(customers: list[Customer], documents: list[Document]) -> dict[Entity, list[str]]:
    """The synced records one part's plan can touch, by entity: its customers', their e-mails' and invoices'."""
    numbers = [c.number for c in customers]
    emails = list(dict.fromkeys(c.email for c in customers if c.email))
    # An older build's e-commerce customer had the GP customer number as its id.
    buyers = [mapping.ecommerce_customer_id(e) for e in emails] + numbers
    invoices = [d.number for d in documents]
    return {Entity.CUSTOMER: numbers, Entity.CUSTOMER_SKIP: numbers, Entity.MEMBER: emails,
            Entity.ECOMMERCE_CUSTOMER: buyers, Entity.ORDER: invoices, Entity.ORDER_SKIP: invoices}


class _Progress:
    """The customers' and orders' progress of the whole run, from its parts' own counts."""

    def __init__(self, report: ProgressFn, totals: dict[str, int]) -> None:
        self._report, self._totals = report, totals
        self._before: dict[str, int] = dict.fromkeys(totals, 0)  # done in earlier parts
        self._part: dict[str, int] = dict.fromkeys(totals, 0)  # this part's total
        self._told = True  # the last part's progress was told (see finish)

    def __call__(self, phase: str, done: int, total: int) -> None:
        self._part[phase] = total
        self._report(phase, self._before[phase] + done, max(self._totals[phase], self._before[phase] + total))

    def next_part(self) -> None:
        for phase, total in self._part.items():
            self._before[phase] += total
        self._part = dict.fromkeys(self._totals, 0)
        self._told = True

    def done_already(self, **done: int) -> None:
        """Parts counted without being sent (nothing to do in them): done from the start."""
        for phase, n in done.items():
            self._before[phase] += n
        self._told = False
        if done.get("customers"):
            self("customers", 0, 0)

    def finish(self) -> None:
        """A run whose every part had nothing to do says so once its parts are done."""
        if not self._told:
            self("orders", 0, 0)


def _add_counts(report: RunReport, more: RunReport) -> None:
    """*more*'s counts into *report* (the parts a survey counted, once the run goes on)."""
    for entity in (Entity.CUSTOMER, Entity.ORDER):
        for action, n in more.counts(entity).items():
            report.counts(entity)[action] += n
    report.skip_reasons.update(more.skip_reasons)
    report.fields_left_out.update(more.fields_left_out)
    report.failure_news.update(more.failure_news)
    report.new_contacts += more.new_contacts
