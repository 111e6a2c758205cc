"""Mailchimp batch operations: submit many calls in one ``POST /batches``, poll it, read its results.

Mailchimp runs a batch's operations in any order, later, at its own pace, and reports each one only in a
``.tar.gz`` of JSON files (``operation_id``, ``status_code``, ``response`` as a JSON *string*).  The archive's
link is a pre-signed storage URL on another host: it is fetched without our API key (S3 refuses a request that
carries a second authentication, and the key has no business leaving Mailchimp), streamed and parsed one answer
at a time, so a 500,000-operation result never sits in memory whole.  The link expires; an expired one is
replaced by reading the batch again.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import ijson
import requests

from gpmc_desktop import __version__
from gpmc_desktop.mailchimp.errors import Category, MailchimpError, error_from_response, transport_error
from gpmc_desktop.mailchimp.transport import MailchimpTransport

FINISHED = "finished"
# An expired or unknown storage link answers 403 (AccessDenied) or 404 (NoSuchKey).
EXPIRED_LINK_STATUSES = frozenset({403, 404})
LINK_ATTEMPTS = 3  # fresh links asked for before the download is given up (until the next poll)
DOWNLOAD_TIMEOUT = (10.0, 300.0)
# What the sync reads of an accepted operation's answer: a member's id, status and tags, an order's customer.
# A member's answer is kilobytes of links and statistics, and a batch's 500 answers are held until it is applied.
ANSWER_KEYS = ("id", "status", "tags", "customer")


@dataclass(frozen=True)
class Operation:
    """One call inside a batch; *operation_id* names it in the results (stable per record and content)."""

    operation_id: str
    method: str
    path: str  # below /3.0, as in a live call
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The operation as ``POST /batches`` takes it: the body as a JSON string, not an object."""
        op: dict[str, Any] = {"method": self.method, "path": self.path, "operation_id": self.operation_id}
        if self.body is not None:
            op["body"] = json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)
        if self.params:
            op["params"] = dict(self.params)
        return op

    def to_state(self) -> dict[str, Any]:
        return {"id": self.operation_id, "method": self.method, "path": self.path, "body": self.body,
                "params": self.params}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Operation:
        return cls(data["id"], data["method"], data["path"], data.get("body"), data.get("params"))


@dataclass(frozen=True)
class BatchStatus:
    id: str
    status: str
    total: int
    finished: int
    errored: int
    results_url: str

    @property
    def done(self) -> bool:
        return self.status == FINISHED

    @classmethod
    def from_answer(cls, body: Any) -> BatchStatus:
        data = body if isinstance(body, dict) else {}
        return cls(str(data.get("id", "")), str(data.get("status", "")), int(data.get("total_operations") or 0),
                   int(data.get("finished_operations") or 0), int(data.get("errored_operations") or 0),
                   str(data.get("response_body_url") or ""))


@dataclass(frozen=True)
class OperationResult:
    operation_id: str
    status: int
    body: Any  # the parsed answer (None when empty; the text when it is not JSON)
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self, method: str = "", path: str = "") -> MailchimpError:
        """The operation's failure, sorted like a live call's (429/5xx transient, 4xx a verdict)."""
        return error_from_response(self.status, self.text.encode("utf-8"), method, path)


class ResultsLinkExpired(Exception):
    """The storage link answered 403/404: read the batch again for a fresh one."""


class BatchClient:
    def __init__(self, transport: MailchimpTransport, *, timeout: tuple[float, float] = DOWNLOAD_TIMEOUT) -> None:
        self.t = transport
        self.timeout = timeout
        # A session of its own, with no credentials: the results link is pre-signed, on a storage host.
        self._storage = requests.Session()
        self._storage.headers.update({"User-Agent": f"gpmc-desktop/{__version__}"})
        self.downloads = 0

    def close(self) -> None:
        self._storage.close()

    def submit(self, operations: list[Operation]) -> BatchStatus:
        """``POST /batches``; a 429 (the account's pending batches are at their limit) is retried by the
        transport and then raised, for the caller to wait for its own batches and try again."""
        body = {"operations": [op.as_json() for op in operations]}
        return BatchStatus.from_answer(self.t.request("POST", "/batches", body).body)

    def status(self, batch_id: str) -> BatchStatus:
        return BatchStatus.from_answer(self.t.get(f"/batches/{batch_id}"))

    def results(self, status: BatchStatus) -> Iterator[OperationResult]:
        """Every operation's result of a finished batch, streamed; a stale link is renewed (a fresh GET of the
        batch mints one) up to :data:`LINK_ATTEMPTS` times."""
        for attempt in range(LINK_ATTEMPTS):
            if attempt or not status.results_url:
                status = self.status(status.id)
            try:
                yield from self._download(status.results_url)
                return
            except ResultsLinkExpired:
                continue
        # Transient: the next poll asks for a fresh link again.
        raise MailchimpError(None, "Batch results unavailable", f"the results link of batch {status.id} kept "
                             "expiring", category=Category.TRANSIENT, path=f"/batches/{status.id}")

    def _download(self, url: str) -> Iterator[OperationResult]:
        try:
            resp = self._storage.get(url, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise transport_error(exc, "GET", "batch results") from exc
        self.downloads += 1
        with resp:
            if resp.status_code in EXPIRED_LINK_STATUSES:
                raise ResultsLinkExpired(url)
            if resp.status_code >= 400:
                raise error_from_response(resp.status_code, b"", "GET", "batch results")
            try:
                # "r|gz": a stream, read forward once; each JSON file is parsed as it comes off the socket.
                with tarfile.open(fileobj=resp.raw, mode="r|gz") as archive:
                    for member in archive:
                        handle = archive.extractfile(member) if member.isfile() else None
                        if handle is not None:
                            yield from parse_results(ijson.items(handle, "item", use_float=True))
            except (tarfile.TarError, OSError, EOFError, ValueError, ijson.JSONError) as exc:
                raise transport_error(exc, "GET", "batch results") from exc


def parse_results(items: Iterable[Any]) -> Iterator[OperationResult]:
    """One results file's entries (``response`` is the answer as a JSON string).  An accepted operation keeps
    only :data:`ANSWER_KEYS` of its answer and no text; a refused one keeps both whole, for its error."""
    for item in items:
        if not isinstance(item, dict):
            continue
        text = item.get("response")
        text = text if isinstance(text, str) else json.dumps(text) if text is not None else ""
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        status = int(item.get("status_code") or 0)
        if 200 <= status < 300:
            body, text = _kept(body), ""
        yield OperationResult(str(item.get("operation_id") or ""), status, body, text)


def _kept(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    kept = {key: body[key] for key in ANSWER_KEYS if key in body}
    customer = kept.get("customer")
    if isinstance(customer, dict):
        kept["customer"] = {"id": customer.get("id")}
    return kept
