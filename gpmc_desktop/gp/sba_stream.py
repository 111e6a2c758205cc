"""GP's SBA collections read record by record from the socket, so a company's 400,000 receivables documents are
never held as one 200 MB body, nor as a list of raw JSON objects, on the way to the sync's model.

The list is found where :func:`sba_shapes.unwrap` and :func:`sba_shapes.collection` find it (a bare list,
``Payload`` itself, or a list under a known key of ``Payload`` or of a bare object), as the answer's first such
list in document order; an answer without one is read whole and given to those functions, for their messages.
Numbers are read as :func:`json.loads` reads them (int, else float), so amounts round exactly as before.
Each record is checked (:class:`data_check.AnswerCheck`) and normalised as it arrives; the check decides at the
end, before any record reaches the sync, and its message is the whole answer's, as when the answer was held.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import ijson

from gpmc_desktop.gp import answer_fields, data_check, sba_shapes
from gpmc_desktop.gp.answer_fields import LIST_KEYS
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.model import Customer, Document

T = TypeVar("T")

CHUNK = 1 << 16
# Where the list of a collection may start, as ijson names the place (a key path, "" for the whole answer).
_LIST_PLACES = frozenset({"", "Payload", *(f"Payload.{k}" for k in LIST_KEYS), *LIST_KEYS})


def not_json(what: str) -> GPError:
    return GPError(
        Stage.DATA, f"The GP server's answer for {what} is not JSON.",
        "Check that the URL points at the GP Service (…/GPService), not at another web site.",
    )


class _Reader:
    """A file for ijson over an iterator of byte chunks: *head* (chunks already read) first, then *rest*;
    with *keep*, every chunk read is kept too (to be read again)."""

    def __init__(self, rest: Iterator[bytes], head: Iterable[bytes] = (), keep: list[bytes] | None = None) -> None:
        self._head = deque(head)
        self._rest = rest
        self._keep = keep

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn whether the file gives bytes or text
            return b""
        chunk = self._head.popleft() if self._head else next(self._rest, b"")
        if self._keep is not None and chunk:
            self._keep.append(chunk)
        return chunk


def _list_place(events: Iterator[tuple[str, str, Any]]) -> str | None:
    """The place of the answer's list, from the parse events of its start; None when it has none."""
    for prefix, event, _value in events:
        if event == "start_array" and prefix in _LIST_PLACES:
            return prefix
    return None


def answer_items(chunks: Iterator[bytes], what: str) -> Iterator[Any]:
    """The records of one collection answer (*chunks*: its body), each as :func:`json.loads` would give it."""
    head: list[bytes] = []
    try:
        place = _list_place(ijson.parse(_Reader(chunks, keep=head), use_float=True))
        if place is None:  # no list anywhere: read whole, for the shape's own message
            yield from sba_shapes.collection(sba_shapes.unwrap(json.loads(b"".join(head))), what)
            return
        path = f"{place}.item" if place else "item"
        yield from ijson.items(_Reader(chunks, head), path, use_float=True)
    except ijson.JSONError as exc:
        raise not_json(what) from exc
    except ValueError as exc:  # json.loads
        raise not_json(what) from exc


class _Normalised:
    """Records turned into the sync's model as they come, until one cannot be: its error is kept for the end
    (the data check's message, on the whole answer, comes first)."""

    def __init__(self) -> None:
        self.error: GPError | None = None

    def make(self, build: Callable[[], Any]) -> Any:
        if self.error is not None:
            return None
        try:
            return build()
        except GPError as err:
            self.error = err
            return None


