"""The audit log at 50,000 rows: filtered keyset paging, per-record trace, streaming CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from gpmc_desktop import store as st
from gpmc_desktop.store import AuditFilter, NewAuditEvent, Store, open_store
from tests.store.conftest import T0

N = 50_000
RUNS = 5
ENTITIES = ["customer", "customer", "order", "order", "order", "product", "store", "merge_field"]
ACTIONS = ["created", "updated", "unchanged", "unchanged", "skipped"]


@dataclass(frozen=True)
class Expected:
    """What was inserted, row i having id i + 1 (a new file's first ids)."""

    id: int
    run_id: int
    entity: str
    gp_key: str
    mailchimp_id: str
    email: str | None
    action: str


@dataclass
class AuditData:
    store: Store
    profile_id: int
    other_profile_id: int
    run_ids: list[int]
    rows: list[Expected]

    def ids(self, keep: Callable[[Expected], bool], newest_first: bool = True) -> list[int]:
        ids = [r.id for r in self.rows if keep(r)]
        return ids[::-1] if newest_first else ids


def _event(i: int) -> tuple[str, str, str, str | None, str]:
    entity = ENTITIES[i % len(ENTITIES)]
    action = "failed" if i % 97 == 0 else ACTIONS[i % len(ACTIONS)]
    gp_key = f"C{i % 7_000:05d}" if entity == "customer" else f"{entity[:3].upper()}{i % 9_000:05d}"
    email = f"user{i % 7_000}@example.com" if entity == "customer" else None
    return entity, gp_key, f"mc{i:06d}", email, action


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditData]:
    s = open_store(tmp_path_factory.mktemp("audit") / "state.sqlite")
    try:
        pid = st.save_profile("acme").id
        other = st.save_profile("other").id
        run_ids = [st.start_run(pid, "incremental", now=T0 + timedelta(hours=h)) for h in range(RUNS)]
        rows: list[Expected] = []
        per_run = N // RUNS
        for r, run_id in enumerate(run_ids):
            batch = []
            for i in range(r * per_run, (r + 1) * per_run):
                entity, gp_key, mc_id, email, action = _event(i)
                batch.append(
                    NewAuditEvent(
                        entity,
                        gp_key,
                        action,
                        mailchimp_id=mc_id,
                        email=email,
                        http_status=400 if action == "failed" else 200,
                        at=T0 + timedelta(hours=r, milliseconds=300 * (i - r * per_run)),
                    )
                )
                rows.append(Expected(i + 1, run_id, entity, gp_key, mc_id, email, action))
            assert st.record_audit(run_id, batch) == per_run
        other_run = st.start_run(other, "full")  # another profile's events share gp keys
        st.record_audit(
            other_run, [NewAuditEvent("customer", "C00040", "created", email="user40@example.com")]
        )
        yield AuditData(s, pid, other, run_ids, rows)
    finally:
        s.close()


def _all_pages(f: AuditFilter, limit: int, newest_first: bool = True) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor: int | None = None
    while True:
        page = st.audit_page(f, after=cursor, limit=limit, newest_first=newest_first)
        pages.append([r.id for r in page.rows])
        if page.next_cursor is None:
            return pages
        assert page.next_cursor == page.rows[-1].id
        cursor = page.next_cursor


def _check_pages(pages: list[list[int]], expected: list[int], limit: int, newest_first: bool = True) -> None:
    flat = [i for p in pages for i in p]
    assert flat == expected  # complete, in order
    assert len(set(flat)) == len(flat)  # no overlap
    assert all(len(p) == limit for p in pages[:-1])  # only the last page may be short
    assert len(pages[-1]) <= limit and (len(pages[-1]) > 0 or expected == [])
    for p in pages:
        assert p == sorted(p, reverse=newest_first)


