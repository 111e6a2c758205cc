"""A Web Services for Microsoft Dynamics GP simulator (legacy SOAP endpoint) over the same GP data set, users and
NTLM acceptor as the SBA simulator.

    dataset = generate_dataset(500, seed=7)
    with GPSoapSimulator(dataset, users=[("CORP", "svc-gp", "Secret-1", {"*"})]) as sim:
        sim.endpoint_url  # http://127.0.0.1:PORT/DynamicsGPWebServices/DynamicsGPService.asmx

Every request is parsed with zeep on Microsoft's ``DynamicsGP.wsdl`` (strictly: an element the contract does not
have, in the wrong place or of the wrong type is refused with a SOAP fault and kept in :attr:`rejected`), and
every answer is serialised with the contract's types.  Lists stop at ``list_cap`` rows (GP's 1000) in key order
with no continuation.  Per-operation roles stand in for the Dynamics Security Console: a call without its role
gets GP's generic "unhandled system exception" fault, whose LogId is in :attr:`errors`.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.helpers import serialize_object
from zeep.loader import parse_xml

from gpmc_desktop.demo import gp_soap_shapes as shapes
from gpmc_desktop.demo.gp_auth import USER_FILE, GPUser, WindowsAuthenticator
from gpmc_desktop.demo.gp_faults import FaultPlan, RequestLog, RequestRecord
from gpmc_desktop.demo.gp_model import CompanyData, DocType, GPDataset, key_of
from gpmc_desktop.demo.gp_service import GPServiceSimulator
from gpmc_desktop.demo.httpbase import (
    ResetConnection,
    Response,
    RetryAfter,
    SimHandler,
    SimServer,
    sleep_latency,
)
from gpmc_desktop.demo.tls import TlsFiles
from gpmc_desktop.gp.soap_wsdl import DEFAULT_SOAP_PATH, GP_NS, SOAP_ENV_NS, SYSTEM_FAULT_TEXT, contract
from gpmc_desktop.resources import contract_path

DEFAULT_USERS: tuple[tuple[str, str, str, set[str]], ...] = (("CORP", "svc-gp", "Gp-Demo-2024!", {"*"}),)
WSDL_PATH = "/Metadata/Legacy/Full/DynamicsGP.wsdl"
WSDL_ADDRESS = b"http://localhost:48620/DynamicsGPWebServices/DynamicsGPService.asmx"
XML_TYPE = "text/xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
UNAUTHORIZED_HTML = (
    b"<!DOCTYPE html><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials."
    b"</title></head><body><h1>Server Error</h1><h2>401 - Unauthorized: Access is denied due to invalid "
    b"credentials.</h2></body></html>"
)
# Negative owner ids: the SBA simulators count up from 1 in the same process-wide NTLM user file.
_OWNER_IDS = itertools.count(-1, -1)

# The Dynamics Security Console operation each served call needs.
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
    "GetLoggedValidationResultByKey": "Query Logged Exceptions",
}
_SYSTEM_DB_OPERATIONS = {"GetCompanyList", "GetLoggedValidationResultByKey"}  # need no company in the Context
_SCOPE_TYPES = {"GetCustomerList": "CustomerScope", "GetReceivablesInvoiceList": "ReceivablesDocumentScope",
                "GetReceivablesDocumentList": "ReceivablesDocumentScope", "GetSalesInvoiceList": "SalesDocumentScope"}
# The enumerated criteria members the simulator acts on, and their WSDL types (zeep keeps no facets to check).
_RECEIVABLES_ENUMS = (("TransactionState", "ReceivablesTransactionState"), ("Type", "ReceivablesDocumentType"))
_ENUM_MEMBERS = {"GetSalesInvoiceList": (("TransactionState", "SalesTransactionState"),)}


class _ValueErrors(logging.Filter):
    """zeep logs, and then swallows, a value it cannot convert (``<Id>abc</Id>`` for an int becomes None).  While
    a request is parsed on this thread those records are collected instead, so the request can be refused."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    @contextmanager
    def collect(self) -> Iterator[list[str]]:
        self._local.errors = errors = []
        try:
            yield errors
        finally:
            self._local.errors = None

    def filter(self, record: logging.LogRecord) -> bool:
        errors = getattr(self._local, "errors", None)
        if errors is None:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        errors.append(str(exc) if exc else record.getMessage())
        return False


