"""Every profile key once: its section, type, default, allowed values, the plain-words rule for a bad value, and
where the desktop app shows it.

TOML loading, the wizard, the settings dialog, the state database and the docs all read this table, so a key
added here is loadable, storable, editable in the app and documented at once.  The keys are a published contract
(IT scripts write them): add keys, never rename or change the meaning of one.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    URL = "url"
    HOST = "host"
    PATH = "path"
    INTEGER = "integer"
    NUMBER = "number"
    BOOL = "bool"
    LIST = "list"


class Level(StrEnum):
    """Where the desktop app lets a person set the key."""

    BASIC = "basic"  # on the setup wizard's pages
    ADVANCED = "advanced"  # in "Advanced settings" (wizard and settings dialog)
    FILE = "file"  # profile files only: the desktop app keeps its own database, so it has no use for it


SECTIONS = ("profile", "gp", "mailchimp", "filters", "mapping", "sync")
REQUIRED_SECTIONS = ("gp", "mailchimp")
# A key named like one of these is a credential: it never belongs in a profile, whatever section it is in.
SECRET_NAMES = frozenset({"password", "api_key", "apikey", "secret", "token"})
ENV_GP_PASSWORD = "GPMC_GP_PASSWORD"
ENV_MAILCHIMP_API_KEY = "GPMC_MAILCHIMP_API_KEY"

_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    kind: Kind
    label: str  # what the app calls it, in the finance admin's words
    help: str  # one sentence: what it does (tooltips and the reference in docs/)
    level: Level
    default: Any = None  # None: no default (required, or optional and unset)
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    rule: str = ""  # the plain-words rule shown when a value breaks it
    check: Callable[[Any], bool] | None = None  # a rule beyond the kind (True: the value is fine)
    # A rule the app's forms add for a value typed now (the CA file must exist; a profile file may be written
    # before the file is copied): returns the problem, or None.
    form_check: Callable[[Any], str | None] | None = None
    # What a new desktop profile starts with where it differs from the file default (which cannot change: a
    # file that leaves the key out must keep meaning what it always meant).
    new_profile_value: Any = None
    # A choice every new profile must make (no silent default): a file that leaves it out keeps the default, the
    # meaning it had before the key existed, only once the profile has synced; `gpmc sync` refuses the first sync
    # of a profile that does not state it.
    required_for_new: bool = False
    meanings: tuple[tuple[str, str], ...] = ()  # CHOICE keys: what each value does, in the admin's words
    example: Any = None  # a realistic value for the documented example file

    @property
    def path(self) -> str:
        return f"[{self.section}] {self.name}"

    def first_sync_problem(self) -> str:
        """Why a profile that has never synced cannot leave this key out: the key and what each value does."""
        values = " or ".join(f'{self.name} = "{value}" ({meaning})' for value, meaning in self.meanings)
        return f"{self.path} is required before a profile's first sync: write {values}"

    @property
    def initial(self) -> Any:
        """The value a new desktop profile starts with."""
        return self.default if self.new_profile_value is None else self.new_profile_value

    def describe_allowed(self) -> str:
        """The allowed values in a few words (the reference table and error messages)."""
        if self.rule:
            return self.rule
        if self.kind is Kind.CHOICE:
            return "one of: " + ", ".join(self.choices)
        if self.kind is Kind.BOOL:
            return "true or false"
        return self.kind.value


def _is_server_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_server_path(value: str) -> bool:
    return value.startswith("/")


def _is_host_name(value: str) -> bool:
    return bool(_HOST_NAME.fullmatch(value))


def _is_resource_path(value: str) -> bool:
    """``Sales/Receivables/Transactions``: segments under the company URL, none empty, none "." or ".." (a path
    that climbs out of the company would read another company's or tenant's data)."""
    return all(seg not in ("", ".", "..") and not re.search(r"[\s\\?#]", seg) for seg in value.split("/"))


_RESOURCE_RULE = ("a path under the company, like {example}: no / at the start or end, no .. and no spaces")


def _resource_key(name: str, label: str, what: str, default: str, example: str) -> Key:
    return Key("gp", name, Kind.TEXT, label,
               f"SBA only: where GP serves {what}, under the company's address; change it only when the check "
               "or a run says the server keeps them elsewhere (its help page lists what it offers).",
               Level.ADVANCED, default=default, rule=_RESOURCE_RULE.format(example=example),
               check=_is_resource_path, example=example)


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # "localtime" is this computer's own file, not a zone a profile can name (the key's absence means that).
    return frozenset(zoneinfo.available_timezones()) - {"localtime"}


def _is_time_zone(value: str) -> bool:
    """An IANA zone this computer's database (or the tzdata package) knows, spelt exactly as there."""
    return value in _time_zone_names()


