"""Status view-models: one `ProfileStatus` per profile, gathered in a `StatusBoard` that the tray and the
window both read (Nextcloud's SyncStatusSummary pattern), so the two can never disagree.

Also the words for a finished run (`describe_report`, `describe_run_row`) and `ToastPolicy`, which decides
when a run's result is news worth a tray notification.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal

from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.credentials import KIND_LABELS as CREDENTIAL_LABELS
from gpmc_desktop.store import RunRow
from gpmc_desktop.store.runs import RUN_NOTES
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.mass_change import is_stop
from gpmc_desktop.sync.progress_words import TimeLeft, progress_words
from gpmc_desktop.sync.reconciliation import Reconciliation, stored_reconciliation
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.result_words import not_reached_phrase, plural, sent_phrase


class State(enum.Enum):
    IDLE = "idle"
    SYNCING = "syncing"
    WARNING = "warning"
    ERROR = "error"
    CANCELLED = "cancelled"  # the last run was stopped: what it did not send goes next run
    NEVER_RUN = "never-run"  # a profile that has not synced yet
    NOT_SET_UP = "not-set-up"  # no profile at all


# What the window's header says next to the icon.
STATE_WORDS = {State.IDLE: "Up to date", State.SYNCING: "Syncing", State.WARNING: "Some records failed",
               State.ERROR: "Error", State.CANCELLED: "Cancelled", State.NEVER_RUN: "Not synced yet",
               State.NOT_SET_UP: "Not set up yet"}


class Health(enum.IntEnum):
    """How the last finished run went; higher is worse (the toast policy compares them)."""

    OK = 0
    WARNING = 1  # finished, but records failed that had not before (new failures: sync/failure_news.py)
    ERROR = 2  # the run could not proceed


# The engine reports a refused credential only in words (RunReport.error); these are its phrasings.
_AUTH_MARKERS = (
    ("refused the Windows credentials", GP_PASSWORD),
    ("refused the API key", MAILCHIMP_API_KEY),
)


def credential_problem(error: str) -> str | None:
    """The credential kind an error text blames (so the user can be offered to re-enter it), or None."""
    for marker, kind in _AUTH_MARKERS:
        if marker in error:
            return kind
    return None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A finished run in the words the status line, the tray tooltip and the toasts use."""

    health: Health
    text: str
    finished_at: datetime | None = None
    credential_kind: str | None = None  # set when a credential was refused or missing
    cancelled: bool = False  # stopped by the user or by Quit: says nothing about whether syncing works
    # Stopped by the mass-change guard before sending anything: nothing is broken, a person must decide.
    waiting_for_decision: bool = False
    old_failures: int = 0  # records that failed before with this content (known or retrying): not news
    brief: str = ""  # a shorter form for the tray tooltip (Windows cuts it at 127 characters); "" = text

    @property
    def tooltip_text(self) -> str:
        return self.brief or self.text


def _failure_news(notes: Mapping[str, int], failed: int) -> dict[FailureNews, int]:
    """The failed records by news (sync/failure_news.py), from the notes a run keeps; a run an earlier build
    recorded has none: all its failures count as new (as they did then)."""
    news = {n: notes.get(f"{n}_failures", 0) for n in FailureNews}
    return news if sum(news.values()) else {FailureNews.NEW: failed, FailureNews.KNOWN: 0, FailureNews.RETRYING: 0}


def _old_failures_text(news: Mapping[FailureNews, int]) -> str:
    """The failures that are not news, in words ("3 known failures waiting for a change in GP")."""
    parts = []
    if known := news[FailureNews.KNOWN]:
        parts.append(f"{known} known failure{'' if known == 1 else 's'} waiting for a change in GP")
    if retrying := news[FailureNews.RETRYING]:
        parts.append(f"{retrying} failed record{'' if retrying == 1 else 's'} to be retried")
    return "; ".join(parts)


def _sent(counts: Mapping[str, int]) -> int:
    return counts.get("created", 0) + counts.get("updated", 0)


