"""The Mailchimp simulator: an HTTP server on 127.0.0.1 that behaves like ``https://<dc>.api.mailchimp.com/3.0``.

Order of checks for a live request, as on Mailchimp: request id, X-Trigger-Error, API key, the 10-connection
limit, injected faults and latency, then the shared :class:`~.pipeline.Pipeline` (also used by batches).
"""

from __future__ import annotations

import hashlib
import random
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ..httpbase import ResetConnection, Response, SimHandler, SimServer, retry_after_header
from . import batches as batch_routes
from . import routes_lists, routes_orders, routes_products, routes_stores
from .account_setup import DEMO_LIST_ID, DEMO_LIST_NAME, add_list, set_member_status
from .auth import check_api_key, demo_key
from .batches import RESULTS_PREFIX, BatchRunner, ResultsGone
from .config import SimConfig
from .contract import shared_validator
from .errors import DETAIL_TOO_MANY, TRIGGERED, ApiError, not_found
from .faults import Faults, PlannedFault
from .inspection import Inspection
from .pipeline import Pipeline, problem
from .routing import Router, SimContext
from .slots import ConnectionSlots
from .state import AccountState, AudienceList, SimClock

_CUTOFF_HTML = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"</body></html>"
)


def build_router() -> Router:
    router = Router()
    for module in (routes_lists, routes_stores, routes_products, routes_orders, batch_routes):
        module.register(router)
    return router