def ca_file_problem(value: str) -> str | None:
    """Why the CA file cannot be used, or None.  Reads the file: a wrong path fails at load, not mid-run."""
    path = Path(value)
    if not path.is_file():
        return f"there is no file {value}: give the .pem or .cer file IT gave you"
    try:
        head = path.read_bytes()[:65536]
    except OSError as exc:
        return f"cannot read {value} ({exc.strerror}): give another copy of the file"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return ("this file is not a Base-64 (PEM) certificate: export it again from the certificate window as "
                "\"Base-64 encoded X.509 (.CER)\"")
    return None


def _domain_problem(value: str) -> str | None:
    # GP's Windows accounts are domain accounts; without the domain NTLM signs in as a local user and fails.
    if "\\" in value or "@" in value:
        return None
    return f"write it with its domain, like CORP\\{value}"


MAPPING_CHOICES = ("off", "merge_field", "tags")
MAPPING_MEANINGS = (
    ("off", "not sent to Mailchimp"),
    ("merge_field", "an audience field of its own, created on the first sync"),
    ("tags", "a tag per value; a value GP no longer holds has its tag removed"),
)


def _mapping_key(name: str, label: str, merge_tag: str, tag_prefix: str, default: str, *, new: str | None = None,
                 example: str) -> Key:
    # sync/field_targets.py holds the same merge tag and prefix (a test keeps the two alike).
    return Key("mapping", name, Kind.CHOICE, label,
               f"Where the sync puts the GP customer's {label.lower()} in Mailchimp: \"off\" (not sent), "
               f"\"merge_field\" (the audience field {merge_tag}, created on the first sync) or \"tags\" (a tag "
               f"per value, like \"{tag_prefix}<value>\").", Level.BASIC, default=default,
               choices=MAPPING_CHOICES, new_profile_value=new, meanings=MAPPING_MEANINGS, example=example)