def _counts_text(customers: Mapping[str, int], orders: Mapping[str, int], rec: Reconciliation | None = None, *,
                 failed: bool = True) -> str:
    """What the run sent: the reconciliation's contacts, invoices and money when the run has one (the figures the
    preview, the summary, the runs table and ``gpmc sync`` state); else, for a run an earlier build recorded, its
    customers and invoices."""
    if rec is not None:
        return f"{sent_phrase(rec)} sent"
    parts: list[str] = []
    for noun, counts in (("customer", customers), ("invoice", orders)):
        bit = f"{plural(_sent(counts), noun)} sent"
        if failed and counts.get("failed", 0):
            bit += f", {counts['failed']} failed"
        parts.append(bit)
    return "; ".join(parts)


def _cancelled_text(customers: Mapping[str, int], orders: Mapping[str, int], to_send: int,
                    finished_at: datetime | None, rec: Reconciliation | None = None) -> str:
    """ "Cancelled at 14:02 — 120 of 318 sent; the rest goes next run" (without "of" for an earlier build's run);
    with the reconciliation, "Cancelled at 14:02 — 61 contacts and 0 invoices sent; 254 contacts and 933 invoices
    not reached go next run"."""
    when = f" at {finished_at.astimezone():%H:%M}" if finished_at else ""
    if rec is not None:
        rest = not_reached_phrase(rec)
        return f"Cancelled{when} — {sent_phrase(rec)} sent; {f'{rest} not reached go' if rest else 'the rest goes'} "\
               "next run"
    sent = _sent(customers) + _sent(orders)
    of = f" of {to_send:,}" if to_send >= sent and to_send else ""
    return f"Cancelled{when} — {sent:,}{of} sent; the rest goes next run"


def _summary(outcome: str, error: str, customers: Mapping[str, int], orders: Mapping[str, int],
             finished_at: datetime | None, notes: Mapping[str, int], rec: Reconciliation | None = None) -> RunSummary:
    failed = customers.get("failed", 0) + orders.get("failed", 0)
    news = _failure_news(notes, failed)
    old = news[FailureNews.KNOWN] + news[FailureNews.RETRYING]
    if outcome == "failed" and is_stop(error):
        return RunSummary(Health.WARNING, f"Stopped, waiting for your decision: {error}", finished_at,
                          waiting_for_decision=True)
    if outcome == "failed":
        return RunSummary(Health.ERROR, f"Failed: {error or 'the run could not proceed'}", finished_at,
                          credential_problem(error))
    if outcome == "cancelled":
        text = _cancelled_text(customers, orders, notes.get("to_send", 0), finished_at, rec)
        # The tooltip keeps what was sent, the figures; the window and the tray menu say what was not reached.
        brief = f"{text.split(' — ')[0]} — {sent_phrase(rec, money=False)} sent" if rec is not None else ""
        return RunSummary(Health.OK, text, finished_at, cancelled=True, old_failures=old, brief=brief)
    old_text = _old_failures_text(news)
    if outcome == "partial":
        new = news[FailureNews.NEW]
        text = f"Finished with {new} new failed record(s): {_counts_text(customers, orders, rec, failed=False)}"
        return RunSummary(Health.WARNING, "; ".join(t for t in (text, old_text) if t), finished_at, old_failures=old)
    # Known failures alone leave the run OK: they wait for a change in GP, and saying so is enough.
    text = f"OK: {_counts_text(customers, orders, rec, failed=False)}"
    return RunSummary(Health.OK, "; ".join(t for t in (text, old_text) if t), finished_at, old_failures=old)


def describe_report(report: RunReport, finished_at: datetime | None = None) -> RunSummary:
    return _summary(report.outcome, report.error, report.customers, report.orders, finished_at, report.notes(),
                    report.reconciliation)


def describe_run_row(run: RunRow) -> RunSummary:
    """The same words for a run read back from the store (the state shown at start-up)."""
    counts = run.counts or {}
    return _summary(run.outcome or "", run.error_summary or "", counts.get("customer", {}), counts.get("order", {}),
                    run.finished_at, counts.get(RUN_NOTES, {}), stored_reconciliation(counts))


