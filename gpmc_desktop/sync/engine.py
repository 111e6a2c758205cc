"""One poll cycle: read GP, decide what changed, write it to Mailchimp, remember what was written.

Order of work (Mailchimp's dependencies): store → merge fields → product → members and e-commerce customers →
orders.  Every Mailchimp write is an idempotent upsert or a create that tolerates "already exists", and the local
state is written only after Mailchimp accepted a record, so killing the process at any instant and running again
converges with no duplicates and nothing lost.  Worker threads only talk to Mailchimp; all database writes happen
on the engine's own thread.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import Category, MailchimpError
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.bookkeeping import AuditRecord, Bookkeeping, Failure, Synced
from gpmc_desktop.sync.config import Profile
from gpmc_desktop.sync.plan import CustomerPlan, MemberPlan, OrderPlan, Plan, build_plan
from gpmc_desktop.sync.report import RunReport

ProgressFn = Callable[[str, int, int], None]
T = TypeVar("T")
R = TypeVar("R")

FLUSH_EVERY = 200
# The synced hash of an order that must be sent again as an update (never a real content hash).
RESEND_HASH = "resend"


class GPSource(Protocol):
    def customers(self) -> list[Customer]: ...
    def documents(self) -> list[Document]: ...


class AbortRun(Exception):
    """The run cannot go on (authentication refused, audience missing...): exit 2."""


@dataclass
class RecordResult:
    """What a worker did for one GP record; applied to the database on the engine thread."""

    entity: str
    gp_key: str
    action: str
    reason: str = ""
    mailchimp_id: str = ""
    email: str = ""
    payload_hash: str = ""
    error: MailchimpError | None = None
    ledger_hash: str = ""
    synced: list[tuple[str, str, str, str, str, dict[str, Any]]] = field(default_factory=list)
    resend_orders_of: str = ""


def _reason_group(reason: str) -> str:
    """The reason without its record-specific detail in parentheses, for the summary's tally."""
    return reason.split(" (")[0]