KEYS: tuple[Key, ...] = (
    # ------------------------------------------------------------------------------------------------ [profile]
    Key("profile", "name", Kind.TEXT, "Profile name",
        "The profile's name: the tray menu, the state database and the keyring entries use it.",
        Level.BASIC, default="default", example="Fabrikam"),
    Key("profile", "database", Kind.PATH, "State database",
        "Where this profile's state (audit, ledger, what was synced) lives; default: the per-user data folder.",
        Level.FILE, rule="the path of a file", example="/path/state.sqlite"),
    # ----------------------------------------------------------------------------------------------------- [gp]
    Key("gp", "api", Kind.CHOICE, "GP API",
        "Which GP web API to read: \"sba\" (Service Based Architecture, REST, GP 2015 and later) or \"soap\" "
        "(the legacy GP Web Services).", Level.BASIC, default="sba", choices=("sba", "soap"), example="sba"),
    Key("gp", "url", Kind.URL, "Server URL",
        "The GP server's address; the client builds /GPService/Tenants(..)/Companies(..)/.. (SBA) or the "
        "Web Services endpoint (SOAP) on it.", Level.BASIC, required=True,
        rule="a server URL like https://gp01.corp.example:443", check=_is_server_url,
        example="https://gp01.corp.example:443"),
    Key("gp", "tenant", Kind.TEXT, "Tenant",
        "The SBA tenant (GP's Tenant Management); single-tenant installs use DefaultTenant.",
        Level.BASIC, default="DefaultTenant", example="DefaultTenant"),
    Key("gp", "company", Kind.TEXT, "Company",
        "SBA: the company's database or display name; SOAP: its display name or GP company id.",
        Level.BASIC, required=True, example="TWO"),
    Key("gp", "auth", Kind.CHOICE, "Sign-in method",
        "How to sign in to GP with the Windows account: ntlm, kerberos, negotiate (Kerberos, falling back to "
        "NTLM) or basic (https only).", Level.BASIC, default="ntlm",
        choices=("ntlm", "kerberos", "negotiate", "basic"), new_profile_value="negotiate", example="ntlm"),
    Key("gp", "username", Kind.TEXT, "Windows user",
        "The Windows account that signs in to GP, as DOMAIN\\user; its password is kept in the keyring "
        f"(desktop) or {ENV_GP_PASSWORD} (headless).", Level.BASIC, required=True, form_check=_domain_problem,
        example="CORP\\svc-gp"),
    Key("gp", "ca_bundle", Kind.PATH, "CA certificate",
        "The CA certificate (PEM) of an internal or self-signed server certificate.", Level.BASIC,
        rule="the path of a PEM certificate file", form_check=ca_file_problem, example="/path/ca.pem"),
    Key("gp", "timeout_seconds", Kind.NUMBER, "GP timeout (seconds)",
        "How long one read of a whole GP collection may take (listing a large company's customers or invoices "
        "takes minutes; GP never times out on its own); a read that takes longer stops the run, and is not "
        "repeated.", Level.ADVANCED, default=600.0, minimum=1, maximum=3600, rule="a number between 1 and 3600",
        example=900),
    Key("gp", "spn_host", Kind.HOST, "Kerberos server name",
        "The name the GP server is registered under for Kerberos (its HTTP service name) when the URL uses an IP "
        "address or an alias; default: the URL's host.", Level.ADVANCED,
        rule="the GP server's name as registered for Kerberos, like gp01.corp.example (no https://, no port)",
        check=_is_host_name, example="gp01.corp.example"),
    Key("gp", "soap_path", Kind.TEXT, "Web Services path",
        "SOAP only: the endpoint path on the server URL.", Level.ADVANCED,
        rule="a path on the server, like /DynamicsGPWebServices/DynamicsGPService.asmx", check=_is_server_path,
        example="/DynamicsGPWebServices/DynamicsGPService.asmx"),
    Key("gp", "soap_list_cap", Kind.INTEGER, "Web Services list limit",
        "SOAP only: the most rows GP Web Services returns from one list call; bigger answers are split.",
        Level.ADVANCED, default=1000, minimum=10, maximum=1_000_000,
        rule="a whole number from 10 to 1000000 (GP's default is 1000)", example=1000),
    Key("gp", "soap_workers", Kind.INTEGER, "Web Services readers at once",
        "SOAP only: how many customers and invoices are read from GP Web Services at the same time, each on a "
        "connection of its own; lower it if the GP server is slow for its other users.", Level.ADVANCED,
        default=4, minimum=1, maximum=16, rule="a whole number from 1 (one at a time) to 16", example=4),
    Key("gp", "full_compare_days", Kind.NUMBER, "Days between full comparisons",
        "SOAP only: days between full comparisons, which catch e-mail edits that do not move GP's "
        "ModifiedDate (0: every run).", Level.ADVANCED, default=7.0, minimum=0, maximum=366,
        rule="a number of days from 0 (every run) to 366", example=7),
    Key("gp", "time_zone", Kind.TEXT, "Company time zone",
        "The time zone of the GP company's business dates: invoices reach Mailchimp at noon on their GP date "
        "there, so they show on that day; default: this computer's zone.", Level.ADVANCED,
        rule="an IANA time zone name like America/Chicago", check=_is_time_zone, example="America/Chicago"),
    Key("gp", "order_lines", Kind.CHOICE, "Order lines",
        "What each order's lines are: \"receivables\" (one line at the GP invoice's total) or \"sales_invoices\" "
        "(the item lines of the sales invoice behind each receivables invoice, where GP has one and its lines add "
        "up to the invoice; read over Web Services, or from an SBA server whose help page lists its sales invoices).",
        Level.BASIC, default="receivables", choices=("receivables", "sales_invoices"),
        new_profile_value="sales_invoices",
        meanings=(("receivables", "every order is one line at the GP invoice's total"),
                  ("sales_invoices", "orders carry the items sold, from GP's sales invoices, where GP has them")),
        example="sales_invoices"),
    _resource_key("customers_path", "Customers path", "customers", "Sales/Customers", "Sales/Customers"),
    _resource_key("customer_addresses_path", "Customer addresses path",
                  "customer addresses (when customers come without them)", "Sales/CustomerAddresses",
                  "Sales/CustomerAddresses"),
    _resource_key("receivables_path", "Receivables path", "receivables documents (invoices, payments, ...)",
                  "Sales/Receivables", "Sales/Receivables/Transactions"),
    # ---------------------------------------------------------------------------------------------- [mailchimp]
    Key("mailchimp", "list_id", Kind.TEXT, "Audience",
        "The id of the Mailchimp audience that receives the contacts.", Level.BASIC, required=True,
        example="a1b2c3d4e5"),
    Key("mailchimp", "store_id", Kind.TEXT, "Store",
        "The id of the Mailchimp e-commerce store that receives the orders (created on the first sync).",
        Level.BASIC, required=True, example="gp-two"),
    Key("mailchimp", "status_if_new", Kind.CHOICE, "New contacts",
        "How a customer who is not in the audience yet is added; existing contacts keep their status.",
        Level.BASIC, default="transactional", choices=("transactional", "subscribed", "pending"),
        example="transactional"),
    Key("mailchimp", "automations", Kind.CHOICE, "Order e-mails and automations",
        "Whether Mailchimp may act on new GP invoices once the first load is done: \"on\" lets its order "
        "notifications and automations e-mail customers about invoices, payments and voids, \"off\" keeps the "
        "store syncing so Mailchimp sends nothing about GP invoices (segmenting still works).",
        Level.BASIC, default="on", choices=("on", "off"), required_for_new=True,
        meanings=(("on", "once the first load is done, Mailchimp's order notifications and automations may "
                         "e-mail customers about every new invoice, payment and void"),
                  ("off", "the store stays syncing: Mailchimp sends nothing about GP invoices, and segmenting "
                          "still works")),
        example="off"),
    Key("mailchimp", "api_base", Kind.URL, "Mailchimp API address",
        "The Marketing API's base URL; default: from the API key's data centre.", Level.ADVANCED,
        rule="a URL like https://us6.api.mailchimp.com/3.0", check=_is_server_url,
        example="http://127.0.0.1:9100/3.0"),
    Key("mailchimp", "max_connections", Kind.INTEGER, "Mailchimp connections",
        "Parallel connections to Mailchimp; Mailchimp allows 10 per account across all its integrations.",
        Level.ADVANCED, default=5, minimum=1, maximum=10, rule="a whole number from 1 to 10", example=5),
    # ------------------------------------------------------------------------------------------------ [filters]
    Key("filters", "skip_inactive", Kind.BOOL, "Skip inactive customers",
        "Leave out customers marked inactive in GP.", Level.BASIC, default=True, example=True),
    Key("filters", "skip_on_hold", Kind.BOOL, "Skip customers on hold",
        "Leave out customers on hold in GP.", Level.BASIC, default=False, example=False),
    Key("filters", "customer_classes", Kind.LIST, "Customer classes",
        "Only customers of these GP classes; empty: every class.", Level.BASIC, default=(),
        rule="a list of GP class ids", example=[]),
    # ------------------------------------------------------------------------------------------------ [mapping]
    # One key per GP customer field (gp/customer_fields.py keys, plus the class): where its value goes.  The file
    # default of each is what a profile meant before the key existed, so an upgrade re-sends nothing.
    _mapping_key("customer_class", "Customer class", "GPCLASS", "GP class: ", "tags", example="tags"),
    _mapping_key("salesperson", "Salesperson", "SALESREP", "GP salesperson: ", "off", new="merge_field",
                 example="merge_field"),
    _mapping_key("sales_territory", "Sales territory", "TERRITORY", "GP territory: ", "off", new="tags",
                 example="tags"),
    _mapping_key("price_level", "Price level", "PRICELEVEL", "GP price level: ", "off", new="tags", example="tags"),
    _mapping_key("payment_terms", "Payment terms", "PAYTERMS", "GP terms: ", "off", example="off"),
    _mapping_key("user_defined_1", "User-defined 1", "GPUSER1", "GP user-defined 1: ", "off", example="tags"),
    _mapping_key("user_defined_2", "User-defined 2", "GPUSER2", "GP user-defined 2: ", "off", example="off"),
    # --------------------------------------------------------------------------------------------------- [sync]
    Key("sync", "mass_change_percent", Kind.INTEGER, "Ask before changing more than (%)",
        "A run that would update, skip or no longer find more than this share of the customers or of the invoices "
        "Mailchimp already holds sends nothing and waits for a person to confirm (the first load is exempt); "
        "0 or 100: never ask.", Level.ADVANCED, default=20, minimum=0, maximum=100,
        rule="a whole number from 0 to 100", example=20),
    Key("sync", "batch_threshold", Kind.INTEGER, "Send by batches above (writes)",
        "A run with more writes to Mailchimp than this sends them through Mailchimp's batch operations, a few "
        "hundred per request, instead of one request each: for the first load, a --full re-send and big imports "
        "in GP (a company of more than 4,000 customers is sent a part of about 4,000 at a time, and the count is "
        "each part's). Mailchimp then works through them at its own pace (the progress says how far it is); a sync "
        "stopped meanwhile carries on from them next time. 0: never.", Level.ADVANCED, default=500, minimum=0,
        rule="a whole number, 0 or more", example=500),
)

