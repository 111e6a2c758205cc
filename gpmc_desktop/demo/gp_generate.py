"""Seeded generator of a whole simulated GP install: companies, customers, addresses, e-mails, documents, items and
the posted sales invoices behind the receivables invoices.

Deterministic by seed and clock: the same arguments give the same rows, down to every DEX_ROW_TS.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_factory import GUARANTEED_CUSTOMER_TRAITS, CompanyFactory
from gpmc_desktop.demo.gp_model import (
    W_CMPNYNAM,
    W_INTERID,
    CompanyData,
    CompanyRow,
    CustomerRow,
    DocType,
    GPDataset,
    pad,
)
from gpmc_desktop.demo.gp_profile import DEFAULT_COMPANIES, CompanySpec, DataProfile
from gpmc_desktop.demo.gp_sales import MISMATCH_MIN_CUSTOMERS, fill_sales

# Forced documents per company so that even a tiny data set has every type and every invoice state.
GUARANTEED_DOCUMENTS: tuple[tuple[int, str | None], ...] = (
    *((int(t), None) for t in DocType if t != DocType.BALANCE_FORWARD),
    (DocType.INVOICE, "open"), (DocType.INVOICE, "partial"), (DocType.INVOICE, "paid"), (DocType.INVOICE, "void"),
)


def split_counts(total: int, weights: Sequence[float]) -> list[int]:
    """Split *total* by *weights*; every share gets at least one when there is enough to go round."""
    if not weights:
        return []
    whole = sum(weights)
    counts = [int(total * w / whole) for w in weights]
    if total >= len(weights):
        counts = [max(1, c) for c in counts]
    counts[0] += total - sum(counts)
    return counts


def company_rng(seed: object, interid: str, purpose: str = "generate") -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and platforms.
    return random.Random(f"{seed}/{interid}/{purpose}")


def generate_dataset(
    customers: int = 500,
    documents: int | None = None,
    *,
    seed: object = 1,
    clock: SimClock | None = None,
    companies: Sequence[CompanySpec] = DEFAULT_COMPANIES,
    profile: DataProfile | None = None,
) -> GPDataset:
    """Generate a dirty GP data set: *customers* and *documents* are totals split across the companies.

    ``documents`` defaults to ``profile.documents_per_customer`` per customer.  Dates end at ``clock.today()``
    (a frozen 2024-06-14 clock by default, so the same seed always gives the same rows).
    """
    profile = profile or DataProfile()
    clock = clock or SimClock()
    if documents is None:
        documents = round(customers * profile.documents_per_customer)
    dataset = GPDataset(companies={}, clock=clock, seed=seed, profile=profile)
    weights = [spec.weight for spec in companies]
    for i, (spec, n_cust, n_docs) in enumerate(zip(
        companies, split_counts(customers, weights), split_counts(documents, weights), strict=True
    )):
        data = CompanyData(
            CompanyRow(spec.cmpanyid, pad(spec.interid, W_INTERID), pad(spec.name, W_CMPNYNAM)), locales=spec.locales
        )
        dataset.companies[spec.interid.upper()] = data
        factory = CompanyFactory(data, company_rng(seed, spec.interid), profile, clock, spec.locales)
        factory.fixed_today = clock.today()
        _fill_customers(factory, n_cust)
        _fill_documents(factory, n_docs, profile)
        # Last, and from streams of their own: the main stream's draws stay what they were before SOP existed.
        fill_sales(factory, seed, mismatch=i == 0 and customers >= MISMATCH_MIN_CUSTOMERS)
    return dataset


def _fill_customers(factory: CompanyFactory, count: int) -> None:
    rng = factory.rng
    forced: dict[int, str] = {}
    if count >= 2 * len(GUARANTEED_CUSTOMER_TRAITS):
        positions = rng.sample(range(count), len(GUARANTEED_CUSTOMER_TRAITS))
        forced = dict(zip(positions, GUARANTEED_CUSTOMER_TRAITS, strict=True))
    elif count >= 8:  # small company: only the traits the sync must never miss
        essentials = ("no_email", "shared", "shared", "mailto", "zero_phone", "non_ascii", "inactive")
        forced = dict(zip(rng.sample(range(count), len(essentials)), essentials, strict=True))
    for i in range(count):
        factory.add_customer(forced.get(i))


def _fill_documents(factory: CompanyFactory, count: int, profile: DataProfile) -> None:
    data, rng = factory.data, factory.rng
    customers: list[CustomerRow] = list(data.customers.values())
    if not customers or count <= 0:
        return
    today = factory.clock.today().toordinal()
    span = int(profile.years_of_history * 365)
    # Dates are drawn first and sorted so document numbers grow with the date, as GP's number series do.
    ages = sorted((int(rng.random() ** 1.3 * span) for _ in range(count)), reverse=True)
    forced: dict[int, tuple[int, str | None]] = {}
    if count >= len(GUARANTEED_DOCUMENTS):
        forced = dict(zip(rng.sample(range(count), len(GUARANTEED_DOCUMENTS)), GUARANTEED_DOCUMENTS, strict=True))
    n = len(customers)
    first_doc: dict[str, int] = {}
    for i, age in enumerate(ages):
        cust = customers[int(n * rng.random() ** 1.8)]  # a few big accounts, a long tail of small ones
        doc_type, status = forced.get(i, (0, None))
        if not doc_type:
            doc_type = factory.random_doc_type()
        if status in ("open", "partial") and age > 60:
            age = rng.randrange(0, 60)  # an open invoice from three years ago would be odd in a demo
        docdate = factory.day(today - age)
        row = factory.add_document(cust, doc_type, docdate=docdate, status=status)
        key = cust.custnmbr
        if row.docdate.toordinal() < first_doc.get(key, today + 1):
            first_doc[key] = row.docdate.toordinal()
    # A customer cannot have documents dated before it was created.
    for cust in customers:
        first = first_doc.get(cust.custnmbr)
        if first is not None and first < cust.creatddt.toordinal():
            created = factory.day(first - rng.randrange(0, 30))
            cust.creatddt = created
            for addr in data.addresses_of(cust.custnmbr):
                addr.creatddt = min(addr.creatddt, created)