class Resumable(Generic[T]):
    """The sink of an answer that may be read more than once: a GET that breaks off is read again from the
    start, and the records an earlier try already handed to *into* must not reach it twice.  A later try passes
    over as many records as were handed on, checking by hash that they are the same ones in the same order;
    an answer that changed between tries stops the read (the next run reads it afresh)."""

    def __init__(self, into: Callable[[T], None] | None, what: str) -> None:
        self._into, self._what = into, what
        self._given = 0  # records handed on by every try so far
        self._digest = 0  # the hash of those records, in order
        self._seen = 0  # records made by this try
        self._again = 0  # the hash of this try's records, up to _given

    def run(self, read: Callable[[Callable[[T], None] | None], list[T]]) -> list[T]:
        """One try: *read* given this try's sink (None without *into*)."""
        self._seen, self._again = 0, 0
        out = read(self._take if self._into is not None else None)
        if self._seen < self._given:
            raise self._changed()
        return out

    def _take(self, record: T) -> None:
        assert self._into is not None
        self._seen += 1
        if self._seen <= self._given:
            self._again = hash((self._again, record))
            if self._seen == self._given and self._again != self._digest:
                raise self._changed()
            return
        self._given += 1
        self._digest = hash((self._digest, record))
        self._into(record)

    def _changed(self) -> GPError:
        return GPError(Stage.SERVER, f"GP's answer for {self._what} changed while it was read again after the "
                       "connection broke off.", "Run the sync again.")


def read_documents(items: Iterable[Any], *, into: Callable[[Document], None] | None = None) -> list[Document]:
    """Every receivables document of an answer, checked whole.  With *into*, each document goes there as soon as
    it is made and the list is empty (the check still raises at the end)."""
    check = data_check.AnswerCheck(answer_fields.DOCUMENT, "receivables documents", "DocumentNumber")
    made = _Normalised()
    out: list[Document] = []
    give = out.append if into is None else into
    for raw in items:
        read = check.add(raw)
        doc = made.make(lambda raw=raw, read=read: sba_shapes.document_from_sba(raw, read))
        if doc is not None:
            give(doc)
    check.finish()
    if made.error is not None:
        raise made.error
    return out


def read_customers(
    items: Iterable[Any], joined: Callable[[data_check.AnswerCheck], dict[str, list[Any]]], *,
    into: Callable[[Customer], None] | None = None,
) -> list[Customer]:
    """Every customer of an answer, checked whole.  Customers that embed their addresses are made as they come;
    those that do not wait for *joined*: Sales/CustomerAddresses by customer (read once, at the end), given the
    customers' check for its message when the server has no such resource.  With *into*, each customer goes
    there as soon as it is made (those that wait, after the join) and the list is empty."""
    check = data_check.AnswerCheck(answer_fields.CUSTOMER, "customers", "CustomerNumber")
    embedded = data_check.AnswerCheck(answer_fields.ADDRESS, "customer addresses", "AddressId")
    made = _Normalised()
    slots: list[Customer | None] = []
    waiting: list[tuple[int, Any]] = []  # customers without their addresses, by place in the answer
    for raw in items:
        check.add(raw)
        if not sba_shapes.has_addresses(raw):
            waiting.append((len(slots), raw))
            slots.append(None)
            continue
        try:
            for address in answer_fields.address_list(raw.get("Addresses")):
                embedded.add(address)
        except ValueError:
            pass  # the customers' check names the unreadable Addresses
        customer = made.make(lambda raw=raw: sba_shapes.customer_from_sba(raw))
        if into is None:
            slots.append(customer)
        elif customer is not None:
            into(customer)
    by_customer = joined(check) if waiting else None
    check.finish(without="Addresses" if by_customer is not None else "")
    if by_customer is not None:
        data_check.check_sba_address_entries([e for rows in by_customer.values() for e in rows])
    else:
        embedded.finish()
    if made.error is not None:
        raise made.error
    for place, raw in waiting:
        assert by_customer is not None
        number = sba_shapes.customer_key(raw.get("CustomerNumber"))
        customer = sba_shapes.customer_from_sba(raw, by_customer.get(number, []))
        if into is None:
            slots[place] = customer
        else:
            into(customer)
    return [c for c in slots if c is not None]
