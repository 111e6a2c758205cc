"""Same-shaped placeholders for the personal data in raw GP answers (the redacted sample for support).

Redaction is an allow-list: values under keys known to be non-personal (types, dates, amounts, flags, currency
and class ids) are kept as the server sent them; every other string (and number) is replaced.  A placeholder
keeps the shape of what it replaces: letters stay letters (same case, non-ASCII stays non-ASCII), digits stay
digits, and everything else (padding spaces, ``@``, ``.``, ``;``, ``,``, ``-``, parentheses) is kept, so
``"bob@fitz.com;ap@fitz.com  "`` becomes ``"qex@ruvb.com;mk@ruvb.com  "``.

Each run of letters or digits is replaced the same way wherever it appears (one `Redaction` per sample), and
two different runs never get the same placeholder: record keys (CustomerNumber, DocumentNumber, AddressId) and
shared e-mail addresses still join across files.  The mapping is drawn from a random salt, so a placeholder
says nothing about the value it replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
from typing import Any

from lxml import etree

# Non-personal keys whose values are kept verbatim, whatever their type (compared case-insensitively).
KEPT_KEYS = frozenset(k.casefold() for k in (
    "DocumentType", "TransactionState", "Currency", "CurrencyId", "ISOCode", "DecimalDigits",
    "ClassId", "IsActive", "IsOnHold", "IsVoided", "Type", "Status", "Scope", "PaymentTermsId",
    "CountryCode", "TaxScheduleId", "PriceLevelId", "ShippingMethodId", "SalesTerritoryId", "SalespersonId",
    "BatchId", "ErrorCode", "LogId",
))
# Keys kept when their value looks like a date, an amount or a flag (never free text): a "…Date" holding a
# name would still be replaced.
_KEPT_SUFFIXES = ("date", "datetime", "time", "timestamp", "amount", "balance", "total", "price", "quantity",
                  "count", "digits", "percent")
_KEPT_PREFIXES = ("Is", "Has", "Allow")  # IsActive, HasCreditLimit: flags
_LOOKS_NON_PERSONAL = re.compile(r"[\s\d+\-:./,TZ]*|/Date\(-?\d+([+-]\d{4})?\)/|true|false|null", re.I)
# Words that are structure, not data: kept so e-mail lists and junk stay recognisable (and never produced).
KEPT_WORDS = frozenset(("mailto", "com", "net", "org", "edu", "gov", "www", "http", "https"))

_RUN = re.compile(r"%[0-9A-Fa-f]{2}|[^\W\d_]+|\d+")
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_OTHER_LOWER = "äöüéèñøåçß"


def _is_amount(key: str, children: list[str]) -> bool:
    """An amount object (``{"Value": n, "Currency": …}``), whose ``Value`` is kept; a phone number's ``Value``
    is not."""
    folded = {c.casefold() for c in children}
    return key.casefold().endswith(_KEPT_SUFFIXES) or bool(folded & {"currency", "decimaldigits"})


def _is_kept_key(key: str) -> bool:
    return key.casefold() in KEPT_KEYS


def _is_kept_by_form(key: str, value: str) -> bool:
    if key.casefold() == "id":  # GP's integer company id; an "Id" in text may be a customer's key: replaced
        return bool(re.fullmatch(r"-?\d+", value))
    flag = any(key.startswith(p) and key[len(p):len(p) + 1].isupper() for p in _KEPT_PREFIXES)
    formal = flag or key.casefold().endswith(_KEPT_SUFFIXES)
    return formal and bool(_LOOKS_NON_PERSONAL.fullmatch(value))


class Redaction:
    """One sample's placeholders (see module docstring).  *salt* is random unless given (fixtures fix it so
    samples of the same data redact alike)."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(16)
        self._runs: dict[str, str] = {}  # original run (lower-cased) -> placeholder (lower-cased)
        self._used: set[str] = set()
        self.replaced: dict[str, str] = {}  # whole original strings (stripped) -> placeholders, for free text
        for word in KEPT_WORDS:
            self._runs[word] = word
            self._used.add(word)

    # -- strings ----------------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """*value* with every letter and digit run replaced; percent escapes and everything else kept."""
        out = _RUN.sub(lambda m: m.group() if m.group().startswith("%") else self._run(m.group()), value)
        if value.strip() and out != value:
            self.replaced.setdefault(value.strip(), out.strip())
        return out

    def _run(self, run: str) -> str:
        folded = run.lower()
        if set(folded) == {"0"}:  # GP's empty phone number: zeros say nothing about anybody
            return run
        placeholder = self._runs.get(folded)
        if placeholder is None:
            placeholder = self._draw(folded)
            self._runs[folded] = placeholder
            self._used.add(placeholder)
        return "".join(p.upper() if o.isupper() else p for o, p in zip(run, placeholder, strict=True))

    def _draw(self, folded: str) -> str:
        for attempt in range(1000):
            digest = hmac.new(self._salt, f"{attempt}:{folded}".encode(), hashlib.sha256).digest()
            while len(digest) < len(folded):
                digest += hashlib.sha256(digest).digest()
            chars = []
            for ch, byte in zip(folded, digest, strict=False):
                if ch.isdigit():
                    chars.append(_DIGITS[byte % 10])
                elif ch.isascii():
                    chars.append(_ASCII_LOWER[byte % 26])
                else:
                    chars.append(_OTHER_LOWER[byte % len(_OTHER_LOWER)])
            drawn = "".join(chars)
            if drawn not in self._used and drawn != folded and set(drawn) != {"0"}:
                return drawn
            if attempt == 50 and len(folded) <= 3:
                break  # a short run's shape is nearly used up: take what is left, in a salted order
        return self._leftover(folded) or drawn  # all used up (short non-ASCII runs): a repeat beats a leak

    def _leftover(self, folded: str) -> str | None:
        """An unused placeholder of *folded*'s shape (itself last: a single digit may have no other left)."""
        pools = [_DIGITS if ch.isdigit() else _ASCII_LOWER if ch.isascii() else _OTHER_LOWER for ch in folded]
        for candidate in sorted((c for c in itertools.product(*pools)),
                                key=lambda c: hmac.new(self._salt, "".join(c).encode(), hashlib.sha256).digest()):
            text = "".join(candidate)
            if text not in self._used and text != folded and set(text) != {"0"}:
                return text
        return folded if folded not in self._used else None

    def _number_text(self, text: str) -> str:
        """A number's text with other digits, still a valid JSON number (no new leading zero)."""
        redacted = re.sub(r"\d+", lambda m: self._run(m.group()), text)
        lead = re.match(r"-?", redacted)
        start = lead.end() if lead else 0
        if redacted[start:start + 1] == "0" and text[start:start + 1] != "0" and len(redacted) > start + 1:
            redacted = redacted[:start] + "1" + redacted[start + 1:]
        return redacted

    def number(self, value: int | float) -> int | float:
        """A number under a key not known to be an amount or id: same type and digit count, other digits."""
        return type(value)(self._number_text(repr(value)))

    # -- JSON ----------------------------------------------------------------------------------------------
    def json_value(self, value: Any, key: str = "") -> Any:
        """*value* (as parsed with `raw_numbers`) with the personal parts replaced; *key* is the key it is under."""
        if isinstance(value, dict):
            amount = _is_amount(key, list(value))
            return {k: v if amount and k == "Value" and _LOOKS_NON_PERSONAL.fullmatch(str(v)) else self.json_value(v, k)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.json_value(v, key) for v in value]
        if value is None or isinstance(value, bool):
            return value
        if key and _is_kept_key(key):
            return value
        if isinstance(value, RawNumber):
            return value if key and _is_kept_by_form(key, str(value)) else RawNumber(self._number_text(value))
        if isinstance(value, str):
            return value if key and _is_kept_by_form(key, value) else self.text(value)
        if isinstance(value, int | float):
            return self.number(value)
        return value

    # -- XML (SOAP answers) -------------------------------------------------------------------------------------
    def xml(self, body: bytes) -> bytes:
        """A SOAP answer with the text of every element not known to be non-personal replaced; tags, namespaces,
        attributes (xsi:type, xsi:nil) and the declaration kept."""
        root = etree.fromstring(body)
        for element in root.iter():
            if not isinstance(element.tag, str) or len(element) or not element.text:
                continue
            name = etree.QName(element).localname
            parent = element.getparent()
            # A record's key (<Key><Id>…</Id></Key>) identifies a customer or a document: replaced consistently.
            keyed = name == "Id" and parent is not None and etree.QName(parent).localname.endswith("Key") and \
                etree.QName(parent).localname not in ("CurrencyKey", "ClassKey", "CompanyKey")
            amount = name == "Value" and parent is not None and _is_amount(
                etree.QName(parent).localname, [etree.QName(c).localname for c in parent if isinstance(c.tag, str)])
            if amount and _LOOKS_NON_PERSONAL.fullmatch(element.text):
                continue
            if not keyed and (_is_kept_key(name) or _is_kept_by_form(name, element.text)):
                continue
            element.text = self.text(element.text)
        declaration = body.lstrip().startswith(b"<?xml")
        return etree.tostring(root, xml_declaration=declaration, encoding="utf-8")

    # -- HTML (the tenant's /help page) ------------------------------------------------------------------------------
    def html(self, page: str) -> str:
        """The help page with every value this sample already replaced (company and database names) replaced;
        the rest is the service's own description (resources, methods, URI templates), which discovery needs."""
        return self.known(page)

    def known(self, text: str) -> str:
        """*text* with every whole value this sample already replaced (longest first) replaced the same way."""
        for original in sorted(self.replaced, key=len, reverse=True):
            if len(original) >= 3:  # whole words only: "TWO" is a company, not the middle of "NETWORK"
                text = re.sub(rf"(?<!\w){re.escape(original)}(?!\w)", lambda _m, o=original: self.replaced[o], text)
        return text


class RawNumber(str):
    """A JSON number kept as the server wrote it (``12.50`` stays ``12.50``, not ``12.5``)."""


def raw_numbers(text: str) -> Any:
    """Parse JSON keeping every number's text (see `RawNumber`)."""
    return json.loads(text, parse_float=RawNumber, parse_int=RawNumber)


def dump_json(value: Any) -> str:
    """JSON text of a value parsed with `raw_numbers`: numbers written as they came, non-ASCII as is."""
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {dump_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
