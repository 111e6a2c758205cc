"""One reconciliation of a run's counts, from GP's records to what Mailchimp holds, so every place that shows a
count (the preview, the progress, the CLI summary, the ``--json`` line, the runs stored, the app's summary) shows
the same figures, and the ones that differ for a reason say why.

The chain: GP customers → left out (each reason, with its count) → the customers to sync → their e-mail addresses
(customers sharing an address become one contact) → audience members and e-commerce customers (one per address)
created / updated / unchanged / failed; GP invoices → left out → orders by action, with their money total.

Pure: built from the plan, the decisions and what the engine did with each record (:class:`RecordOutcomes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gpmc_desktop.gp.model import Document
from gpmc_desktop.store.synced import SyncedState
from gpmc_desktop.store.vocab import Action
from gpmc_desktop.sync import mapping
from gpmc_desktop.sync.decide import GONE_ORDER_HASH, MemberGroup
from gpmc_desktop.sync.money import format_money
from gpmc_desktop.sync.plan import Plan

ACTIONS = tuple(a.value for a in Action)
# Counts by action in words, in the order they are told.
_DONE_WORDS = {"created": "new", "updated": "changed", "unchanged": "unchanged", "skipped": "left out",
               "failed": "failed"}
_PLANNED_WORDS = {"created": "to create", "updated": "to update", "unchanged": "unchanged", "skipped": "left out",
                  "failed": "held back by earlier failures"}


@dataclass
class RecordOutcomes:
    """What became of each record this run (in a dry run: what would), filled in by the engine as it goes.
    A record the run never reached (it was cancelled or stopped) has no entry."""

    members: dict[str, str] = field(default_factory=dict)  # by e-mail
    ecommerce_customers: dict[str, str] = field(default_factory=dict)  # by e-mail (one buyer per address)
    orders: dict[str, str] = field(default_factory=dict)  # by GP document number

    def count_group(self, group: MemberGroup, *, member_written: bool | None = None,
                    buyer_written: bool | None = None) -> None:
        """One member group's member and e-commerce customer.  *member_written* / *buyer_written*: whether
        Mailchimp accepted that write (None: as decided, which is what a dry run assumes)."""
        email = group.member.email
        if not group.to_send:  # the failure ledger holds every customer of the address: nothing is sent
            held = Action.FAILED if any(d.action == Action.FAILED for _cp, d in group.customers) else Action.SKIPPED
            self.members[email] = self.ecommerce_customers[email] = held
            return
        self.members[email] = _written(group.member_decision.action, group.member_decision.writes, member_written)
        self.ecommerce_customers[email] = _written(group.buyer_decision.action, group.writes_buyer, buyer_written)


def _written(decided: Action, writes: bool, accepted: bool | None) -> str:
    if not writes:
        return Action.UNCHANGED
    return decided if accepted is None or accepted else Action.FAILED


@dataclass(frozen=True)
class Holdings:
    """What Mailchimp holds from GP after a run, from the synced state (no Mailchimp call)."""

    members: int
    ecommerce_customers: int
    orders: int
    money: Decimal  # the orders' total in the company currency (voided invoices and other currencies not counted)

    def as_json(self) -> dict[str, Any]:
        return {"members": self.members, "ecommerce_customers": self.ecommerce_customers, "orders": self.orders,
                "order_total": str(self.money)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Holdings:
        return cls(int(data.get("members", 0)), int(data.get("ecommerce_customers", 0)), int(data.get("orders", 0)),
                   Decimal(str(data.get("order_total", "0"))))


def holdings(plan: Plan, members: Mapping[str, SyncedState], buyers: Mapping[str, SyncedState],
             orders: Mapping[str, SyncedState]) -> Holdings:
    """From the synced state after a run: every member, e-commerce customer and order the profile keeps in
    Mailchimp (a skipped customer's records are left there, so they count), and the total of those orders GP
    still answers with."""
    held = sum(1 for state in orders.values() if state.content_hash != GONE_ORDER_HASH)
    return Holdings(len(members), len(buyers), held, held_money(plan, orders))


def held_money(plan: Plan, orders: Mapping[str, SyncedState]) -> Decimal:
    """The total of the plan's invoices Mailchimp holds as orders (*orders*: the synced state after the run)."""
    total = Decimal(0)
    for number, op in plan.orders.items():
        state = orders.get(number)
        if state is not None and state.content_hash != GONE_ORDER_HASH:
            total += _amount(op.doc, plan.currency)
    return total


def _amount(doc: Document, currency: str) -> Decimal:
    """What an invoice adds to a money total: nothing when voided or in another currency than the company's."""
    if doc.is_voided or mapping.iso_currency(doc.currency, currency) != currency:
        return Decimal(0)
    return doc.amount


@dataclass(frozen=True)
class Reconciliation:
    currency: str
    gp_customers: int
    left_out: dict[str, int]  # customers the filters leave out, by reason
    addresses: int  # the e-mail addresses of the customers to sync
    shared: dict[int, int]  # customers per shared address (2 or more) → how many addresses are shared so
    customers: dict[str, int]  # the customers to sync, by action ("skipped": a failure a person dismissed)
    members: dict[str, int]  # by action, one per address
    ecommerce_customers: dict[str, int]
    gp_invoices: int
    invoices_left_out: dict[str, int]  # by reason (their customer is left out, or waits)
    orders: dict[str, int]  # the invoices sent as orders, by action ("skipped": dismissed)
    order_totals: dict[str, Decimal]  # by action, in the company currency (voided invoices not counted)
    not_orders: dict[str, int] = field(default_factory=dict)  # GP documents that are not invoices, by kind
    dry_run: bool = False
    holds: Holdings | None = None

    # -- derived figures ------------------------------------------------------------------------------------
    @property
    def eligible(self) -> int:
        return self.gp_customers - sum(self.left_out.values())

    @property
    def invoices_to_send(self) -> int:
        return self.gp_invoices - sum(self.invoices_left_out.values())

    @property
    def new_contacts(self) -> int:
        return self.members.get(Action.CREATED, 0)

    @property
    def needs_attention(self) -> int:
        """Records that failed (this run, or held back by an earlier failure): the Failures page lists them."""
        return self.customers.get(Action.FAILED, 0) + self.orders.get(Action.FAILED, 0)

    def sent(self, counts: Mapping[str, int]) -> int:
        return counts.get(Action.CREATED, 0) + counts.get(Action.UPDATED, 0)

    @property
    def money_sent(self) -> Decimal:
        return self.order_totals.get(Action.CREATED, Decimal(0)) + self.order_totals.get(Action.UPDATED, Decimal(0))

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency)

    # -- words ------------------------------------------------------------------------------------------------
    def shared_text(self) -> str:
        """"318 customers share 315 e-mail addresses; 3 addresses are used by 2 customers each, who become one
        contact"."""
        customers, addresses = self.eligible, self.addresses
        if not self.shared:
            return f"{_n(customers, 'customer')}, {_n(addresses, 'e-mail address')} (none shared)"
        parts = [f"{_n(n, 'address')} {'is' if n == 1 else 'are'} used by {size} customers"
                 f"{' each' if n > 1 else ''}" for size, n in sorted(self.shared.items())]
        one = ", who become one contact" if len(parts) == 1 else "; the customers of one address become one contact"
        return f"{_n(customers, 'customer')} share {_n(addresses, 'e-mail address')}; {_join(parts)}{one}"

    def lines(self) -> list[str]:
        """The chain in plain words, one step a line (the CLI prints them; the preview shows them)."""
        words = _PLANNED_WORDS if self.dry_run else _DONE_WORDS
        lines = [f"GP customers: {self.gp_customers:,}"]
        if self.left_out:
            lines.append(f"  left out: {sum(self.left_out.values()):,} ({_reasons(self.left_out)})")
        lines.append(f"  to sync: {self.eligible:,} ({_actions(self.customers, words, self.eligible)})")
        lines.append(f"E-mail addresses: {self.shared_text()}")
        lines.append(f"  audience members: {_actions(self.members, words, self.addresses)}")
        lines.append(f"  e-commerce customers: {_actions(self.ecommerce_customers, words, self.addresses)}")
        lines.append(f"GP invoices: {self.gp_invoices:,}")
        if self.invoices_left_out:
            lines.append(f"  left out: {sum(self.invoices_left_out.values()):,} "
                         f"({_reasons(self.invoices_left_out)})")
        orders = _actions(self.orders, words, self.invoices_to_send, self._money_words())
        lines.append(f"  orders: {orders}")
        if self.not_orders:
            kinds = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(self.not_orders.items()))
            lines.append(f"Not invoices, so not sent: {kinds}")
        if self.holds is not None:
            lines.append(f"Mailchimp now holds from GP: {holds_text(self.holds, self.currency)}")
        return lines

    def _money_words(self) -> dict[str, str]:
        return {a: self.money(t) for a, t in self.order_totals.items() if t and a in (Action.CREATED, Action.UPDATED)}

    # -- the stored form --------------------------------------------------------------------------------------
    def as_json(self) -> dict[str, Any]:
        """The ``--json`` line's ``reconciliation`` and the stored run's (keys are extended, never renamed)."""
        data: dict[str, Any] = {
            "currency": self.currency,
            "gp_customers": self.gp_customers,
            "left_out": dict(self.left_out),
            "eligible": self.eligible,
            "email_addresses": self.addresses,
            "shared_addresses": {str(k): v for k, v in sorted(self.shared.items())},
            "customers": dict(self.customers),
            "members": dict(self.members),
            "ecommerce_customers": dict(self.ecommerce_customers),
            "gp_invoices": self.gp_invoices,
            "invoices_left_out": dict(self.invoices_left_out),
            "orders": dict(self.orders),
            "order_totals": {a: str(t) for a, t in self.order_totals.items()},
            "not_orders": dict(self.not_orders),
            "dry_run": self.dry_run,
        }
        if self.holds is not None:
            data["holds"] = self.holds.as_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reconciliation:
        holds = data.get("holds")
        return cls(
            currency=str(data.get("currency", mapping.DEFAULT_CURRENCY)),
            gp_customers=int(data.get("gp_customers", 0)),
            left_out=dict(data.get("left_out", {})),
            addresses=int(data.get("email_addresses", 0)),
            shared={int(k): int(v) for k, v in dict(data.get("shared_addresses", {})).items()},
            customers=_all_actions(data.get("customers", {})),
            members=_all_actions(data.get("members", {})),
            ecommerce_customers=_all_actions(data.get("ecommerce_customers", {})),
            gp_invoices=int(data.get("gp_invoices", 0)),
            invoices_left_out=dict(data.get("invoices_left_out", {})),
            orders=_all_actions(data.get("orders", {})),
            order_totals={a: Decimal(str(t)) for a, t in dict(data.get("order_totals", {})).items()},
            not_orders=dict(data.get("not_orders", {})),
            dry_run=bool(data.get("dry_run", False)),
            holds=Holdings.from_json(holds) if isinstance(holds, Mapping) else None,
        )


