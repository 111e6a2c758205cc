"""GP Service Based Architecture (REST) source: companies, customers and receivables documents.

SBA has no paging or filter options that anyone has shown to exist, so every collection GET is a full pull; the
engine finds changes itself with content hashes.  GP servers never time out on their own, so every call has an
explicit timeout, and idempotent GETs are retried with backoff on transient failures.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from gpmc_desktop.gp import data_check, http_errors, sba_shapes
from gpmc_desktop.gp.errors import GPError, Stage, retry_transient
from gpmc_desktop.gp.model import Customer, Document
from gpmc_desktop.profile import GPSettings

SMALL_READ_SECONDS = 60.0  # the company list, /help, one customer: seconds on any healthy server


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
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.session = session
        self.attempts = attempts
        self._sleep = sleep
        self._clock = clock  # "now" for a Retry-After given as an HTTP-date
        self._rng = random.Random()

    # -- URLs ---------------------------------------------------------------------------------------------
    @property
    def tenant_url(self) -> str:
        return f"{self.settings.url}/GPService/Tenants({_seg(self.settings.tenant)})"

    @property
    def company_url(self) -> str:
        return f"{self.tenant_url}/Companies({_seg(self.settings.company)})"

    # -- transport --------------------------------------------------------------------------------------------
    def _get(self, url: str, *, what: str, in_company: bool = True, whole_collection: bool = False) -> Any:
        # A whole collection of a large company may take minutes (timeout_seconds); a small read that takes
        # longer than SMALL_READ_SECONDS means a stuck service, and waiting for it would only hold the run.
        timeout = self.settings.timeout_seconds if whole_collection else min(
            self.settings.timeout_seconds, SMALL_READ_SECONDS)
        return retry_transient(
            lambda: self._get_once(url, what=what, in_company=in_company, timeout=timeout,
                                   whole_collection=whole_collection),
            self.attempts, self._sleep, self._rng,
        )

    def _get_once(self, url: str, *, what: str, in_company: bool, timeout: float, whole_collection: bool) -> Any:
        verify = self.session.verify
        http_errors.check_ca_file(verify)
        try:
            # verify= on every call: requests lets REQUESTS_CA_BUNDLE override a session-level setting.
            resp = self.session.get(url, timeout=(10.0, timeout), verify=verify)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise http_errors.transport_error(
                http_errors.SBA, exc, host=urlsplit(self.settings.url).netloc, what=what, timeout=timeout,
                whole_collection=whole_collection,
            ) from exc
        return self._check(resp, what, in_company)

    def _check(self, resp: requests.Response, what: str, in_company: bool) -> Any:
        if resp.status_code >= 400:
            log_id, message = _fault_details(resp)
            raise http_errors.status_error(
                http_errors.SBA, resp.status_code, what=what, username=self.settings.username,
                company=self.settings.company, not_found=lambda: self._not_found(what, in_company),
                reason=message, log_id=log_id, retry_after=http_errors.retry_after(resp, self._clock()),
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
        for raw in sba_shapes.collection(rows, "the company list"):
            database, name, ident = sba_shapes.company_label(raw)
            out.append(Company(database, name, ident))
        return out

    def raw_customers(self) -> list[dict[str, Any]]:
        rows = self._get(f"{self.company_url}/Sales/Customers.json", what="customers", whole_collection=True)
        return sba_shapes.collection(rows, "customers")

    def raw_customer_addresses(self) -> list[dict[str, Any]]:
        rows = self._get(f"{self.company_url}/Sales/CustomerAddresses.json", what="customer addresses",
                         whole_collection=True)
        return sba_shapes.collection(rows, "customer addresses")

    def _joined_addresses(self, raws: list[Any]) -> dict[str, list[Any]] | None:
        """Addresses by customer number from Sales/CustomerAddresses, read once, when the customer answers do not
        embed them (as Microsoft's list of SBA resources suggests a server may); None when they do."""
        if all(sba_shapes.has_addresses(raw) for raw in raws):
            return None
        try:
            rows = self.raw_customer_addresses()
        except GPError as err:
            if err.stage is not Stage.COMPANY:  # a 404: the server has no such resource
                raise
            raise sba_shapes.missing_addresses_error(raws) from err
        return sba_shapes.addresses_by_customer(rows)

    def customer_answers(self) -> tuple[list[Any], dict[str, list[Any]] | None]:
        """The customers as GP sent them and, when they do not embed their addresses, the addresses by customer."""
        raws = self.raw_customers()
        return raws, self._joined_addresses(raws)

    def customers(self) -> list[Customer]:
        raws, joined = self.customer_answers()
        data_check.check_sba_customers(raws, joined)  # the whole answer first: its message is the complete one
        return sba_shapes.customers_from_sba(raws, joined)

    def customer(self, number: str) -> Customer:
        raw = self._get(f"{self.company_url}/Sales/Customers({_seg(number)}).json", what=f"customer {number}")
        return sba_shapes.customers_from_sba([raw], self._joined_addresses([raw]))[0]

    def raw_documents(self) -> list[dict[str, Any]]:
        rows = self._get(f"{self.company_url}/Sales/Receivables.json", what="receivables documents",
                         whole_collection=True)
        return sba_shapes.collection(rows, "receivables documents")

    def documents(self) -> list[Document]:
        raws = self.raw_documents()
        data_check.check_sba_documents(raws)
        return [sba_shapes.document_from_sba(raw) for raw in raws]


def _fault_details(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("LogId") or ""), str(body.get("Message") or "")
