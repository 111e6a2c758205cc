"""Each stage failing in the wizard: the core's plain-words message is shown and Next stays disabled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from gpmc_desktop import store
from gpmc_desktop.credentials import CredentialStore, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.ui.wizard import PageId, SetupWizard
from tests.ui.test_wizard import (
    connect_mailchimp,
    fill_gp,
    go_next,
    next_enabled,
    open_wizard,
    pass_company,
    pass_gp,
    run_and_wait,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    demo = DemoEnvironment(customers=80, workdir=tmp_path_factory.mktemp("demo")).start()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture
def wizard(qtbot, tmp_path: Path) -> Iterator[SetupWizard]:
    with use_test_keyring(), store.open_store(tmp_path / "state.sqlite"):
        credentials: CredentialStore = default_store()
        w = open_wizard(qtbot, SetupWizard.new_profile(credentials))
        yield w
        w.close()
        w.wait_for_checks()


def failed(page) -> tuple[str, str]:
    failures = page.stages.failures()
    assert len(failures) == 1, page.stages.text()
    return failures[0].stage, failures[0].message


# -- GP ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "stage", "words"),
    [
        ("unreachable", "reach", "Cannot reach 127.0.0.1:1"),
        ("untrusted", "tls", "certificate this computer does not trust"),
        ("wrong_password", "auth", "GP refused the Windows credentials of CORP\\svc-gp"),
        ("not_a_url", "fields", "write the address of the GP Service like https://"),
        ("missing_ca_file", "fields", "there is no file"),
        ("no_domain", "fields", "write it with its domain, like CORP\\svc-gp"),
    ],
)
def test_gp_stage_failures(qtbot, wizard: SetupWizard, env: DemoEnvironment, case: str, stage: str,
                           words: str, tmp_path: Path) -> None:
    fill_gp(wizard, env)
    gp = wizard.gp_page
    if case == "unreachable":
        gp.url.setText("https://127.0.0.1:1")
    elif case == "untrusted":
        gp.ca_file.setText("")
    elif case == "wrong_password":
        gp.password.setText("not-the-password")
    elif case == "not_a_url":
        gp.url.setText("gp01.corp.example")
    elif case == "missing_ca_file":
        gp.ca_file.setText(str(tmp_path / "nowhere.pem"))
    elif case == "no_domain":
        gp.username.setText("svc-gp")
    run_and_wait(qtbot, gp)
    assert failed(gp)[0] == stage
    assert words in failed(gp)[1]
    assert gp.stages.isVisible()
    assert not next_enabled(wizard)


def test_certificate_file_that_is_not_pem(qtbot, wizard: SetupWizard, env: DemoEnvironment, tmp_path: Path) -> None:
    der = tmp_path / "gp.cer"
    der.write_bytes(b"\x30\x82\x03\x00 binary DER")
    fill_gp(wizard, env)
    wizard.gp_page.ca_file.setText(str(der))
    run_and_wait(qtbot, wizard.gp_page)
    assert "Base-64 encoded X.509" in failed(wizard.gp_page)[1]
    assert not next_enabled(wizard)


def test_unknown_company_typed_in(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    pass_gp(qtbot, wizard, env)
    page = wizard.company_page
    page.company.setText("NOPE")  # free entry
    run_and_wait(qtbot, page)
    stage, message = failed(page)
    assert stage == "company"
    assert "GP has no company 'NOPE'" in message and "TWO (Fabrikam, Inc.)" in message
    assert not next_enabled(wizard)


@pytest.mark.parametrize(("knobs", "words"), [
    ({"omit_fields": ("CurrentAmount",)}, "GP's receivables documents lack CurrentAmount (they hold "),
    ({"omit_fields": ("EmailToAddress",)}, "GP's customer addresses lack EmailToAddress (they hold "),
])
def test_gp_data_the_sync_cannot_read_keeps_the_wizard_on_the_company_page(
    qtbot, wizard: SetupWizard, env: DemoEnvironment, knobs: dict[str, Any], words: str
) -> None:
    pass_gp(qtbot, wizard, env)
    page = wizard.company_page
    assert page.pick(DEMO_COMPANY)
    env.gp.set_options(**knobs)
    try:
        run_and_wait(qtbot, page)
    finally:
        env.gp.set_options(omit_fields=())
    stage, message = failed(page)
    assert stage == "data"
    assert message.startswith(words) and "Nothing was sent to Mailchimp. Send a GP sample to support" in message
    assert [(r.stage, r.ok) for r in page.stages.results] == [("company", True), ("sample", True), ("data", False)]
    shown = {label.text() for label in page.stages.findChildren(QLabel) if label.isVisible()}
    assert {"GP data", message} <= shown  # the stage's title and the whole message, on screen
    assert not next_enabled(wizard)


# -- Mailchimp ------------------------------------------------------------------------------------------------
def to_mailchimp(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    pass_gp(qtbot, wizard, env)
    pass_company(qtbot, wizard)
    assert wizard.currentId() == PageId.MAILCHIMP


@pytest.mark.parametrize(
    ("key", "stage", "words"),
    [
        ("not-a-key", "key", "That is not a Mailchimp API key"),
        ("ffffffffffffffffffffffffffffffff-us6", "ping", "Mailchimp refused the API key"),
    ],
)
def test_mailchimp_key_failures(qtbot, wizard: SetupWizard, env: DemoEnvironment, key: str, stage: str,
                                words: str) -> None:
    to_mailchimp(qtbot, wizard, env)
    connect_mailchimp(qtbot, wizard, env, key=key)
    page = wizard.mailchimp_page
    assert failed(page)[0] == stage and words in failed(page)[1]
    assert page.audience.count() == 0  # no audiences listed with a refused key
    assert not next_enabled(wizard)
    # The full check refuses the same way.
    page.audience.setEditText(env.profile_list_id)
    run_and_wait(qtbot, page)
    assert failed(page)[0] == stage
    assert not next_enabled(wizard)


def test_datacenter_follows_the_key_as_typed(qtbot, wizard: SetupWizard) -> None:
    page = wizard.mailchimp_page
    page.api_key.setText("0123456789abcdef0123456789abcdef-us1")
    assert page.datacenter.text().startswith("us1")
    assert "https://us1.api.mailchimp.com/3.0" in page.datacenter.text()
    page.api_key.setText("0123456789abcdef")
    assert "not a complete key yet" in page.datacenter.text()


def test_unknown_audience(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    to_mailchimp(qtbot, wizard, env)
    connect_mailchimp(qtbot, wizard, env)
    page = wizard.mailchimp_page
    page.audience.setEditText("zzzz999")
    run_and_wait(qtbot, page)
    stage, message = failed(page)
    assert stage == "audience" and "No audience 'zzzz999'" in message and env.profile_list_id in message
    assert not next_enabled(wizard)
    page.pick_audience(env.profile_list_id)  # fixing it and checking again lets the user on
    run_and_wait(qtbot, page)
    assert not page.stages.failures()
    go_next(qtbot, wizard, PageId.CONTACTS)