KEYS_BY_PATH: dict[tuple[str, str], Key] = {(k.section, k.name): k for k in KEYS}


def key(section: str, name: str) -> Key:
    return KEYS_BY_PATH[(section, name)]


def default(section: str, name: str) -> Any:
    """The file default of a key (what a profile means when it leaves the key out)."""
    return KEYS_BY_PATH[(section, name)].default


def section_keys(section: str) -> tuple[Key, ...]:
    return tuple(k for k in KEYS if k.section == section)


def nearest_key(section: str, name: str) -> str | None:
    """The known key a misspelt *name* most likely meant ("[gp] tenant" for ``tennant``), searching the
    section first, then the others (``customer_class`` under [gp] belongs to [filters])."""
    lowered = name.lower()
    same = [k.name for k in section_keys(section)]
    others = {k.name: k for k in KEYS if k.section != section}
    # A near miss in its own section beats the same name elsewhere ([filters] customer_class meant the
    # section's customer_classes, not [mapping] customer_class).
    found = difflib.get_close_matches(lowered, same, n=1, cutoff=0.9)
    if found and found[0] != lowered:
        return found[0]
    if lowered in others and lowered not in same:  # the right key in the wrong section beats a look-alike
        return f"{lowered} under [{others[lowered].section}]"
    found = difflib.get_close_matches(lowered, same, n=1, cutoff=0.6)
    if found:
        return found[0]
    if lowered in same:
        return lowered
    found = difflib.get_close_matches(lowered, list(others), n=1, cutoff=0.75)
    if found:
        other = others[found[0]]
        return f"{other.name} under [{other.section}]"
    return None


