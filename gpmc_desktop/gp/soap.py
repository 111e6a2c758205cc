"""GP source over Web Services for Microsoft Dynamics GP (SOAP, legacy endpoint), built with zeep on Microsoft's
own ``DynamicsGP.wsdl``.

Lists (GetCustomerList, GetReceivablesInvoiceList) return summaries only, at most the first 1000 matches and with
no paging, so a full list is read in slices: an answer as long as the cap means "there may be more", and that
slice is split (by ModifiedDate, then by key range) until every slice is under the cap.  E-mails, addresses,
balances and void flags are only in the full objects, so every record then costs one GetXByKey call.
The company goes into every call's Context as GP's integer company id, found by name through GetCompanyList.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree
from zeep import Client
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.plugins import Plugin
from zeep.transports import Transport

from gpmc_desktop.gp import http_errors, soap_shapes
from gpmc_desktop.gp.errors import GPError, Stage, retry_transient
from gpmc_desktop.gp.model import Customer, Document, DocumentType
from gpmc_desktop.gp.normalize import trim
from gpmc_desktop.gp.soap_wsdl import (
    BINDING,
    DEFAULT_SOAP_PATH,
    DYN_NS,
    SOAP_ENV_NS,
    SYSTEM_FAULT_TEXT,
    Contract,
    contract,
)
from gpmc_desktop.profile import GPSettings, schema

log = logging.getLogger(__name__)

WSA_NS = "http://www.w3.org/2005/08/addressing"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DAY_END = dt.time(23, 59, 59)
SYSTEM_FAULT_TEXT_START = SYSTEM_FAULT_TEXT.split(".")[0]  # GP's generic text; the rest may vary by version

# The Dynamics Security Console operation each call needs: what the admin must grant when GP answers with its
# generic "unhandled system exception".
SECURITY_OPERATIONS = {
    "GetCompanyList": "Query Companies",
    "GetCustomerList": "Query Customers",
    "GetCustomerByKey": "Query Customers",
    "GetReceivablesInvoiceList": "Query Receivables Invoices",
    "GetReceivablesInvoiceByKey": "Query Receivables Invoices",
    "GetReceivablesDocumentList": "Query Receivables Documents",
    "GetSalesInvoiceList": "Query Sales Invoices",
    "GetSalesInvoiceByKey": "Query Sales Invoices",
    "GetItemByKey": "Query Items",
}


def endpoint_url(settings: GPSettings) -> str:
    """The profile's ``url`` is the server (``http://gp01:48620``); ``soap_path`` or the default legacy path is
    appended.  A url that already has a path is taken as the whole endpoint (people paste the .asmx address)."""
    base = settings.url.rstrip("/")
    if settings.soap_path:
        return base + "/" + settings.soap_path.strip().lstrip("/")
    if urlsplit(base).path not in ("", "/"):
        return base
    return base + DEFAULT_SOAP_PATH


@dataclass(frozen=True)
class SoapCompany:
    """One entry of GetCompanyList.  The service knows no database name, so the display name stands in for it
    (the wizard stores ``database``)."""

    id: int
    name: str

    @property
    def database(self) -> str:
        return self.name

    def label(self) -> str:
        return f"{self.name} (id {self.id})"


class _NotSoap(Exception):
    """An HTTP answer that is not a SOAP message (401 page, 404, proxy error...)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class _Transport(Transport):
    """zeep's transport over the profile's authenticated session, with explicit timeouts and TLS verification
    (``verify=`` on every call: requests lets REQUESTS_CA_BUNDLE override a session-level setting)."""

    def __init__(self, session: requests.Session, timeout: float) -> None:
        user_agent = session.headers.get("User-Agent")
        super().__init__(session=session, operation_timeout=timeout)
        if user_agent:  # zeep puts its own User-Agent on the session
            session.headers["User-Agent"] = user_agent
        self.timeout_seconds = timeout

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        headers = {**headers, "Accept": "text/xml"}
        response = self.session.post(address, data=message, headers=headers,
                                     timeout=(10.0, self.timeout_seconds), verify=self.session.verify)
        kind = response.headers.get("Content-Type", "").lower()
        # A SOAP fault comes as 500 + XML; anything else that is not a 200 XML answer is HTTP trouble.
        if response.status_code not in (200, 500) or "xml" not in kind:
            raise _NotSoap(response)
        return response


