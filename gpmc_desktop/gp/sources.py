"""The GP source for a profile's ``api``: one place that knows which class reads which GP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import requests

from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.sba_address import CompanyAddress
from gpmc_desktop.profile import ConfigError, GPSettings

if TYPE_CHECKING:
    from gpmc_desktop.gp.soap import SoapSource


def gp_source(
    settings: GPSettings,
    session: requests.Session,
    *,
    attempts: int = 4,
    company_address: CompanyAddress | None = None,
    on_company_address: Callable[[CompanyAddress], None] | None = None,
) -> SbaSource | SoapSource:
    """``SbaSource`` for ``api = "sba"``, ``SoapSource`` for ``api = "soap"`` (same companies()/raw_customers()/
    customers() shape).  *company_address* / *on_company_address*: SBA only, how GP took the company's name in
    its URLs on an earlier run, and who keeps a newly found one (see ``SbaSource``); SOAP names the company in
    its requests, not its URL."""
    if settings.api == "sba":
        return SbaSource(settings, session, attempts=attempts, company_address=company_address,
                         on_company_address=on_company_address)
    if settings.api == "soap":
        # Imported here: zeep and the WSDL parse are only paid for by SOAP profiles.
        from gpmc_desktop.gp.soap import SoapSource

        return SoapSource(settings, session, attempts=attempts)
    raise ConfigError(f"[gp] api = {settings.api!r} is not supported; use \"sba\" or \"soap\"")


def probe_url(source: SbaSource | SoapSource) -> str:
    """An address to GET without credentials: any HTTP answer (even 401) proves reach and a trusted certificate."""
    return f"{source.tenant_url}/help" if isinstance(source, SbaSource) else source.endpoint


class GPCompany(Protocol):
    """A company as either API lists it (``sba.Company``, ``soap.SoapCompany``); for SOAP ``database`` is the
    display name, which is what a SOAP profile stores."""

    @property
    def database(self) -> str: ...

    @property
    def name(self) -> str: ...

    def label(self) -> str: ...
