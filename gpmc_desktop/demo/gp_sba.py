"""A Dynamics GP Service Based Architecture (SBA) REST simulator: HTTPS, real NTLM, the routes of
gp-sba-contract.md, and fault knobs for tests.

    dataset = generate_dataset(500, seed=7)
    with GPSimulator(dataset, users=[("CORP", "svc-gp", "Secret-1", {"TWO"})]) as sim:
        requests.get(f"{sim.base_url}/GPService/Tenants(DefaultTenant)/Companies.json",
                     auth=HttpNtlmAuth("CORP\\\\svc-gp", "Secret-1"), verify=sim.ca_path)
"""

from __future__ import annotations

import contextlib
import gzip
import html
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gpmc_desktop.demo.gp_auth import USER_FILE, AuthOutcome, GPUser, WindowsAuthenticator
from gpmc_desktop.demo.gp_faults import FaultPlan, RequestLog, RequestRecord
from gpmc_desktop.demo.gp_model import CompanyData, GPDataset
from gpmc_desktop.demo.gp_sba_shapes import (
    ShapeOptions,
    company_payload,
    customer_address_payloads,
    customer_payload,
    document_payload,
    item_payload,
    json_bytes,
    json_list_bytes,
    sales_invoice_payload,
    xml_bytes,
    xml_list_bytes,
)
from gpmc_desktop.demo.gp_service import GPServiceSimulator
from gpmc_desktop.demo.httpbase import (
    HalfAnswer,
    ResetConnection,
    Response,
    RetryAfter,
    SimHandler,
    SimServer,
    sleep_latency,
)
from gpmc_desktop.demo.tls import TlsFiles

DEFAULT_USERS: tuple[tuple[str, str, str, set[str]], ...] = (("CORP", "svc-gp", "Gp-Demo-2024!", {"*"}),)

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
UNAUTHORIZED_HTML = (
    b"<!DOCTYPE html><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials."
    b"</title></head><body><h1>Server Error</h1><h2>401 - Unauthorized: Access is denied due to invalid "
    b"credentials.</h2></body></html>"
)
_CALL = re.compile(r"([^()]*)\((.*)\)", re.S)
_ENCODED_PUNCTUATION = re.compile(r"%(?:2C|28|29)", re.I)
COMPANY_ADDRESSING = ("both", "display_name", "database")
COMPANY_PUNCTUATION = ("any", "raw", "encoded")
_COMPANY_WORDS = {"both": "display name or database name", "display_name": "display name",
                  "database": "database name"}
_OWNER_IDS = itertools.count(1)


