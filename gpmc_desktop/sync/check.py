"""Prove both connections stage by stage: one staged check serves ``gpmc check`` and the setup wizard.

GP: reach → tls → auth → companies → company → sample → data.  Mailchimp: key → ping → audiences → audience → store.
Each stage either passes with a short fact ("2 companies: …") or fails with what went wrong and what to do; the
stages after a failed one are not run, because their answers would only repeat the same problem.

``check_gp`` / ``check_mailchimp`` yield every stage (``gpmc check`` prints them all).  They are lazy, so a caller
that needs only the first stages stops there and the rest never run: ``run_gp`` / ``run_mailchimp`` do that for
the wizard's pages and return what the stages learnt on the way (:class:`GPFacts`, :class:`MailchimpFacts`).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import requests

from gpmc_desktop.gp import data_check, http_errors, sba_shapes, soap_shapes
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer
from gpmc_desktop.gp.normalize import trim
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session, method_used, signed_in_as
from gpmc_desktop.gp.sources import GPCompany, gp_source, probe_url
from gpmc_desktop.logsetup import register_api_key, register_secret
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for, datacenter
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from gpmc_desktop.profile import ConfigError, GPSettings, MailchimpSettings, Profile
from gpmc_desktop.profile.schema import key
from gpmc_desktop.sync import automations, field_targets

if TYPE_CHECKING:
    from gpmc_desktop.gp.soap import SoapSource

GP_STAGES = ("reach", "tls", "auth", "companies", "company", "sample", "data")
MAILCHIMP_STAGES = ("key", "ping", "audiences", "audience", "store")
# Web Services returns a customer's e-mail only in the full object, one call per customer: the sample reads the
# first few of them and counts the rest from the list (thousands of calls would take minutes).
SOAP_SAMPLE_SIZE = 25
SOAP_DOCUMENT_SAMPLE = 10  # receivables invoices the data stage reads in full over Web Services


@dataclass(frozen=True)
class StageResult:
    system: str  # "gp", "mailchimp", or "profile" (a choice of the profile itself)
    stage: str
    ok: bool
    message: str

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.system:<9} {self.stage:<9} {self.message}"


Report = Callable[[StageResult], None]


@dataclass(frozen=True)
class CompanySample:
    """What the sample stage learnt: enough to suggest filters (the classes in use) and a store id."""

    customers: int  # in the company
    sampled: int  # read in full (all of them, except over Web Services: see SOAP_SAMPLE_SIZE)
    with_email: int  # of the sampled ones
    classes: dict[str, int] = field(default_factory=dict)  # GP customer class → customers in it (all of them)
    # Each mappable customer field (sync/field_targets.py, the class aside) → value → sampled customers holding it.
    fields: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class GPFacts:
    """What the GP stages learnt on the way, for the wizard's next page."""

    companies: list[GPCompany] = field(default_factory=list)  # after "companies"
    sample: CompanySample | None = None  # after "sample"
    checked: list[data_check.Checked] = field(default_factory=list)  # after "data"
    # The customers' answers as the sample stage read them, for the data stage to check without reading again:
    # SBA's (customers, addresses by customer or None), or Web Services' full objects.
    answers: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class Audience:
    id: str
    name: str

    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


@dataclass
class MailchimpFacts:
    audiences: list[Audience] = field(default_factory=list)  # after "audiences"


F = TypeVar("F")


def _run(results: Iterator[StageResult], facts: F, stages: tuple[str, ...], until: str, report: Report) -> F | None:
    """Report the stages up to and including *until*; the stages after it are never run (the generator is
    closed, which also closes its connections).  *facts* when all of them passed, else None."""
    if until not in stages:
        raise ValueError(f"unknown stage {until!r}; one of {', '.join(stages)}")
    with closing(results):
        for result in results:
            report(result)
            if not result.ok:
                return None
            if result.stage == until:
                return facts
    return None


def run_gp(settings: GPSettings, password: str, report: Report, *, until: str = "data") -> GPFacts | None:
    """GP's stages up to *until* (one of ``GP_STAGES``), each reported as it is known; None when one failed."""
    facts = GPFacts()
    return _run(check_gp(settings, password, facts), facts, GP_STAGES, until, report)


def run_mailchimp(
    settings: MailchimpSettings, api_key: str, report: Report, *, until: str = "store"
) -> MailchimpFacts | None:
    """Mailchimp's stages up to *until* (one of ``MAILCHIMP_STAGES``); None when one failed.  Before an audience
    is chosen, give ``list_id=""`` and stop at "audiences"."""
    facts = MailchimpFacts()
    return _run(check_mailchimp(settings, api_key, facts), facts, MAILCHIMP_STAGES, until, report)


