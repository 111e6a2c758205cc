"""The demo's simulated Dynamics GP data, in one import.

The pieces live in small modules: ``gp_model`` (rows shaped like GP tables), ``gp_clock`` (the server's
clock), ``gp_profile`` (sizes and dirt rates), ``gp_factory`` (row makers), ``gp_generate`` (the seeded
generator) and ``gp_mutate`` (edits between polls).

    dataset = generate_dataset(customers=500, seed=7)
    mutator = GPMutator(dataset)
    mutator.change_email()          # SY01200 only: ModifiedDate stays
    dataset.clock.advance(days=1)
    mutator.add_invoices(3)
"""

from __future__ import annotations

from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    EMPTY_DATE,
    AddressRow,
    CompanyData,
    CompanyRow,
    CustomerRow,
    DocType,
    DocumentRow,
    GPDataset,
    InternetRow,
    MultiCurrencyRow,
    dump_tables,
)
from gpmc_desktop.demo.gp_mutate import Change, GPMutator, GPRuleError
from gpmc_desktop.demo.gp_profile import DEFAULT_COMPANIES, CompanySpec, DataProfile

__all__ = [
    "CURRENCIES",
    "DEFAULT_COMPANIES",
    "EMPTY_DATE",
    "AddressRow",
    "Change",
    "CompanyData",
    "CompanyRow",
    "CompanySpec",
    "CustomerRow",
    "DataProfile",
    "DocType",
    "DocumentRow",
    "GPDataset",
    "GPMutator",
    "GPRuleError",
    "InternetRow",
    "MultiCurrencyRow",
    "SimClock",
    "dump_tables",
    "generate_dataset",
]