@dataclass
class SBAOptions:
    """Behaviour knobs; assumptions of the contract are switchable here rather than hard-coded."""

    tenants: tuple[str, ...] = ("DefaultTenant",)
    trim_strings: bool = False  # unconfirmed whether SBA trims GP's char padding; GP pads, so we do by default
    amounts: str = "transactional"  # or "functional"
    include_history: bool = True  # receivables list holds RM30101 documents (TransactionState "History")
    accept_company_id: bool = False  # also match Companies(-1) by CMPANYID (unconfirmed for SBA)
    companies_visible_only: bool = True  # Companies lists only what the user may open
    sort_by_key: bool = True  # SQL's clustered-index order
    auth_required: bool = True  # False: anonymous access (debugging only)
    allow_basic: bool = False  # Basic (DOMAIN\\user:password) next to NTLM/Negotiate
    require_channel_binding: bool = False  # Extended Protection: NTLM must carry the TLS channel binding
    realm: str = "GPService"
    # Answer-shape variants (ShapeOptions): dates, amounts, type names, Payload as an object, missing fields.
    dates: str = "iso"
    server_offset_minutes: int = -300
    amount_shape: str = "object"
    document_type_names: bool = False
    list_key: str = ""
    omit_fields: tuple[str, ...] = ()
    separate_addresses: bool = False  # Sales/CustomerAddresses exists, and customers come without Addresses
    gzip: bool = False  # IIS dynamic compression: a JSON answer gzipped when the client accepts gzip
    # Company addressing (gp-sba-contract.md): which name Companies(...) takes — "both", "display_name" (the
    # database name is CompanyNotFound) or "database" — and how commas and parentheses in it must be spelt:
    # "any", "raw" (only raw ",()"; %2C %28 %29 are CompanyNotFound) or "encoded" (only percent-encoded).
    company_addressing: str = "both"
    company_punctuation: str = "any"
    # Where receivables documents are served (Microsoft's list reads "Receivables › Transactions"); /help says.
    receivables_path: str = "Sales/Receivables"
    # Posted sales invoices with their lines, and the item catalog.  OUR ASSUMPTION: no public sample shows where
    # GP SBA serves them or their JSON (see gp_sba_shapes.sales_invoice_payload); None: not offered, not listed
    # on /help, 404 like any unknown resource.
    sales_invoices_path: str | None = "Sales/SalesInvoices"
    items_path: str | None = "Inventory/Items"

    def __post_init__(self) -> None:
        if self.company_addressing not in COMPANY_ADDRESSING:
            raise ValueError(f"company_addressing must be one of {COMPANY_ADDRESSING}")
        if self.company_punctuation not in COMPANY_PUNCTUATION:
            raise ValueError(f"company_punctuation must be one of {COMPANY_PUNCTUATION}")
        _check_path("receivables_path", self.receivables_path, "Sales/Receivables/Transactions")
        if self.sales_invoices_path is not None:
            _check_path("sales_invoices_path", self.sales_invoices_path, "Sales/SalesInvoices")
        if self.items_path is not None:
            _check_path("items_path", self.items_path, "Inventory/Items")
        # Two knobs on one path would make one resource silently hide the other.
        paths = [p.lower() for p in (self.receivables_path, self.sales_invoices_path, self.items_path) if p]
        if len(set(paths)) != len(paths) or set(paths) & {"sales/customers", "sales/customeraddresses"}:
            raise ValueError("receivables_path, sales_invoices_path and items_path must name different resources")

    def resources(self) -> dict[str, str]:
        """The resource collections served under a company: lower-cased path -> its name in this module."""
        served = {"sales/customers": "customers", self.receivables_path.lower(): "receivables"}
        if self.separate_addresses:
            served["sales/customeraddresses"] = "customeraddresses"
        if self.sales_invoices_path is not None:
            served[self.sales_invoices_path.lower()] = "salesinvoices"
        if self.items_path is not None:
            served[self.items_path.lower()] = "items"
        return served


def _check_path(name: str, path: str, example: str) -> None:
    """A resource path knob must be a path under the company: not empty, no leading or trailing '/'."""
    if not path.strip("/") or path != path.strip("/"):
        raise ValueError(f"{name} is a path under the company, like {example}")


def _split_call(segment: str) -> tuple[str, str | None]:
    """``Customers(AARON)`` -> ("Customers", "AARON"); the key runs to the *last* ')' (names hold parentheses)."""
    if "(" not in segment:
        return segment, None
    m = _CALL.fullmatch(segment)
    return (m.group(1), m.group(2)) if m else (segment, None)


