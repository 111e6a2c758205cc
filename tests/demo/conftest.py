"""The Mailchimp simulator's own tests share ``sim``, a fresh simulator per test (each test changes the account),
and ``api``, a client with the account's key.  The GP simulators' tests use ``gp_sba`` and ``gp_soap`` from
``tests/simulators.py`` like every other directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gpmc_desktop.demo.mailchimp_sim import MailchimpSimulator
from tests.demo.mailchimp_support import Api, running


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailchimpSimulator]:
    with running(tmp_path_factory) as simulator:
        yield simulator


@pytest.fixture
def api(sim: MailchimpSimulator) -> Api:
    return Api(sim)