def describe_crash(message: str, credential_kind: str | None = None,
                   finished_at: datetime | None = None) -> RunSummary:
    """A run that raised instead of returning a report (a bug, a missing credential, a bad profile)."""
    return RunSummary(Health.ERROR, f"Failed: {message}", finished_at, credential_kind or credential_problem(message))


# ---------------------------------------------------------------------------------------------------------
class ProfileStatus(QObject):
    """Everything the user sees about one profile; `changed` fires after every update."""

    changed = Signal()

    def __init__(self, name: str, profile_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.profile_id = profile_id
        self.syncing = False
        self.paused = False
        self.last: RunSummary | None = None
        self.next_run: datetime | None = None
        self.schedule_text = ""  # the cadence in words ("Every 4 hours")
        self.phase = ""
        self.done = 0
        self.total = 0
        self.seconds_left: float | None = None  # while Mailchimp works through batches, at the rate seen
        self._time_left = TimeLeft()
        # SOAP profiles only (None otherwise): how often the full comparison runs and when it last ran.
        self.full_compare_days: float | None = None
        self.last_full_compare: datetime | None = None
        # Which [mailchimp] automations is in force, in plain words (sync.automations); "" when unknown.
        self.automations_text = ""

    @property
    def state(self) -> State:
        if self.syncing:
            return State.SYNCING
        if self.last is None:
            return State.NEVER_RUN
        if self.last.cancelled:
            return State.CANCELLED
        return {Health.OK: State.IDLE, Health.WARNING: State.WARNING, Health.ERROR: State.ERROR}[self.last.health]

    @property
    def last_result_text(self) -> str:
        return self.last.text if self.last else "Not synced yet"

    @property
    def next_run_text(self) -> str:
        if self.paused:
            return "Paused: no scheduled runs until resumed"
        if self.next_run is None:
            return "Syncs only when you press Sync now"
        return f"Next run {self.next_run.astimezone():%a %d %b %H:%M}"

    def full_compare_text(self, now: datetime | None = None) -> str:
        """For SOAP profiles, when the full comparison (the only read that sees e-mail-only edits) last ran and
        when it is next due; empty for other profiles."""
        days = self.full_compare_days
        if days is None:
            return ""
        if days <= 0:
            return "Full comparison: every sync (catches e-mail-only edits)"
        how = "catches e-mail-only edits"
        if self.last_full_compare is None:
            return f"Full comparison: not yet ({how}; the next sync runs one)"
        when = f"{self.last_full_compare.astimezone():%a %d %b %H:%M}"
        left = math.ceil(days - ((now or datetime.now(UTC)) - self.last_full_compare).total_seconds() / 86400)
        due = "due at the next sync" if left <= 0 else f"next in {left} day{'' if left == 1 else 's'}"
        return f"Full comparison: {when} ({how}; {due}, or use Sync → Full comparison now)"

    @property
    def progress_text(self) -> str:
        if not self.syncing:
            return ""
        return progress_words(self.phase, self.done, self.total, self.seconds_left)

    # -- updates (GUI thread only) -------------------------------------------------------------------------
    def set_syncing(self) -> None:
        self.syncing, self.phase, self.done, self.total = True, "", 0, 0
        self.changed.emit()

    def set_progress(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total
        self.seconds_left = self._time_left.update(phase, done, total)
        self.changed.emit()

    def set_idle(self) -> None:
        """The run did not happen (another program was syncing the profile): the last result still stands."""
        self.syncing = False
        self.changed.emit()

    def set_finished(self, summary: RunSummary) -> None:
        self.syncing = False
        self.last = summary
        self.changed.emit()

    def set_next_run(self, when: datetime | None) -> None:
        if when != self.next_run:
            self.next_run = when
            self.changed.emit()

    def set_schedule_text(self, text: str) -> None:
        if text != self.schedule_text:
            self.schedule_text = text
            self.changed.emit()

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self.changed.emit()

    def set_automations_text(self, text: str) -> None:
        if text != self.automations_text:
            self.automations_text = text
            self.changed.emit()

    def set_full_compare(self, days: float | None, last: datetime | None) -> None:
        """*days* None: the profile has no full comparison (not SOAP)."""
        if (days, last) != (self.full_compare_days, self.last_full_compare):
            self.full_compare_days, self.last_full_compare = days, last
            self.changed.emit()


class StatusBoard(QObject):
    """All profiles' statuses and the one state the tray shows for them together."""

    changed = Signal()
    profiles_changed = Signal()  # a profile was added or removed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._statuses: dict[str, ProfileStatus] = {}

    def add(self, name: str, profile_id: int) -> ProfileStatus:
        status = self._statuses.get(name)
        if status is None:
            status = ProfileStatus(name, profile_id, self)
            status.changed.connect(self.changed)
            self._statuses[name] = status
            self.profiles_changed.emit()
        return status

    def remove(self, name: str) -> None:
        status = self._statuses.pop(name, None)
        if status is not None:
            status.deleteLater()
            self.profiles_changed.emit()
            self.changed.emit()

    def get(self, name: str) -> ProfileStatus | None:
        return self._statuses.get(name)

    def __getitem__(self, name: str) -> ProfileStatus:
        return self._statuses[name]

    def names(self) -> list[str]:
        return sorted(self._statuses)

    def statuses(self) -> list[ProfileStatus]:
        return [self._statuses[n] for n in self.names()]

    @property
    def state(self) -> State:
        """Syncing wins (it is what is happening now); otherwise the worst of the last results; with no profile at
        all, "not set up yet" (not a green check)."""
        states = [s.state for s in self._statuses.values()]
        if not states:
            return State.NOT_SET_UP
        for worst in (State.SYNCING, State.ERROR, State.WARNING, State.CANCELLED, State.NEVER_RUN):
            if worst in states:
                return worst
        return State.IDLE

    def tooltip(self) -> str:
        if not self._statuses:
            return "gpmc-desktop: not set up yet (open it to set up a profile)"
        lines = ["gpmc-desktop"]
        for s in self.statuses():
            detail = s.progress_text or (s.last.tooltip_text if s.last else s.last_result_text)
            lines.append(f"{s.name}: {detail}")
            lines.append(f"  {s.next_run_text}")
        # Windows truncates tray tooltips at 127 characters; the window shows everything.
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Toast:
    title: str
    message: str
    level: Health
    profile: str
    credential_kind: str | None = None


class ToastPolicy:
    """Notify on news only: the first run that gets worse (failed, or left failed records) after a good one,
    and the first good run after a failure. A run that fails like the one before stays quiet, so a
    retry every five minutes does not nag."""

    def __init__(self) -> None:
        self._last: dict[str, Health] = {}
        self._waiting: dict[str, bool] = {}

    def seed(self, profile: str, health: Health) -> None:
        """The health of the last run before this process started (no toast for old news)."""
        self._last[profile] = health

    def on_finished(self, profile: str, summary: RunSummary) -> Toast | None:
        if summary.cancelled:
            return None
        before = self._last.get(profile, Health.OK)
        self._last[profile] = summary.health
        waiting = self._waiting.get(profile, False)
        self._waiting[profile] = summary.waiting_for_decision
        if summary.waiting_for_decision:
            # Once per stop, not at every scheduled run that stops again while the question is open.
            return None if waiting else Toast(f"{profile}: a sync waits for your decision", summary.text,
                                              Health.WARNING, profile)
        if summary.health > before:
            if summary.health is Health.ERROR:
                if summary.credential_kind:
                    label = CREDENTIAL_LABELS[summary.credential_kind]
                    return Toast(f"{profile}: the {label} was refused",
                                 f"{summary.text}\nClick here to enter it again.", Health.ERROR, profile,
                                 summary.credential_kind)
                return Toast(f"{profile}: sync failed", summary.text, Health.ERROR, profile)
            return Toast(f"{profile}: some records failed", summary.text, Health.WARNING, profile)
        if before is Health.ERROR and summary.health < before:
            if summary.old_failures:
                # The connection is back, but records still fail: "works again" would say all is well.
                return Toast(f"{profile}: syncing again, {summary.old_failures} record(s) still failed", summary.text,
                             Health.WARNING, profile)
            return Toast(f"{profile}: sync works again", summary.text, Health.OK, profile)
        return None
