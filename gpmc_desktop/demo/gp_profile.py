"""How dirty and how large the generated GP data is: the knobs of the demo data generator.

Rates are per customer (or per document) probabilities.  Behaviours the references mark as unconfirmed (what
voiding does to the remaining balance, whether paid documents move to history) are knobs here too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanySpec:
    """One company database of the simulated install (a row of SY01500) and its share of the data."""

    cmpanyid: int
    interid: str
    name: str
    weight: float = 1.0  # share of the requested customers/documents
    locales: tuple[tuple[str, float], ...] = (("US", 0.82), ("CA", 0.06), ("DE", 0.03), ("NO", 0.03),
                                              ("MX", 0.03), ("GB", 0.03))


DEFAULT_COMPANIES: tuple[CompanySpec, ...] = (
    CompanySpec(-1, "TWO", "Fabrikam, Inc.", weight=0.8),
    CompanySpec(
        2, "CPBDA", "Compañía de Papelería (Bermuda), Ltd.", weight=0.2,
        locales=(("MX", 0.45), ("US", 0.35), ("GB", 0.1), ("DE", 0.05), ("NO", 0.05)),
    ),
)


@dataclass(frozen=True)
class DataProfile:
    # --- customers (RM00101 / RM00102) ---
    inactive: float = 0.04
    on_hold: float = 0.03
    no_contact: float = 0.08  # CNTCPRSN blank: the sync must fall back to the company name
    odd_customer_number: float = 0.02  # numeric, dashed, '&', apostrophe or space inside the key
    name_whitespace: float = 0.01  # leading or doubled spaces inside CUSTNAME
    accent_in_us_name: float = 0.03  # accents even in the US locale (names are people's names)
    missing_country: float = 0.15  # COUNTRY and CCode blank
    missing_ccode: float = 0.30  # CCode blank while COUNTRY is typed
    state_spelled_out: float = 0.05  # "Illinois" / "il" instead of "IL"
    extra_addresses: float = 0.25  # BILL TO / SHIP TO / WAREHOUSE rows next to the primary one
    primary_not_primary: float = 0.05  # primary address code is "MAIN" or "001", not "PRIMARY"
    blank_currency: float = 0.05  # CURNCYID blank: the functional currency applies
    # --- phones ---
    zero_phone: float = 0.05  # 00000000000000
    excel_phone: float = 0.01  # 3.12555E+13
    formatted_phone: float = 0.02  # "(312) 555-0101 x12"
    blank_phone: float = 0.10
    # --- e-mail (SY01200) ---
    no_email: float = 0.08  # no SY01200 row, or one with every column blank
    email_list: float = 0.12  # two or three addresses in one field
    mailto_prefix: float = 0.06
    junk_email: float = 0.03
    shared_email: float = 0.04  # a bookkeeper or head office address used by several customers
    email_only_cc: float = 0.015
    email_only_bcc: float = 0.01
    email_only_inet1: float = 0.02  # pre-GP-2013 installs: the address sits in INET1 only
    email_on_bill_to_only: float = 0.01  # the primary address has no e-mail, the BILL TO one does
    upper_case_email: float = 0.05
    fake_domain: float = 0.02  # @example.com and friends
    blank_list_entries: float = 0.04  # ";;", trailing ";", surrounding spaces
    non_ascii_email: float = 0.003  # müller@bürobedarf.de
    # --- documents (RM20101 / RM30101) ---
    documents_per_customer: float = 5.0  # when the caller gives no document count
    doc_type_weights: tuple[tuple[int, float], ...] = (
        (1, 0.55), (2, 0.01), (3, 0.03), (4, 0.04), (5, 0.02), (6, 0.02), (7, 0.04), (8, 0.02), (9, 0.27),
    )
    void_rate: float = 0.03
    zero_amount_invoice: float = 0.002
    foreign_currency_doc: float = 0.02  # a US customer's document in another currency
    history_after_days: int = 120  # paid documents older than this were moved to history ...
    history_share: float = 0.8  # ... by this share of the "paid transaction removal" runs
    void_clears_balance: bool = False  # unconfirmed: GP keeps CURTRXAM on voided documents (default here)
    years_of_history: float = 3.0
