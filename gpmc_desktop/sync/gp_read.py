"""One run's GP records, read once and handed back in shards, so a company of 100,000 customers and 500,000
receivables documents is never held whole.

A run whose customers fit one shard keeps everything in lists, as before.  A larger one spills every record into
a scratch SQLite file for the run (deleted on close) and hands back a few thousand customers at a time: every
customer of an e-mail address in the same shard (customers go in the order of their e-mail's hash, cut every
few thousand), each with all its documents, so the plan of one shard never needs another.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sqlite3
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from gpmc_desktop.gp import data_check
from gpmc_desktop.gp.model import Customer, Document, DocumentType, PostalAddress
from gpmc_desktop.gp.sales_codec import sales_in, sales_out
from gpmc_desktop.store.bulk import statement_chunks
from gpmc_desktop.sync.mapping import DEFAULT_CURRENCY, iso_currency

SHARD_CUSTOMERS = 4000
_WRITE_ROWS = 2_000  # rows per executemany and transaction: a few megabytes held, whatever the company
_LOOKUP_KEYS = 500  # keys per IN (...): well under SQLite's limit on parameters

_TYPES = {int(t): t for t in DocumentType}  # a dict beats the enum's own lookup, a million times over
_CUSTOMER_COLUMNS = ("number", "company_name", "first_name", "last_name", "email", "email_note", "line1", "line2",
                     "city", "state", "postal_code", "country_code", "phone", "class_id", "currency_id",
                     "is_active", "is_on_hold", "modified_date", "rejected_emails", "fields")
_DOCUMENT_COLUMNS = ("number", "type", "customer_number", "date", "amount", "balance", "currency", "is_voided",
                     "void_date", "modified_date", "sales")
_SCHEMA = f"""
CREATE TABLE customers (seq INTEGER PRIMARY KEY, crc INTEGER NOT NULL, shard INTEGER,
                        {", ".join(_CUSTOMER_COLUMNS)});