@dataclass(frozen=True)
class _Line:
    """One authenticated session and the zeep service that posts over it: what one reader thread uses alone."""

    session: requests.Session
    service: Any


class _Stopped(Exception):
    """A pooled read given up because an earlier key's error already ends the whole read."""


class _NoAddressing(Plugin):
    """zeep adds WS-Addressing headers because the WSDL names actions; the legacy endpoint is a BasicHttpBinding
    (ASMX-style) service whose .NET clients send none, so neither do we."""

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        header = envelope.find(f"{{{SOAP_ENV_NS}}}Header")
        if header is not None:
            for child in list(header):
                if etree.QName(child).namespace == WSA_NS:
                    header.remove(child)
            if len(header) == 0:
                envelope.remove(header)
        return envelope, http_headers


@dataclass(frozen=True)
class _Slice:
    """Part of a list: ModifiedDate days and key range, all bounds inclusive, ``None`` = open."""

    day_from: dt.date | None = None
    day_to: dt.date | None = None
    key_from: str | None = None
    key_to: str | None = None
    parent_keys: frozenset[str] = frozenset()  # the capped answer this slice was cut from (progress check)


def _row_key(row: dict[str, Any]) -> str:
    return soap_shapes.key_id(row).upper()


def _typed_row_key(row: dict[str, Any]) -> str:
    return f"{row.get('Type')};{_row_key(row)}"  # document numbers are unique per document type only


@dataclass(frozen=True)
class _ListSpec:
    operation: str
    what: str
    key_field: str  # the criteria member restricting the key: Id / DocumentId
    fixed: tuple[tuple[str, Any], ...] = ()  # criteria members every slice carries
    row_key: Callable[[dict[str, Any]], str] = _row_key


# Posted documents only: Work (unposted) ones are not orders, and have not been applied to anything yet.
_POSTED = ("TransactionState", {"Items": {"ReceivablesTransactionState": ["Open", "History"]}})
CUSTOMER_LIST = _ListSpec("GetCustomerList", "customers", "Id")
INVOICE_LIST = _ListSpec("GetReceivablesInvoiceList", "receivables invoices", "DocumentId", (_POSTED,))
# What pays an invoice off: applying one of these lowers the invoice's balance.
APPLIED_LIST = _ListSpec(
    "GetReceivablesDocumentList", "payments and credits", "DocumentId",
    (_POSTED, ("Type", {"Items": {"ReceivablesDocumentType": ["Cash Receipt", "Credit Memo", "Return"]}})),
    _typed_row_key,
)

# Posted sales invoices: a posted SOP invoice is in History, and became the receivables invoice of its number.
SALES_LIST = _ListSpec("GetSalesInvoiceList", "sales invoices", "DocumentId",
                       (("TransactionState", {"Items": {"SalesTransactionState": ["History"]}}),))