@pytest.mark.parametrize(
    ("name", "make_filter", "keep"),
    [
        ("profile", lambda d: AuditFilter(profile_id=d.profile_id), lambda d, r: True),
        ("run", lambda d: AuditFilter(run_id=d.run_ids[2]), lambda d, r: r.run_id == d.run_ids[2]),
        (
            "entity",
            lambda d: AuditFilter(profile_id=d.profile_id, entity="store"),
            lambda d, r: r.entity == "store",
        ),
        ("action", lambda d: AuditFilter(action="failed"), lambda d, r: r.action == "failed"),
        (
            "run+entity+action",
            lambda d: AuditFilter(run_id=d.run_ids[1], entity="customer", action="unchanged"),
            lambda d, r: (r.run_id, r.entity, r.action) == (d.run_ids[1], "customer", "unchanged"),
        ),
        (
            "gp key prefix, any case",
            lambda d: AuditFilter(profile_id=d.profile_id, text="c0012"),
            lambda d, r: r.gp_key.startswith("C0012"),
        ),
        (
            "e-mail prefix",
            lambda d: AuditFilter(profile_id=d.profile_id, text="USER123@"),
            lambda d, r: (r.email or "").startswith("user123@"),
        ),
        (
            "mailchimp id",
            lambda d: AuditFilter(text="mc04999"),
            lambda d, r: r.mailchimp_id.startswith("mc04999"),
        ),
        (
            "text+action",
            lambda d: AuditFilter(profile_id=d.profile_id, text="C0", action="failed"),
            lambda d, r: r.gp_key.startswith("C0") and r.action == "failed",
        ),
        (
            "time window",
            lambda d: AuditFilter(since=T0 + timedelta(hours=3), until=T0 + timedelta(hours=3, minutes=5)),
            lambda d, r: r.run_id == d.run_ids[3] and (r.id - 1) % (N // RUNS) < 1000,
        ),
        ("nothing", lambda d: AuditFilter(text="zzz"), lambda d, r: False),
    ],
)
def test_filtered_keyset_pages_are_complete_ordered_and_disjoint(
    data: AuditData,
    name: str,
    make_filter: Callable[[AuditData], AuditFilter],
    keep: Callable[[AuditData, Expected], bool],
) -> None:
    f = make_filter(data)
    expected = data.ids(lambda r: keep(data, r))
    for limit in (97, 1000):
        _check_pages(_all_pages(f, limit), expected, limit)
    _check_pages(_all_pages(f, 500, newest_first=False), expected[::-1], 500, newest_first=False)


def test_page_rows_carry_every_column(data: AuditData) -> None:
    row = st.audit_page(AuditFilter(profile_id=data.profile_id, action="failed"), limit=1).rows[0]
    exp = next(r for r in reversed(data.rows) if r.action == "failed")
    assert (
        row.id,
        row.run_id,
        row.profile_id,
        row.entity,
        row.gp_key,
        row.mailchimp_id,
        row.email,
        row.action,
        row.http_status,
    ) == (
        exp.id,
        exp.run_id,
        data.profile_id,
        exp.entity,
        exp.gp_key,
        exp.mailchimp_id,
        exp.email,
        "failed",
        400,
    )
    assert row.at.utcoffset() == timedelta(0)


def test_record_trace_is_every_event_for_one_key_oldest_first(data: AuditData) -> None:
    trace = st.record_trace(data.profile_id, "customer", "c00040")  # GP keys compare case-insensitively
    expected = [r.id for r in data.rows if r.entity == "customer" and r.gp_key == "C00040"]
    assert [e.id for e in trace] == expected
    assert len(expected) > 1 and {e.run_id for e in trace} == set(data.run_ids)
    assert all(e.profile_id == data.profile_id for e in trace)  # the other profile's C00040 is not here
    assert st.record_trace(data.other_profile_id, "customer", "C00040")[0].email == "user40@example.com"


def test_csv_export_has_a_header_and_every_matching_row(data: AuditData) -> None:
    out = io.StringIO(newline="")
    f = AuditFilter(run_id=data.run_ids[4], entity="order")
    n = st.export_audit_csv(out, f, chunk_size=333)
    out.seek(0)
    reader = csv.reader(out)
    assert next(reader) == list(st.CSV_HEADER)
    body = list(reader)
    expected = data.ids(lambda r: r.run_id == data.run_ids[4] and r.entity == "order", newest_first=False)
    assert n == len(body) == len(expected)
    assert [int(r[0]) for r in body] == expected
    first = dict(zip(st.CSV_HEADER, body[0], strict=True))
    assert first["entity"] == "order" and first["at"].endswith("+00:00") and first["email"] == ""
