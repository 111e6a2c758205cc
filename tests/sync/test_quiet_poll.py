"""A poll that finds GP exactly as a quiet run left it (sync/quiet_poll.py) ends as that run did without making a
single record, and anything else that could change its decisions sends it down the ordinary path: GP's answers,
the profile, the synced state or ledger written by anyone, the audience's fields.  Against the simulators over
real sockets, beside a twin that never replays."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gpmc_desktop import store
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.gp import sba_shapes
from gpmc_desktop.gp.answer_prints import BLOCK, AnswerChanged, AnswerPrint, PrintTaker
from gpmc_desktop.store import Action, Entity, Outcome
from gpmc_desktop.sync import mapping, quiet_poll
from gpmc_desktop.sync.batch_backfill import BatchSettings
from gpmc_desktop.sync.engine import SyncEngine
from gpmc_desktop.sync.failure_news import FailureNews
from gpmc_desktop.sync.gp_read import SHARD_CUSTOMERS
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import make_api
from tests.sync.batch_support import BATCHED, PER_RECORD
from tests.sync.engine_support import FAST_RETRY, Demo, demo_fixture, set_sync_keys, snapshot
from tests.sync.test_engine_parts import PART, told

demo = demo_fixture("demo", 120)
twin = demo_fixture("twin", 120)  # the same GP data, a Mailchimp account of its own; never replays


def run(demo: Demo, **kwargs: Any) -> RunReport:
    return demo.run(retry=FAST_RETRY, batches=PER_RECORD, **kwargs)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many GP customers and documents were turned into the sync's model (counted where they are made)."""
    counts: Counter[str] = Counter()

    def counting(name: str) -> Callable[..., Any]:
        real = getattr(sba_shapes, name)

        def make(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return make

    for name in ("customer_from_sba", "document_from_sba"):
        monkeypatch.setattr(sba_shapes, name, counting(name))
    return counts


@pytest.fixture
def never_replays(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Demo], RunReport]]:
    """A run of the twin down the ordinary path whatever memo it has."""

    def ordinary(demo: Demo) -> RunReport:
        with monkeypatch.context() as patch:
            patch.setattr(SyncEngine, "_replay", lambda *_args: False)
            return run(demo)

    yield ordinary


def settle(demo: Demo) -> None:
    """A first load and the poll after it, which leaves a memo."""
    for _ in range(2):
        run(demo)


def memo_of(demo: Demo) -> Any:
    return demo.with_store(lambda pid: store.get_state(pid, quiet_poll.STATE_KEY))


def stored_counts(demo: Demo, run_id: int | None) -> dict[str, Any]:
    assert run_id is not None
    row = demo.with_store(lambda _pid: store.get_run(run_id))
    assert row is not None
    return dict(row.counts)


def test_a_poll_that_finds_gp_as_a_quiet_run_left_it_ends_as_that_run_did(
    demo: Demo, made: Counter[str], never_replays: Callable[[Demo], RunReport]
) -> None:
    first = run(demo)
    assert first.customers[Action.CREATED] > 0
    assert demo.failures(Entity.CUSTOMER) or demo.failures(Entity.ORDER)  # the dirty demo's refusals, held
    demo.with_store(lambda pid: store.delete_state(pid, quiet_poll.STATE_KEY))  # the first load's (see below)
    quiet = never_replays(demo)
    assert quiet.outcome == Outcome.OK and quiet.to_send == 0 and memo_of(demo) is not None

    made.clear()
    demo.sim.reset_counters()
    events: list[tuple[str, int, int]] = []
    replayed = demo.run(retry=FAST_RETRY, batches=PER_RECORD, progress=lambda *e: events.append(e))
    assert made == Counter()  # not one GP record was made into a customer or an invoice, nor checked
    assert told(replayed) == told(quiet)
    assert replayed.failure_news == quiet.failure_news and sum(quiet.failure_news.values()) > 0
    assert stored_counts(demo, replayed.run_id) == stored_counts(demo, quiet.run_id)
    assert demo.sim.writes == 0
    assert replayed.reconciliation is not None
    last = {phase: (done, of) for phase, done, of in events if phase in ("customers", "orders")}
    assert last == {"customers": (replayed.reconciliation.addresses,) * 2,
                    "orders": (replayed.reconciliation.gp_invoices,) * 2}
    # The CLI's line says the same as the quiet run's, but for its run id.
    line, quiet_line = replayed.json_line(), quiet.json_line()
    assert {**line, "run_id": None} == {**quiet_line, "run_id": None}