_VALUE_ERRORS = _ValueErrors()
logging.getLogger("zeep.xsd.types.simple").addFilter(_VALUE_ERRORS)


@dataclass
class SoapOptions:
    list_cap: int = 1000  # GP's default list limit (configurable on a real server too)
    trim_strings: bool = False  # unconfirmed whether the service trims GP's char padding; GP pads
    auth_required: bool = True
    allow_basic: bool = False
    wsdl_requires_auth: bool = False  # metadata is usually published anonymously
    require_channel_binding: bool = False
    realm: str = "DynamicsGPWebServices"


class SoapFault(Exception):
    """Ends a call with a SOAP 1.1 fault (HTTP 500)."""

    def __init__(self, message: str, *, kind: str = "SystemException", code: str = "s:Server",
                 detail: str = "", validation: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # GP's exception type: SystemException or ValidationException
        self.code = code
        self.detail = detail or message  # what the exception log keeps (never sent)
        self.validation = validation or []


class _SoapHandler(SimHandler):
    server: _SoapServer
    conn_no: int
    server_version = "Microsoft-HTTPAPI/2.0"  # a WCF service host behind HTTP.sys

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.conn_no = self.server.sim.log.new_connection()

    def route(self, method: str, path: str, body: bytes) -> Response:
        return self.server.sim.handle(self, method, path, body)


class _SoapServer(SimServer):
    sim: GPSoapSimulator


class GPSoapSimulator(GPServiceSimulator):
    """The simulated legacy GP Web Services endpoint (see module docstring).  Knobs are thread-safe."""

    server_class = _SoapServer
    handler_class = _SoapHandler
    workdir_prefix = "gpmc-gp-soap-"

    def __init__(
        self,
        dataset: GPDataset,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Iterable[GPUser | tuple[Any, ...]] | None = None,
        workdir: Path | None = None,
        *,
        tls: bool = False,
        options: SoapOptions | None = None,
    ) -> None:
        self.dataset = dataset
        self.host = host
        self._requested_port = port
        self.tls = tls
        self.options = options or SoapOptions()
        self.contract = contract()
        self._lock = threading.RLock()
        self._owner = next(_OWNER_IDS)
        self._users: dict[str, GPUser] = {}
        for spec in DEFAULT_USERS if users is None else users:
            user = GPUser.of(spec)
            self._users[user.key] = user
        self._roles: dict[str, set[str]] = {}  # principal (upper) -> allowed operations; absent = every one
        self._workdir = workdir
        self._own_workdir = False
        self.tls_files: TlsFiles | None = None
        self.faults = FaultPlan()
        self.log = RequestLog()
        self.calls: Counter[str] = Counter()  # answered SOAP calls by operation (faults included)
        self.errors: deque[dict[str, Any]] = deque(maxlen=1000)  # GP's exception log, by LogId
        self.rejected: deque[dict[str, Any]] = deque(maxlen=200)  # malformed requests and why
        self.auth = WindowsAuthenticator(self._users, self._lock, realm=self.options.realm,
                                         allow_basic=self.options.allow_basic)
        self._wsdl: bytes | None = None
        self._server: _SoapServer | None = None
        self._handlers: dict[str, Callable[[Mapping[str, Any], CompanyData | None, shapes.Shape], Any]] = {
            "GetCompanyList": self._companies,
            "GetCustomerList": self._customer_list,
            "GetCustomerByKey": self._customer_by_key,
            "GetReceivablesInvoiceList": self._invoice_list,
            "GetReceivablesInvoiceByKey": self._invoice_by_key,
            "GetReceivablesDocumentList": self._document_list,
            "GetSalesInvoiceList": self._sales_invoice_list,
            "GetSalesInvoiceByKey": self._sales_invoice_by_key,
            "GetItemByKey": self._item_by_key,
            "GetLoggedValidationResultByKey": self._validation_result,
        }

    # ----------------------------------------------------------------------------------------- addresses
    @property
    def endpoint_url(self) -> str:
        return self.base_url + DEFAULT_SOAP_PATH

    @property
    def wsdl_url(self) -> str:
        return self.base_url + WSDL_PATH

    # ---------------------------------------------------------------------------------------------- knobs
    def set_options(self, **changes: Any) -> None:
        """E.g. ``set_options(list_cap=50, trim_strings=True)``; takes effect on the next call."""
        with self._lock:
            self.options = replace(self.options, **changes)
            self.auth.allow_basic = self.options.allow_basic
            self.auth.realm = self.options.realm

    def set_latency(self, seconds: float, operation: str | None = None) -> None:
        self.faults.set_latency(seconds, operation)

    def fail_next(self, n: int = 1, *, operation: str | None = None, status: int = 500,
                  message: str = SYSTEM_FAULT_TEXT, retry_after: RetryAfter | None = None) -> None:
        """The next *n* calls (of *operation*, a regex) fail: a SOAP fault with *message*, or a bare HTTP
        *status* other than 500 (with a Retry-After header when *retry_after* is given)."""
        self.faults.fail_next(n, path_pattern=operation, status=status, error_code="Injected", message=message,
                              retry_after=retry_after)

    def reset_next(self, n: int = 1, *, operation: str | None = None) -> None:
        self.faults.reset_next(n, path_pattern=operation)

    def clear_faults(self) -> None:
        self.faults.clear()

    def add_user(self, domain: str, name: str, password: str, companies: Iterable[str] = ("*",),
                 operations: Iterable[str] | None = None) -> None:
        with self._lock:
            user = GPUser(domain, name, password, set(companies))
            self._users[user.key] = user
            if operations is not None:
                self._roles[user.key] = set(operations)
            if self._server is not None:
                USER_FILE.set_users(self._owner, self._users.values())

    def set_roles(self, principal: str, operations: Iterable[str] | None) -> None:
        """The Security Console operations *principal* may call ("Query Customers"...); None = all of them."""
        with self._lock:
            if operations is None:
                self._roles.pop(principal.upper(), None)
            else:
                self._roles[principal.upper()] = set(operations)

    def deny(self, principal: str, operation: str) -> None:
        with self._lock:
            allowed = self._roles.get(principal.upper(), set(SECURITY_OPERATIONS.values()))
            self._roles[principal.upper()] = allowed - {operation}

    def revoke(self, principal: str, company: str) -> None:
        with self._lock:
            user = self._users[principal.upper()]
            user.companies = {c for c in user.companies if c.strip().casefold() != company.strip().casefold()}

    def grant(self, principal: str, company: str) -> None:
        with self._lock:
            self._users[principal.upper()].companies.add(company)

    # ------------------------------------------------------------------------------------- bookkeeping
    def requests(self) -> list[RequestRecord]:
        return self.log.records()

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.calls.clear()

    def logged(self, log_id: str) -> dict[str, Any] | None:
        return next((e for e in list(self.errors) if e["LogId"] == log_id), None)

    # ------------------------------------------------------------------------------------------ serving
    def handle(self, handler: _SoapHandler, method: str, raw_path: str, body: bytes) -> Response:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/").lower()
        is_wsdl = method in ("GET", "HEAD") and (
            path == WSDL_PATH.lower() or (path == DEFAULT_SOAP_PATH.lower() and parts.query.lower() == "wsdl"))
        if is_wsdl and not self.options.wsdl_requires_auth:
            return self._serve_wsdl()
        operation = ""
        if method == "POST" and path == DEFAULT_SOAP_PATH.lower():
            operation = (handler.headers.get("SOAPAction") or "").strip().strip('"').rsplit("/", 1)[-1]
        label = operation or parts.path
        delay = self.faults.latency_for(label)
        started = time.monotonic()
        sleep_latency(delay)

        def record(status: int, user: str | None, fault: str = "", note: str = "") -> None:
            self.log.add(RequestRecord(method, label, status, user, handler.conn_no, delay, fault, note, started,
                                       time.monotonic()))

        user: GPUser | None = None
        if self.options.auth_required:
            outcome = self.auth.authenticate(handler.headers.get("Authorization"), handler.conn_state)
            if outcome.challenge is not None:
                record(401, None, note=outcome.reason)
                return Response(401, UNAUTHORIZED_HTML, HTML_TYPE, headers=outcome.challenge)
            user = outcome.user
        principal = user.principal if user else None
        if is_wsdl:
            record(200, principal)
            return self._serve_wsdl()
        if method != "POST" or path != DEFAULT_SOAP_PATH.lower():
            record(404, principal)
            return Response(404, b"<html><body><h1>404 - File or directory not found.</h1></body></html>",
                            HTML_TYPE)
        if self.faults.take_reset(label):
            record(0, principal, fault="reset")
            raise ResetConnection()
        burst = self.faults.take_error(label)
        if burst is not None:
            record(burst.status, principal, fault="error")
            if burst.status != 500:
                return Response(burst.status, b"<html><body>Service Unavailable</body></html>", HTML_TYPE,
                                headers=burst.headers)
            return self._fault(SoapFault(burst.message, detail="injected fault"), operation, principal, body)
        response = self._serve_call(handler, body, user)
        record(response.status, principal)
        return response

    def _serve_wsdl(self) -> Response:
        if self._wsdl is None:
            self._wsdl = contract_path("DynamicsGP.wsdl").read_bytes()
        return Response(200, self._wsdl.replace(WSDL_ADDRESS, self.endpoint_url.encode()), XML_TYPE)

    def _serve_call(self, handler: _SoapHandler, body: bytes, user: GPUser | None) -> Response:
        principal = user.principal if user else None
        operation = ""
        try:
            content_type = (handler.headers.get("Content-Type") or "").lower()
            if not content_type.startswith("text/xml"):
                # What WCF answers a SOAP 1.2 or JSON client on a BasicHttpBinding endpoint.
                return Response(415, f"Cannot process the message because the content type '{content_type}' "
                                "was not the expected type 'text/xml; charset=utf-8'.".encode(), HTML_TYPE)
            operation, params = self._parse(handler.headers.get("SOAPAction") or "", body)
            with self._lock:
                self.calls[operation] += 1
            data = self._authorize(operation, params, user)
            shape = shapes.Shape(
                trim_strings=self.options.trim_strings,
                local_currency=str(params["context"].get("CurrencyType") or "") == "Local",
            )
            result = self._handlers[operation](params, data, shape)
            message = self.contract.operation(operation).output.serialize(**{f"{operation}Result": result})
            return Response(200, etree.tostring(message.content, xml_declaration=False, encoding="utf-8"),
                            XML_TYPE)
        except SoapFault as fault:
            return self._fault(fault, operation, principal, body)
        except Exception as exc:  # a simulator bug must still look like GP's generic fault, not a dropped socket
            return self._fault(SoapFault(SYSTEM_FAULT_TEXT, detail=f"{type(exc).__name__}: {exc}"),
                               operation, principal, body)

    # -- parsing -------------------------------------------------------------------------------------------
    def _reject(self, reason: str, operation: str, body: bytes) -> SoapFault:
        self.rejected.append({"operation": operation, "reason": reason, "body": body[:20000]})
        return SoapFault(reason, kind="ValidationException", code="s:Client")

    def _parse(self, soap_action: str, body: bytes) -> tuple[str, Mapping[str, Any]]:
        settings = self.contract.settings
        action = soap_action.strip().strip('"')
        try:
            with settings(strict=True):
                envelope = parse_xml(body, None, settings=settings)
        except Exception as exc:
            raise self._reject(f"The request is not well-formed XML: {exc}", "", body) from None
        if envelope.tag != f"{{{SOAP_ENV_NS}}}Envelope":
            raise self._reject(f"The root element {envelope.tag} is not a SOAP 1.1 Envelope.", "", body)
        soap_body = envelope.find(f"{{{SOAP_ENV_NS}}}Body")
        calls = [el for el in (soap_body if soap_body is not None else []) if isinstance(el.tag, str)]
        if len(calls) != 1:
            raise self._reject("The SOAP Body must hold exactly one operation element.", "", body)
        name = etree.QName(calls[0])
        operation = name.localname
        if name.namespace != GP_NS or not self.contract.has_operation(operation):
            raise self._reject(f"{name.text} is not an operation of this service.", operation, body)
        if action != self.contract.soap_action(operation):
            raise self._reject(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.",
                               operation, body)
        if operation not in self._handlers:
            raise SoapFault(SYSTEM_FAULT_TEXT, detail=f"{operation} is not implemented by the simulator")
        try:
            with settings(strict=True), _VALUE_ERRORS.collect() as bad_values:
                parsed = self.contract.operation(operation).input.deserialize(envelope)
        except (ZeepError, ValueError, TypeError) as exc:
            raise self._reject(f"The request of {operation} does not match the contract: {exc}", operation,
                               body) from None
        if bad_values:
            raise self._reject(f"The request of {operation} has a value of the wrong type: {bad_values[0]}",
                               operation, body)
        params = serialize_object(parsed, target_cls=dict) or {}
        problem = self._check_values(operation, params)
        if problem:
            raise self._reject(f"The request of {operation} {problem}", operation, body)
        return operation, params

    def _check_values(self, operation: str, params: Mapping[str, Any]) -> str:
        """What zeep does not check: the required context and the enumerations the simulator acts on."""
        context = params.get("context")
        if not isinstance(context, Mapping) or not context.get("CurrencyType"):
            return "needs a context with a CurrencyType."
        enum = self.contract.enumeration
        if context["CurrencyType"] not in enum("CurrencyType"):
            return f"has an unknown CurrencyType {context['CurrencyType']!r}."
        criteria = params.get("criteria") or {}
        scope = criteria.get("Scope")
        if operation in _SCOPE_TYPES and scope is not None and scope not in enum(_SCOPE_TYPES[operation]):
            return f"has an unknown Scope {scope!r}."
        for member, kind in _ENUM_MEMBERS.get(operation, _RECEIVABLES_ENUMS):
            restriction = criteria.get(member) or {}
            wanted = [restriction.get("EqualValue"), restriction.get("NotEqualValue"),
                      *(shapes.items_of(restriction) or [])]
            unknown = [s for s in wanted if s is not None and s not in enum(kind)]
            if unknown:
                return f"has an unknown {member} {unknown[0]!r}."
        return ""

    # -- authorization ----------------------------------------------------------------------------------------
    def _authorize(self, operation: str, params: Mapping[str, Any], user: GPUser | None) -> CompanyData | None:
        right = SECURITY_OPERATIONS[operation]
        with self._lock:
            allowed = self._roles.get(user.key) if user else None
        if user is not None and allowed is not None and right not in allowed:
            raise SoapFault(SYSTEM_FAULT_TEXT,
                            detail=f"Access denied: {user.principal} has no role with the operation '{right}'.")
        if operation in _SYSTEM_DB_OPERATIONS:
            return None
        key = params["context"].get("OrganizationKey")
        company_id = key.get("Id") if isinstance(key, Mapping) else None
        if not isinstance(company_id, int):
            raise SoapFault("The context needs an OrganizationKey: the CompanyKey of the company to work in.",
                            kind="ValidationException")
        with self.dataset.lock:
            data = next((c for c in self.dataset.companies.values() if c.company.cmpanyid == company_id), None)
        if data is None:
            raise SoapFault(f"Company {company_id} does not exist.", kind="ValidationException")
        if user is not None and not user.may_open(data.interid, data.name):
            raise SoapFault(SYSTEM_FAULT_TEXT,
                            detail=f"Access denied: {user.principal} has no access to company {data.name}.")
        return data

    # -- operations ---------------------------------------------------------------------------------------
    def _cap(self, rows: list[Any]) -> list[Any]:
        return rows[: self.options.list_cap]  # the first N in key order; no continuation

    def _companies(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        criteria = params.get("criteria") or {}
        with self.dataset.lock:
            rows = sorted((c.company for c in self.dataset.companies.values()), key=lambda r: r.cmpanyid)
        rows = [r for r in rows if shapes.restriction_matches(criteria.get("Id"), r.cmpanyid)
                and shapes.restriction_matches(criteria.get("Name"), r.cmpnynam)]
        return {"Company": [shapes.company_object(r, shape) for r in self._cap(rows)]}

    def _customer_list(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        criteria = params.get("criteria") or {}
        with self.dataset.lock:
            rows = [data.customers[k] for k in sorted(data.customers)]
            found = self._cap([c for c in rows if shapes.customer_matches(criteria, c)])
            return {"CustomerSummary": [shapes.customer_summary(c, shape) for c in found]}

    def _customer_by_key(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        number = str((params.get("key") or {}).get("Id") or "")
        with self.dataset.lock:
            cust = data.customer(number)
            if cust is None:
                raise SoapFault(f"Customer '{number.strip()}' does not exist.", kind="ValidationException")
            return shapes.customer_object(data, cust, shape)

    def _invoices(self, data: CompanyData) -> list[tuple[Any, str]]:
        docs = [(r, s) for r, s in data.documents() if r.rmdtypal == DocType.INVOICE]
        return sorted(docs, key=lambda d: key_of(d[0].docnumbr))

    def _invoice_list(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        criteria = params.get("criteria") or {}
        with self.dataset.lock:
            found = self._cap([(r, s) for r, s in self._invoices(data) if shapes.invoice_matches(criteria, r, s)])
            return {"ReceivablesInvoiceSummary": [shapes.invoice_summary(data, r, s, shape) for r, s in found]}

    def _document_list(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        criteria = params.get("criteria") or {}
        with self.dataset.lock:
            docs = sorted(data.documents(), key=lambda d: (key_of(d[0].docnumbr), d[0].rmdtypal))
            found = self._cap([(r, s) for r, s in docs if shapes.document_matches(criteria, r, s)])
            return {"ReceivablesDocumentSummary": [shapes.document_summary(data, r, s, shape) for r, s in found]}

    def _invoice_by_key(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        number = str((params.get("key") or {}).get("Id") or "")
        with self.dataset.lock:
            found = data.document(DocType.INVOICE, number)
            if found is None:
                raise SoapFault(f"Receivables invoice '{number.strip()}' does not exist.",
                                kind="ValidationException")
            return shapes.invoice_object(data, found[0], found[1], shape)

    def _sales_invoice_list(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        criteria = params.get("criteria") or {}
        with self.dataset.lock:
            headers = [data.sales_headers[k] for k in sorted(data.sales_headers)]
            found = self._cap([h for h in headers if shapes.sales_invoice_matches(criteria, data, h)])
            return {"SalesInvoiceSummary": [shapes.sales_summary(data, h, shape) for h in found]}

    def _sales_invoice_by_key(self, params: Mapping[str, Any], data: CompanyData | None,
                              shape: shapes.Shape) -> Any:
        assert data is not None
        number = str((params.get("key") or {}).get("Id") or "")
        with self.dataset.lock:
            header = data.sales_invoice(number)
            if header is None:
                raise SoapFault(f"Sales invoice '{number.strip()}' does not exist.", kind="ValidationException")
            return shapes.sales_invoice_object(data, header, shape)

    def _item_by_key(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        assert data is not None
        number = str((params.get("key") or {}).get("Id") or "")
        with self.dataset.lock:
            item = data.item(number)
            if item is None:
                raise SoapFault(f"Item '{number.strip()}' does not exist.", kind="ValidationException")
            type_name, values = shapes.item_object(item, shape)
        # Item is abstract: the answer names its concrete type (xsi:type), which zeep writes for a typed value.
        return self.contract.type(type_name)(**values)

    def _validation_result(self, params: Mapping[str, Any], data: CompanyData | None, shape: shapes.Shape) -> Any:
        entry = self.logged(str(params.get("logId") or ""))
        if entry is None or entry["ExceptionType"] != "ValidationException":
            return {}
        errors = [{"Message": m} for m in entry["Validation"]]
        return {"Errors": {"ValidationError": errors}}

    # -- faults ------------------------------------------------------------------------------------------------
    def _fault(self, fault: SoapFault, operation: str, principal: str | None, body: bytes) -> Response:
        log_id = str(uuid.uuid4())
        self.errors.append({
            "LogId": log_id, "ExceptionType": fault.kind, "Operation": operation, "User": principal,
            "Message": fault.message, "Detail": fault.detail, "Validation": fault.validation or [fault.message],
            "RequestXml": body[:20000].decode("utf-8", "replace"),
        })
        return Response(500, fault_envelope(fault.code, fault.message, log_id), XML_TYPE)


def fault_envelope(code: str, message: str, log_id: str) -> bytes:
    """SOAP 1.1 fault; the LogId sits in ``detail`` (its exact layout on a real server is unconfirmed)."""
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"s": SOAP_ENV_NS})
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body"), f"{{{SOAP_ENV_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    text = etree.SubElement(fault, "faultstring")
    text.text = message
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    detail = etree.SubElement(fault, "detail")
    etree.SubElement(detail, f"{{{GP_NS}}}LogId", nsmap={None: GP_NS}).text = log_id
    return bytes(etree.tostring(envelope, encoding="utf-8"))
