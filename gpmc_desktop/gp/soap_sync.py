"""Full or incremental SOAP reads for one engine run, decided from the state store.

The engine plans from *all* customers and invoices (customers sharing an e-mail become one member, an invoice
whose customer is missing is skipped), so an incremental poll cannot hand it only the changed records.  This
wrapper keeps the last GP truth as a snapshot in the state store and overlays what changed:

* customers: GetCustomerList with ModifiedDate from the newest day already read (minus a day of overlap: the
  service calls the criteria UTC while GP stores local dates), then GetCustomerByKey for each;
* invoices: GetReceivablesInvoiceList the same way, plus GetReceivablesDocumentList for payments, credit memos
  and returns since then; GetReceivablesInvoiceByKey for the changed invoices and for the open invoices of the
  customers who paid (whether applying a payment moves the invoice's own ModifiedDate is unconfirmed).

E-mail-only edits live in SY01200 and do not move the customer's ModifiedDate, so a full comparison re-reads
everything every ``full_compare_days`` (and on ``gpmc sync --full``); ``last_full_compare_at`` records when.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

import requests

from gpmc_desktop import store
from gpmc_desktop.gp import soap_shapes
from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.gp.sales_codec import sales_in, sales_out
from gpmc_desktop.gp.soap import SoapSource

log = logging.getLogger(__name__)
T = TypeVar("T")

CUSTOMERS_KEY = "soap_customers_snapshot"
INVOICES_KEY = "soap_invoices_snapshot"
OVERLAP = dt.timedelta(days=1)
SNAPSHOT_VERSION = 2


class _Snapshot(NamedTuple):
    rows: list[Any]
    mark: dt.date | None  # the newest ModifiedDate read
    lines: bool  # invoices read with their sales invoices' lines


class SoapPollingSource:
    """The engine's GP source for ``api = "soap"`` (``customers()`` / ``documents()``, always complete)."""

    def __init__(
        self,
        source: SoapSource,
        profile_id: int,
        *,
        full: bool = False,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.source = source
        self.profile_id = profile_id
        self.forced_full = full
        self.now = now or store.utc_now
        self.mode = ""  # "full" or "incremental", decided at the first read
        self.reason = ""

    @property
    def session(self) -> requests.Session:
        return self.source.session

    # -- deciding -------------------------------------------------------------------------------------------
    def _fingerprint(self) -> str:
        return f"{self.source.endpoint}|{self.source.company().id}"

    def _snapshot(self, key: str) -> _Snapshot | None:
        """The rows of the last read, the newest ModifiedDate in them and whether invoices were read with their
        sales invoices' lines (None: no usable snapshot)."""
        value = store.get_state(self.profile_id, key)
        if not isinstance(value, dict) or value.get("v") != SNAPSHOT_VERSION:
            return None
        if value.get("source") != self._fingerprint():
            return None  # another server or company: nothing in it is known to be true any more
        rows = json.loads(zlib.decompress(base64.b64decode(value["data"])))
        return _Snapshot(rows, _day(value.get("mark")), bool(value.get("lines"))) if isinstance(rows, list) else None

    def _save(self, key: str, rows: list[Any], dates: Iterable[dt.date | None], *, lines: bool = False) -> None:
        # A date after tomorrow is bad data (a mistyped year): as the mark it would blind every poll until the
        # next full comparison.
        tomorrow = self.now().date() + dt.timedelta(days=1)
        mark = max((d for d in dates if d and d <= tomorrow), default=None)
        # Compressed text: 100,000 customers are ~30 MB as JSON, a few MB like this.
        data = base64.b64encode(zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 6)).decode()
        store.set_state(self.profile_id, key, {"v": SNAPSHOT_VERSION, "source": self._fingerprint(),
                                               "mark": mark.isoformat() if mark else None, "data": data,
                                               **({"lines": True} if lines else {})})

    def decide(self) -> str:
        if not self.mode:
            self.reason = self._full_reason()
            self.mode = "full" if self.reason else "incremental"
            log.info("SOAP read: %s%s", self.mode, f" ({self.reason})" if self.reason else "")
        return self.mode

    def _full_reason(self) -> str:
        days = self.source.settings.full_compare_days
        if self.forced_full:
            return "full sync asked for"
        if days <= 0:
            return "full_compare_days = 0"
        last = store.get_state(self.profile_id, store.LAST_FULL_COMPARE_AT)
        if not last:
            return "no full comparison yet"
        if self.now() - store.from_iso(str(last)) >= dt.timedelta(days=days):
            return f"last full comparison is older than {days:g} days"
        return ""

    @staticmethod
    def _since(mark: dt.date | None) -> dt.date | None:
        """Where the next read starts: the newest ModifiedDate already read, with a day of overlap.

        This is the one watermark of a SOAP profile.  It is not held back while a record keeps failing in
        Mailchimp: that record is in the snapshot and offered to the engine again every run (the failure ledger
        decides when it is sent), so GP need not be re-read for it, and a record refused for good does not
        make every later poll re-read all that changed since its day."""
        return mark - OVERLAP if mark else None

    # -- customers ------------------------------------------------------------------------------------------
    def customers(self, *, into: Callable[[Customer], None] | None = None) -> list[Customer]:
        """Every customer, complete; with *into*, each goes there and the list is empty."""
        snapshot = self._snapshot(CUSTOMERS_KEY)
        if self.decide() == "incremental" and (snapshot is None or snapshot.mark is None):
            self.mode, self.reason = "full", "no snapshot of the last read"
        known = {c.number.upper(): c for c in map(_customer_in, snapshot.rows if snapshot else [])}
        if self.mode == "full":
            read = self.source.customers()
            # A record GP could not return this time keeps its last known state instead of vanishing.
            kept = {k: c for k, c in known.items() if f"customer:{k}" in self.source.unreadable}
            known = {**kept, **{c.number.upper(): c for c in read}}
        else:
            assert snapshot is not None
            known.update((c.number.upper(), c) for c in self.source.customers(self._since(snapshot.mark)))
        result = [known[k] for k in sorted(known)]
        self._save(CUSTOMERS_KEY, [_customer_out(c) for c in result], (c.modified_date for c in result))
        return _handed(result, into)

    # -- invoices ---------------------------------------------------------------------------------------------
    def documents(self, *, into: Callable[[Document], None] | None = None) -> list[Document]:
        """Every receivables invoice, complete; with *into*, each goes there and the list is empty."""
        snapshot = self._snapshot(INVOICES_KEY)
        lines = self.source.settings.order_lines == "sales_invoices"
        # A snapshot read with lines, the profile reading them no more: the orders go back to the one line.
        known = {d.number.upper(): d if lines or d.sales is None else dataclasses.replace(d, sales=None)
                 for d in map(_invoice_in, snapshot.rows if snapshot else [])}
        extra_dates: list[dt.date | None] = []
        # Invoices read before the profile read sales invoices have no lines yet: all are read again, once.
        without_lines = lines and not (snapshot is not None and snapshot.lines)
        if self.decide() == "full" or snapshot is None or snapshot.mark is None or without_lines:
            keys = [soap_shapes.key_id(s).upper() for s in self.source.invoice_summaries()]
            fresh = {d.number.upper(): d for d in self._with_lines(self.source.invoices_by_key(keys), None, lines)}
            # Not returned now although listed: GP could not read it; its last known state beats nothing.
            found = {k: fresh.get(k) or known.get(k) for k in keys}
            result = {k: d for k, d in found.items() if d is not None}
        else:
            since = self._since(snapshot.mark)
            assert since is not None
            changed = self.source.invoice_summaries(since)
            payers = self.source.paying_customers(since)
            wanted = {soap_shapes.key_id(s).upper() for s in changed}
            # Applying a payment or credit lowers an invoice's balance; whether GP moves the invoice's own
            # ModifiedDate then is unconfirmed, so the open invoices of everyone who paid are read again.
            wanted |= {k for k, d in known.items()
                       if d.customer_number.upper() in payers and d.balance != 0 and not d.is_voided}
            read = self.source.invoices_by_key(sorted(wanted))
            if lines:
                # A sales invoice is posted once; its lines are read with it, and kept from the snapshot when
                # only the receivables side (a payment) changed.
                read = [d if d.sales is not None or known.get(d.number.upper()) is None
                        else dataclasses.replace(d, sales=known[d.number.upper()].sales)
                        for d in self._with_lines(read, since, lines)]
            result = {**known, **{d.number.upper(): d for d in read}}
            extra_dates.append(snapshot.mark)
        if lines:
            # A sales invoice GP could not return this time (a fault on that one record) keeps the lines last read,
            # as an unreadable invoice keeps its last state: its order is not sent back to the one placeholder line.
            for k, d in result.items():
                prior = known.get(k)
                if d.sales is None and prior is not None and prior.sales is not None and \
                        f"sales invoice:{k}" in self.source.unreadable:
                    result[k] = dataclasses.replace(d, sales=prior.sales)
        docs = [result[k] for k in sorted(result)]
        self._save(INVOICES_KEY, [_invoice_out(d) for d in docs], [*(d.modified_date for d in docs), *extra_dates],
                   lines=lines)
        if self.mode == "full":
            store.set_state(self.profile_id, store.LAST_FULL_COMPARE_AT, store.to_iso(self.now()))
        return _handed(docs, into)


    def _with_lines(self, docs: list[Document], since: dt.date | None, lines: bool) -> list[Document]:
        """*docs* with their sales invoices' lines when the profile reads them (*since*: the sales invoices
        posted or changed since then; None: all)."""
        if not lines:
            return docs
        return self.source.with_sales_lines(docs, self.source.sales_summaries(since))