def _blocked_reason(failure: Failure | None, content_hash: str, now: dt.datetime) -> str | None:
    """Why a ledgered record is not sent this run, or None when it should be tried."""
    if failure is None:
        return None
    if failure.content_hash != content_hash:
        return None  # the GP record changed since it failed: try the new data
    if failure.dismissed:
        return "failure dismissed by a person"
    if failure.next_retry_at is None:
        return f"waiting for a change in GP or a replay ({failure.title})"
    if failure.next_retry_at > now:
        return f"retry after {failure.next_retry_at.isoformat(timespec='minutes')} ({failure.title})"
    return None


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
    ) -> None:
        self.profile = profile
        self.source = source
        self.api = api
        self.book = book
        self.progress = progress or (lambda phase, done, total: None)
        self.cancel = cancel or threading.Event()
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.workers = profile.mailchimp.max_connections
        self._abort: AbortRun | None = None
        self._backfill = False
        self._product_lock = threading.Lock()

    # ================================================================================================ public
    def run(self, *, full: bool = False, dry_run: bool = False) -> RunReport:
        report = RunReport(dry_run=dry_run)
        report.run_id = self.book.start_run("dry-run" if dry_run else ("full" if full else "incremental"))
        try:
            if not dry_run:
                self._preflight()  # a wrong key or audience shows before a GP pull that may take minutes
            self.progress("gp", 0, 0)
            customers = self.source.customers()
            self.progress("gp", 1, 2)
            documents = self.source.documents()
            self.progress("gp", 2, 2)
            plan = build_plan(customers, documents, self.profile.filters, self.profile.mailchimp.status_if_new)
            report.ignored_documents = dict(plan.ignored_documents)
            if dry_run:
                self._dry_run(plan, report, full)
            else:
                self._sync(plan, report, full)
        except GPError as err:
            report.outcome, report.error = "failed", f"GP: {err}"
        except AbortRun as err:
            report.outcome, report.error = "failed", str(err)
        except MailchimpError as err:
            report.outcome, report.error = "failed", f"Mailchimp: {err}"
        if self.cancel.is_set() and report.outcome != "failed":
            report.outcome = "cancelled"
        elif report.outcome == "ok" and (report.customers["failed"] or report.orders["failed"]):
            report.outcome = "partial"
        self.book.flush()
        self.book.finish_run(report.run_id, report.outcome, {"customer": report.customers,
                                                             "order": report.orders}, report.error)
        return report

    # ================================================================================================ dry run
    def _dry_run(self, plan: Plan, report: RunReport, full: bool) -> None:
        """Count what :meth:`_sync` would do, by the same rules, without a single Mailchimp call.

        The rules are the real run's: a member change counts on the group's first sendable customer, and a
        record held by the failure ledger counts as failed (skipped when dismissed) and is not sent, so its
        contact is not new and its orders wait.  (Comparing customer hashes only, the old count called
        ledgered records "created" on every dry run, put them into ``new_contacts``, and missed member-only
        changes such as a class tag.)"""
        members = self.book.synced("member")
        customers = self.book.synced("customer")
        orders = self.book.synced("order")
        customer_ledger, order_ledger = self.book.failures("customer"), self.book.failures("order")
        now = self.now()
        for _customer, reason in plan.skipped_customers.values():
            report.customers["skipped"] += 1
            report.skip_reasons[f"customer: {_reason_group(reason)}"] += 1
        held: set[str] = set()
        for member in plan.members.values():
            prior_member = members.get(member.email)
            member_changes = full or prior_member is None or prior_member.hash != member.hash
            sendable = 0
            for number in member.customers:
                cp = plan.customers[number]
                blocked = _blocked_reason(customer_ledger.get(number),
                                          mapping.content_hash([member.hash, cp.hash]), now)
                if blocked:
                    report.customers["skipped" if "dismissed" in blocked else "failed"] += 1
                    held.add(number)
                    continue
                sendable += 1
                prior = customers.get(number)
                action = "unchanged"
                if sendable == 1 and member_changes:
                    action = "created" if prior is None and prior_member is None else "updated"
                if full or prior is None or prior.hash != cp.hash:
                    action = "created" if prior is None else "updated"
                report.customers[action] += 1
            if sendable and prior_member is None:
                report.new_contacts += 1
        for _doc, reason in plan.skipped_orders.values():
            report.orders["skipped"] += 1
            report.skip_reasons[f"order: {_reason_group(reason)}"] += 1
        # A held customer that was never synced keeps its orders waiting; every other one will be synced.
        waiting = held - set(customers)
        for op in self._orders_to_send(plan, report, orders, order_ledger, now, full, waiting.__contains__):
            report.orders["created" if op.doc.number not in orders else "updated"] += 1

    # ================================================================================================ sync
    def _sync(self, plan: Plan, report: RunReport, full: bool) -> None:
        backfill = self.book.get_state("backfill_done") != "1"
        report.backfill = self._backfill = backfill
        if backfill:
            self.book.set_state("backfill_in_progress", "1")
        self._ensure_store(plan.currency, backfill)
        self._ensure_merge_fields()
        self._ensure_product(force=full)
        self._sync_customers(plan, report, full)
        if self._abort:
            raise self._abort
        self._sync_orders(plan, report, full)
        if self._abort:
            raise self._abort
        if self.cancel.is_set():
            return
        if backfill:
            self._set_is_syncing(False)
            self.book.set_state("backfill_done", "1")
            self.book.set_state("backfill_in_progress", "0")

    def _preflight(self) -> None:
        try:
            self.api.get_list(self.profile.mailchimp.list_id)
        except MailchimpError as err:
            if err.is_not_found:
                raise AbortRun(f"Mailchimp has no audience {self.profile.mailchimp.list_id!r}: "
                               "check list_id (gpmc check lists the audiences).") from err
            raise self._as_abort(err) from err

    def _as_abort(self, err: MailchimpError) -> AbortRun:
        if err.category is Category.AUTH:
            return AbortRun(f"Mailchimp refused the API key ({err.status} {err.title}): enter a valid key.")
        return AbortRun(f"Mailchimp is not reachable or failing: {err}")

    # ---------------------------------------------------------------------------------- store, fields, product
    def _ensure_store(self, currency: str, backfill: bool) -> None:
        mc = self.profile.mailchimp
        store = self.api.get_store(mc.store_id)
        if store is None:
            body = {
                "id": mc.store_id,
                "list_id": mc.list_id,
                "name": f"Dynamics GP – {self.profile.gp.company}",
                "platform": "Microsoft Dynamics GP",
                "currency_code": currency,
                "is_syncing": backfill,
            }
            self.api.create_store(body)
            self._audit_simple("store", mc.store_id, "created", mc.store_id, mapping.content_hash(body),
                               reason="historical load: automations paused" if backfill else "")
            return
        if store.get("list_id") != mc.list_id:
            raise AbortRun(f"Store {mc.store_id!r} belongs to audience {store.get('list_id')!r}, not "
                           f"{mc.list_id!r}; a store can never move. Choose another store_id.")
        if bool(store.get("is_syncing")) != backfill:
            self._set_is_syncing(backfill)

    def _set_is_syncing(self, on: bool) -> None:
        store_id = self.profile.mailchimp.store_id
        self.api.patch_store(store_id, {"is_syncing": on})
        reason = "historical load starts: automations paused" if on else "historical load done: automations on"
        self._audit_simple("store", store_id, "updated", store_id, "", reason=reason)

    def _ensure_merge_fields(self) -> None:
        list_id = self.profile.mailchimp.list_id
        existing = {f.get("tag") for f in self.api.merge_fields(list_id)}
        for field_def in mapping.EXTRA_MERGE_FIELDS:
            if field_def["tag"] in existing:
                continue
            created = self.api.create_merge_field(list_id, dict(field_def))
            self._audit_simple("merge_field", str(field_def["tag"]), "created", str(created.get("merge_id", "")),
                               mapping.content_hash(field_def))

    def _ensure_product(self, force: bool = False) -> None:
        with self._product_lock:
            digest = mapping.content_hash(mapping.PRODUCT)
            prior = self.book.synced("product").get(mapping.PRODUCT_ID)
            if not force and prior and prior.hash == digest:
                return
            store_id = self.profile.mailchimp.store_id
            self.api.put_product(store_id, mapping.PRODUCT)
            if self.api.get_product(store_id, mapping.PRODUCT_ID) is None:  # confirmed before any order
                raise AbortRun("Mailchimp did not keep the placeholder product; orders cannot be sent.")
            self.book.mark_synced("product", mapping.PRODUCT_ID, digest, mapping.PRODUCT_ID, "", {})
            self._audit_simple("product", mapping.PRODUCT_ID, "unchanged" if prior else "created",
                               mapping.PRODUCT_ID, digest)

    def _audit_simple(self, entity: str, key: str, action: str, mc_id: str, digest: str, reason: str = "") -> None:
        self.book.audit([AuditRecord(entity, key, action, reason=reason, mailchimp_id=mc_id, payload_hash=digest)])

    # ---------------------------------------------------------------------------------- customers
    def _sync_customers(self, plan: Plan, report: RunReport, full: bool) -> None:
        synced_members = self.book.synced("member")
        synced_customers = self.book.synced("customer")
        synced_orders = self.book.synced("order")
        seen_skips = self.book.synced("customer_skip")
        ledger = self.book.failures("customer")
        now = self.now()

        for number, (customer, reason) in plan.skipped_customers.items():
            report.customers["skipped"] += 1
            report.skip_reasons[f"customer: {_reason_group(reason)}"] += 1
            digest = mapping.content_hash(reason)
            prior = seen_skips.get(number)
            if prior is None or prior.hash != digest:  # audit a skip once, not on every poll
                self.book.audit([AuditRecord("customer", number, "skipped", reason=reason,
                                             email=customer.email or "")])
                self.book.mark_synced("customer_skip", number, digest, "", "", {})
        for number in set(seen_skips) - set(plan.skipped_customers):
            self.book.forget("customer_skip", number)

        groups: list[tuple[MemberPlan, list[CustomerPlan]]] = []
        for member in plan.members.values():
            cps = []
            for number in member.customers:
                cp = plan.customers[number]
                ledger_hash = mapping.content_hash([member.hash, cp.hash])
                blocked = _blocked_reason(ledger.get(number), ledger_hash, now)
                if blocked:
                    dismissed = "dismissed" in blocked
                    report.customers["skipped" if dismissed else "failed"] += 1
                    continue
                cps.append(cp)
            if cps:
                groups.append((member, cps))
        total = len(groups)
        self.progress("customers", 0, total)

        def work(item: tuple[MemberPlan, list[CustomerPlan]]) -> list[RecordResult]:
            member, cps = item
            return self._push_member_group(member, cps, synced_members.get(member.email),
                                           {c.customer.number: synced_customers.get(c.customer.number) for c in cps},
                                           full)

        for done, results in enumerate(self._parallel(groups, work), start=1):
            for result in results:
                self._apply(result, report.customers, ledger)
                if result.resend_orders_of:
                    for order_no in self._orders_of(plan, result.resend_orders_of):
                        if order_no in synced_orders:
                            # The order still exists in Mailchimp: keep it known with a stale hash so the
                            # orders step PATCHes it onto the new customer.  Forgetting it made that step POST
                            # it first, a write Mailchimp refuses ("already exists"), then PATCH anyway.
                            self.book.mark_synced("order", order_no, RESEND_HASH, order_no, "", {})
                        else:
                            self.book.forget("order", order_no)
            self.progress("customers", done, total)
            if done % FLUSH_EVERY == 0:
                self.book.flush()
        self.book.flush()

    @staticmethod
    def _orders_of(plan: Plan, customer_number: str) -> list[str]:
        return [n for n, op in plan.orders.items() if op.doc.customer_number == customer_number]

    def _push_member_group(
        self, member: MemberPlan, cps: list[CustomerPlan], prior_member: Any, prior_customers: dict[str, Any],
        full: bool,
    ) -> list[RecordResult]:
        list_id = self.profile.mailchimp.list_id
        store_id = self.profile.mailchimp.store_id
        member_written = False
        member_sync: list[tuple[str, str, str, str, str, dict[str, Any]]] = []
        if full or prior_member is None or prior_member.hash != member.hash:
            try:
                answer = self.api.upsert_member(list_id, member.payload)
                # The member's tags as Mailchimp holds them now, from the upsert's answer.  (The synced state
                # keeps no tag list, so the old code never removed the class tag of a customer whose class
                # changed, and re-posted unchanged tags on every member update.)
                tags = mapping.tag_changes(member.tags, answer.get("tags"))
                if tags:
                    # is_syncing only during the historical load: later, a new class tag is news that
                    # tag-based automations may act on.
                    self.api.set_tags(list_id, member.email, tags, is_syncing=self._backfill)
            except MailchimpError as err:
                return [self._failed_customer(member, cp, err) for cp in cps]
            member_written = True
            member_sync.append(("member", member.email, member.hash, str(answer.get("id", "")), member.email,
                                {"tags": member.tags, "customers": member.customers}))

        results = []
        for cp in cps:
            number = cp.customer.number
            prior = prior_customers.get(number)
            result = RecordResult("customer", number, "unchanged", email=member.email,
                                  mailchimp_id=number, payload_hash=cp.hash,
                                  ledger_hash=mapping.content_hash([member.hash, cp.hash]))
            if number == member.primary or number == cps[0].customer.number:
                result.synced.extend(member_sync)
                member_sync = []
                if member_written:
                    result.action = "created" if prior is None and prior_member is None else "updated"
            if len(member.customers) > 1:
                others = [n for n in member.customers if n != number]
                result.reason = f"shares member {member.email} with {', '.join(others)}"
            if full or prior is None or prior.hash != cp.hash:
                try:
                    if prior is not None and prior.email and prior.email != cp.customer.email:
                        # Mailchimp never changes an e-commerce customer's e-mail: replace the customer and
                        # re-send its orders so they hang off the new one.
                        self._delete_customer(store_id, number)
                        result.resend_orders_of = number
                        result.reason = f"e-mail changed from {prior.email}; e-commerce customer replaced"
                    self.api.put_customer(store_id, cp.payload)
                except MailchimpError as err:
                    results.append(self._failed_customer(member, cp, err, synced=result.synced))
                    continue
                result.action = "created" if prior is None else "updated"
                result.synced.append(("customer", number, cp.hash, number, cp.customer.email or "", {}))
            results.append(result)
        return results

    def _delete_customer(self, store_id: str, number: str) -> None:
        try:
            self.api.delete_customer(store_id, number)
        except MailchimpError as err:
            if not err.is_not_found:
                raise

    def _failed_customer(
        self, member: MemberPlan, cp: CustomerPlan, err: MailchimpError,
        synced: list[tuple[str, str, str, str, str, dict[str, Any]]] | None = None,
    ) -> RecordResult:
        if err.category is Category.AUTH:
            self._abort = self._as_abort(err)
        return RecordResult(
            "customer", cp.customer.number, "failed", reason=f"{err.title}: {err.detail}".strip(": "),
            email=member.email, payload_hash=cp.hash, error=err,
            ledger_hash=mapping.content_hash([member.hash, cp.hash]), synced=list(synced or []),
        )

    # ---------------------------------------------------------------------------------- orders
    def _sync_orders(self, plan: Plan, report: RunReport, full: bool) -> None:
        synced_orders = self.book.synced("order")
        synced_customers = self.book.synced("customer")
        seen_skips = self.book.synced("order_skip")
        ledger = self.book.failures("order")
        now = self.now()
        for number, (_doc, reason) in plan.skipped_orders.items():
            report.orders["skipped"] += 1
            report.skip_reasons[f"order: {_reason_group(reason)}"] += 1
            digest = mapping.content_hash(reason)
            prior = seen_skips.get(number)
            if prior is None or prior.hash != digest:
                self.book.audit([AuditRecord("order", number, "skipped", reason=reason)])
                self.book.mark_synced("order_skip", number, digest, "", "", {})
        todo = self._orders_to_send(plan, report, synced_orders, ledger, now, full,
                                    lambda customer: customer not in synced_customers)
        total = len(todo)
        self.progress("orders", 0, total)

        def work(op: OrderPlan) -> RecordResult:
            return self._push_order(op, synced_orders.get(op.doc.number) is not None)

        for done, result in enumerate(self._parallel(todo, work), start=1):
            self._apply(result, report.orders, ledger)
            self.progress("orders", done, total)
            if done % FLUSH_EVERY == 0:
                self.book.flush()
        self.book.flush()

    @staticmethod
    def _orders_to_send(
        plan: Plan, report: RunReport, synced: dict[str, Synced], ledger: dict[str, Failure], now: dt.datetime,
        full: bool, waiting: Callable[[str], bool],
    ) -> list[OrderPlan]:
        """The orders this run sends; the rest are counted in *report* (waiting for their customer, unchanged,
        or held by the failure ledger).  The dry run uses the same rules, so its preview predicts the run."""
        todo: list[OrderPlan] = []
        for number, op in plan.orders.items():
            if waiting(op.doc.customer_number):
                report.orders["skipped"] += 1
                report.skip_reasons["order: customer not synced yet"] += 1
                continue
            prior = synced.get(number)
            if not full and prior is not None and prior.hash == op.hash:
                report.orders["unchanged"] += 1
                continue
            blocked = _blocked_reason(ledger.get(number), op.hash, now)
            if blocked:
                report.orders["skipped" if "dismissed" in blocked else "failed"] += 1
                continue
            todo.append(op)
        return todo

    def _push_order(self, op: OrderPlan, known: bool, retried_product: bool = False) -> RecordResult:
        store_id = self.profile.mailchimp.store_id
        number = op.doc.number
        result = RecordResult("order", number, "updated" if known else "created", mailchimp_id=number,
                              payload_hash=op.hash, ledger_hash=op.hash)
        try:
            if known:
                try:
                    self.api.update_order(store_id, number, mapping.order_patch(op.payload))
                except MailchimpError as err:
                    if not err.is_not_found:
                        raise
                    self.api.create_order(store_id, op.payload)  # our state said it existed; it did not
                    result.action = "created"
            else:
                try:
                    self.api.create_order(store_id, op.payload)
                except MailchimpError as err:
                    if not err.already_exists:
                        raise
                    # Sent before a crash, or by an earlier install: update it instead (never PUT an order).
                    self.api.update_order(store_id, number, mapping.order_patch(op.payload))
                    result.action = "updated"
        except MailchimpError as err:
            if err.missing_product and not retried_product:
                # Someone deleted the placeholder product in Mailchimp: put it back and try once more.  Only the
                # API here (this is a worker thread); the product's synced state is left to the engine thread.
                with self._product_lock:
                    self.api.put_product(store_id, mapping.PRODUCT)
                return self._push_order(op, known, retried_product=True)
            if err.category is Category.AUTH:
                self._abort = self._as_abort(err)
            result.action, result.error = "failed", err
            result.reason = f"{err.title}: {err.detail}".strip(": ")
            return result
        if op.doc.is_voided:
            result.reason = "voided in GP: cancelled"
        result.synced.append(("order", number, op.hash, number, "", {}))
        return result

    # ---------------------------------------------------------------------------------- shared plumbing
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

    def _apply(self, result: RecordResult, counts: dict[str, int], ledger: Container[str]) -> None:
        counts[result.action] += 1
        for entity, key, digest, remote_id, email, meta in result.synced:
            self.book.mark_synced(entity, key, digest, remote_id, email, meta)
        if result.action == "failed" and result.error is not None:
            # A refused key is not this record's fault: the run aborts (exit 2), and once the key is fixed the
            # next run must send the record.  Ledgered, it counted as a permanent failure of the record and
            # was never tried again until its GP data changed.
            if result.error.category is not Category.AUTH:
                self.book.record_failure(result.entity, result.gp_key, result.error, result.ledger_hash)
        elif result.action != "failed" and result.gp_key in ledger:
            # Only records the ledger holds: resolving is a write transaction of its own, and one per record
            # made every poll write once for each unchanged customer (a quarter of a no-change run's time).
            self.book.resolve_failure(result.entity, result.gp_key)
        if result.action != "unchanged":
            err = result.error
            self.book.audit([AuditRecord(
                result.entity, result.gp_key, result.action, reason=result.reason,
                mailchimp_id=result.mailchimp_id, email=result.email, payload_hash=result.payload_hash,
                http_status=err.status if err else None, error_title=err.title if err else "",
                error_detail=err.detail if err else "",
            )])
