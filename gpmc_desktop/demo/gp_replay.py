"""Replays a GP sample (the ``gp/`` folder of ``gpmc capture``'s zip) as a GP Service: HTTPS, real NTLM, and each
recorded answer's status, content type and bytes for the request it answered.

    with GPReplay(Path("tests/gp/samples/wcf_dates/gp")) as replay:
        ...  # a profile with url = replay.base_url, ca_bundle = replay.ca_path, company from the sample

``answers.json`` says which request each file answers.  The company in ``Companies(…)`` is not compared (the
client may address it by database or display name, encoded either way); every other segment is, without regard
to case.  A request the sample holds no answer for gets the GP Service's 404.  This is how a sample from a real
server becomes a test: see docs/gp-samples.md.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpmc_desktop.demo.gp_auth import GPUser, WindowsAuthenticator
from gpmc_desktop.demo.gp_sba import DEFAULT_USERS, HTML_TYPE, UNAUTHORIZED_HTML, decode_path
from gpmc_desktop.demo.gp_service import GPServiceSimulator
from gpmc_desktop.demo.httpbase import Response, SimHandler, SimServer

_COMPANY = re.compile(r"^companies\(.*\)$", re.I | re.S)
_OWNER_IDS = itertools.count(10_000)  # this process' NTLM user file is shared with the simulators: own range


@dataclass(frozen=True)
class _Options:
    require_channel_binding: bool = False


def route_key(path: str) -> tuple[str, ...]:
    """A request path as the replay compares it: decoded segments, lower-cased, the company left out."""
    return tuple("companies(*)" if _COMPANY.match(seg) else seg.lower() for seg in decode_path(path))


class _Handler(SimHandler):
    server: _Server
    server_version = "Microsoft-HTTPAPI/2.0"

    def version_string(self) -> str:
        return self.server_version

    def route(self, method: str, path: str, body: bytes) -> Response:
        return self.server.sim.handle(self, method, path)


class _Server(SimServer):
    sim: GPReplay


class GPReplay(GPServiceSimulator):
    server_class = _Server
    handler_class = _Handler
    workdir_prefix = "gpmc-gp-replay-"

    def __init__(self, sample: Path, host: str = "127.0.0.1", *, workdir: Path | None = None, tls: bool = True,
                 users: list[GPUser | tuple[Any, ...]] | None = None) -> None:
        self.sample = sample
        self.answers: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        for entry in json.loads((sample / "answers.json").read_text(encoding="utf-8")):
            self.answers[(entry["method"].upper(), route_key(entry["path"]))] = entry
        self.host = host
        self.tls = tls
        self.options = _Options()
        self._requested_port = 0
        self._lock = threading.RLock()
        self._owner = next(_OWNER_IDS)
        self._users = {u.key: u for u in (GPUser.of(spec) for spec in (users or DEFAULT_USERS))}
        self._workdir = workdir
        self._own_workdir = False
        self.tls_files = None
        self._server = None
        self.auth = WindowsAuthenticator(self._users, self._lock)
        self.served: list[tuple[str, int]] = []  # (path, status) of every authenticated request

    def handle(self, handler: _Handler, method: str, path: str) -> Response:
        outcome = self.auth.authenticate(handler.headers.get("Authorization"), handler.conn_state)
        if outcome.challenge is not None:
            return Response(401, UNAUTHORIZED_HTML, HTML_TYPE, headers=outcome.challenge)
        entry = self.answers.get((method.upper(), route_key(path)))
        if entry is None:
            response = Response(404, json.dumps({"ErrorCode": "NotFound", "Message": "The requested resource was not "
                                                 "found.", "LogId": ""}).encode("utf-8"), "application/json")
        else:
            response = Response(int(entry["status"]), (self.sample / entry["file"]).read_bytes(),
                                entry["content_type"] or "application/octet-stream")
        response.headers.extend(outcome.headers)
        with self._lock:
            self.served.append((path, response.status))
        return response