def _handed(records: list[T], into: Callable[[T], None] | None) -> list[T]:
    """*records*, or, given *into*, none: each has gone there (the whole list is made first all the same)."""
    if into is None:
        return records
    for record in records:
        into(record)
    return []


# -- snapshot rows ---------------------------------------------------------------------------------------------
def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _customer_out(c: Customer) -> dict[str, Any]:
    row = dataclasses.asdict(c)
    row["modified_date"] = c.modified_date.isoformat() if c.modified_date else None
    return row


def _customer_in(row: dict[str, Any]) -> Customer:
    return Customer(**{**row, "address": PostalAddress(**row["address"]), "modified_date": _day(row["modified_date"]),
                       "rejected_emails": tuple(row.get("rejected_emails") or ()),
                       "fields": tuple((str(k), str(v)) for k, v in row.get("fields") or ())})


def _invoice_out(d: Document) -> list[Any]:
    row: list[Any] = [d.number, int(d.type), d.customer_number, d.date.isoformat() if d.date else None,
                      str(d.amount), str(d.balance), d.currency, d.is_voided,
                      d.void_date.isoformat() if d.void_date else None,
                      d.modified_date.isoformat() if d.modified_date else None]
    if d.sales is not None:  # an eleventh element: rows of earlier releases have ten, and read as before
        row.append(sales_out(d.sales))
    return row


def _invoice_in(row: list[Any]) -> Document:
    number, kind, customer, date, amount, balance, currency, voided, void_date, modified = row[:10]
    sales = sales_in(row[10]) if len(row) > 10 and row[10] else None
    return Document(number, DocumentType(kind), customer, _day(date), Decimal(amount), Decimal(balance), currency,
                    bool(voided), _day(void_date), _day(modified), sales)
