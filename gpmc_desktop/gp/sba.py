"""GP Service Based Architecture (REST) source: companies, customers and receivables documents.

SBA has no paging or filter options that anyone has shown to exist, so every collection GET is a full pull; the
engine finds changes itself with content hashes.  GP servers never time out on their own, so every call has an
explicit timeout, and idempotent GETs are retried with backoff on transient failures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from gpmc_desktop.gp import answer_fields, data_check, http_errors, sba_address, sba_help, sba_shapes, sba_stream
from gpmc_desktop.gp.answer_prints import AnswerChanged, AnswerPrint, PrintTaker
from gpmc_desktop.gp.errors import GPError, Stage, retry_transient
from gpmc_desktop.gp.model import Customer, Document, SalesLines
from gpmc_desktop.gp.normalize import trim
from gpmc_desktop.gp.sba_address import CompanyAddress
from gpmc_desktop.profile import GPSettings

T = TypeVar("T")

SMALL_READ_SECONDS = 60.0  # the company list, /help, one customer: seconds on any healthy server

log = logging.getLogger(__name__)


class _Missed(Exception):
    """A 404 while trying one spelling of the company: try the next (not a GPError, so never retried)."""


def _missed() -> GPError:
    raise _Missed


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
        company_address: CompanyAddress | None = None,
        on_company_address: Callable[[CompanyAddress], None] | None = None,
    ) -> None:
        """*company_address* is the spelling a previous run found (tried first, so a run makes no 404 probe);
        *on_company_address* hears of every newly accepted one, to remember it for the next run."""
        self.settings = settings
        self.session = session
        self.attempts = attempts
        self._sleep = sleep
        self._clock = clock  # "now" for a Retry-After given as an HTTP-date
        self._rng = random.Random()
        usable = company_address is not None and company_address.serves(settings.company, settings.url,
                                                                         settings.tenant)
        self._remembered = company_address if usable else None
        self._address: CompanyAddress | None = None  # the spelling GP accepted during this source's life
        self._on_address = on_company_address
        self._companies: list[Company] | None = None
        self._company_entity_answers = True  # False once Companies(x) answered 404 for every spelling
        self._sales_resources: tuple[str, str] | None = None  # (sales invoices path, items path), "" when none
        self.help_unread = ""  # why the help page could not be read, when sales_resources() could not read it

    # -- URLs ---------------------------------------------------------------------------------------------
    @property
    def tenant_url(self) -> str:
        return f"{self.settings.url}/GPService/Tenants({_seg(self.settings.tenant)})"

    @property
    def company_url(self) -> str:
        """The company's URL as accepted (or remembered); before any read, the profile's value encoded."""
        address = self._address or self._remembered
        return self._company_url(address.segment if address else _seg(self.settings.company))

    def _company_url(self, segment: str) -> str:
        return f"{self.tenant_url}/Companies({segment})"

    # -- transport --------------------------------------------------------------------------------------------
    def _timeout(self, whole_collection: bool) -> float:
        # A whole collection of a large company may take minutes (timeout_seconds); a small read that takes
        # longer than SMALL_READ_SECONDS means a stuck service, and waiting for it would only hold the run.
        return self.settings.timeout_seconds if whole_collection else min(
            self.settings.timeout_seconds, SMALL_READ_SECONDS)

    def _get(
        self, url: str, *, what: str, not_found: Callable[[], GPError], whole_collection: bool = False,
        read: Callable[[requests.Response], T] | None = None,
    ) -> Any:
        """The answer at *url*: its JSON, unwrapped; with *read*, what *read* makes of the response, streamed
        (a read that breaks off is tried again from the start, as a failed GET is)."""
        timeout = self._timeout(whole_collection)
        return retry_transient(
            lambda: self._get_once(url, what=what, not_found=not_found, timeout=timeout,
                                   whole_collection=whole_collection, read=read),
            self.attempts, self._sleep, self._rng,
        )

    def _get_once(
        self, url: str, *, what: str, not_found: Callable[[], GPError], timeout: float, whole_collection: bool,
        read: Callable[[requests.Response], T] | None,
    ) -> Any:
        verify = self.session.verify
        http_errors.check_ca_file(verify)
        try:
            # verify= on every call: requests lets REQUESTS_CA_BUNDLE override a session-level setting.
            resp = self.session.get(url, timeout=(10.0, timeout), verify=verify, stream=read is not None)
            with resp:
                self._check(resp, what, not_found)
                return self._json(resp, what) if read is None else read(resp)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            if isinstance(exc, requests.exceptions.ChunkedEncodingError):  # the answer broke off
                exc = requests.exceptions.ConnectionError(exc)
            raise http_errors.transport_error(
                http_errors.SBA, exc, host=urlsplit(self.settings.url).netloc, what=what, timeout=timeout,
                whole_collection=whole_collection,
            ) from exc

    def _check(self, resp: requests.Response, what: str, not_found: Callable[[], GPError]) -> None:
        if resp.status_code >= 400:
            log_id, message = _fault_details(resp)
            raise http_errors.status_error(
                http_errors.SBA, resp.status_code, what=what, username=self.settings.username,
                company=self.settings.company, not_found=not_found,
                reason=message, log_id=log_id, retry_after=http_errors.retry_after(resp, self._clock()),
            )

    @staticmethod
    def _json(resp: requests.Response, what: str) -> Any:
        try:
            return sba_shapes.unwrap(resp.json())
        except ValueError as exc:
            raise sba_stream.not_json(what) from exc

    def _no_tenant(self) -> GPError:
        return GPError(
            Stage.COMPANY, f"GP has no tenant {self.settings.tenant!r} at this server.",
            "A single-tenant install uses DefaultTenant.",
        )

    def _no_company(self, what: str) -> GPError:
        try:
            names = [c.label() for c in self._listed_companies()]
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

    # -- the company's address ----------------------------------------------------------------------------------
    def _listed_companies(self) -> list[Company]:
        if self._companies is None:
            try:
                self.companies()
            except GPError as err:
                # A user who may not list the companies may still open one, and a list in a shape we cannot
                # read must not stop a company given by the name GP takes: try the profile's value as given.
                if err.stage not in (Stage.ACCESS, Stage.DATA):
                    raise
                self._companies = []
        return self._companies or []

    def _candidates(self) -> Iterator[CompanyAddress]:
        """The spellings to try: the remembered one first (no company list needed), then every other."""
        if self._remembered is not None:
            yield self._remembered
        settings = self.settings
        for address in sba_address.candidates(settings.company, self._listed_companies(), url=settings.url,
                                              tenant=settings.tenant):
            if self._remembered is None or address.segment != self._remembered.segment:
                yield address

    def _accept(self, address: CompanyAddress) -> None:
        self._address = address
        if self._on_address is None or address == self._remembered:
            return
        try:
            self._on_address(address)
        except Exception:  # remembering only saves a probe next run: never worth failing this one
            log.warning("could not remember how GP addresses company %r", self.settings.company, exc_info=True)

    def _company_answering(self, what: str) -> CompanyAddress:
        """The spelling under which GP answers for the company itself (``Companies(x).json``); the error that
        lists the companies when none does."""
        if self._company_entity_answers:
            for address in self._candidates():
                try:
                    self._get(f"{self._company_url(address.segment)}.json", what="anything", not_found=_missed)
                except _Missed:
                    continue
                return address
            self._company_entity_answers = False
        raise self._no_company(what)

    def company_address(self) -> CompanyAddress:
        """How GP accepts the company in its URLs (found on first need, then kept): ``gpmc check`` says it."""
        if self._address is None:
            try:
                self._accept(self._company_answering("the company"))
            except GPError as err:
                if err.stage is not Stage.COMPANY:
                    raise
                # A server may not answer for the company itself; its customers tell (and a user without
                # access to an unlisted company gets a 403 that says so, not "no company").
                self.raw_customers()
        assert self._address is not None
        return self._address

    def _in_company(
        self, path: str, *, what: str, missing: Callable[[], GPError], whole_collection: bool = False,
        read: Callable[[requests.Response], T] | None = None,
    ) -> Any:
        """GET ``Companies(x)/{path}.json``.  Until GP has accepted a spelling of the company, each is tried in
        turn; when every one gets a 404, the company itself tells whether the company or *path* is missing."""
        if self._address is not None:
            return self._get(f"{self._company_url(self._address.segment)}/{path}.json", what=what,
                             not_found=missing, whole_collection=whole_collection, read=read)
        for address in self._candidates():
            try:
                rows = self._get(f"{self._company_url(address.segment)}/{path}.json", what=what,
                                 not_found=_missed, whole_collection=whole_collection, read=read)
            except _Missed:
                continue
            self._accept(address)
            return rows
        self._accept(self._company_answering(what))
        raise missing()

    def _missing(self, key_name: str, what: str) -> GPError:
        """A resource path GP does not serve for a company it does serve: what its help page offers instead."""
        offered, unread = self._help_paths()
        assert self._address is not None
        return sba_help.missing_resource(path=getattr(self.settings, key_name), key_name=key_name, what=what,
                                         company=self._address.label, offered=offered, unread=unread)

    def _help_paths(self) -> tuple[list[str] | None, str]:
        """The Sales paths the tenant's help page lists, or None and why it could not be read."""
        page, unread = self._help_text()
        return (None, unread) if page is None else (sba_help.offered_paths(page), "")

    def _help_text(self) -> tuple[str | None, str]:
        """The tenant's help page, or None and why it could not be read."""
        timeout = self._timeout(False)
        try:
            resp = self.session.get(f"{self.tenant_url}/help", timeout=(10.0, timeout), verify=self.session.verify)
        except requests.exceptions.Timeout:
            return None, f"no answer within {timeout:g} seconds"
        except requests.RequestException as exc:
            return None, f"no answer: {type(exc).__name__}"
        except GPError as err:  # the sign-in failed on this request
            return None, err.message
        if resp.status_code != 200:
            return None, f"it answered HTTP {resp.status_code}"
        return resp.text, ""

    def sales_resources(self) -> tuple[str, str] | None:
        """Where this server keeps posted sales invoices and items, from its help page (read once per source);
        None when it lists no sales invoices (or its help page cannot be read: :attr:`help_unread` says why):
        then no order has lines."""
        if self._sales_resources is None:
            page, self.help_unread = self._help_text()
            invoices = [p for p in sba_help.sales_document_paths(sba_help.offered_paths(page or ""))
                        if p.endswith("SalesInvoices")]
            items = sba_help.item_paths(page or "")
            self._sales_resources = (invoices[0], items[0] if items else "") if invoices else ("", "")
        return self._sales_resources if self._sales_resources[0] else None

    def reads_sales_lines(self) -> bool:
        return self.settings.order_lines == "sales_invoices" and self.sales_resources() is not None

    def raw_sales(self) -> tuple[list[Any], list[Any]]:
        """The posted sales invoices and the items, as the server answers them (whole collections)."""
        found = self.sales_resources()
        assert found is not None
        invoices_path, items_path = found

        def gone(path: str) -> GPError:
            return GPError(Stage.DATA, f"GP's help page lists {path}, but the server has no such resource for "
                                       "this company.", "Set [gp] order_lines = \"receivables\" until it does.")

        raws = sba_shapes.collection(self._in_company(invoices_path, what="sales invoices", whole_collection=True,
                                                      missing=lambda: gone(invoices_path)), "sales invoices")
        items = sba_shapes.collection(self._in_company(items_path, what="items", whole_collection=True,
                                                       missing=lambda: gone(items_path)), "items") if items_path else []
        return raws, items

    def sales_lines(self, raws: list[Any] | None = None, items: list[Any] | None = None) -> dict[str, SalesLines]:
        """Each posted sales invoice's lines and charges, by upper-case document number, checked whole first: an
        answer not in the shape the client knows stops here, before anything is written, naming what it lacks.
        *raws* and *items*: the answers when already read."""
        if raws is None or items is None:
            raws, items = self.raw_sales()
        sba_shapes.check_sales(raws, items)
        by_number = {trim(i.get("ItemNumber")).upper(): i for i in items if isinstance(i, dict)}
        return {trim(r.get("DocumentNumber")).upper(): sba_shapes.sales_from_sba(r, by_number) for r in raws}

    # -- resources ----------------------------------------------------------------------------------------------
    def companies(self) -> list[Company]:
        rows = self._get(f"{self.tenant_url}/Companies.json", what="the company list", not_found=self._no_tenant)
        out = []
        for raw in sba_shapes.collection(rows, "the company list"):
            database, name, ident = sba_shapes.company_label(raw)
            out.append(Company(database, name, ident))
        self._companies = out
        return out

    def raw_customers(self) -> list[dict[str, Any]]:
        rows = self._in_company(self.settings.customers_path, what="customers", whole_collection=True,
                                missing=lambda: self._missing("customers_path", "customers"))
        return sba_shapes.collection(rows, "customers")

    def raw_customer_addresses(self) -> list[dict[str, Any]]:
        rows = self._in_company(
            self.settings.customer_addresses_path, what="customer addresses", whole_collection=True,
            missing=lambda: self._missing("customer_addresses_path", "customer addresses"))
        return sba_shapes.collection(rows, "customer addresses")

    def _joined_addresses(self, raws: list[Any]) -> dict[str, list[Any]] | None:
        """Addresses by customer number from Sales/CustomerAddresses, read once, when the customer answers do not
        embed them (as Microsoft's list of SBA resources suggests a server may); None when they do."""
        if all(sba_shapes.has_addresses(raw) for raw in raws):
            return None
        check = data_check.AnswerCheck(answer_fields.CUSTOMER, "customers", "CustomerNumber")
        for raw in raws:
            check.add(raw)
        return self._addresses_for(check)

    def _addresses_for(self, customers: data_check.AnswerCheck) -> dict[str, list[Any]]:
        """Sales/CustomerAddresses by customer; *customers*: the check of the customers that lack them, whose
        message says so when the server has no such resource."""
        try:
            rows = self.raw_customer_addresses()
        except sba_help.MissingResource as err:
            shape = sba_shapes.missing_addresses_error(customers, self.settings.customer_addresses_path)
            hint = " ".join(part for part in (err.listing, err.hint, shape.hint) if part)
            raise GPError(shape.stage, shape.message, hint) from err
        return sba_shapes.addresses_by_customer(rows)

    def customer_answers(self) -> tuple[list[Any], dict[str, list[Any]] | None]:
        """The customers as GP sent them and, when they do not embed their addresses, the addresses by customer."""
        raws = self.raw_customers()
        return raws, self._joined_addresses(raws)

    def customers(
        self, *, into: Callable[[Customer], None] | None = None, prints: PrintTaker | None = None
    ) -> list[Customer]:
        """Every customer, read from the socket record by record and checked whole (gp/sba_stream.py).  With
        *into*, each goes there as soon as it is made and the list is empty.  With *prints*, the answer's print is
        taken on the way (gp/answer_prints.py): not usable when the customers leave their addresses to
        Sales/CustomerAddresses, whose changes it would not see."""
        sink = sba_stream.Resumable(into, "customers")

        def read(resp: requests.Response) -> list[Customer]:
            items = _items(resp, "customers")
            if prints is not None:
                prints.restart()
                items = _with_addresses(prints.watch(items), prints)
            return sink.run(lambda give: sba_stream.read_customers(items, self._addresses_for, into=give))

        return self._in_company(self.settings.customers_path, what="customers", whole_collection=True,
                                missing=lambda: self._missing("customers_path", "customers"), read=read)

    def customer(self, number: str) -> Customer:
        raw = self._in_company(f"{self.settings.customers_path}({_seg(number)})", what=f"customer {number}",
                               missing=lambda: self._no_customer(number))
        return sba_shapes.customers_from_sba([raw], self._joined_addresses([raw]))[0]

    def _no_customer(self, number: str) -> GPError:
        label = self._address.label if self._address else self.settings.company
        return GPError(Stage.COMPANY, f"GP has no customer {number!r} in company {label}.",
                       "Check the customer number in GP (Cards › Sales › Customer).")

    def raw_documents(self) -> list[dict[str, Any]]:
        rows = self._in_company(self.settings.receivables_path, what="receivables documents", whole_collection=True,
                                missing=lambda: self._missing("receivables_path", "receivables documents"))
        return sba_shapes.collection(rows, "receivables documents")

    def documents(
        self, *, into: Callable[[Document], None] | None = None, prints: PrintTaker | None = None
    ) -> list[Document]:
        """Every receivables document, read from the socket record by record and checked whole.  With *into*,
        each goes there as soon as it is made and the list is empty; with *prints*, the answer's print is taken
        on the way."""
        what = "receivables documents"
        ahead: list[Any] = []  # the sales invoices and items: in the answer's print, so a poll sees them change
        if self.reads_sales_lines():  # read first: each invoice then goes out with its lines
            if into is None:
                found: list[Document] = []
                self.documents(into=found.append, prints=prints)
                return found
            raws, items = self.raw_sales()
            lines = self.sales_lines(raws, items)
            ahead = [*raws, *items]

            def attach(doc: Document) -> Document:
                sales = lines.get(doc.number.upper()) if doc.is_invoice else None
                return dataclasses.replace(doc, sales=sales) if sales is not None else doc

            give = into
            into = lambda doc: give(attach(doc))  # noqa: E731
        sink = sba_stream.Resumable(into, what)

        def read(resp: requests.Response) -> list[Document]:
            items = _items(resp, what)
            if prints is not None:
                prints.restart()
                for raw in ahead:
                    prints.add(raw)
                items = prints.watch(items)
            return sink.run(lambda give: sba_stream.read_documents(items, into=give))

        return self._in_company(self.settings.receivables_path, what=what, whole_collection=True,
                                missing=lambda: self._missing("receivables_path", what), read=read)

    def answers_as_printed(self, customers: AnswerPrint, documents: AnswerPrint) -> bool:
        """Whether GP's customers and receivables documents answer exactly as their prints say (taken by
        :meth:`customers` and :meth:`documents` at an earlier run), read without a record being made or checked;
        False at the first block of records that differs, the rest of the answers left unread.  A profile that
        reads sales invoice lines has its sales invoices and items in the receivables documents' print, ahead of
        them (see :meth:`documents`)."""
        ahead: list[Any] = []
        if self.reads_sales_lines():
            sales, items = self.raw_sales()
            ahead = [*sales, *items]
        reads = (("customers", self.settings.customers_path, "customers_path", customers),
                 ("receivables documents", self.settings.receivables_path, "receivables_path", documents))
        try:
            for what, path, key_name, expected in reads:
                taker = PrintTaker(expected)

                def read(resp: requests.Response, taker: PrintTaker = taker, what: str = what) -> None:
                    taker.restart()
                    if what == "receivables documents":
                        for raw in ahead:
                            taker.add(raw)
                    for raw in taker.watch(_items(resp, what)):
                        if what == "customers" and not sba_shapes.has_addresses(raw):
                            raise AnswerChanged  # its print cannot see its addresses (see customers())
                    taker.finish()

                self._in_company(path, what=what, whole_collection=True, read=read,
                                 missing=lambda key_name=key_name, what=what: self._missing(key_name, what))
        except AnswerChanged:
            return False
        return True


def _with_addresses(items: Iterator[Any], prints: PrintTaker) -> Iterator[Any]:
    """*items* (customers); *prints* made unusable by one that does not embed its addresses."""
    for raw in items:
        if prints.usable and not sba_shapes.has_addresses(raw):
            prints.usable = False
        yield raw


def _items(resp: requests.Response, what: str) -> Iterator[Any]:
    """The records of a streamed collection answer (gzip undone by requests)."""
    return sba_stream.answer_items(resp.iter_content(sba_stream.CHUNK), what)


def _fault_details(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("LogId") or ""), str(body.get("Message") or "")