class SoapSource:
    """Companies, customers and receivables invoices from GP Web Services (see module docstring)."""

    def __init__(
        self,
        settings: GPSettings,
        session: requests.Session,
        *,
        attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        list_cap: int | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.session = session
        self.attempts = attempts
        self.list_cap = list_cap or settings.soap_list_cap
        self._sleep = sleep
        self._clock = clock  # "now" for a Retry-After given as an HTTP-date
        self._rng = random.Random()
        self.contract: Contract = contract()
        self.endpoint = endpoint_url(settings)
        self._main = self._line(session)
        self._spare: list[_Line] = []  # the pool's other sessions, kept for the next read (closed with session)
        self.workers = max(1, settings.soap_workers)
        self._company: SoapCompany | None = None
        self._company_lock = threading.Lock()
        self._calls_lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # SOAP calls made, by operation
        self.problems: list[str] = []  # records GP could not return one by one (skipped, with the reason)
        self.unreadable: set[str] = set()  # "customer:<key>" / "invoice:<key>" of those records
        self._items: dict[str, dict[str, Any] | None] = {}  # GetItemByKey answers by upper-case number (None: gone)

    # -- transport ----------------------------------------------------------------------------------------
    def _line(self, session: requests.Session) -> _Line:
        client = Client(self.contract.document, transport=_Transport(session, self.settings.timeout_seconds),
                        settings=self.contract.settings, plugins=[_NoAddressing()])
        return _Line(session, client.create_service(BINDING, self.endpoint))

    def _call(self, operation: str, what: str, *, line: _Line | None = None,
              sleep: Callable[[float], None] | None = None, **params: Any) -> Any:
        return retry_transient(
            lambda: self._call_once(line or self._main, operation, what, **params), self.attempts,
            sleep or self._sleep, self._rng,
        )

    def _call_once(self, line: _Line, operation: str, what: str, **params: Any) -> Any:
        with self._calls_lock:
            self.calls[operation] += 1
        http_errors.check_ca_file(line.session.verify)
        try:
            return getattr(line.service, operation)(**params)
        except Fault as fault:
            raise self._fault(operation, what, fault) from None
        except _NotSoap as exc:
            raise self._http_error(what, exc.response) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise http_errors.transport_error(
                http_errors.SOAP, exc, host=urlsplit(self.endpoint).netloc, what=what,
                timeout=self.settings.timeout_seconds,
            ) from exc
        except (TransportError, ZeepError, etree.LxmlError) as exc:
            raise GPError(
                Stage.DATA, f"The answer of {self.endpoint} for {what} is not a GP Web Services message ({exc}).",
                f"Check that the URL points at the legacy endpoint ({DEFAULT_SOAP_PATH}).",
            ) from exc

    def _fault(self, operation: str, what: str, fault: Fault) -> GPError:
        text = trim(fault.message)
        log_id = _log_id(fault)
        tail = f" (LogId {log_id})" if log_id else ""
        if text.startswith(SYSTEM_FAULT_TEXT_START):
            right = SECURITY_OPERATIONS.get(operation, operation)
            company = self._company.name if self._company else self.settings.company
            return GPError(
                Stage.ACCESS,
                f"GP Web Services answered {operation} ({what}) with its generic \"unhandled system exception\""
                f"{tail}.",
                f"This usually means the Windows user {self.settings.username} is in no Dynamics Security Console "
                f"role that allows the operation \"{right}\" in company {company!r}: add the user to such a role "
                "(Dynamics Security Console > Role Assignments). If it is, give the LogId to your GP administrator: "
                "the details are in the Web Services exception log.",
                log_id=log_id,
            )
        return GPError(
            Stage.SERVER, f"GP Web Services refused {operation} ({what}): {text or 'no reason given'}{tail}.",
            "Give the LogId to your GP administrator; the Web Services exception log has the details." if log_id
            else "Your GP administrator can look it up in the Web Services exception log.",
            log_id=log_id,
        )

    def _http_error(self, what: str, resp: requests.Response) -> GPError:
        if resp.status_code == 200:
            return GPError(
                Stage.DATA, f"{self.endpoint} answered {what} with a web page, not a SOAP message.",
                f"Check that the URL points at GP Web Services ({DEFAULT_SOAP_PATH}).",
            )
        return http_errors.status_error(
            http_errors.SOAP, resp.status_code, what=what, username=self.settings.username,
            company=self._company.name if self._company else self.settings.company,
            not_found=lambda: GPError(
                Stage.REACH, f"There is no GP Web Services endpoint at {self.endpoint}.",
                f"Check the server URL and soap_path; the legacy endpoint is {DEFAULT_SOAP_PATH} on port 48620.",
            ),
            retry_after=http_errors.retry_after(resp, self._clock()),
        )

    # -- context and companies ----------------------------------------------------------------------------
    def _context(self, company_id: int | None) -> dict[str, Any]:
        context: dict[str, Any] = {"CurrencyType": "Transactional"}  # amounts in each document's own currency
        if company_id is not None:
            # OrganizationKey is abstract: the CompanyKey type makes zeep write xsi:type="CompanyKey".
            context["OrganizationKey"] = self.contract.type("CompanyKey", DYN_NS)(Id=company_id)
        if self.settings.tenant and self.settings.tenant != schema.default("gp", "tenant"):
            context["TenantName"] = self.settings.tenant  # only multitenant installs know tenant names
        return context

    def companies(self) -> list[SoapCompany]:
        rows = self._call("GetCompanyList", "the company list", criteria={}, context=self._context(None))
        out = []
        for row in soap_shapes.plain(rows) or []:
            ident = soap_shapes.dig(row, "Key", "Id")
            if isinstance(ident, int):
                out.append(SoapCompany(ident, trim(row.get("Name"))))
        return out

    def company(self) -> SoapCompany:
        """The profile's company (display name or id) as GP Web Services knows it; looked up once."""
        with self._company_lock:  # pooled readers ask for it at once
            return self._find_company()

    def _find_company(self) -> SoapCompany:
        if self._company is not None:
            return self._company
        wanted = " ".join(self.settings.company.split())
        companies = self.companies()
        found = next((c for c in companies if str(c.id) == wanted), None) or next(
            (c for c in companies if " ".join(c.name.split()).casefold() == wanted.casefold()), None)
        if found is None:
            listing = (f" Companies this user can open: {', '.join(c.label() for c in companies)}." if companies
                       else " This user can open no company at all.")
            raise GPError(
                Stage.COMPANY, f"GP Web Services has no company {self.settings.company!r}.{listing}",
                "Pick the company by its name as GP shows it (or its id); Web Services does not know companies "
                "by their SQL database name." if companies else
                "In GP, give the Windows account's GP user access to the company (User Access Setup).",
            )
        self._company = found
        return found

    # -- lists under the cap ------------------------------------------------------------------------------------
    def _criteria(self, spec: _ListSpec, part: _Slice) -> dict[str, Any]:
        criteria: dict[str, Any] = dict(spec.fixed)
        if part.day_from or part.day_to:
            # ModifiedDate is date-only in GP; the service wants date and time, so a day runs to 23:59:59.
            criteria["ModifiedDate"] = {
                "From": dt.datetime.combine(part.day_from, dt.time()) if part.day_from else None,
                "To": dt.datetime.combine(part.day_to, _DAY_END) if part.day_to else None,
            }
        if part.key_from is not None or part.key_to is not None:
            criteria[spec.key_field] = {"From": part.key_from, "To": part.key_to}
        criteria["Scope"] = "Return All"
        return criteria

    def _list_all(self, spec: _ListSpec, since: dt.date | None) -> list[dict[str, Any]]:
        """Every summary of *spec* modified on or after *since*, read in slices under the cap, deduped by key."""
        context = self._context(self.company().id)
        found: dict[str, dict[str, Any]] = {}
        todo = [_Slice(day_from=since)]
        while todo:
            part = todo.pop()
            rows = soap_shapes.plain(self._call(spec.operation, spec.what,
                                                criteria=self._criteria(spec, part), context=context)) or []
            for row in rows:
                found.setdefault(spec.row_key(row), row)
            if len(rows) >= self.list_cap:
                todo.extend(_split(part, rows, spec))
        return [found[k] for k in sorted(found)]

    def customer_summaries(self, since: dt.date | None = None) -> list[dict[str, Any]]:
        return self._list_all(CUSTOMER_LIST, since)

    def invoice_summaries(self, since: dt.date | None = None) -> list[dict[str, Any]]:
        return self._list_all(INVOICE_LIST, since)

    def paying_customers(self, since: dt.date) -> set[str]:
        """Customers (upper-case numbers) with a payment, credit memo or return posted or changed since *since*:
        the ones whose open invoices may have been paid down."""
        return {trim(soap_shapes.dig(r, "CustomerKey", "Id")).upper() for r in self._list_all(APPLIED_LIST, since)}

    def raw_customers(self) -> list[dict[str, Any]]:
        """Customer summaries (what ``gpmc check`` counts): no e-mail and no address in them."""
        return self.customer_summaries()

    # -- full objects -------------------------------------------------------------------------------------
    def raw_customer(self, number: str, *, line: _Line | None = None,
                     sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
        """One GetCustomerByKey answer, as plain dicts and lists (*line*: a pooled reader's session)."""
        return soap_shapes.plain(self._call("GetCustomerByKey", f"customer {number}", key={"Id": number},
                                            context=self._context(self.company().id), line=line, sleep=sleep))

    def raw_invoice(self, number: str, *, line: _Line | None = None,
                    sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
        return soap_shapes.plain(self._call("GetReceivablesInvoiceByKey", f"invoice {number}", key={"Id": number},
                                            context=self._context(self.company().id), line=line, sleep=sleep))

    def customer(self, number: str) -> Customer:
        raw = self.raw_customer(number)
        soap_shapes.check_customers([raw])
        return soap_shapes.customer_from_soap(raw)

    def invoice(self, number: str) -> Document:
        raw = self.raw_invoice(number)
        soap_shapes.check_invoices([raw])
        return soap_shapes.invoice_from_soap(raw)

    def raw_customers_by_key(self, numbers: Iterable[str]) -> list[dict[str, Any]]:
        return self._by_key("customer", numbers, self.raw_customer)

    def raw_invoices_by_key(self, numbers: Iterable[str]) -> list[dict[str, Any]]:
        return self._by_key("invoice", numbers, self.raw_invoice)

    def customers_by_key(self, numbers: Iterable[str]) -> list[Customer]:
        raws = self.raw_customers_by_key(numbers)
        soap_shapes.check_customers(raws)  # the whole answer first: its message is the complete one
        return [soap_shapes.customer_from_soap(raw) for raw in raws]

    def invoices_by_key(self, numbers: Iterable[str]) -> list[Document]:
        raws = self.raw_invoices_by_key(numbers)
        soap_shapes.check_invoices(raws)
        return [soap_shapes.invoice_from_soap(raw) for raw in raws]

    def _by_key(self, kind: str, keys: Iterable[str], read: Callable[..., Any]) -> list[Any]:
        """Every key read (``soap_workers`` at a time), the answers in the order of the keys."""
        out, failed_in_a_row = [], 0
        with contextlib.closing(self._read_all(list(keys), read)) as answers:  # closing: an error stops the pool
            for key, outcome in answers:
                try:
                    out.append(outcome())
                    failed_in_a_row = 0
                except GPError as err:
                    # The list call with the same rights worked, so a SOAP fault here is this record's (GP fails
                    # on e.g. control characters in a note): skip it and say so rather than stop the whole sync.
                    # An outage, or a run of faults (rights taken away mid-run), still stops it.
                    failed_in_a_row += 1
                    if err.transient or err.stage not in (Stage.ACCESS, Stage.SERVER) or failed_in_a_row > 10:
                        raise
                    self.unreadable.add(f"{kind}:{key.upper()}")
                    self.problems.append(f"{kind} {key}: {err.message}")
                    log.warning("GP Web Services could not return %s %s: %s", kind, key, err.message)
        return out

    def _read_all(self, keys: list[str], read: Callable[..., Any]) -> Generator[tuple[str, Callable[[], Any]]]:
        """Each key with a way to get its answer (or raise its error), in key order.

        One at a time on the profile's session when ``soap_workers`` is 1, there is one key, or the session cannot
        open siblings; else on a pool with a session per reader, keeping a few keys ahead of the one awaited.  When
        the caller stops at an error, keys not yet started are dropped and the readers stop retrying."""
        workers = min(self.workers, len(keys))
        make_sibling = getattr(self.session, "sibling", None)
        if workers <= 1 or make_sibling is None:
            for key in keys:
                yield key, lambda key=key: read(key)  # type: ignore[misc]
            return
        while len(self._spare) < workers - 1:
            self._spare.append(self._line(make_sibling()))
        idle: list[_Line] = [self._main, *self._spare[: workers - 1]]
        idle_lock, stop = threading.Lock(), threading.Event()

        def pause(seconds: float) -> None:
            if stop.is_set():
                raise _Stopped
            self._sleep(seconds)

        def task(key: str) -> Any:
            if stop.is_set():
                raise _Stopped
            with idle_lock:
                line = idle.pop()
            try:
                return read(key, line=line, sleep=pause)
            finally:
                with idle_lock:
                    idle.append(line)

        pending: list[tuple[str, Future[Any]]] = []
        ahead = iter(keys)
        with ThreadPoolExecutor(workers, thread_name_prefix="gp-soap") as pool:
            try:
                for key in ahead:
                    pending.append((key, pool.submit(task, key)))
                    if len(pending) >= workers * 2:
                        done_key, future = pending.pop(0)
                        yield done_key, future.result
                for done_key, future in pending:
                    yield done_key, future.result
            finally:
                stop.set()  # the caller raised (or stopped reading): nothing more is read
                for _key, future in pending:
                    future.cancel()

    # -- sales invoices and items (the profile's order_lines = "sales_invoices") ---------------------------
    def sales_summaries(self, since: dt.date | None = None) -> dict[str, dict[str, Any]]:
        """Posted sales invoices modified on or after *since* (all when None), by upper-case number."""
        return {soap_shapes.key_id(s).upper(): s for s in self._list_all(SALES_LIST, since)}

    def raw_sales_invoice(self, number: str, *, line: _Line | None = None,
                          sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
        return soap_shapes.plain(self._call("GetSalesInvoiceByKey", f"sales invoice {number}", key={"Id": number},
                                            context=self._context(self.company().id), line=line, sleep=sleep))

    def raw_item(self, number: str, *, line: _Line | None = None,
                 sleep: Callable[[float], None] | None = None) -> dict[str, Any] | None:
        """GetItemByKey; None when GP no longer has the item (its lines keep their own description)."""
        try:
            return soap_shapes.plain(self._call("GetItemByKey", f"item {number}", key={"Id": number},
                                                context=self._context(self.company().id), line=line, sleep=sleep))
        except GPError as err:
            if err.transient or err.stage is not Stage.SERVER:
                raise  # no right to read items, or GP is failing: not a deleted item
            log.info("GP Web Services has no item %s (%s): its lines keep their own description", number,
                     err.message)
            return None

    def sample_sales(self, count: int) -> tuple[int, int, int]:
        """The first *count* posted sales invoices read as the sync reads them: (invoices, lines, items), so a
        check proves the rights to read them and their items."""
        summaries = dict(list(self.sales_summaries().items())[:count])
        docs = [Document(number, DocumentType.INVOICE, "", None, Decimal(0), Decimal(0), "", False, None, None)
                for number in summaries]
        read = [d.sales for d in self.with_sales_lines(docs, summaries) if d.sales is not None]
        return len(read), sum(len(s.lines) for s in read), len({ln.item_number for s in read for ln in s.lines})

    def with_sales_lines(self, docs: list[Document], summaries: dict[str, dict[str, Any]]) -> list[Document]:
        """*docs*, each invoice that *summaries* lists (a posted sales invoice of its number) with that sales
        invoice's lines; items are read once per source."""
        wanted = [d.number for d in docs if d.is_invoice and d.number.upper() in summaries]
        raws = self._by_key("sales invoice", wanted, self.raw_sales_invoice)
        soap_shapes.check_sales(raws, [summaries[soap_shapes.key_id(r).upper()] for r in raws])
        numbers = sorted({n for line in soap_shapes.sales_lines(raws)
                          if (n := trim(soap_shapes.dig(line, "ItemKey", "Id"))) and n.upper() not in self._items})
        with contextlib.closing(self._read_all(numbers, self.raw_item)) as answers:
            for number, answer in answers:
                self._items[number.upper()] = answer()
        sales = {soap_shapes.key_id(r).upper(): soap_shapes.sales_from_soap(
            r, summaries[soap_shapes.key_id(r).upper()], self._items) for r in raws}
        return [dataclasses.replace(d, sales=sales[d.number.upper()]) if d.number.upper() in sales else d
                for d in docs]

    def customers(self, since: dt.date | None = None) -> list[Customer]:
        """Customers modified on or after *since* (every customer when None), as full objects."""
        return self.customers_by_key(soap_shapes.key_id(s) for s in self.customer_summaries(since))

    def documents(self, since: dt.date | None = None) -> list[Document]:
        """Posted receivables invoices (open and history) modified on or after *since* (all when None), with their
        sales invoices' lines when the profile reads them."""
        docs = self.invoices_by_key(soap_shapes.key_id(s) for s in self.invoice_summaries(since))
        if self.settings.order_lines == "sales_invoices":
            return self.with_sales_lines(docs, self.sales_summaries(since))
        return docs


def _log_id(fault: Fault) -> str:
    """GP's exception-log id: a ``LogId`` element in the fault detail, else any GUID in detail or text."""
    detail = fault.detail
    texts: list[str] = []
    if detail is not None and hasattr(detail, "iter"):
        for node in detail.iter():
            if not isinstance(node.tag, str):
                continue
            if etree.QName(node).localname.lower() == "logid" and node.text and node.text.strip():
                return node.text.strip()
            texts.append(node.text or "")
    elif detail is not None:
        texts.append(str(detail))
    texts.append(fault.message or "")
    match = _GUID.search(" ".join(texts))
    return match.group(0) if match else ""


def _split(part: _Slice, rows: list[dict[str, Any]], spec: _ListSpec) -> list[_Slice]:
    """Cut a capped slice into smaller ones that together cover it exactly.

    By ModifiedDate day first (at the median day of the answer), and within a single day by key range.  Each
    piece leaves out some rows of the capped answer, so the pieces always shrink; a piece that comes back
    with the very same rows as its parent would mean the server ignores the restriction, and is refused.
    """
    keys = frozenset(spec.row_key(r) for r in rows)
    if keys == part.parent_keys:
        raise GPError(
            Stage.DATA, f"GP Web Services keeps answering {spec.what} with the same {len(rows)} rows however "
            "the list is narrowed, so it cannot be read completely under its row cap.",
            "Ask the GP administrator to raise the Web Services list limit, or report this to support.",
        )
    days = [r.get("ModifiedDate") for r in rows]
    single_day = part.day_from is not None and part.day_from == part.day_to
    if part.key_from is None and part.key_to is None and not single_day and all(days):
        ordered = sorted(d.date() if isinstance(d, dt.datetime) else d for d in days)
        low, high = ordered[0], ordered[-1]
        if low < high:
            pivot = ordered[len(ordered) // 2]
            if pivot == low:
                pivot = next(d for d in ordered if d > low)
            return [_Slice(part.day_from, pivot - dt.timedelta(days=1), parent_keys=keys),
                    _Slice(pivot, part.day_to, parent_keys=keys)]
        # The whole answer is one day: the days around it, and that day cut by key right away (a slice of just
        # that day could legitimately return these very rows again).
        pieces = _key_halves(_Slice(low, low), rows, keys)
        if part.day_from is None or part.day_from < low:
            pieces.append(_Slice(part.day_from, low - dt.timedelta(days=1), parent_keys=keys))
        if part.day_to is None or part.day_to > low:
            pieces.append(_Slice(low + dt.timedelta(days=1), part.day_to, parent_keys=keys))
        return pieces
    return _key_halves(part, rows, keys)


def _key_halves(part: _Slice, rows: list[dict[str, Any]], keys: frozenset[str]) -> list[_Slice]:
    """Both halves include the pivot (GP's From/To are inclusive): its row is read twice and deduped.

    The pivot is the answer's second-highest key: when GP returns the first rows in key order (SQL's clustered
    index, as usual), the lower half is then exactly the answer minus one row, under the cap and done."""
    ordered_keys = sorted({soap_shapes.key_id(r) for r in rows}, key=str.upper)
    pivot_key = ordered_keys[max(1, len(ordered_keys) - 2)] if len(ordered_keys) > 2 else ordered_keys[-1]
    return [_Slice(part.day_from, part.day_to, part.key_from, pivot_key, keys),
            _Slice(part.day_from, part.day_to, pivot_key, part.key_to, keys)]
