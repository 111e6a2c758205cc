"""GP's collections read from the socket record by record (gp/sba_stream.py): the same customers and documents,
to the cent, as reading the whole answer gave; over NTLM and gzip; the same messages for shapes and data the sync
cannot use."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp import data_check, sba_stream
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.normalize import read_amount
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.sba_shapes import customers_from_sba, document_from_sba
from tests.gp.sba_support import SHAPE_VARIANTS, break_first_stream, variant_id
from tests.gp.test_sba_client import calls_to, source
from tests.simulators import GPSim

PW = "Sba:Stream-1!"
GP_SIM = GPSim(users=[("CORP", "svc-sba", PW, {"TWO"})], customers=80, seed=17)
pytestmark = pytest.mark.usefixtures("system_ca_env")


def whole_answer_read(src: SbaSource) -> tuple[list[Any], list[Any]]:
    """What the client made of the collections before it streamed them: the whole answer, checked, then read."""
    raws, joined = src.customer_answers()
    data_check.check_sba_customers(raws, joined)
    documents = src.raw_documents()
    data_check.check_sba_documents(documents)
    return customers_from_sba(raws, joined), [document_from_sba(raw) for raw in documents]


@pytest.mark.parametrize("knobs", [
    {}, *SHAPE_VARIANTS, {"amount_shape": "number"}, {"amount_shape": "string"}, {"list_key": "value"},
    {"gzip": True},
], ids=lambda k: variant_id(k) or "default")
def test_the_streamed_read_is_the_whole_answer_read(gp_sba: GPSimulator, knobs: dict[str, Any]) -> None:
    gp_sba.set_options(**knobs)
    src, _ = source(gp_sba, password=PW)
    customers, documents = src.customers(), src.documents()
    assert len(customers) > 40 and len(documents) > 100
    assert (customers, documents) == whole_answer_read(src)


def test_gzip_answers_over_ntlm_are_read(gp_sba: GPSimulator) -> None:
    gp_sba.set_options(gzip=True)
    src, _ = source(gp_sba, password=PW)
    encodings: list[str] = []
    src.session.hooks["response"].append(
        lambda resp, **_kw: encodings.append(resp.headers.get("Content-Encoding", "")))
    gp_sba.clear_log()
    assert len(src.documents()) > 100
    assert "gzip" in encodings  # the answer really came compressed
    assert any(r.status == 401 for r in gp_sba.requests())  # and the NTLM handshake ran on the streamed GET
    assert len(calls_to(gp_sba, "/Sales/Receivables.json")) == 1


@pytest.mark.parametrize("number", ["0.005", "2.675", "-0.015", "1e2", "123456789.125", "10", "0.1e-1",
                                    "99999999999999.995", "1.0000000000000001"])
def test_amounts_round_as_the_whole_answer_read_rounds_them(number: str) -> None:
    body = f'{{"Payload": [{{"OriginalAmount": {number}}}]}}'.encode()
    streamed = list(sba_stream.answer_items(iter([body[:9], body[9:]]), "receivables documents"))
    whole = json.loads(body)["Payload"]
    assert streamed == whole and type(streamed[0]["OriginalAmount"]) is type(whole[0]["OriginalAmount"])
    assert read_amount(streamed[0]["OriginalAmount"]) == read_amount(whole[0]["OriginalAmount"])


@pytest.mark.parametrize(("body", "items"), [
    (b"[1, 2]", [1, 2]),
    (b'{"Payload": []}', []),
    (b'{"Count": 2, "Payload": {"Total": [9], "Items": [{"a": 1}, {"b": [2]}], "More": null}}', [{"a": 1}, {"b": [2]}]),
    (b'{"Value": [3]}', [3]),
])
def test_the_list_is_found_where_the_whole_answer_read_found_it(body: bytes, items: list[Any]) -> None:
    assert list(sba_stream.answer_items(iter([body]), "customers")) == items


@pytest.mark.parametrize(("body", "words"), [
    (b'{"Payload": {"Count": 0}}', "expected a list, got an object holding Count"),
    (b'{"Payload": "none"}', "expected a list, got str"),
])
def test_an_answer_without_a_list_is_the_same_shape_error(body: bytes, words: str) -> None:
    with pytest.raises(GPError) as caught:
        list(sba_stream.answer_items(iter([body]), "customers"))
    assert words in caught.value.message


@pytest.mark.parametrize("body", [b"<html>IIS</html>", b'{"Payload": [{"a": 1}, ', b""])
def test_a_body_that_is_not_json_says_so(body: bytes) -> None:
    with pytest.raises(GPError) as caught:
        list(sba_stream.answer_items(iter([body]), "customers"))
    assert caught.value.stage is Stage.DATA and "is not JSON" in caught.value.message


def test_a_field_missing_from_some_documents_is_the_whole_answers_message(gp_sba: GPSimulator) -> None:
    """Records are read as they come, but the check's message counts the whole answer, before any record is
    used."""
    src, _ = source(gp_sba, password=PW)
    raws = src.raw_documents()
    for raw in raws[5::7]:
        del raw["IsVoided"]
    body = json.dumps({"Payload": raws}).encode()
    chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))
    with pytest.raises(GPError) as streamed:
        sba_stream.read_documents(sba_stream.answer_items(chunks, "receivables documents"))
    with pytest.raises(GPError) as whole:
        data_check.check_sba_documents(raws)
    assert streamed.value.message == whole.value.message
    assert f"lack IsVoided ({len(raws[5::7])} of {len(raws)}: " in streamed.value.message


def test_a_body_that_breaks_off_is_read_again_from_the_start(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, password=PW)
    break_first_stream(src)
    documents = src.documents()
    assert len(sleeps) == 1 and documents == whole_answer_read(src)[1]
    assert all(isinstance(d.amount, Decimal) for d in documents)


# -- handing records to a sink ---------------------------------------------------------------------------------
@pytest.mark.parametrize("knobs", [{}, {"separate_addresses": True}], ids=["embedded", "separate"])
def test_a_sink_gets_the_records_the_list_would_hold(gp_sba: GPSimulator, knobs: dict[str, Any]) -> None:
    gp_sba.set_options(**knobs)
    src, _ = source(gp_sba, password=PW)
    customers: list[Any] = []
    documents: list[Any] = []
    assert src.customers(into=customers.append) == [] and src.documents(into=documents.append) == []
    listed_customers, listed_documents = src.customers(), src.documents()
    assert documents == listed_documents and len(documents) > 100
    if knobs:  # customers that wait for their addresses come after the join
        assert sorted(customers, key=listed_customers.index) == listed_customers
    else:
        assert customers == listed_customers


def _without_is_voided(src: SbaSource) -> tuple[bytes, list[Any]]:
    raws = src.raw_documents()
    for raw in raws[5::7]:
        del raw["IsVoided"]
    return json.dumps({"Payload": raws}).encode(), raws


def test_a_bad_answer_raises_the_same_error_after_the_sink_was_fed(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, password=PW)
    body, raws = _without_is_voided(src)
    fed: list[Any] = []
    with pytest.raises(GPError) as listed:
        sba_stream.read_documents(sba_stream.answer_items(iter([body]), "receivables documents"))
    with pytest.raises(GPError) as sunk:
        sba_stream.read_documents(sba_stream.answer_items(iter([body]), "receivables documents"), into=fed.append)
    assert 0 < len(fed) < len(raws)
    assert (sunk.value.stage, sunk.value.message) == (listed.value.stage, listed.value.message)


def test_a_bad_customer_answer_raises_the_same_error_after_the_sink_was_fed(gp_sba: GPSimulator) -> None:
    src, _ = source(gp_sba, password=PW)
    raws = src.raw_customers()
    for raw in raws[3::5]:
        del raw["CustomerName"]
    fed: list[Any] = []

    def read(into: Any = None) -> list[Any]:
        return sba_stream.read_customers(iter(raws), lambda _check: {}, into=into)

    with pytest.raises(GPError) as listed:
        read()
    with pytest.raises(GPError) as sunk:
        read(fed.append)
    assert len(fed) == 3
    assert (sunk.value.stage, sunk.value.message) == (listed.value.stage, listed.value.message)


def test_a_sink_gets_each_record_once_when_a_broken_answer_is_read_again(gp_sba: GPSimulator) -> None:
    src, sleeps = source(gp_sba, password=PW)
    real_get = src.session.get
    first_try: list[int] = []

    def get(url: str, **kwargs: Any) -> requests.Response:
        resp = real_get(url, **kwargs)
        if kwargs.get("stream") and not first_try:
            good = resp.iter_content

            def breaks(size: int = 1) -> Any:
                yield next(good(size))
                first_try.append(len(fed))  # what the first try handed on before the break
                raise requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead")

            resp.iter_content = breaks  # type: ignore[method-assign]
        return resp

    src.session.get = get  # type: ignore[method-assign]
    fed: list[Any] = []
    assert src.documents(into=fed.append) == []
    assert len(sleeps) == 1 and first_try[0] > 0
    assert fed == whole_answer_read(src)[1]


def _try(resumable: sba_stream.Resumable[int], records: list[int], *, breaks: bool = False) -> list[int]:
    def read(give: Any) -> list[int]:
        for record in records:
            give(record)
        if breaks:
            raise GPError(Stage.REACH, "broke off", transient=True)
        return []

    return resumable.run(read)


@pytest.mark.parametrize(("again", "fed"), [
    ([1, 2, 3, 4], [1, 2, 3, 4]),  # the same answer: the rest is handed on
    ([1, 2], None),  # the rest no longer there
    ([1, 9, 3, 4], None),  # a record changed
    ([2, 1, 3, 4], None),  # the order changed
])
def test_a_second_try_must_read_the_same_records(again: list[int], fed: list[int] | None) -> None:
    got: list[int] = []
    resumable = sba_stream.Resumable(got.append, "receivables documents")
    with pytest.raises(GPError):
        _try(resumable, [1, 2, 3], breaks=True)
    if fed is not None:
        _try(resumable, again)
        assert got == fed
    else:
        with pytest.raises(GPError) as caught:
            _try(resumable, again)
        assert "changed while it was read again" in caught.value.message and not caught.value.transient