# -- GP ---------------------------------------------------------------------------------------------------
def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_gp(settings: GPSettings, password: str, facts: GPFacts | None = None) -> Iterator[StageResult]:
    """reach → tls → auth → companies → company → sample over the profile's GP API (SBA or SOAP); what the
    stages learn goes into *facts*."""
    facts = facts if facts is not None else GPFacts()
    register_secret(password)
    service = http_errors.SOAP if settings.api == "soap" else http_errors.SBA
    host, port = _host_port(settings.url)
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        yield StageResult("gp", "reach", False, f"Cannot reach {host}:{port} ({exc.strerror or exc}). "
                          f"{service.reach_hint}")
        return
    yield StageResult("gp", "reach", True, f"{host}:{port} answers")

    try:
        source = gp_source(settings, build_session(settings, password), attempts=1)
    except GPError as err:  # e.g. Basic over http:// or an unknown method: a result line, not a traceback
        yield StageResult("gp", err.stage.value, False, str(err))
        return
    except ConfigError as err:
        yield StageResult("gp", "auth", False, str(err))
        return
    try:
        yield from _gp_stages(source, settings, service, facts)
    finally:
        source.session.close()


def _gp_stages(
    source: SbaSource | SoapSource, settings: GPSettings, service: http_errors.GPService, facts: GPFacts
) -> Iterator[StageResult]:
    host = urlsplit(settings.url).netloc
    if settings.url.lower().startswith("https://"):
        try:
            http_errors.check_ca_file(settings.ca_bundle)
            # No credentials yet: any HTTP answer (even 401) proves the certificate is trusted.
            requests.get(probe_url(source), verify=settings.ca_bundle or True, timeout=(10, 30))
        except GPError as err:
            yield StageResult("gp", "tls", False, str(err))
            return
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            err = http_errors.transport_error(service, exc, host=host, what="a first request", timeout=30)
            yield StageResult("gp", "tls", False, str(err))
            return
        except requests.RequestException as exc:
            yield StageResult("gp", "tls", False, f"TLS to {host} failed: {exc}")
            return
        yield StageResult("gp", "tls", True, "certificate trusted")
    else:
        yield StageResult("gp", "tls", True, "plain HTTP (no TLS): use https:// for anything but a lab")

    stages: list[tuple[str, Callable[[], str]]] = [
        ("auth", lambda: _auth_fact(source, settings, facts)),
        ("companies", lambda: _companies_fact(facts.companies, settings.username)),
        ("company", lambda: _company_fact(source)),
        ("sample", lambda: _sample_fact(source, facts)),
        ("data", lambda: _data_fact(source, facts)),
    ]
    for name, probe in stages:
        try:
            fact = probe()
        except GPError as err:
            yield StageResult("gp", name, False, str(err))
            return
        yield StageResult("gp", name, True, fact)


def _auth_fact(source: SbaSource | SoapSource, settings: GPSettings, facts: GPFacts) -> str:
    """E.g. "signed in as CORP\\svc-gp with Kerberos (2 companies visible)": the method actually used, because
    with Automatic (Negotiate) IT wants to know whether Kerberos worked or NTLM covered for it.  The company
    list is the first request that needs a sign-in; the next stages reuse it."""
    facts.companies = list(source.companies())
    method = method_used(source.session.auth)
    who = signed_in_as(source.session.auth, settings.username)
    return f"signed in as {who}{f' with {method}' if method else ''} ({len(facts.companies)} companies visible)"


def _companies_fact(companies: list[GPCompany], username: str) -> str:
    if not companies:
        raise GPError(Stage.COMPANY, f"{username} signed in, but GP lists no company this user may open.",
                      "In GP, give the account access to a company (User Access Setup).")
    names = ", ".join(c.label() for c in companies[:6]) + (" …" if len(companies) > 6 else "")
    return f"{len(companies)} compan{'y' if len(companies) == 1 else 'ies'}: {names}"


def _company_fact(source: SbaSource | SoapSource) -> str:
    if not isinstance(source, SbaSource):
        # Web Services: the display name (any case) or GP's integer company id; a miss lists the companies.
        return f"company {source.company().label()}"
    # SBA: which spelling of the company GP takes in its URLs (display or database name, commas and parentheses
    # encoded or not) is unconfirmed, so the source tries them and this says which one worked.  A company missing
    # from the list (GP lists only what the user may open) is asked for as given, so a 403 can say "no access"
    # instead of "no company" (which sent admins hunting typos); an unknown one lists the companies.
    address = source.company_address()
    return f"company {address.label} — {address.words()}"


