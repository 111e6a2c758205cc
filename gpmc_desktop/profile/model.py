"""A validated profile as the engine and the clients use it.  Defaults come from the schema, never from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from gpmc_desktop.profile.schema import default


@dataclass(frozen=True)
class GPSettings:
    url: str
    company: str
    username: str
    api: str = default("gp", "api")
    tenant: str = default("gp", "tenant")
    auth: str = default("gp", "auth")
    ca_bundle: str | None = None
    timeout_seconds: float = default("gp", "timeout_seconds")
    soap_path: str | None = None  # None: the legacy .asmx endpoint
    soap_list_cap: int = default("gp", "soap_list_cap")
    soap_workers: int = default("gp", "soap_workers")  # GetXByKey reads at once, one session each
    full_compare_days: float = default("gp", "full_compare_days")
    spn_host: str | None = None  # None: the URL's host
    time_zone: str | None = None  # None: this computer's zone
    order_lines: str = default("gp", "order_lines")  # "sales_invoices": SOP lines where GP has them
    # SBA resource paths under the company's address (a server may keep them elsewhere; its /help says).
    customers_path: str = default("gp", "customers_path")
    customer_addresses_path: str = default("gp", "customer_addresses_path")
    receivables_path: str = default("gp", "receivables_path")


@dataclass(frozen=True)
class MailchimpSettings:
    list_id: str
    store_id: str
    status_if_new: str = default("mailchimp", "status_if_new")
    automations: str = default("mailchimp", "automations")  # "off": the store stays is_syncing for good
    api_base: str | None = None  # None: from the API key's data centre
    max_connections: int = default("mailchimp", "max_connections")


@dataclass(frozen=True)
class SyncFilters:
    skip_inactive: bool = default("filters", "skip_inactive")
    skip_on_hold: bool = default("filters", "skip_on_hold")
    customer_classes: tuple[str, ...] = default("filters", "customer_classes")


@dataclass(frozen=True)
class FieldMapping:
    """Where each GP customer field goes in Mailchimp: "off", "merge_field" or "tags" (sync/field_targets.py)."""

    customer_class: str = default("mapping", "customer_class")
    salesperson: str = default("mapping", "salesperson")
    sales_territory: str = default("mapping", "sales_territory")
    price_level: str = default("mapping", "price_level")
    payment_terms: str = default("mapping", "payment_terms")
    user_defined_1: str = default("mapping", "user_defined_1")
    user_defined_2: str = default("mapping", "user_defined_2")

    def target(self, key: str) -> str:
        return str(getattr(self, key))


@dataclass(frozen=True)
class SyncSettings:
    mass_change_percent: int = default("sync", "mass_change_percent")  # 0: the mass-change guard is off
    batch_threshold: int = default("sync", "batch_threshold")  # 0: never through batch operations


@dataclass(frozen=True)
class Profile:
    name: str
    gp: GPSettings
    mailchimp: MailchimpSettings
    filters: SyncFilters = field(default_factory=SyncFilters)
    database: str | None = None
    # The keys a new profile must choose (`Key.required_for_new`) that its document leaves out, as (section,
    # name): they hold the file default, which only a profile that has already synced may run on.
    unchosen: frozenset[tuple[str, str]] = frozenset()
    sync: SyncSettings = field(default_factory=SyncSettings)
    mapping: FieldMapping = field(default_factory=FieldMapping)


@dataclass(frozen=True)
class Secrets:
    gp_password: str = field(repr=False)
    mailchimp_api_key: str = field(repr=False)


# The dataclass that holds each section's keys (the [profile] keys are Profile's own fields).
SECTION_TYPES: dict[str, type] = {"gp": GPSettings, "mailchimp": MailchimpSettings, "filters": SyncFilters,
                                  "mapping": FieldMapping, "sync": SyncSettings}
