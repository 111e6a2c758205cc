"""GP Service Based Architecture (REST) source: companies, customers and receivables documents.

SBA has no paging or filter options that anyone has shown to exist, so every collection GET is a full pull; the
engine finds changes itself with content hashes.  GP servers never time out on their own, so every call has an
explicit timeout, and idempotent GETs are retried with backoff on transient failures.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from gpmc_desktop.gp import auth_errors, sba_shapes
from gpmc_desktop.gp.errors import GPError, Stage, retry_transient, untrusted_certificate
from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.sync.config import GPSettings

TRANSIENT_STATUSES = {500, 502, 503, 504}


@dataclass(frozen=True)
class Company:
    database: str
    name: str
    id: int | None

    def label(self) -> str:
        return f"{self.database} ({self.name})" if self.name and self.name != self.database else self.database


def _seg(value: str) -> str:
    return quote(value, safe="")


class SbaSource:
    def __init__(
        self,
        settings: GPSettings,
        session: requests.Session,
        *,
        attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.session = session
        self.attempts = attempts
        self._sleep = sleep
        self._rng = random.Random()

    # -- URLs ---------------------------------------------------------------------------------------------
    @property
    def tenant_url(self) -> str:
        return f"{self.settings.url}/GPService/Tenants({_seg(self.settings.tenant)})"

    @property
    def company_url(self) -> str:
        return f"{self.tenant_url}/Companies({_seg(self.settings.company)})"

    # -- transport --------------------------------------------------------------------------------------------
    def _get(self, url: str, *, what: str, in_company: bool = True) -> Any:
        return retry_transient(
            lambda: self._get_once(url, what=what, in_company=in_company), self.attempts, self._sleep, self._rng
        )

    def _get_once(self, url: str, *, what: str, in_company: bool) -> Any:
        host = urlsplit(self.settings.url).netloc
        timeout = self.settings.timeout_seconds
        verify = self.session.verify
        if isinstance(verify, str) and not os.path.exists(verify):
            # requests would raise a bare OSError ("Could not find a suitable TLS CA certificate bundle").
            raise GPError(
                Stage.TLS, f"The CA certificate file {verify} does not exist.",
                "Check the CA certificate file path (ca_bundle in the profile): the .pem file IT gave you.",
            )
        try:
            # verify= on every call: requests lets REQUESTS_CA_BUNDLE override a session-level setting.
            resp = self.session.get(url, timeout=(10.0, timeout), verify=verify)
        except requests.exceptions.SSLError as exc:
            raise untrusted_certificate(host) from exc
        except requests.exceptions.Timeout as exc:
            raise GPError(
                Stage.REACH, f"The GP server at {host} did not answer {what} within {timeout:g} seconds.",
                "It may be busy; the sync will try again. Raise timeout_seconds for very large companies.",
                transient=True,
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise GPError(
                Stage.REACH, f"Cannot reach the GP server at {host}.",
                "Check the server name and port in the URL, and that the GP Service is running.",
                transient=True,
            ) from exc
        return self._check(resp, what, in_company)

    def _check(self, resp: requests.Response, what: str, in_company: bool) -> Any:
        status = resp.status_code
        if status == 401:  # only with a foreign auth object: build_session's own raise a GPAuthError that says why
            raise auth_errors.refused(self.settings.username)
        if status == 403:
            raise GPError(
                Stage.ACCESS,
                f"{self.settings.username} signed in, but GP does not let that user read {what} in company "
                f"{self.settings.company!r}.",
                "In GP, map the Windows account to a GP user (User Setup > Windows Account) and give it access "
                "to this company (User Access Setup) and to the customer and receivables windows.",
            )
        if status == 404:
            raise self._not_found(what, in_company)
        if status >= 400:
            log_id, message = _fault_details(resp)
            raise GPError(
                Stage.SERVER,
                f"The GP server failed while returning {what}: {message or f'HTTP {status}'}"
                + (f" (LogId {log_id})" if log_id else ""),
                "Give the LogId to your GP administrator; the sync will try again." if log_id
                else "The sync will try again.",
                transient=status in TRANSIENT_STATUSES,
                log_id=log_id,
            )
        try:
            return sba_shapes.unwrap(resp.json())
        except ValueError as exc:
            raise GPError(
                Stage.DATA, f"The GP server's answer for {what} is not JSON.",
                "Check that the URL points at the GP Service (…/GPService), not at another web site.",
            ) from exc

    def _not_found(self, what: str, in_company: bool) -> GPError:
        if not in_company:
            return GPError(
                Stage.COMPANY, f"GP has no tenant {self.settings.tenant!r} at this server.",
                "A single-tenant install uses DefaultTenant.",
            )
        try:
            names = [c.label() for c in self.companies()]
        except GPError as err:
            # The company list itself is missing: the tenant is wrong, and "no company X" would send the user
            # looking in the wrong place.
            if err.stage is Stage.COMPANY:
                return err
            names = []
        listing = f" Companies on this server: {', '.join(names)}." if names else ""
        return GPError(
            Stage.COMPANY,
            f"GP has no company {self.settings.company!r} (while reading {what}).{listing}",
            "Pick the company from the list (its database name or display name).",
        )

    # -- resources ----------------------------------------------------------------------------------------------
    def companies(self) -> list[Company]:
        rows = self._get(f"{self.tenant_url}/Companies.json", what="the company list", in_company=False)
        out = []
        for raw in rows if isinstance(rows, list) else []:
            database, name, ident = sba_shapes.company_label(raw)
            out.append(Company(database, name, ident))
        return out

    def raw_customers(self) -> list[dict[str, Any]]:
        rows = self._get(f"{self.company_url}/Sales/Customers.json", what="customers")
        return rows if isinstance(rows, list) else []

    def customers(self) -> list[Customer]:
        return [sba_shapes.customer_from_sba(raw) for raw in self.raw_customers()]

    def customer(self, number: str) -> Customer:
        raw = self._get(f"{self.company_url}/Sales/Customers({_seg(number)}).json", what=f"customer {number}")
        return sba_shapes.customer_from_sba(raw)

    def raw_documents(self) -> list[dict[str, Any]]:
        rows = self._get(f"{self.company_url}/Sales/Receivables.json", what="receivables documents")
        return rows if isinstance(rows, list) else []

    def documents(self) -> list[Document]:
        return [sba_shapes.document_from_sba(raw) for raw in self.raw_documents()]


def _fault_details(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("LogId") or ""), str(body.get("Message") or "")
