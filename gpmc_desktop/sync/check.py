"""Prove both connections stage by stage, the way ``gpmc check`` and the setup wizard show them.

Each stage either passes with a short fact ("42 customers") or fails with what went wrong and what to do; the
stages after a failed one are not run, because their answers would only repeat the same problem.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session, method_used, signed_in_as
from gpmc_desktop.gp.sources import gp_source, probe_url
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for, datacenter
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from gpmc_desktop.sync.config import ConfigError, GPSettings, MailchimpSettings

if TYPE_CHECKING:
    from gpmc_desktop.gp.soap import SoapSource


@dataclass(frozen=True)
class StageResult:
    system: str  # "gp" or "mailchimp"
    stage: str
    ok: bool
    message: str

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.system:<9} {self.stage:<9} {self.message}"


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_gp(settings: GPSettings, password: str) -> Iterator[StageResult]:
    """reach → tls → auth → company → data over the profile's GP API (``settings.api``: SBA or SOAP)."""
    host, port = _host_port(settings.url)
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        yield StageResult("gp", "reach", False, f"Cannot reach {host}:{port} ({exc.strerror or exc}). "
                          "Check the server name and port, and that the GP Service is running.")
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
    if settings.url.lower().startswith("https://"):
        try:
            # No credentials yet: any HTTP answer (even 401) proves the certificate is trusted.
            requests.get(probe_url(source), verify=settings.ca_bundle or True, timeout=(10, 30))
        except requests.exceptions.SSLError:
            yield StageResult("gp", "tls", False, f"{host} presented a certificate this computer does not trust. "
                              "Give the CA certificate file (.pem/.cer) that IT uses for internal servers.")
            return
        except requests.RequestException as exc:
            yield StageResult("gp", "tls", False, f"TLS to {host} failed: {exc}")
            return
        except OSError:  # requests' "Could not find a suitable TLS CA certificate bundle, invalid path"
            yield StageResult("gp", "tls", False, f"The CA certificate file {settings.ca_bundle} does not exist. "
                              "Check its path: the .pem file IT gave you.")
            return
        yield StageResult("gp", "tls", True, "certificate trusted")
    else:
        yield StageResult("gp", "tls", True, "plain HTTP (no TLS): use https:// for anything but a lab")

    stages: list[tuple[str, Callable[[], str]]] = [
        ("auth", lambda: _auth_fact(source, settings)),
        ("company", lambda: _company_fact(source, settings.company)),
        ("data", lambda: f"{len(source.raw_customers())} customers readable"),
    ]
    for name, probe in stages:
        try:
            fact = probe()
        except GPError as err:
            yield StageResult("gp", name, False, str(err))
            return
        yield StageResult("gp", name, True, fact)


def _auth_fact(source: SbaSource | SoapSource, settings: GPSettings) -> str:
    """E.g. "signed in as CORP\\svc-gp with Kerberos (2 companies visible)": the method actually used, because
    with Automatic (Negotiate) IT wants to know whether Kerberos worked or NTLM covered for it."""
    visible = len(source.companies())
    method = method_used(source.session.auth)
    who = signed_in_as(source.session.auth, settings.username)
    return f"signed in as {who}{f' with {method}' if method else ''} ({visible} companies visible)"


def _company_fact(source: SbaSource | SoapSource, wanted: str) -> str:
    if not isinstance(source, SbaSource):
        # Web Services: the display name (any case) or GP's integer company id; a miss lists the companies.
        return f"company {source.company().label()}"
    companies = source.companies()
    for company in companies:
        if wanted.casefold() in (company.database.casefold(), company.name.casefold()):
            return f"company {company.label()}"
    # GP lists only the companies this user may open, so a missing name may be a company the user has no
    # access to: ask for it, and let a 403 say so instead of "no company" (which sent admins hunting typos).
    try:
        source.raw_customers()
    except GPError as err:
        if err.stage is not Stage.COMPANY:
            raise
    else:
        return f"company {wanted}"
    listing = ", ".join(c.label() for c in companies) or "none visible to this user"
    raise GPError(Stage.COMPANY, f"GP has no company {wanted!r}. Companies on this server: {listing}.",
                  "Pick one of them (database name or display name).")


def check_mailchimp(settings: MailchimpSettings, api_key: str) -> Iterator[StageResult]:
    try:
        dc = datacenter(api_key)
    except BadApiKey as err:
        yield StageResult("mailchimp", "key", False, str(err))
        return
    yield StageResult("mailchimp", "key", True, f"data centre {dc}")
    transport = MailchimpTransport(
        api_base_for(api_key, settings.api_base), api_key, max_connections=2, retry=RetryPolicy(attempts=2)
    )
    api = MailchimpApi(transport)
    try:
        try:
            api.ping()
        except MailchimpError as err:
            hint = ("Mailchimp refused the API key: copy it again from Profile > Extras > API keys."
                    if err.status == 401 else "Check the network connection to Mailchimp.")
            yield StageResult("mailchimp", "ping", False, f"{err.title}: {err.detail} {hint}".strip())
            return
        yield StageResult("mailchimp", "ping", True, "API key accepted")
        try:
            audience = api.get_list(settings.list_id)
        except MailchimpError as err:
            if not err.is_not_found:
                yield StageResult("mailchimp", "audience", False, str(err))
                return
            names = ", ".join(f"{a['id']} ({a.get('name', '')})" for a in api.lists()) or "none"
            yield StageResult("mailchimp", "audience", False,
                              f"No audience {settings.list_id!r} in this account. Audiences: {names}.")
            return
        yield StageResult("mailchimp", "audience", True, f"audience {audience.get('name', settings.list_id)!r}")
        store = api.get_store(settings.store_id)
        if store is None:
            yield StageResult("mailchimp", "store", True, f"store {settings.store_id!r} will be created on first sync")
        elif store.get("list_id") != settings.list_id:
            yield StageResult("mailchimp", "store", False,
                              f"Store {settings.store_id!r} belongs to audience {store.get('list_id')!r}; a store "
                              "can never move to another audience. Choose another store id.")
        else:
            flag = " (is_syncing is on: automations paused)" if store.get("is_syncing") else ""
            yield StageResult("mailchimp", "store", True, f"store {settings.store_id!r} ready{flag}")
    except MailchimpError as err:
        yield StageResult("mailchimp", "store", False, str(err))
    finally:
        transport.close()
