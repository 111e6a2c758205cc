"""The prints of GP's SBA answers (gp/answer_prints.py) over real sockets and NTLM: taken on the way by the ordinary
read, the same as the records' own, checked again without making a record, and any difference (a changed record,
addresses GP keeps in their own resource) found before the rest of the answers is read."""

from __future__ import annotations

from typing import Any

import pytest

from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.answer_prints import AnswerPrint, PrintTaker
from gpmc_desktop.gp.sba import SbaSource
from tests.gp.sba_support import break_first_stream
from tests.gp.test_sba_client import calls_to, source
from tests.simulators import GPSim

PW = "Sba:Prints-1!"
GP_SIM = GPSim(users=[("CORP", "svc-sba", PW, {"TWO"})], customers=60, seed=23)
pytestmark = pytest.mark.usefixtures("system_ca_env")


def prints_of(src: SbaSource) -> tuple[PrintTaker, PrintTaker]:
    """The prints the ordinary read takes (as the engine reads: records handed on as they are made)."""
    customers, documents = PrintTaker(), PrintTaker()
    src.customers(into=lambda _c: None, prints=customers)
    src.documents(into=lambda _d: None, prints=documents)
    return customers, documents


def whole(records: list[Any]) -> AnswerPrint:
    taker = PrintTaker()
    for record in records:
        taker.add(record)
    return taker.finish()


@pytest.mark.parametrize("knobs", [{}, {"gzip": True}, {"list_key": "value"}], ids=["plain", "gzip", "value"])
def test_the_ordinary_read_prints_the_records_themselves(gp_sba: GPSimulator, knobs: dict[str, Any]) -> None:
    gp_sba.set_options(**knobs)
    src, _ = source(gp_sba, password=PW)
    customers, documents = prints_of(src)
    assert customers.usable and documents.usable
    printed = customers.finish(), documents.finish()
    assert printed == (whole(src.raw_customers()), whole(src.raw_documents()))
    assert printed[1].count > 100
    gp_sba.clear_log()
    assert src.answers_as_printed(*printed)
    assert len(calls_to(gp_sba, "/Sales/Receivables.json")) == 1


def test_a_changed_record_is_found_before_the_rest_is_read(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, password=PW)
    customers, documents = (p.finish() for p in prints_of(src))
    GPMutator(gp_sba.dataset).change_address(next(iter(gp_sba.dataset.companies["TWO"].customers)), company="TWO")
    gp_sba.clear_log()
    assert not src.answers_as_printed(customers, documents)
    assert calls_to(gp_sba, "/Sales/Receivables.json") == []  # the customers differed: documents never asked
    again = prints_of(src)
    assert again[0].finish() != customers and again[1].finish() == documents


def test_addresses_in_their_own_resource_make_the_prints_unusable(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(separate_addresses=True)
    src, _ = source(gp_sba, password=PW)
    customers, documents = prints_of(src)
    assert not customers.usable and documents.usable  # an address change would not show in the customers
    assert not src.answers_as_printed(customers.finish(), documents.finish())


def test_an_answer_that_breaks_off_is_compared_again_from_its_start(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, password=PW)
    printed = tuple(p.finish() for p in prints_of(src))
    break_first_stream(src)
    assert src.answers_as_printed(*printed) and len(sleeps) == 1
