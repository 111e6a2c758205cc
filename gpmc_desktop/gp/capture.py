"""The raw GP answers of a sample for support: one per resource, as the server sent them, then redacted.

    answers = capture_sba(source, customers=5, documents=10)   # or capture_soap(source, ...)
    redacted = [redact_answer(a, Redaction()) for a in answers]

The bytes come from a response hook on the profile's own session (the same sign-in, TLS and timeouts as a
sync), taken before the client parses anything, so a shape the client cannot read is captured all the same.
SBA has no paging: a collection is read whole, then cut to its first items *inside its own structure*
(``Payload`` wrapper, list key and all).  The receivables documents and addresses kept are those of the kept
customers, so the sample still joins up.  A read that fails is kept as it was answered (status and body) with
the client's message beside it: a sample of the failure is what support needs most.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from lxml import etree

from gpmc_desktop.gp import soap_shapes
from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.normalize import trim
from gpmc_desktop.gp.sample_redaction import Redaction, dump_json, raw_numbers
from gpmc_desktop.gp.sba import SMALL_READ_SECONDS, SbaSource

if TYPE_CHECKING:
    from gpmc_desktop.gp.soap import SoapSource

CUSTOMERS = 5  # customers kept from the collection
DOCUMENTS = 10  # receivables documents kept (those of the kept customers first)
MANIFEST = "answers.json"  # beside the answers: which request each file answers (the replay server reads it)


@dataclass(frozen=True)
class RawAnswer:
    file: str  # its name in the sample, e.g. "customers.json"
    what: str  # in plain words: "customers (first 5 of 40)"
    method: str
    path: str  # the request's path and query (the host left out)
    status: int
    content_type: str
    body: bytes
    note: str = ""  # the client's message when it could not read this answer

    def manifest_entry(self) -> dict[str, Any]:
        return {"file": self.file, "what": self.what, "method": self.method, "path": self.path,
                "status": self.status, "content_type": self.content_type, "note": self.note}


class _Recorder:
    """Keeps every final response the session receives (after the sign-in handshake: requests runs the
    session's hooks after the auth object's)."""

    def __init__(self, session: requests.Session) -> None:
        self.responses: list[requests.Response] = []
        self._session = session
        session.hooks["response"].append(self._keep)

    def _keep(self, response: requests.Response, **_kwargs: Any) -> requests.Response:
        self.responses.append(response)
        return response

    def close(self) -> None:
        self._session.hooks["response"].remove(self._keep)

    def take(self, file: str, what: str, read: Callable[[], Any], *, aside: Callable[[str], bool] = lambda _p: False,
             first: bool = False) -> tuple[RawAnswer | None, Any]:
        """Run *read*; the last response it caused (the *first* for a list read in slices, whose other answers
        only repeat its shape), leaving out those whose path is *aside* (the company list a client reads to
        explain a 404), as a `RawAnswer`, None if it caused none; and what *read* returned (None when it failed:
        the failure is the answer's note).  Responses are let go once taken: a big company's collections are
        not all held at once."""
        self.responses.clear()
        note, result = "", None
        try:
            result = read()
        except GPError as err:
            note = str(err)
        except requests.RequestException as exc:  # the help page is read without the client's error wording
            note = f"no answer for {what}: {type(exc).__name__}"
        caused, self.responses = self.responses, []
        if not caused:
            return None, None
        wanted = [r for r in caused if not aside(urlsplit(r.url).path)] or caused
        response = wanted[0] if first else wanted[-1]
        if first and len(wanted) > 1:
            what = f"{what} (the first of {len(wanted)} answers)"
        parts = urlsplit(response.url)
        answer = RawAnswer(file, what, response.request.method or "GET",
                           parts.path + (f"?{parts.query}" if parts.query else ""), response.status_code,
                           response.headers.get("Content-Type", ""), response.content, note)
        return answer, result


# -- SBA ------------------------------------------------------------------------------------------------------
def capture_sba(source: SbaSource, *, customers: int = CUSTOMERS, documents: int = DOCUMENTS) -> list[RawAnswer]:
    """The tenant's /help page, the company list, the first *customers* customers, their addresses (when the
    server has Sales/CustomerAddresses) and up to *documents* of their receivables documents."""
    recorder = _Recorder(source.session)
    out: list[RawAnswer] = []
    kept: set[str] = set()
    try:
        for file, what, read in (
            ("help.html", "the tenant's help page", lambda: _get(source, f"{source.tenant_url}/help")),
            ("companies.json", "the company list", source.companies),
        ):
            answer, _ = recorder.take(file, what, read)
            out += [answer] if answer else []
        # Each collection is cut as soon as it is in: the kept customers decide which addresses and documents.
        answer, _ = recorder.take("customers.json", "customers", source.raw_customers, aside=_explains_a_failure)
        if answer is not None:
            answer, kept = _cut(answer, customers, lambda _item: True)
            out.append(answer)
        for file, what, read, limit in (
            ("customer-addresses.json", "customer addresses", source.raw_customer_addresses, None),
            ("receivables.json", "receivables documents", source.raw_documents, documents),
        ):
            answer, _ = recorder.take(file, what, read, aside=_explains_a_failure)
            if answer is not None:
                out.append(_cut(answer, limit, lambda item: _customer_of(item) in kept, fallback=limit or customers)[0])
    finally:
        recorder.close()
    return out


def _explains_a_failure(path: str) -> bool:
    """The reads a client makes to explain a failed one (the company list, the help page): not the answer."""
    return path.rstrip("/").lower().endswith(("/companies.json", "/companies", "/help"))


def _get(source: SbaSource, url: str) -> requests.Response:
    return source.session.get(url, timeout=(10.0, SMALL_READ_SECONDS), verify=source.session.verify)


def _customer_of(item: Any) -> str:
    return trim(item.get("CustomerNumber")).upper() if isinstance(item, dict) else ""


def _items(payload: Any) -> tuple[list[Any] | None, Callable[[list[Any]], Any]]:
    """The list of records inside an SBA answer, and how to put a shorter list back in its place: ``[...]``,
    ``{"Payload": [...]}`` or ``{"Payload": {"<key>": [...], ...}}``."""
    if isinstance(payload, list):
        return payload, lambda items: items
    if isinstance(payload, dict):
        inner = payload.get("Payload")
        if isinstance(inner, list):
            return inner, lambda items: {**payload, "Payload": items}
        if isinstance(inner, dict):
            lists = [k for k, v in inner.items() if isinstance(v, list)]
            if len(lists) == 1:
                return inner[lists[0]], lambda items: {**payload, "Payload": {**inner, lists[0]: items}}
    return None, lambda items: payload


def _cut(
    answer: RawAnswer, limit: int | None, wanted: Callable[[Any], bool], *, fallback: int | None = None
) -> tuple[RawAnswer, set[str]]:
    """*answer* with its records cut to the *wanted* ones (at most *limit*; the first *fallback* when none is
    wanted), and the customer numbers of those kept.  Bytes that are not JSON are kept whole."""
    try:
        payload = raw_numbers(answer.body.decode("utf-8-sig"))
    except ValueError:
        return answer, set()
    items, put_back = _items(payload)
    if items is None:
        return answer, set()
    chosen = [item for item in items if wanted(item)][:limit]
    if not chosen and fallback:
        chosen = items[:fallback]
    body = dump_json(put_back(chosen)).encode("utf-8")
    what = f"{answer.what} ({len(chosen)} of {len(items)})"
    return replace(answer, body=body, what=what), {_customer_of(item) for item in chosen} - {""}


# -- Web Services (SOAP) ---------------------------------------------------------------------------------------
def capture_soap(source: SoapSource, *, customers: int = CUSTOMERS, documents: int = DOCUMENTS) -> list[RawAnswer]:
    """GetCompanyList, the first customer list answer (cut to *customers* entries) and those customers by key,
    the first invoice list answer (cut to *documents*, their invoices first) and those invoices by key."""
    recorder = _Recorder(source.session)
    out: list[RawAnswer] = []

    def keep(file: str, what: str, read: Callable[[], Any]) -> Any:
        answer, result = recorder.take(file, what, read, first=file.endswith("-list.xml"))
        if answer is not None:
            out.append(_cut_xml(answer, customers if file == "customer-list.xml" else documents)
                       if file.endswith("-list.xml") else answer)
        return result

    try:
        # company(): the company list, and the profile's company looked up once for the calls that follow.
        keep("companies.xml", "the company list", source.company)
        summaries = keep("customer-list.xml", "customer list", source.customer_summaries) or []
        numbers = [soap_shapes.key_id(s) for s in summaries[:customers]]
        for i, number in enumerate(numbers, 1):
            keep(f"customer-{i}.xml", f"customer {i} by key", lambda n=number: source.customer(n))
        invoices = keep("invoice-list.xml", "receivables invoice list", source.invoice_summaries) or []
        ours = {n.upper() for n in numbers}
        chosen = [s for s in invoices if trim(soap_shapes.dig(s, "CustomerKey", "Id")).upper() in ours][:documents]
        for i, number in enumerate([soap_shapes.key_id(s) for s in chosen or invoices[:documents]], 1):
            keep(f"invoice-{i}.xml", f"invoice {i} by key", lambda n=number: source.invoice(n))
    finally:
        recorder.close()
    return out


def _cut_xml(answer: RawAnswer, limit: int) -> RawAnswer:
    """A list answer cut to its first *limit* entries: the element with the most children of one tag is the
    list."""
    try:
        root = etree.fromstring(answer.body)
    except etree.XMLSyntaxError:
        return answer
    best, best_count = None, 0
    for element in root.iter():
        tags = [child.tag for child in element]
        count = max((tags.count(t) for t in set(tags)), default=0)
        if count > best_count:
            best, best_count = element, count
    if best is None or best_count <= limit:
        return answer
    for child in list(best)[limit:]:
        best.remove(child)
    body = etree.tostring(root, xml_declaration=answer.body.lstrip().startswith(b"<?xml"), encoding="utf-8")
    return replace(answer, body=body, what=f"{answer.what} ({limit} of {best_count})")


# -- redaction -----------------------------------------------------------------------------------------------------
_CALL_SEGMENT = re.compile(r"(?<=\()([^()]*(?:\([^()]*\)[^()]*)*)(?=\))")


def redact_path(path: str, redaction: Redaction) -> str:
    """The request path with every key in parentheses (the company, a customer number) replaced, the tenant
    kept; percent escapes are kept, so the sample still shows how the company was encoded."""
    segments = path.split("/")
    return "/".join(seg if seg.lower().startswith("tenants(") else _CALL_SEGMENT.sub(
        lambda m: redaction.text(m.group()), seg) for seg in segments)


def redact_answer(answer: RawAnswer, redaction: Redaction) -> RawAnswer:
    """*answer* with its personal data replaced (see `sample_redaction`); keys, types, nesting, dates and number
    formats kept."""
    body = answer.body
    kind = answer.content_type.lower()
    if answer.file.endswith(".json") or "json" in kind:
        try:
            payload = raw_numbers(body.decode("utf-8-sig"))
        except ValueError:
            body = redaction.text(body.decode("utf-8", errors="replace")).encode("utf-8")
        else:
            message = payload.get("Message") if answer.status >= 400 and isinstance(payload, dict) else None
            redacted = redaction.json_value(payload)
            if isinstance(message, str):
                # A fault's message is the server's own words ("The requested resource was not found."): only the
                # values this sample already replaced are replaced in it.
                redacted["Message"] = redaction.known(message)
            body = dump_json(redacted).encode("utf-8")
    elif answer.file.endswith(".xml") or "xml" in kind:
        try:
            body = redaction.xml(body)
        except etree.XMLSyntaxError:
            body = redaction.text(body.decode("utf-8", errors="replace")).encode("utf-8")
    elif "html" in kind or answer.file.endswith(".html"):
        body = redaction.html(body.decode("utf-8", errors="replace")).encode("utf-8")
    else:
        body = redaction.text(body.decode("utf-8", errors="replace")).encode("utf-8")
    return replace(answer, body=body, path=redact_path(answer.path, redaction), note=redaction.known(answer.note))


def redact_all(answers: Iterable[RawAnswer], redaction: Redaction) -> list[RawAnswer]:
    """Every answer redacted; the help page and the notes last, so they can reuse every placeholder (company
    names) the data answers made."""
    ordered = sorted(answers, key=lambda a: a.file.endswith(".html"))
    done = [redact_answer(a, redaction) for a in ordered]
    return [replace(a, note=redaction.known(a.note)) for a in done]


def manifest(answers: Iterable[RawAnswer]) -> str:
    return json.dumps([a.manifest_entry() for a in answers], indent=2, ensure_ascii=False) + "\n"
