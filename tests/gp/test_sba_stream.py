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
from tests.gp.sba_support import SHAPE_VARIANTS, variant_id
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
    broken = {"left": 1}
    real_get = src.session.get

    def get(url: str, **kwargs: Any) -> requests.Response:
        resp = real_get(url, **kwargs)
        if kwargs.get("stream") and broken["left"]:
            broken["left"] -= 1
            good = resp.iter_content

            def breaks(size: int = 1) -> Any:
                yield next(good(size))
                raise requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead")

            resp.iter_content = breaks  # type: ignore[method-assign]
        return resp

    src.session.get = get  # type: ignore[method-assign]
    documents = src.documents()
    assert len(sleeps) == 1 and documents == whole_answer_read(src)[1]
    assert all(isinstance(d.amount, Decimal) for d in documents)