CREATE TABLE documents (seq INTEGER PRIMARY KEY, {", ".join(_DOCUMENT_COLUMNS)});
"""
_CUSTOMERS_DONE = """
CREATE INDEX customers_number ON customers (number);
CREATE INDEX customers_shard ON customers (shard, seq);
CREATE TABLE customer_shard (number TEXT PRIMARY KEY, shard INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO customer_shard SELECT number, shard FROM customers ORDER BY seq;
CREATE INDEX customer_shard_shard ON customer_shard (shard);
CREATE INDEX customers_email ON customers (email);
"""
_DOCUMENTS_DONE = """
CREATE INDEX documents_customer ON documents (customer_number);
CREATE INDEX documents_number ON documents (number);
"""
_DOCUMENT_SELECT = f"SELECT d.seq, {', '.join(f'd.{c}' for c in _DOCUMENT_COLUMNS)} FROM "
_SHARD_DOCUMENTS = (_DOCUMENT_SELECT + "customer_shard c JOIN documents d ON d.customer_number = c.number "
                    "WHERE c.shard = ?")
_ORPHAN_DOCUMENTS = (_DOCUMENT_SELECT + "documents d WHERE NOT EXISTS "
                     "(SELECT 1 FROM customer_shard c WHERE c.number = d.customer_number)")


def shard_key(customer: Customer) -> int:
    """The hash that places a customer: its e-mail's, so customers sharing one meet; else its own number's."""
    return zlib.crc32((customer.email or "#" + customer.number).encode())


# -- rows --------------------------------------------------------------------------------------------------
def _day(value: dt.date | None) -> int | None:
    return value.toordinal() if value is not None else None


@functools.lru_cache(maxsize=4096)
def _date(value: int | None) -> dt.date | None:
    """A day back from its ordinal: half a million documents hold a few thousand days, each made once."""
    return dt.date.fromordinal(value) if value is not None else None


def _customer_row(c: Customer) -> tuple[Any, ...]:
    a = c.address
    # None for no rejected e-mails, so ("",) still comes back as itself
    rejected = "\n".join(c.rejected_emails) if c.rejected_emails else None
    return (shard_key(c), c.number, c.company_name, c.first_name, c.last_name, c.email, c.email_note, a.line1,
            a.line2, a.city, a.state, a.postal_code, a.country_code, c.phone, c.class_id, c.currency_id,
            int(c.is_active), int(c.is_on_hold), _day(c.modified_date), rejected,
            json.dumps(c.fields, ensure_ascii=False) if c.fields else None)


def _customer(row: tuple[Any, ...]) -> Customer:
    (number, company, first, last, email, note, line1, line2, city, state, postal, country, phone, class_id,
     currency_id, active, on_hold, modified, rejected, fields) = row
    return Customer(number, company, first, last, email, note,
                    PostalAddress(line1, line2, city, state, postal, country), phone, class_id, currency_id,
                    bool(active), bool(on_hold), _date(modified),
                    tuple(rejected.split("\n")) if rejected is not None else (),
                    _fields(fields) if fields is not None else ())


@functools.lru_cache(maxsize=4096)
def _fields(text: str) -> tuple[tuple[str, str], ...]:
    """A customer's mappable fields back from their JSON: a few combinations recur, each made once."""
    return tuple((sys.intern(k), sys.intern(v)) for k, v in json.loads(text))


def _document_row(d: Document) -> tuple[Any, ...]:
    # Amounts as text: a Decimal comes back to the digit, exponent and sign included
    return (d.number, int(d.type), d.customer_number, _day(d.date), str(d.amount), str(d.balance), d.currency,
            int(d.is_voided), _day(d.void_date), _day(d.modified_date),
            json.dumps(sales_out(d.sales), ensure_ascii=False) if d.sales is not None else None)


def _document(row: tuple[Any, ...]) -> Document:
    """A document from its row as the shard queries give it (its place first)."""
    _seq, number, kind, customer, date, amount, balance, currency, voided, void_date, modified, sales = row
    return Document(number, _TYPES[kind], customer, _date(date), Decimal(amount), Decimal(balance), currency,
                    bool(voided), _date(void_date), _date(modified),
                    sales_in(json.loads(sales)) if sales is not None else None)


class GPRead:
    """One run's GP records, handed out in shards (a context manager: close() deletes the scratch file).

    Feed it every customer (:meth:`add_customer`), then :meth:`customers_done`, then every document
    (:meth:`add_document`), then :meth:`documents_done`; then read :meth:`shards` and the lookups."""

    def __init__(self, shard_customers: int = SHARD_CUSTOMERS, scratch_dir: Path | None = None) -> None:
        self.shard_customers = shard_customers
        self.scratch_dir = scratch_dir
        self.customer_count = 0
        self.document_count = 0
        self.shard_count = 1
        self._with_email = 0
        self._currencies: Counter[str] = Counter()  # invoices by ISO currency, in the order first seen
        self._customers: list[Customer] = []  # memory mode only
        self._documents: list[Document] = []  # memory mode only
        self._db: sqlite3.Connection | None = None
        self._path: Path | None = None
        self._rows: list[tuple[Any, ...]] = []  # spill mode: rows waiting for the next write
        self._insert = ""

    # -- lifetime --------------------------------------------------------------------------------------------
    def __enter__(self) -> GPRead:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Forget the records and delete the scratch file, if there is one."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None
        self._customers, self._documents, self._rows = [], [], []

    @property
    def spilled(self) -> bool:
        """Whether the records live in the scratch file (more customers than one shard holds)."""
        return self._path is not None

    def _spill(self) -> None:
        fd, name = tempfile.mkstemp(prefix="gpmc-gp-read-", suffix=".sqlite", dir=self.scratch_dir)
        os.close(fd)
        self._path = Path(name)
        # Scratch only: a crash loses nothing worth a journal or a sync to disk.
        db = sqlite3.connect(name, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-2000")
        db.executescript(_SCHEMA)
        self._db = db
        self._start_writing("customers", ("crc", *_CUSTOMER_COLUMNS))
        for customer in self._customers:
            self._write(_customer_row(customer))
        self._customers = []

    def _conn(self) -> sqlite3.Connection:
        assert self._db is not None, "the GP read is closed"
        return self._db

    # -- writing --------------------------------------------------------------------------------------------
    def _start_writing(self, table: str, columns: tuple[str, ...]) -> None:
        self._insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    def _write(self, row: tuple[Any, ...]) -> None:
        self._rows.append(row)
        if len(self._rows) >= _WRITE_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        db = self._conn()
        db.execute("BEGIN")
        db.executemany(self._insert, self._rows)
        db.execute("COMMIT")
        self._rows = []

    # -- feeding ---------------------------------------------------------------------------------------------
    def add_customer(self, customer: Customer) -> None:
        self.customer_count += 1
        if customer.email:
            self._with_email += 1
        if self._path is None and self.customer_count > self.shard_customers:
            self._spill()
        if self._path is None:
            self._customers.append(customer)
        else:
            self._write(_customer_row(customer))

    def customers_done(self) -> None:
        """The customers are all in: the same stop as data_check.check_emails when none has an e-mail."""
        data_check.check_email_counts(self.customer_count, self._with_email)
        if self._path is None:
            return
        self._flush()
        db = self._conn()
        self.shard_count = self._cut(db)
        db.executescript(_CUSTOMERS_DONE)
        self._start_writing("documents", _DOCUMENT_COLUMNS)

    def _cut(self, db: sqlite3.Connection) -> int:
        """Give every spilled customer its part; returns how many parts.  Customers go in the order of their
        e-mail's hash and a part is cut every *shard_customers*, an e-mail's customers never split: parts of one
        size whatever the company (a remainder of a hash's count would make the largest part, and the run's peak
        memory, grow with the number of parts)."""
        size = self.shard_customers
        db.execute("CREATE TEMP TABLE crc_shard (crc INTEGER PRIMARY KEY, shard INTEGER NOT NULL)")

        def ranked() -> Iterator[tuple[int, int]]:
            before = 0
            for crc, count in db.execute("SELECT crc, COUNT(*) FROM customers GROUP BY crc ORDER BY crc"):
                yield crc, before // size
                before += count

        db.execute("BEGIN")
        db.executemany("INSERT INTO crc_shard (crc, shard) VALUES (?, ?)", ranked())
        db.execute("UPDATE customers SET shard = (SELECT shard FROM crc_shard WHERE crc_shard.crc = customers.crc)")
        db.execute("COMMIT")
        db.execute("DROP TABLE crc_shard")
        return int(db.execute("SELECT MAX(shard) FROM customers").fetchone()[0]) + 1

    def add_document(self, doc: Document) -> None:
        self.document_count += 1
        if doc.type is DocumentType.INVOICE:
            code = iso_currency(doc.currency, "")
            if code:
                self._currencies[code] += 1
        if self._path is None:
            self._documents.append(doc)
        else:
            self._write(_document_row(doc))

    def documents_done(self) -> None:
        if self._path is None:
            return
        self._flush()
        self._conn().executescript(_DOCUMENTS_DONE)

    @property
    def currency(self) -> str:
        """The store's currency, as mapping.store_currency decides it over every document."""
        return self._currencies.most_common(1)[0][0] if self._currencies else DEFAULT_CURRENCY

    # -- reading ---------------------------------------------------------------------------------------------
    def shards(self) -> Iterator[tuple[list[Customer], list[Document]]]:
        """Each shard's customers and their documents, in the order they came (a document whose customer GP
        did not answer with comes in the last shard)."""
        for _index, customers, documents in self.parts():
            yield customers, documents

    def parts(self, skip: Container[int] = ()) -> Iterator[tuple[int, list[Customer], list[Document]]]:
        """:meth:`shards` with each shard's index, leaving out (never read back) the shards *skip* names."""
        if self._path is None:
            if 0 not in skip:
                yield 0, self._customers, self._documents
            return
        db = self._conn()
        columns = ", ".join(_CUSTOMER_COLUMNS)
        last = self.shard_count - 1
        for shard in range(self.shard_count):
            if shard in skip:
                continue
            rows = db.execute(f"SELECT {columns} FROM customers WHERE shard = ? ORDER BY seq", (shard,))
            customers = [_customer(row) for row in rows]
            sql = _SHARD_DOCUMENTS + (f" UNION ALL {_ORPHAN_DOCUMENTS}" if shard == last else "") + " ORDER BY 1"
            documents = [_document(row) for row in db.execute(sql, (shard,))]
            yield shard, customers, documents

    def absent_customers(self, numbers: Iterable[str]) -> Iterator[str]:
        """Those of *numbers* that no customer of GP's answer has."""
        if self._path is None:
            return self._absent(numbers, {c.number for c in self._customers})
        return self._absent_in("customers", numbers)

    def absent_documents(self, numbers: Iterable[str]) -> Iterator[str]:
        """Those of *numbers* that no document of GP's answer has."""
        if self._path is None:
            return self._absent(numbers, {d.number for d in self._documents})
        return self._absent_in("documents", numbers)

    @staticmethod
    def _absent(numbers: Iterable[str], present: set[str]) -> Iterator[str]:
        return (n for n in numbers if n not in present)

    def _absent_in(self, table: str, numbers: Iterable[str]) -> Iterator[str]:
        db = self._conn()
        for chunk in statement_chunks(numbers, _LOOKUP_KEYS):
            sql = f"SELECT DISTINCT number FROM {table} WHERE number IN ({', '.join('?' * len(chunk))})"
            present = {number for (number,) in db.execute(sql, chunk)}
            yield from self._absent(chunk, present)

    def known_emails(self, emails: Iterable[str]) -> Iterator[str]:
        """Those of *emails* some customer of GP's answer has (looked up by key, a few hundred at a time)."""
        if self._path is None:
            present = {c.email for c in self._customers if c.email}
            return (e for e in dict.fromkeys(emails) if e in present)
        return self._known_in(emails)

    def _known_in(self, emails: Iterable[str]) -> Iterator[str]:
        db = self._conn()
        for chunk in statement_chunks(dict.fromkeys(emails), _LOOKUP_KEYS):
            sql = f"SELECT DISTINCT email FROM customers WHERE email IN ({', '.join('?' * len(chunk))})"
            yield from (email for (email,) in db.execute(sql, chunk))

    def emails(self) -> Iterator[str]:
        """The distinct e-mails of all customers, in no particular order."""
        if self._path is None:
            return iter({c.email for c in self._customers if c.email})
        rows = self._conn().execute("SELECT DISTINCT email FROM customers WHERE email IS NOT NULL AND email != ''")
        return (email for (email,) in rows)