def _sample_fact(source: SbaSource | SoapSource, facts: GPFacts) -> str:
    """Reads the customers the way the sync does: SBA returns them all, in full, in one answer; Web Services
    lists them all (with their classes) and the first ``SOAP_SAMPLE_SIZE`` are read in full.  An answer whose
    records cannot be read passes here (GP answered); the data stage then says what is wrong with it."""
    if isinstance(source, SbaSource):
        raws, _ = facts.answers = source.customer_answers()
        total = len(raws)
        classes = Counter(cls for r in raws if isinstance(r, dict) and (cls := trim(r.get("ClassId"))))
    else:
        summaries = source.customer_summaries()
        total = len(summaries)
        classes = Counter(cls for s in summaries if (cls := trim(soap_shapes.dig(s, "CustomerClassKey", "Id"))))
        facts.answers = source.raw_customers_by_key(soap_shapes.key_id(s) for s in summaries[:SOAP_SAMPLE_SIZE])
    try:
        customers = _customers(source, facts.answers)
    except GPError as err:
        if err.stage is not Stage.DATA:
            raise
        facts.sample = CompanySample(total, 0, 0, dict(sorted(classes.items())))
        return f"{total} customers readable (the next stage checks their fields)"
    facts.sample = CompanySample(total, len(customers), sum(1 for c in customers if c.email),
                                 dict(sorted(classes.items())), field_values(customers))
    return _sample_words(facts.sample, customers)


def _customers(source: SbaSource | SoapSource, answers: Any) -> list[Customer]:
    """The sample stage's customer answers read as the sync reads them."""
    if isinstance(source, SbaSource):
        return sba_shapes.customers_from_sba(*answers)
    return [soap_shapes.customer_from_soap(raw) for raw in answers]


def _data_fact(source: SbaSource | SoapSource, facts: GPFacts) -> str:
    """The "GP data" stage: every field the sync reads, by name and kind, in the customers the sample stage read
    and in the receivables documents (all of them over SBA, the first ``SOAP_DOCUMENT_SAMPLE`` over Web
    Services), then each record read as the sync reads it.  The same check runs at the start of every sync."""
    checked = (data_check.check_sba_customers(*facts.answers) if isinstance(source, SbaSource)
               else soap_shapes.check_customers(facts.answers))
    data_check.check_emails(_customers(source, facts.answers))
    if isinstance(source, SbaSource):
        documents = source.raw_documents()
        checked.append(data_check.check_sba_documents(documents))
        for raw in documents:
            sba_shapes.document_from_sba(raw)
    else:
        keys = [soap_shapes.key_id(s) for s in source.invoice_summaries()[:SOAP_DOCUMENT_SAMPLE]]
        invoices = source.raw_invoices_by_key(keys)
        checked.append(soap_shapes.check_invoices(invoices))
        for raw in invoices:
            soap_shapes.invoice_from_soap(raw)
    facts.checked = checked
    return data_check.summary(checked) + _order_lines_fact(source)


def _order_lines_fact(source: SbaSource | SoapSource) -> str:
    """With ``order_lines = "sales_invoices"``: the sales invoices read as the sync reads them (Web Services), or
    what an SBA server offers of them (whose shape is not known, so they are not read: the orders keep one line)."""
    if source.settings.order_lines != "sales_invoices":
        return ""
    if isinstance(source, SbaSource):
        found = source.sales_resources()
        if found is None:
            why = f" (its help page could not be read: {source.help_unread})" if source.help_unread else ""
            return (f"; order lines: this server lists no sales invoices{why}: orders keep one line at the "
                    "invoice total")
        sales = source.sales_lines()  # an answer in another shape than the client knows stops the check here
        lines = sum(len(s.lines) for s in sales.values())
        items = len({ln.item_number for s in sales.values() for ln in s.lines})
        return (f"; order lines: {len(sales)} sales invoices read from {found[0]} with their {lines} lines and "
                f"{items} items")
    invoices, lines, items = source.sample_sales(SOAP_DOCUMENT_SAMPLE)
    if not invoices:
        return "; order lines: no posted sales invoices in this company: orders keep one line at the invoice total"
    return (f"; order lines: the first {invoices} sales invoices read with their {lines} lines and {items} items")


def field_values(customers: list[Customer]) -> dict[str, dict[str, int]]:
    """What the sampled *customers* hold in each field a profile may map beside the class: value → customers,
    most held first."""
    values: dict[str, dict[str, int]] = {}
    for target in field_targets.TARGETS:
        if target is not field_targets.CLASS:
            held = Counter(v for c in customers if (v := target.value(c)))
            values[target.key] = dict(held.most_common())
    return values


