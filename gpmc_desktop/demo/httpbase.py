"""A small threaded HTTP/1.1 server shared by the GP and Mailchimp simulators.

Why not a framework: NTLM authenticates a *connection*, not a request, so the server must keep one
handler object per TCP connection across the three legs of the handshake, answer with Content-Length every
time, read any request body before a 401 and disable Nagle (or each handshake costs ~90 ms).
``http.server`` gives exactly that control with no extra dependency.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Response:
    """What a route returns; the handler turns it into bytes on the wire."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, content_type: str = "application/json", **kw: Any) -> Response:
        return cls(status, json.dumps(payload).encode("utf-8"), content_type, **kw)


# What a simulator's Retry-After knob holds: whole seconds, a moment (sent as an HTTP-date) or the header's
# literal text (to send a malformed one).
RetryAfter = int | dt.datetime | str


def retry_after_header(value: RetryAfter) -> tuple[str, str]:
    if isinstance(value, dt.datetime):
        return "Retry-After", format_datetime(value.astimezone(dt.UTC), usegmt=True)
    return "Retry-After", str(value)


class ResetConnection(Exception):
    """Raised by a route to drop the TCP connection without an answer (fault injection)."""


class HalfAnswer(Exception):
    """Raised by a route to send *response*'s headers and half its body, then drop the connection: a server that
    died mid-answer (fault injection)."""

    def __init__(self, response: Response) -> None:
        super().__init__("half an answer")
        self.response = response


class SimHandler(BaseHTTPRequestHandler):
    """One instance per TCP connection; subclasses implement :meth:`route`."""

    protocol_version = "HTTP/1.1"
    server_version = "gpmc-sim"
    sys_version = ""

    # Set per connection by subclasses that authenticate connections (NTLM keeps state here).
    conn_state: dict[str, Any]

    def setup(self) -> None:
        super().setup()
        self.conn_state = {}
        with contextlib.suppress(OSError):  # not a TCP socket
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # the simulators record what matters in their own state; stderr noise helps nobody

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        body = self.read_body()  # always drain the body, even before a 401, or keep-alive breaks
        if len(body) < int(self.headers.get("Content-Length") or 0):
            # The client went away mid-request (killed, timed out): a real server never sees half a body as
            # a request, so neither do the simulators.
            self.close_connection = True
            return
        try:
            response = self.route(self.command, self.path, body)
        except ResetConnection:
            self._reset()
            return
        except HalfAnswer as half:
            self._send_half(half.response)
            return
        self.send(response)

    def _send_head(self, response: Response) -> None:
        self.send_response(response.status)
        if response.body or response.status not in (204, 304):
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()

    def send(self, response: Response) -> None:
        self._send_head(response)
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()

    def _send_half(self, response: Response) -> None:
        self._send_head(response)  # the whole length, never all sent
        with contextlib.suppress(OSError):
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
        self._reset()

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset by peer".
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def route(self, method: str, path: str, body: bytes) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class SimServer(ThreadingHTTPServer):
    """Threaded server with an optional TLS context, run in a background thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, host: str, port: int, handler: type[SimHandler], tls: ssl.SSLContext | None = None):
        super().__init__((host, port), handler)
        self.tls = tls
        self._thread: threading.Thread | None = None
        self._live_lock = threading.Lock()
        self._live: set[socket.socket] = set()  # open connections, closed by stop() so keep-alive ends too

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.tls is not None:
            # Handshake in the worker thread (do_handshake_on_connect) so a slow client cannot stall accept().
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # an untrusting client hangs up mid-handshake: that is its right, not our error
        super().finish_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._live_lock:
            self._live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._live_lock:
            self._live.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and aborted handshakes are expected under fault injection

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> SimServer:
        # A short poll interval: stop() waits for the loop to notice, and tests start and stop servers a lot.
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        # Handler threads of idle keep-alive connections would otherwise go on answering after stop().
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)


def sleep_latency(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