def test_any_change_in_gp_is_planned_and_sent_as_usual(
    demo: Demo, twin: Demo, made: Counter[str], never_replays: Callable[[Demo], RunReport]
) -> None:
    for either in (demo, twin):
        settle(either)
    assert memo_of(demo) is not None
    for either in (demo, twin):
        GPMutator(either.env.dataset, seed="quiet").random_round(3)
    made.clear()
    poll = run(demo)
    assert made["customer_from_sba"] > 0 and made["document_from_sba"] > 0
    assert told(poll) == told(never_replays(twin)) and poll.to_send > 0
    assert snapshot(demo) == snapshot(twin)
    assert memo_of(demo) is not None  # the one its next poll would leave (the one before it dropped)

    made.clear()
    settled = run(demo)
    assert made == Counter()
    assert told(settled) == told(never_replays(twin))


@pytest.mark.parametrize(("parts", "first_batches"), [(False, PER_RECORD), (True, PER_RECORD), (True, BATCHED)],
                         ids=["one part", "parts", "parts, first load by batches"])
def test_a_run_that_sent_leaves_the_memo_of_the_poll_after_it(
    demo: Demo, twin: Demo, made: Counter[str], never_replays: Callable[[Demo], RunReport], tmp_path: Path,
    parts: bool, first_batches: BatchSettings,
) -> None:
    """After a first load, and after a poll that sent GP's changes, the next poll finding GP as that run did
    replays what the run left: it tells exactly what a poll down the ordinary path tells, makes no record and
    writes nothing."""
    size = PART if parts else SHARD_CUSTOMERS

    def sync(either: Demo, batches: BatchSettings = PER_RECORD) -> RunReport:
        return either.run(retry=FAST_RETRY, batches=batches, shard_customers=size, scratch_dir=tmp_path)

    def ordinary(either: Demo) -> RunReport:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SyncEngine, "_replay", lambda *_args: False)
            return sync(either)

    for either in (demo, twin):
        first = sync(either, first_batches)
        assert first.outcome == Outcome.PARTIAL and first.backfill  # the dirty demo's refusals
    assert memo_of(demo) is not None
    for step in ("after the first load", "after a poll that sent"):
        made.clear()
        demo.sim.reset_counters()
        replayed = sync(demo)
        assert made == Counter(), step
        planned = ordinary(twin)
        assert demo.sim.writes == 0 and replayed.to_send == 0 == planned.to_send, step
        assert told(replayed) == told(planned), step
        assert stored_counts(demo, replayed.run_id) == stored_counts(twin, planned.run_id), step
        assert snapshot(demo) == snapshot(twin), step
        for either in (demo, twin):
            GPMutator(either.env.dataset, seed="sent").random_round(4)
        sent, sent_twin = sync(demo), ordinary(twin)
        assert sent.to_send > 0 and told(sent) == told(sent_twin)
        assert memo_of(demo) is not None