class MailchimpSimulator(Inspection):
    """A local Mailchimp Marketing API v3 account.

    ``api_keys`` are the account's valid keys (default: one demo key for *dc*); a key whose suffix is not *dc*
    is refused even if listed, which is how tests check the data-centre rule on 127.0.0.1.  *seed* fixes the
    batch shuffle and random faults.  *cache_dir* holds the parsed contract (see ``contract.py``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        dc: str = "us6",
        api_keys: Iterable[str] | None = None,
        seed: int = 0,
        cache_dir: Path | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        config: SimConfig | None = None,
        seed_demo: bool = True,
        spec_path: Path | None = None,
    ) -> None:
        self.host = host
        self.dc = dc
        self.api_keys = set(api_keys) if api_keys is not None else {demo_key(dc)}
        self.config = config or SimConfig()
        self.state = AccountState()
        self.clock = SimClock()
        self.faults = Faults(seed)
        self.slots = ConnectionSlots()
        self.contract = shared_validator(spec_path, cache_dir)
        self._tls = tls
        self._requested_port = port
        self._server: SimServer | None = None
        self.ctx = SimContext(self.state, self.config, self.clock, random.Random(seed), self._origin)
        self.pipeline = Pipeline(self.ctx, build_router(), self.contract)
        self.batches = BatchRunner(self.ctx, self._run_batch_operation)
        self.ctx.batches = self.batches
        if seed_demo:
            self.seed_demo_account()

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> MailchimpSimulator:
        self.contract.warm_in_background()  # the first request should not pay for parsing the spec
        handler = type("MailchimpHandler", (_Handler,), {"simulator": self})
        self._server = SimServer(self.host, self._requested_port, handler, tls=self._tls).start()
        self.batches.start()
        return self

    def stop(self) -> None:
        self.batches.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> MailchimpSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return self._server.port

    def _origin(self) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self._origin()}/3.0"

    @property
    def api_key(self) -> str:
        """A valid key (the first one in sorted order) for clients that just need one."""
        return sorted(self.api_keys)[0]

    # --- account set-up ---------------------------------------------------------------------------------------

    def seed_demo_account(self) -> AudienceList:
        """The audience the demo syncs into: "Fabrikam customers", id a1b2c3d4e5."""
        return self.add_list(DEMO_LIST_ID, DEMO_LIST_NAME)

    def add_list(self, list_id: str, name: str, *, double_optin: bool = False) -> AudienceList:
        return add_list(self.ctx, list_id, name, double_optin=double_optin)

    def set_member_status(self, list_id: str, email: str, status: str, **kwargs: Any) -> None:
        """Pre-set a contact: subscribed, unsubscribed, cleaned, pending, transactional, archived or forgotten."""
        set_member_status(self.ctx, list_id, email, status, **kwargs)

    def set_order_notifications(self, on: bool) -> None:
        """The account's "Order notifications" setting (on in a new account): off, no order e-mail goes out."""
        with self.state.lock:
            self.state.order_notifications = on

    # --- request handling -------------------------------------------------------------------------------------

    def handle_http(self, method: str, raw_path: str, headers: Any, body: bytes) -> Response:
        response = self._answer(method, raw_path, headers, body)
        wanted = self.config.retry_after
        if response.status in (429, 503) and wanted is not None and not any(
            name == "Retry-After" for name, _ in response.headers
        ):
            response.headers.append(retry_after_header(wanted))
        return response

    def _answer(self, method: str, raw_path: str, headers: Any, body: bytes) -> Response:
        request_id = str(uuid.uuid4())
        split = urllib.parse.urlsplit(raw_path)
        if split.path.startswith(RESULTS_PREFIX):
            response = self._serve_results(split.path[len(RESULTS_PREFIX):], request_id)
            with self.state.lock:
                self.state.result_downloads.append(
                    {"status": response.status, "authorization": headers.get("Authorization") is not None})
            return response
        if split.path != "/3.0" and not split.path.startswith("/3.0/"):
            return problem(not_found(), request_id)
        path = split.path[len("/3.0"):] or "/"
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if method not in ("GET", "HEAD"):
            with self.state.lock:
                self.state.writes += 1
        early = self._refuse_early(method, headers)
        if early is not None:
            return problem(early, request_id)
        if not self.slots.acquire(self.config.connection_limit):
            too_many = ApiError(429, self.config.too_many_requests_title, DETAIL_TOO_MANY)
            return problem(too_many, request_id)
        release = True
        try:
            fault = self.faults.take(path, method)
            if fault is not None and fault.kind not in ("reset_after", "late"):
                return self._inject(fault, request_id)
            override = headers.get("X-HTTP-Method-Override")
            effective = override.strip().upper() if override else method
            latency = self.faults.latency_for(path)
            cutoff = self.faults.cutoff_seconds
            if latency > cutoff:
                # The CDN gives up at the cut-off, but the call runs on and keeps its slot (errors.mdx).
                time.sleep(cutoff)
                release = False
                threading.Thread(
                    target=self._finish_after_cutoff,
                    args=(latency - cutoff, effective, path, query, body, request_id),
                    daemon=True,
                ).start()
                return Response(502, _CUTOFF_HTML, "text/html", [("X-Request-Id", request_id)])
            if latency > 0:
                time.sleep(latency)
            response = self.pipeline.execute(effective, path, query, body, request_id)
            self._note_rejection(response.status, effective, path, body, delivered=fault is None)
            if fault is not None and fault.kind == "late":  # carried out, but the CDN answered first
                return Response(502, _CUTOFF_HTML, "text/html", [("X-Request-Id", request_id)])
            if fault is not None:  # "reset_after": carried out, but the answer never reaches the client
                raise ResetConnection()
            return response
        finally:
            if release:
                self.slots.release()

    def _refuse_early(self, method: str, headers: Any) -> ApiError | None:
        trigger = headers.get("X-Trigger-Error")
        if trigger and trigger.strip() in TRIGGERED:
            status, title, detail = TRIGGERED[trigger.strip()]
            return ApiError(status, self.config.too_many_requests_title if status == 429 else title, detail)
        refused = check_api_key(headers, self.dc, self.api_keys)
        if refused is not None:
            return refused
        if headers.get("X-HTTP-Method-Override") and method != "POST":
            return ApiError(422, "InvalidMethodOverride",
                            "X-HTTP-Method-Override may only be sent with a POST request.")
        return None

    def _inject(self, fault: PlannedFault, request_id: str) -> Response:
        if fault.kind == "reset":
            raise ResetConnection()
        if fault.bodyless:
            response = Response(fault.status, b"", "text/html", [("X-Request-Id", request_id)])
        else:
            titles = {429: self.config.too_many_requests_title, 403: "Forbidden", 500: "Internal Server Error",
                      503: "Service Unavailable"}
            title = fault.title or titles.get(fault.status, "Error")
            detail = fault.detail or (
                DETAIL_TOO_MANY if fault.status == 429 else "An unexpected error has occurred.")
            response = problem(ApiError(fault.status, title, detail), request_id)
        if fault.retry_after is not None:
            response.headers.append(retry_after_header(fault.retry_after))
        return response

    def _finish_after_cutoff(
        self, remaining: float, method: str, path: str, query: dict[str, list[str]], body: bytes, request_id: str
    ) -> None:
        try:
            time.sleep(remaining)
            self.pipeline.execute(method, path, query, body, request_id)
        finally:
            self.slots.release()

    def _run_batch_operation(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, str]:
        response = self.pipeline.execute(method, path or "/", query, body, str(uuid.uuid4()), source="batch")
        self._note_rejection(response.status, method, path or "/", body, delivered=False)
        return response.status, response.body.decode("utf-8")

    def _note_rejection(self, status: int, method: str, path: str, body: bytes, *, delivered: bool) -> None:
        if status == 400:
            with self.state.lock:
                self.state.rejected_requests.append(
                    (method, path, hashlib.sha256(body).hexdigest(), "answered" if delivered else "unheard"))

    def _serve_results(self, name: str, request_id: str) -> Response:
        token = name.removesuffix(".tar.gz")
        try:
            archive = self.batches.archive_for(token)
        except ResultsGone as gone:
            xml = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{gone.code}</Code>" \
                  f"<Message>{gone.message}</Message></Error>"
            return Response(gone.status, xml.encode(), "application/xml", [("X-Request-Id", request_id)])
        return Response(200, archive, "application/x-gzip", [("X-Request-Id", request_id)])


class _Handler(SimHandler):
    simulator: MailchimpSimulator

    def route(self, method: str, path: str, body: bytes) -> Response:
        return self.simulator.handle_http(method, path, self.headers, body)