@dataclass
class Tally:
    """The plan's side of the chain, summed plan by plan: a big run plans a few thousand customers at a time
    (each e-mail's customers and their invoices together), and forgets each part's records once counted."""

    currency: str = mapping.DEFAULT_CURRENCY
    gp_customers: int = 0
    addresses: int = 0
    shared: Counter[int] = field(default_factory=Counter)
    gp_invoices: int = 0
    not_orders: Counter[str] = field(default_factory=Counter)
    members: Counter[str] = field(default_factory=Counter)
    ecommerce_customers: Counter[str] = field(default_factory=Counter)
    order_totals: dict[str, Decimal] = field(default_factory=lambda: {a: Decimal(0) for a in ACTIONS})

    def add(self, plan: Plan, outcomes: RecordOutcomes) -> None:
        """Count *plan* and what became of its records."""
        self.add_plan(plan)
        self.add_outcomes(plan, outcomes)

    def add_plan(self, plan: Plan) -> None:
        """GP's side: the records of *plan* (every part of a run once, whatever the run reached)."""
        self.currency = plan.currency
        self.gp_customers += len(plan.customers) + len(plan.skipped_customers)
        self.addresses += len(plan.members)
        self.shared.update(len(m.customers) for m in plan.members.values() if len(m.customers) > 1)
        self.gp_invoices += len(plan.orders) + len(plan.skipped_orders)
        self.not_orders.update(plan.ignored_documents)

    def plans_side(self) -> Tally:
        """A copy of GP's side alone (what :meth:`add_plan` counted), with nothing yet of what became of records."""
        return Tally(currency=self.currency, gp_customers=self.gp_customers, addresses=self.addresses,
                     shared=Counter(self.shared), gp_invoices=self.gp_invoices, not_orders=Counter(self.not_orders))

    def add_outcomes(self, plan: Plan, outcomes: RecordOutcomes) -> None:
        """What became of *plan*'s records (*outcomes*: this plan's only)."""
        self.members.update(str(a) for a in outcomes.members.values())
        self.ecommerce_customers.update(str(a) for a in outcomes.ecommerce_customers.values())
        for number, action in outcomes.orders.items():
            op = plan.orders.get(number)
            if op is not None and action != Action.SKIPPED:
                self.order_totals[action] += _amount(op.doc, plan.currency)

    def add_outcome_counts(self, other: Tally) -> None:
        """*other*'s counts of what became of records (its plans' side is counted here already)."""
        self.members.update(other.members)
        self.ecommerce_customers.update(other.ecommerce_customers)
        for action, total in other.order_totals.items():
            self.order_totals[action] += total

    def reconcile(
        self, *, customers: Mapping[str, int], orders: Mapping[str, int], skip_reasons: Mapping[str, int],
        dry_run: bool = False, holds: Holdings | None = None,
    ) -> Reconciliation:
        """The run's chain (see :func:`reconcile`)."""
        left_out = _prefixed(skip_reasons, "customer: ")
        invoices_left_out = _prefixed(skip_reasons, "order: ")
        to_sync = _all_actions(customers)
        to_sync[Action.SKIPPED] -= sum(left_out.values())  # what stays: failures a person dismissed
        sent_orders = _all_actions(orders)
        sent_orders[Action.SKIPPED] -= sum(invoices_left_out.values())
        return Reconciliation(
            currency=self.currency, gp_customers=self.gp_customers, left_out=left_out, addresses=self.addresses,
            shared=dict(sorted(self.shared.items())), customers=to_sync, members=_all_actions(self.members),
            ecommerce_customers=_all_actions(self.ecommerce_customers), gp_invoices=self.gp_invoices,
            invoices_left_out=invoices_left_out, orders=sent_orders, order_totals=dict(self.order_totals),
            not_orders=dict(self.not_orders), dry_run=dry_run, holds=holds,
        )