def _sample_words(sample: CompanySample, customers: list[Customer]) -> str:
    if not customers:
        return "the customer list is readable, but this company has no customers yet"
    first = next((c for c in customers if c.email), customers[0])
    who = first.company_name or f"{first.first_name} {first.last_name}".strip()
    example = f"(for example {first.number}: {who})"
    if sample.sampled < sample.customers:
        return (f"{sample.customers} customers readable; {sample.with_email} of the first {sample.sampled} read "
                f"in full have an e-mail address {example}")
    return f"{sample.customers} customers readable, {sample.with_email} with an e-mail address {example}"


# -- the profile's choices ------------------------------------------------------------------------------------
def automations_result(profile: Profile, *, first_load_done: bool) -> StageResult:
    """Which ``[mailchimp] automations`` is in force, in plain words; a failure when the profile has never synced
    and does not choose (its first sync would be refused)."""
    state = automations.in_force(profile, first_load_done=first_load_done)
    if state.blocks_first_sync:
        problem = key(*automations.KEY).first_sync_problem()
        return StageResult("profile", "automations", False, f"{automations.LABEL}: not chosen — {problem}")
    return StageResult("profile", "automations", True, state.text())


# -- Mailchimp ----------------------------------------------------------------------------------------------
def check_mailchimp(
    settings: MailchimpSettings, api_key: str, facts: MailchimpFacts | None = None
) -> Iterator[StageResult]:
    """key → ping → audiences → audience → store; the account's audiences go into *facts*."""
    facts = facts if facts is not None else MailchimpFacts()
    register_api_key(api_key)
    try:
        dc = datacenter(api_key)
    except BadApiKey as err:
        yield StageResult("mailchimp", "key", False, str(err))
        return
    yield StageResult("mailchimp", "key", True, f"data centre {dc}")
    transport = MailchimpTransport(
        api_base_for(api_key, settings.api_base), api_key, max_connections=2, retry=RetryPolicy(attempts=2)
    )
    try:
        yield from _mailchimp_stages(MailchimpApi(transport), settings, facts)
    finally:
        transport.close()


def _mailchimp_stages(api: MailchimpApi, settings: MailchimpSettings, facts: MailchimpFacts) -> Iterator[StageResult]:
    chosen = bool(settings.list_id)  # the wizard lists the audiences before one is picked
    try:
        api.ping()
    except MailchimpError as err:
        hint = ("Mailchimp refused the API key: copy it again from Profile > Extras > API keys."
                if err.status == 401 else "Check the network connection to Mailchimp.")
        yield StageResult("mailchimp", "ping", False, f"{err.title}: {err.detail} {hint}".strip())
        return
    yield StageResult("mailchimp", "ping", True, "API key accepted")

    try:
        rows = api.lists()
    except MailchimpError as err:
        yield StageResult("mailchimp", "audiences", False, f"Could not list the audiences: {err}")
        return
    facts.audiences = [Audience(str(r.get("id", "")), str(r.get("name", ""))) for r in rows if r.get("id")]
    count = len(facts.audiences)
    if not count:
        yield StageResult("mailchimp", "audiences", False,
                          "This Mailchimp account has no audience yet. Create one in Mailchimp (Audience > All "
                          f"contacts), then {'check again' if chosen else 'press Connect again'}.")
        return
    plural = "s" if count != 1 else ""
    yield StageResult("mailchimp", "audiences", True,
                      f"{count} audience{plural} in this account" if chosen
                      else f"{count} audience{plural}: pick the one to fill")

    names = ", ".join(f"{a.id} ({a.name})" for a in facts.audiences)
    if not chosen:
        yield StageResult("mailchimp", "audience", False, f"Choose the audience to fill: {names}.")
        return
    try:
        audience = api.get_list(settings.list_id)
    except MailchimpError as err:
        yield StageResult("mailchimp", "audience", False,
                          f"No audience {settings.list_id!r} in this account. Audiences: {names}."
                          if err.is_not_found else str(err))
        return
    yield StageResult("mailchimp", "audience", True, f"audience {audience.get('name', settings.list_id)!r}")

    try:
        store = api.get_store(settings.store_id)
    except MailchimpError as err:
        yield StageResult("mailchimp", "store", False, str(err))
        return
    if store is None:
        yield StageResult("mailchimp", "store", True, f"store {settings.store_id!r} will be created on first sync")
    elif store.get("list_id") != settings.list_id:
        yield StageResult("mailchimp", "store", False,
                          f"Store {settings.store_id!r} belongs to audience {store.get('list_id')!r}; a store "
                          "can never move to another audience. Choose another store id.")
    else:
        flag = " (is_syncing is on: automations paused)" if store.get("is_syncing") else ""
        yield StageResult("mailchimp", "store", True, f"store {settings.store_id!r} ready{flag}")
