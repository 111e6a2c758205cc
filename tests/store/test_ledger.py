"""The failure ledger with an injected clock: backoff schedule, permanent failures, replay, dismiss."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import BackoffPolicy, FailureCategory, Store
from tests.store.conftest import T0

MIN = timedelta(minutes=1)


def _fail(
    pid: int,
    key: str = "O1",
    *,
    category: str = "transient",
    content_hash: str = "h1",
    at: object = T0,
    **kw: object,
) -> st.LedgerEntry:
    return st.record_failure(
        pid,
        "order",
        key,
        category=category,
        content_hash=content_hash,
        error_title="Service Unavailable",
        http_status=503,
        now=at,
        **kw,
    )  # type: ignore[arg-type]


def _due_keys(pid: int, at: object) -> list[str]:
    return [e.gp_key for e in st.due_for_retry(pid, now=at)]  # type: ignore[arg-type]


def test_backoff_policy_doubles_from_five_minutes_to_a_day() -> None:
    policy = BackoffPolicy()
    delays = [policy.delay(n) for n in range(1, 12)]
    assert [d / MIN for d in delays] == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440]
    assert policy.delay(10_000) == timedelta(hours=24)
    with pytest.raises(ValueError):
        policy.delay(0)


def test_transient_failures_follow_the_backoff_schedule(store: Store, profile_id: int) -> None:
    now = T0
    for attempt, wait in enumerate([5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440], start=1):
        entry = _fail(profile_id, at=now)
        assert entry.attempts == attempt
        assert entry.next_retry_at == now + wait * MIN
        assert _due_keys(profile_id, now + wait * MIN - timedelta(seconds=1)) == []
        assert _due_keys(profile_id, now + wait * MIN) == ["O1"]
        assert entry.is_due(now + wait * MIN, "h1") and not entry.is_due(now, "h1")
        now = now + wait * MIN  # the engine retries when due, and it fails again
    entry = st.get_failure(profile_id, "order", "O1")
    assert entry is not None and entry.first_failed_at == T0 and entry.last_failed_at == now - 1440 * MIN
    assert entry.last_http_status == 503 and entry.last_error_title == "Service Unavailable"


def test_retry_after_longer_than_the_backoff_wins(store: Store, profile_id: int) -> None:
    entry = _fail(profile_id, retry_after=timedelta(minutes=30))
    assert entry.next_retry_at == T0 + 30 * MIN
    entry = _fail(profile_id, "O2", retry_after=timedelta(seconds=5))
    assert entry.next_retry_at == T0 + 5 * MIN


def test_a_custom_policy_and_the_earliest_retry_time(store: Store, profile_id: int) -> None:
    fast = BackoffPolicy(base=timedelta(seconds=10), factor=3, cap=timedelta(minutes=1))
    assert _fail(profile_id, "O1", policy=fast).next_retry_at == T0 + timedelta(seconds=10)
    assert _fail(profile_id, "O1", policy=fast).next_retry_at == T0 + timedelta(seconds=30)
    assert _fail(profile_id, "O1", policy=fast).next_retry_at == T0 + timedelta(seconds=60)
    assert st.next_retry_time(profile_id) == T0 + timedelta(seconds=60)
    _fail(profile_id, "O2", at=T0 - timedelta(minutes=10))
    assert st.next_retry_time(profile_id) == T0 - timedelta(minutes=5)


def test_permanent_failure_waits_for_a_changed_hash(store: Store, profile_id: int) -> None:
    entry = _fail(profile_id, category=FailureCategory.PERMANENT, content_hash="bad")
    later = T0 + timedelta(days=30)
    assert entry.next_retry_at is None
    assert _due_keys(profile_id, later) == []  # never due by time
    assert not entry.is_due(later, "bad")  # same GP content: would fail the same way
    assert entry.is_due(T0, "fixed")  # someone corrected the record in GP
    assert st.failure_map(profile_id, "order")["O1"].is_due(T0, "fixed")
    # Failing again with the changed content starts a new series.
    again = _fail(profile_id, category="permanent", content_hash="fixed", at=T0 + timedelta(days=1))
    assert (again.attempts, again.first_failed_at, again.content_hash) == (1, T0 + timedelta(days=1), "fixed")


def test_replay_makes_a_failure_due_now(store: Store, profile_id: int) -> None:
    _fail(profile_id, "O1", category="permanent", content_hash="bad")
    _fail(profile_id, "O2", category="permanent", content_hash="bad")
    replay_at = T0 + timedelta(hours=2)
    assert st.replay_failure(profile_id, "order", "O1", now=replay_at)
    assert not st.replay_failure(profile_id, "order", "nope", now=replay_at)
    assert _due_keys(profile_id, replay_at) == ["O1"]
    assert st.get_failure(profile_id, "order", "O1").is_due(replay_at, "bad")  # type: ignore[union-attr]
    # Failing again after the replay: waits for a change again.
    assert (
        _fail(profile_id, "O1", category="permanent", content_hash="bad", at=replay_at).next_retry_at is None
    )
    assert st.replay_failures(profile_id, category="permanent", now=replay_at) == 2
    assert _due_keys(profile_id, replay_at) == ["O1", "O2"]


def test_dismiss_stops_retries_until_the_record_changes(store: Store, profile_id: int) -> None:
    _fail(profile_id, "O1")
    _fail(profile_id, "O2")
    assert st.dismiss_failure(profile_id, "order", "O1")
    later = T0 + timedelta(days=2)
    assert _due_keys(profile_id, later) == ["O2"]
    assert {e.gp_key for e in st.list_failures(profile_id)} == {"O2"}
    assert {e.gp_key for e in st.list_failures(profile_id, include_dismissed=True)} == {"O1", "O2"}
    dismissed = st.get_failure(profile_id, "order", "O1")
    assert dismissed is not None and dismissed.dismissed
    assert not dismissed.is_due(later, "h1") and dismissed.is_due(later, "h2")
    # A person's replay brings it back, as does a new failure.
    assert st.replay_failure(profile_id, "order", "O1", now=later)
    assert not st.get_failure(profile_id, "order", "O1").dismissed  # type: ignore[union-attr]


def test_resolve_removes_the_entry(store: Store, profile_id: int) -> None:
    _fail(profile_id, "O1")
    assert st.resolve_failure(profile_id, "order", "O1")
    assert not st.resolve_failure(profile_id, "order", "O1")
    assert st.get_failure(profile_id, "order", "O1") is None
    assert st.next_retry_time(profile_id) is None


def test_ledger_is_per_profile_and_entity(store: Store, profile_id: int) -> None:
    other = st.save_profile("other").id
    _fail(profile_id, "K1")
    st.record_failure(profile_id, "customer", "K1", category="transient", content_hash="h", now=T0)
    _fail(other, "K1")
    assert set(st.failure_map(profile_id, "order")) == {"K1"}
    assert len(st.due_for_retry(profile_id, now=T0 + timedelta(hours=1))) == 2
    assert len(st.due_for_retry(profile_id, entity="customer", now=T0 + timedelta(hours=1))) == 1
    with pytest.raises(ValueError, match="failure category"):
        st.record_failure(profile_id, "order", "K2", category="auth", content_hash="h")


def test_an_entry_names_its_customer_and_a_dismissal_can_be_undone(store: Store, profile_id: int) -> None:
    st.record_failure(profile_id, "customer", "THOMASEL0001", category="permanent", content_hash="h1",
                      error_title="Invalid Resource", http_status=400, email="abrown@example.com",
                      customer_number="THOMASEL0001", customer_name="Thomas Electrical", now=T0)
    entry = st.get_failure(profile_id, "customer", "THOMASEL0001")
    assert entry is not None
    assert (entry.email, entry.customer_number, entry.customer_name) == (
        "abrown@example.com", "THOMASEL0001", "Thomas Electrical")
    assert st.dismiss_failure(profile_id, "customer", "THOMASEL0001")
    assert st.list_failures(profile_id) == []
    assert [e.gp_key for e in st.list_failures(profile_id, only_dismissed=True)] == ["THOMASEL0001"]
    assert st.undismiss_failure(profile_id, "customer", "THOMASEL0001")
    assert st.list_failures(profile_id) == [entry]
    assert st.list_failures(profile_id, only_dismissed=True) == []