def raw_segments(raw_path: str) -> list[str]:
    """Path segments as sent, still percent-encoded (to tell ``%2C`` from a raw comma)."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    with contextlib.suppress(UnicodeError):  # http.server hands us the request line decoded as Latin-1
        path = path.encode("latin-1").decode("utf-8")
    return [seg for seg in path.split("/") if seg]


def decode_path(raw_path: str) -> list[str]:
    """Path segments, percent-decoded as UTF-8; raw UTF-8 on the request line is accepted too."""
    return [unquote(seg, encoding="utf-8", errors="replace") for seg in raw_segments(raw_path)]


def punctuation_refused(raw_segment: str, rule: str) -> bool:
    """Whether the company key in ``Companies(<key>)`` (as sent) spells commas or parentheses in a way the
    simulated server refuses under *rule* ("any", "raw" or "encoded")."""
    if raw_segment.lower().endswith(".json"):  # Companies(x).json: the company itself
        raw_segment = raw_segment[:-5]
    _, key = _split_call(raw_segment)
    if key is None or rule == "any":
        return False
    if rule == "raw":
        return bool(_ENCODED_PUNCTUATION.search(key))
    return any(ch in key for ch in ",()")


class _SBAHandler(SimHandler):
    server: _SBAServer
    conn_no: int
    server_version = "Microsoft-HTTPAPI/2.0"  # GP Service is a self-hosted WCF service behind HTTP.sys

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.conn_no = self.server.sim.log.new_connection()

    def route(self, method: str, path: str, body: bytes) -> Response:
        return self.server.sim.handle(self, method, path)


class _SBAServer(SimServer):
    sim: GPSimulator


class GPSimulator(GPServiceSimulator):
    """The simulated GP Service (see module docstring).  Knob methods are thread-safe and act immediately."""

    server_class = _SBAServer
    handler_class = _SBAHandler
    workdir_prefix = "gpmc-gp-sim-"

    def __init__(
        self,
        dataset: GPDataset,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Iterable[GPUser | tuple[Any, ...]] | None = None,
        workdir: Path | None = None,
        *,
        tls: bool = True,
        options: SBAOptions | None = None,
    ) -> None:
        self.dataset = dataset
        self.host = host
        self._requested_port = port
        self.tls = tls
        self.options = options or SBAOptions()
        self._lock = threading.RLock()
        self._owner = next(_OWNER_IDS)  # this simulator's share of the process-wide NTLM user file
        self._users: dict[str, GPUser] = {}
        for spec in DEFAULT_USERS if users is None else users:
            user = GPUser.of(spec)
            self._users[user.key] = user
        self._workdir = workdir
        self._own_workdir = False
        self.tls_files: TlsFiles | None = None
        self.faults = FaultPlan()
        self.log = RequestLog()
        self.errors: deque[dict[str, Any]] = deque(maxlen=1000)  # GP's exception log: LogId -> what happened
        self.auth = WindowsAuthenticator(self._users, self._lock, realm=self.options.realm,
                                         allow_basic=self.options.allow_basic)
        self._server: _SBAServer | None = None

    # ----------------------------------------------------------------------------------------- addresses
    def url(self, path: str, tenant: str = "DefaultTenant") -> str:
        """``sim.url("Companies.json")`` -> ``https://127.0.0.1:PORT/GPService/Tenants(DefaultTenant)/Companies.json``."""
        return f"{self.base_url}/GPService/Tenants({tenant})/{path.lstrip('/')}"

    # ---------------------------------------------------------------------------------------------- knobs
    def set_latency(self, seconds: float, path_pattern: str | None = None) -> None:
        self.faults.set_latency(seconds, path_pattern)

    def fail_next(self, n: int = 1, *, path_pattern: str | None = None, status: int = 500,
                  error_code: str = "ServiceFault", message: str | None = None,
                  retry_after: RetryAfter | None = None) -> None:
        """The next *n* requests (whose path matches *path_pattern*, a regex) fail with *status*, and a
        Retry-After header when *retry_after* is given."""
        kw = {"message": message} if message else {}
        self.faults.fail_next(n, path_pattern=path_pattern, status=status, error_code=error_code,
                              retry_after=retry_after, **kw)

    def reset_next(self, n: int = 1, *, path_pattern: str | None = None) -> None:
        self.faults.reset_next(n, path_pattern=path_pattern)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_options(self, **changes: Any) -> None:
        """Change behaviour knobs at runtime, e.g. ``set_options(trim_strings=True, allow_basic=True)``."""
        with self._lock:
            self.options = replace(self.options, **changes)
            self.auth.allow_basic = self.options.allow_basic
            self.auth.realm = self.options.realm

    def _sync_users(self) -> None:
        if self._server is not None:  # a stopped simulator has no users in the process-wide file
            USER_FILE.set_users(self._owner, self._users.values())

    def add_user(self, domain: str, name: str, password: str, companies: Iterable[str] = ("*",)) -> None:
        with self._lock:
            user = GPUser(domain, name, password, set(companies))
            self._users[user.key] = user
            self._sync_users()

    def remove_user(self, principal: str) -> None:
        with self._lock:
            self._users.pop(principal.upper(), None)
            self._sync_users()

    def rotate_password(self, principal: str, new_password: str) -> None:
        """New handshakes need *new_password*; connections that already authenticated stay so (as with IIS)."""
        with self._lock:
            self._user(principal).password = new_password
            self._sync_users()

    def grant(self, principal: str, company: str) -> None:
        with self._lock:
            self._user(principal).companies.add(company)

    def revoke(self, principal: str, company: str) -> None:
        """Takes effect on the next request, even on an authenticated connection (authorization is per call)."""
        with self._lock:
            user = self._user(principal)
            user.companies = {c for c in user.companies if c.strip().casefold() != company.strip().casefold()}

    def _user(self, principal: str) -> GPUser:
        user = self._users.get(principal.upper())
        if user is None:
            raise KeyError(f"unknown user {principal!r}")
        return user

    # ------------------------------------------------------------------------------------- bookkeeping
    @property
    def request_count(self) -> int:
        return self.log.total

    def requests(self) -> list[RequestRecord]:
        return self.log.records()

    def clear_log(self) -> None:
        self.log.clear()

    # ------------------------------------------------------------------------------------------ serving
    def handle(self, handler: _SBAHandler, method: str, raw_path: str) -> Response:
        segments = decode_path(raw_path)
        path = "/" + "/".join(segments)
        delay = self.faults.latency_for(path)
        sleep_latency(delay)

        def record(status: int, user: str | None, fault: str = "", note: str = "") -> None:
            self.log.add(RequestRecord(method, path, status, user, handler.conn_no, delay, fault, note))

        options = self.options
        if options.auth_required:
            outcome = self.auth.authenticate(handler.headers.get("Authorization"), handler.conn_state)
        else:
            outcome = AuthOutcome()
        if outcome.challenge is not None:
            record(401, None, note=outcome.reason)
            return Response(401, UNAUTHORIZED_HTML, HTML_TYPE, headers=outcome.challenge)
        user = outcome.user
        principal = user.principal if user else None

        if self.faults.take_reset(path):
            record(0, principal, fault="reset")
            raise ResetConnection()
        burst = self.faults.take_error(path)
        if burst is not None:
            response = self._error(burst.status, burst.error_code, burst.message, path)
            response.headers.extend(burst.headers)
            record(burst.status, principal, fault="error", note=burst.error_code)
            return response
        try:
            response = self._route(handler, method, segments, user, options)
        except Exception as exc:  # a simulator bug must still look like a server fault, not a dropped socket
            response = self._error(500, "UnhandledException", f"{type(exc).__name__}: {exc}", path)
        response.headers.extend(outcome.headers)
        if options.gzip and response.body and "gzip" in (handler.headers.get("Accept-Encoding") or "").lower():
            response.body = gzip.compress(response.body, compresslevel=1)
            response.headers.append(("Content-Encoding", "gzip"))
        if response.status == 200 and self.faults.take_half(path):
            record(response.status, principal, fault="half")
            raise HalfAnswer(response)
        record(response.status, principal)
        return response

    def _error(self, status: int, code: str, message: str, path: str = "") -> Response:
        log_id = str(uuid.uuid4())
        self.errors.append({"LogId": log_id, "status": status, "ErrorCode": code, "Message": message, "path": path})
        return Response(status, _error_body(code, message, log_id), JSON_TYPE)

    def _route(
        self, handler: _SBAHandler, method: str, segments: list[str], user: GPUser | None, options: SBAOptions
    ) -> Response:
        if method not in ("GET", "HEAD"):
            response = self._error(405, "MethodNotAllowed", f"{method} is not supported by this simulator")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        as_json = "application/json" in (handler.headers.get("Accept") or "").lower()
        if segments and segments[-1].lower().endswith(".json"):
            segments = [*segments[:-1], segments[-1][:-5]]
            as_json = True

        def not_found() -> Response:
            return self._error(404, "NotFound", "The requested resource was not found.")

        if len(segments) < 3 or segments[0].lower() != "gpservice":
            return not_found()
        name, tenant = _split_call(segments[1])
        if name.lower() != "tenants" or tenant is None:
            return not_found()
        if tenant.strip().casefold() not in {t.casefold() for t in options.tenants}:
            return self._error(404, "TenantNotFound", f"Tenant '{tenant}' was not found.")
        rest = segments[2:]
        if len(rest) == 1 and rest[0].lower() == "help":
            return Response(200, self._help(tenant.strip(), user, options).encode("utf-8"), HTML_TYPE)
        name, company_key = _split_call(rest[0])
        if name.lower() != "companies":
            return not_found()
        shape = ShapeOptions(
            trim_strings=options.trim_strings, amounts=options.amounts, dates=options.dates,
            server_offset_minutes=options.server_offset_minutes, amount_shape=options.amount_shape,
            document_type_names=options.document_type_names, list_key=options.list_key,
            omit_fields=options.omit_fields, separate_addresses=options.separate_addresses,
        )
        if company_key is None:
            if len(rest) != 1:
                return not_found()
            return self._companies(user, shape, as_json, options)
        data = self.dataset.find_company(company_key, by_id=options.accept_company_id,
                                         names=options.company_addressing)
        sent = raw_segments(handler.path)
        if data is None or (len(sent) > 2 and punctuation_refused(sent[2], options.company_punctuation)):
            return self._error(404, "CompanyNotFound", f"Company '{company_key}' was not found.")
        if user is not None and not self._may_open(user, data):
            return self._error(
                403, "AccessDenied",
                f"User '{user.principal}' does not have access to company '{data.name}'.",
            )
        if len(rest) == 1:
            payload = company_payload(data.company, shape)
            return self._answer(as_json, "Company", payload)
        last, key = _split_call(rest[-1])
        resource = options.resources().get("/".join([*rest[1:-1], last]).lower())
        if resource == "customeraddresses" and key is None:
            return self._customer_addresses(data, shape, as_json, options)
        serve = {"customers": self._customers, "receivables": self._receivables,
                 "salesinvoices": self._sales_invoices, "items": self._items}.get(resource or "")
        return serve(data, key, shape, as_json, options) if serve is not None else not_found()

    def _may_open(self, user: GPUser, data: CompanyData) -> bool:
        with self._lock:
            return user.may_open(data.interid, data.name)

    def _answer(self, as_json: bool, entity: str, payload: dict[str, Any]) -> Response:
        if as_json:
            return Response(200, json_bytes(payload), JSON_TYPE)
        return Response(200, xml_bytes(entity, payload), XML_TYPE)

    def _answer_list(
        self, as_json: bool, entity: str, items: Iterable[dict[str, Any]], list_key: str = ""
    ) -> Response:
        if as_json:
            return Response(200, json_list_bytes(items, list_key), JSON_TYPE)
        return Response(200, xml_list_bytes(entity, items), XML_TYPE)

    def _companies(self, user: GPUser | None, shape: ShapeOptions, as_json: bool, options: SBAOptions) -> Response:
        with self.dataset.lock:
            rows = [
                c.company for c in self.dataset.companies.values()
                if user is None or not options.companies_visible_only or self._may_open(user, c)
            ]
        return self._answer_list(as_json, "Company", (company_payload(r, shape) for r in rows), shape.list_key)

    def _customers(
        self, data: CompanyData, key: str | None, shape: ShapeOptions, as_json: bool, options: SBAOptions
    ) -> Response:
        with self.dataset.lock:
            if key is None:
                keys = sorted(data.customers) if options.sort_by_key else list(data.customers)
                return self._answer_list(
                    as_json, "Customer", (customer_payload(data, data.customers[k], shape) for k in keys),
                    shape.list_key,
                )
            cust = data.customer(_unquote_key(key))
            if cust is None:
                return self._error(404, "CustomerNotFound", f"Customer '{key.strip()}' was not found.")
            return self._answer(as_json, "Customer", customer_payload(data, cust, shape))

    def _customer_addresses(
        self, data: CompanyData, shape: ShapeOptions, as_json: bool, options: SBAOptions
    ) -> Response:
        with self.dataset.lock:
            keys = sorted(data.customers) if options.sort_by_key else list(data.customers)
            items = (a for k in keys for a in customer_address_payloads(data, data.customers[k], shape))
            return self._answer_list(as_json, "CustomerAddress", items, shape.list_key)

    def _receivables(
        self, data: CompanyData, key: str | None, shape: ShapeOptions, as_json: bool, options: SBAOptions
    ) -> Response:
        with self.dataset.lock:
            if key is None:
                docs = ((r, s) for r, s in data.documents() if options.include_history or s == "Open")
                return self._answer_list(
                    as_json, "ReceivablesDocument", (document_payload(data, r, s, shape) for r, s in docs),
                    shape.list_key,
                )
            doc_type, sep, number = key.partition(";")
            try:
                rmdtypal = int(doc_type.strip())
            except ValueError:
                rmdtypal = -1
            if not sep or rmdtypal < 0:
                return self._error(400, "BadKey", f"'{key}' is not a key of the form <DocumentType>;<DocumentNumber>.")
            found = data.document(rmdtypal, _unquote_key(number))
            if found is None or (found[1] == "History" and not options.include_history):
                return self._error(404, "DocumentNotFound", f"Receivables document '{key.strip()}' was not found.")
            return self._answer(as_json, "ReceivablesDocument", document_payload(data, found[0], found[1], shape))

    def _sales_invoices(
        self, data: CompanyData, key: str | None, shape: ShapeOptions, as_json: bool, options: SBAOptions
    ) -> Response:
        """The posted sales invoices, whole like Receivables (SBA has no paging), or one by DocumentNumber."""
        with self.dataset.lock:
            if key is None:
                keys = sorted(data.sales_headers) if options.sort_by_key else list(data.sales_headers)
                return self._answer_list(
                    as_json, "SalesInvoice",
                    (sales_invoice_payload(data, data.sales_headers[k], shape) for k in keys), shape.list_key,
                )
            header = data.sales_invoice(_unquote_key(key))
            if header is None:
                return self._error(404, "SalesInvoiceNotFound", f"Sales invoice '{key.strip()}' was not found.")
            return self._answer(as_json, "SalesInvoice", sales_invoice_payload(data, header, shape))

    def _items(
        self, data: CompanyData, key: str | None, shape: ShapeOptions, as_json: bool, options: SBAOptions
    ) -> Response:
        """The item catalog (IV00101), or one item by ItemNumber; a deleted item is unknown, as in GP."""
        with self.dataset.lock:
            if key is None:
                keys = sorted(data.items) if options.sort_by_key else list(data.items)
                return self._answer_list(
                    as_json, "Item", (item_payload(data.items[k], shape) for k in keys), shape.list_key)
            item = data.item(_unquote_key(key))
            if item is None:
                return self._error(404, "ItemNotFound", f"Item '{key.strip()}' was not found.")
            return self._answer(as_json, "Item", item_payload(item, shape))

    def _help(self, tenant: str, user: GPUser | None, options: SBAOptions) -> str:
        with self.dataset.lock:
            companies = [c for c in self.dataset.companies.values() if user is None or self._may_open(user, c)]
        base = f"/GPService/Tenants({html.escape(tenant)})"
        rows = "".join(
            f"<tr><td>{c.company.cmpanyid}</td><td>{html.escape(c.interid)}</td><td>{html.escape(c.name)}</td></tr>"
            for c in companies
        )
        # The routes actually served: a client reads them to find a resource at another path.
        resources = "".join(f"<li><code>GET {base}/{html.escape(r)}</code></li>" for r in _served_routes(options))
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Microsoft Dynamics GP Service - Help</title>"
            f"</head><body><h1>Microsoft Dynamics GP Service</h1><p>Tenant: {html.escape(tenant)} "
            "(gpmc-desktop simulator)</p><h2>Resources</h2><ul>"
            f"{resources}</ul><p>Append <code>.json</code> for JSON; XML otherwise. {{company}} is the company's "
            f"{_COMPANY_WORDS[options.company_addressing]}, percent-encoded.</p><h2>Companies</h2><table><tr>"
            f"<th>Id</th><th>Database</th><th>Name</th></tr>{rows}</table></body></html>"
        )


def _served_routes(options: SBAOptions) -> list[str]:
    """The routes /help lists, each collection followed by its by-key form; only what _route serves."""
    keyed = [("Sales/Customers", "{CustomerNumber}"), (options.receivables_path, "{DocumentType};{DocumentNumber}"),
             (options.sales_invoices_path, "{DocumentNumber}"), (options.items_path, "{ItemNumber}")]
    routes = ["Companies[.json]"]
    for path, key in keyed:
        if path is None:  # a resource switched off is not offered
            continue
        routes += [f"Companies({{company}})/{path}[.json]", f"Companies({{company}})/{path}({key})[.json]"]
        if path == "Sales/Customers" and options.separate_addresses:
            routes.append("Companies({company})/Sales/CustomerAddresses[.json]")
    return routes


def _unquote_key(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] == "'":  # OData-style quoted key
        key = key[1:-1]
    return key


def _error_body(code: str, message: str, log_id: str) -> bytes:
    return json.dumps({"ErrorCode": code, "Message": message, "LogId": log_id}, ensure_ascii=False).encode("utf-8")