def nearest_section(name: str) -> str | None:
    found = difflib.get_close_matches(name.lower(), SECTIONS, n=1, cutoff=0.6)
    return found[0] if found else None


# ------------------------------------------------------------------------------------------------ values
class ValueProblem(ValueError):
    """A value that breaks its key's rule; the message is the rule, without the key's name."""


def parse_value(k: Key, raw: Any) -> Any:
    """*raw* (as TOML or a form gives it) as the key's value, or ValueProblem saying what is allowed."""
    if k.kind is Kind.BOOL:
        if not isinstance(raw, bool):
            raise ValueProblem("must be true or false")
        return raw
    if k.kind in (Kind.INTEGER, Kind.NUMBER):
        ok_type = isinstance(raw, int) if k.kind is Kind.INTEGER else isinstance(raw, int | float)
        if not ok_type or isinstance(raw, bool) or not _in_range(k, raw):
            raise ValueProblem(f"must be {k.describe_allowed()}")
        return int(raw) if k.kind is Kind.INTEGER else float(raw)
    if k.kind is Kind.LIST:
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise ValueProblem(f"must be {k.describe_allowed()}")
        return tuple(v.strip() for v in raw if v.strip())
    # text-like kinds
    if not isinstance(raw, str) or not raw.strip():
        raise ValueProblem(f"must be {k.rule or 'a non-empty string'}")
    value = raw.strip()
    if k.kind is Kind.CHOICE:
        value = value.lower()
        if value not in k.choices:
            raise ValueProblem(f"= {value!r} is not one of: {', '.join(k.choices)}")
        return value
    if k.check is not None and not k.check(value):
        if k.kind is Kind.URL:
            raise ValueProblem(f"= {value!r} is not a server URL; write it like {k.rule.split(' like ')[-1]}")
        raise ValueProblem(f"must be {k.rule}")
    if k.kind is Kind.URL:
        return value.rstrip("/")
    return value


def _in_range(k: Key, value: float) -> bool:
    return (k.minimum is None or value >= k.minimum) and (k.maximum is None or value <= k.maximum)


def suggest(section: str, name: str) -> str:
    """"; did you mean …?" for an unknown key, or "" when nothing is close."""
    near = nearest_key(section, name)
    return f"; did you mean {near}?" if near else ""


__all__ = [
    "ENV_GP_PASSWORD",
    "ENV_MAILCHIMP_API_KEY",
    "KEYS",
    "KEYS_BY_PATH",
    "MAPPING_CHOICES",
    "REQUIRED_SECTIONS",
    "SECRET_NAMES",
    "SECTIONS",
    "Key",
    "Kind",
    "Level",
    "ValueProblem",
    "ca_file_problem",
    "default",
    "form_problem",
    "key",
    "nearest_key",
    "nearest_section",
    "parse_value",
    "section_keys",
    "suggest",
]


def form_problem(k: Key, raw: Any) -> str | None:
    """What is wrong with a value typed into the app's form for key *k*, in words that start with its label;
    None when it is fine.  Empty text means "not set": a problem only for a required key."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return f"{k.label} is required." if k.required else None
    try:
        value = parse_value(k, raw)
    except ValueProblem:
        return f"{k.label}: write {k.describe_allowed()}."
    problem = k.form_check(value) if k.form_check is not None else None
    return f"{k.label}: {problem}." if problem else None