def reconcile(
    plan: Plan,
    outcomes: RecordOutcomes,
    *,
    customers: Mapping[str, int],
    orders: Mapping[str, int],
    skip_reasons: Mapping[str, int],
    dry_run: bool = False,
    holds: Holdings | None = None,
) -> Reconciliation:
    """The run's chain.  *customers* / *orders*: the run's counts by action (every GP customer and invoice,
    those left out included, as the report holds them); *skip_reasons*: the report's "customer: why" /
    "order: why" tallies."""
    tally = Tally()
    tally.add(plan, outcomes)
    return tally.reconcile(customers=customers, orders=orders, skip_reasons=skip_reasons, dry_run=dry_run,
                           holds=holds)


def stored_reconciliation(counts: Mapping[str, Any] | None) -> Reconciliation | None:
    """The reconciliation a stored run's ``counts`` JSON holds; None for a run an earlier build (or a run that
    could not read GP) recorded."""
    data = (counts or {}).get("reconciliation")
    return Reconciliation.from_json(data) if isinstance(data, Mapping) else None


def holds_text(holds: Holdings, currency: str) -> str:
    return (f"{_n(holds.members, 'audience member')}, {_n(holds.ecommerce_customers, 'e-commerce customer')}, "
            f"{_n(holds.orders, 'order')} ({format_money(holds.money, currency)})")