def test_a_ledger_entry_dismissed_while_a_run_sends_is_counted_as_the_next_poll_would(
    demo: Demo, twin: Demo, never_replays: Callable[[Demo], RunReport], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parts a run found quiet are not surveyed again for its memo unless something besides the run changed
    what they were decided from: here a failure dismissed in the window while the run sent another part."""
    def sync(either: Demo) -> RunReport:
        return either.run(retry=FAST_RETRY, batches=PER_RECORD, shard_customers=PART, scratch_dir=tmp_path)

    for either in (demo, twin):
        sync(either)
        sync(either)
    held = sorted(demo.failures(Entity.ORDER) or demo.failures(Entity.CUSTOMER))
    entity = Entity.ORDER if demo.failures(Entity.ORDER) else Entity.CUSTOMER
    assert held
    for either in (demo, twin):
        GPMutator(either.env.dataset, seed="dismissed").random_round(1)
    real_retire = SyncEngine._retire_buyers

    def retire_and_dismiss(engine: SyncEngine, gp: Any) -> None:
        real_retire(engine, gp)
        assert store.dismiss_failure(engine.book.profile_id, entity, held[0])  # as the window does, meanwhile

    monkeypatch.setattr(SyncEngine, "_retire_buyers", retire_and_dismiss)
    assert sync(demo).to_send > 0 and memo_of(demo) is not None
    monkeypatch.undo()
    assert sync(twin).to_send > 0
    assert twin.with_store(lambda pid: store.dismiss_failure(pid, entity, held[0]))
    replayed = sync(demo)
    assert told(replayed) == told(never_replays(twin))
    assert replayed.reconciliation is not None and replayed.reconciliation.customers != {}


def test_what_else_decides_a_run_sends_the_poll_down_the_ordinary_path(
    demo: Demo, made: Counter[str]
) -> None:
    settle(demo)
    assert memo_of(demo) is not None

    # Someone else wrote the synced state (a replay from the window, another build): the write count moved.
    order = next(iter(demo.with_store(lambda pid: store.synced_map(pid, Entity.ORDER))))
    demo.with_store(lambda pid: store.delete_synced(pid, Entity.ORDER, [order]))
    made.clear()
    resent = run(demo)
    assert made["document_from_sba"] > 0
    assert resent.orders[Action.UPDATED] + resent.orders[Action.CREATED] == 1 and resent.to_send == 1

    # The profile changed.
    run(demo)
    assert memo_of(demo) is not None
    set_sync_keys(demo, mass_change_percent=90)
    made.clear()
    assert run(demo).outcome == Outcome.OK and made["customer_from_sba"] > 0

    # Someone deleted one of the sync's merge fields in Mailchimp: created again, as any run would.
    assert memo_of(demo) is not None
    fields = demo.sim.state.lists[demo.list_id].merge_fields
    with demo.sim.state.lock:
        key = next(key for key, value in fields.items() if value.get("tag") == mapping.TAG_GP_NUMBER)
        del fields[key]
    made.clear()
    again = run(demo)
    assert made["customer_from_sba"] > 0 and again.outcome == Outcome.OK
    assert any(f.get("tag") == mapping.TAG_GP_NUMBER for f in demo.sim.merge_fields(demo.list_id))


def test_a_replay_still_keeps_the_store_as_the_profile_wants_it(demo: Demo, made: Counter[str]) -> None:
    settle(demo)
    assert memo_of(demo) is not None
    api, transport = make_api(demo.profile(), demo.env.secrets.mailchimp_api_key)
    try:
        api.patch_store(demo.store_id, {"is_syncing": True})  # someone paused the store's automations
    finally:
        transport.close()
    made.clear()
    replayed = run(demo)
    assert made == Counter() and replayed.outcome == Outcome.OK
    store_now = demo.sim.store(demo.store_id)
    assert store_now is not None and store_now["is_syncing"] is False
    assert demo.sim.is_syncing_history(demo.store_id)[-2:] == [True, False]


def test_a_memo_is_for_the_day_it_was_left(demo: Demo, made: Counter[str]) -> None:
    """An invoice voided without any date is cancelled as of the company's today: the next day is another run."""
    today = dt.datetime.now(dt.UTC)
    for _ in range(2):
        run(demo, now=lambda: today)
    made.clear()
    run(demo, now=lambda: today)
    assert made == Counter() and memo_of(demo) is not None
    run(demo, now=lambda: today + dt.timedelta(days=1))
    assert made["document_from_sba"] > 0


def test_a_record_retried_on_a_clock_leaves_no_memo(demo: Demo) -> None:
    run(demo)
    assert memo_of(demo) is not None
    entity = Entity.ORDER if demo.failures(Entity.ORDER) else Entity.CUSTOMER
    ledgered, entry = next(iter(demo.failures(entity).items()))
    # The same content failed for a passing reason: held until its retry time, then tried again.
    demo.with_store(lambda pid: store.record_failure(pid, entity, ledgered, category="transient",
                                                     content_hash=entry.content_hash))
    quiet = run(demo)
    assert quiet.to_send == 0 and quiet.failure_news[FailureNews.RETRYING] == 1
    assert memo_of(demo) is None  # the first load's dropped, past its use; none left by this one


# -- prints ----------------------------------------------------------------------------------------------------
def _records(n: int) -> list[dict[str, Any]]:
    return [{"DocumentNumber": f"INV{i:05d}", "Amount": {"Value": i * 1.25}, "Note": "é\ud800"} for i in range(n)]


def print_of(records: list[dict[str, Any]]) -> AnswerPrint:
    taker = PrintTaker()
    for record in records:
        taker.add(record)
    return taker.finish()


def test_an_answer_compares_block_by_block_and_stops_at_the_first_that_differs() -> None:
    records = _records(BLOCK * 2 + 5)
    printed = print_of(records)
    assert printed.count == len(records) and len(printed.blocks) == 3
    assert AnswerPrint.from_json(printed.as_json()) == printed

    same = PrintTaker(printed)
    assert list(same.watch(records)) == records and same.finish() == printed

    changed = [dict(r) for r in records]
    changed[BLOCK + 1]["Amount"] = {"Value": 0.0}
    seen = 0
    taker = PrintTaker(printed)
    with pytest.raises(AnswerChanged):
        for _record in taker.watch(changed):
            seen += 1
    assert seen == BLOCK * 2 - 1  # stopped as the second block ended (its last record not handed on)

    for other in (records[:-1], [*records, records[0]], records[1:] + records[:1]):
        taker = PrintTaker(printed)
        with pytest.raises(AnswerChanged):
            for record in other:
                taker.add(record)
            taker.finish()
    assert print_of([]) == AnswerPrint(0, ())
    # The same values under keys in another order are another answer (GP's order is part of it).
    assert print_of([{"b": 1, "a": 2}]) != print_of([{"a": 2, "b": 1}])


def test_the_context_and_fields_are_hashed_as_every_content_hash_is() -> None:
    definitions = [{"tag": "GPNUM", "name": "GP customer number \ud800"}]  # a lone surrogate, as JSON may carry
    assert quiet_poll.fields_print(definitions) == mapping.content_hash(definitions)
    assert len(quiet_poll.fields_print(definitions)) == 64
