"""Fingerprints of GP's collection answers, so a poll can tell that GP answers exactly as it did at an earlier run
without turning a single record into the sync's model.

An answer's print is its record count and one short hash per block of records, each record hashed as parsed (its
``repr``: keys, values and their order, not the bytes or the envelope, so white space and a changing wrapper do
not count).  A reader compares block by block as the records arrive and stops at the first block that differs,
long before the end of a half-million-record answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

BLOCK = 2000  # records per block: a 500,000-record answer has 250 blocks, a few kilobytes of print


def _hasher() -> Any:
    return hashlib.blake2b(digest_size=8)


@dataclass(frozen=True)
class AnswerPrint:
    """One answer's print: its records and a hash per block of :data:`BLOCK` records (the last may be short)."""

    count: int
    blocks: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "blocks": list(self.blocks)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnswerPrint:
        return cls(int(data["count"]), tuple(str(b) for b in data["blocks"]))


class AnswerChanged(Exception):
    """The answer being read is not the one printed (raised at the first block that differs)."""


class PrintTaker:
    """The print of an answer fed record by record (:meth:`add`, or :meth:`watch` over the records); with
    *expected*, each block is compared as it completes and :class:`AnswerChanged` raised at the first that
    differs."""

    def __init__(self, expected: AnswerPrint | None = None) -> None:
        self.expected = expected
        self.usable = True  # False: the answer leaves out what its records depend on (see SbaSource)
        self.restart()

    def restart(self) -> None:
        """Forget what was fed (the answer is read again from its start)."""
        self.count = 0
        self._blocks: list[str] = []
        self._hash = _hasher()

    def add(self, record: Any) -> None:
        # surrogatepass: a lone surrogate in GP's JSON ("\ud800") still hashes
        self._hash.update(repr(record).encode("utf-8", "surrogatepass"))
        self._hash.update(b"\x1e")
        self.count += 1
        if self.count % BLOCK == 0:
            self._close_block()

    def watch(self, records: Iterable[Any]) -> Iterator[Any]:
        """*records*, each added as it passes."""
        for record in records:
            self.add(record)
            yield record

    def _close_block(self) -> None:
        self._blocks.append(self._hash.hexdigest())
        self._hash = _hasher()
        expected = self.expected
        if expected is not None:
            index = len(self._blocks) - 1
            if index >= len(expected.blocks) or expected.blocks[index] != self._blocks[index]:
                raise AnswerChanged

    def finish(self) -> AnswerPrint:
        """The whole answer's print; with *expected*, :class:`AnswerChanged` unless it is the same."""
        if self.count % BLOCK:
            self._close_block()
        done = AnswerPrint(self.count, tuple(self._blocks))
        if self.expected is not None and done != self.expected:
            raise AnswerChanged
        return done