# ------------------------------------------------------------------------------------------------ helpers
def _all_actions(counts: Mapping[str, Any]) -> dict[str, int]:
    return {a: int(counts.get(a, 0)) for a in ACTIONS}


def _prefixed(reasons: Mapping[str, int], prefix: str) -> dict[str, int]:
    found = {r.removeprefix(prefix): n for r, n in reasons.items() if r.startswith(prefix)}
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def _n(n: int, noun: str) -> str:
    plural = noun if n == 1 else (noun + "es" if noun.endswith(("s", "ss")) else noun + "s")
    return f"{n:,} {plural}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _reasons(reasons: Mapping[str, int]) -> str:
    return "; ".join(f"{n:,} {why}" for why, n in reasons.items())


def _actions(counts: Mapping[str, int], words: Mapping[str, str], expected: int | None = None,
             money: Mapping[str, str] | None = None) -> str:
    """"5 new ($1,234.00), 300 unchanged, 2 failed"; and how many the run did not reach when it stopped."""
    parts = []
    for action in ACTIONS:
        n = counts.get(action, 0)
        if n:
            extra = f" ({money[action]})" if money and action in money else ""
            parts.append(f"{n:,} {words[action]}{extra}")
    if expected is not None and (missing := expected - sum(counts.values())) > 0:
        parts.append(f"{missing:,} not reached before the run stopped")
    return ", ".join(parts) or "none"
