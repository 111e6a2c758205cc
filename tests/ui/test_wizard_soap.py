"""The setup wizard with "Legacy Web Services (SOAP)" against the GP Web Services simulator: the stages pass,
the company list comes from GetCompanyList, and Finish stores ``gp_api = "soap"``."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.credentials import CredentialStore, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DEMO_COMPANY, DemoEnvironment
from gpmc_desktop.ui.wizard import PageId, SetupWizard
from tests.ui.test_wizard import (
    choose_automations,
    choose_contacts,
    connect_mailchimp,
    finish,
    go_next,
    next_enabled,
    open_wizard,
    run_and_wait,
    wait_preview,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    demo = DemoEnvironment(customers=40, workdir=tmp_path_factory.mktemp("soap-demo"), gp_api="soap").start()
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


def test_soap_profile_end_to_end(qtbot, wizard: SetupWizard, env: DemoEnvironment) -> None:
    assert env.gp_soap is not None
    company = env.dataset.find_company(DEMO_COMPANY)
    assert company is not None
    gp = wizard.gp_page
    assert gp.api_soap.isEnabled() and gp.api() == "sba"
    gp.api_soap.setChecked(True)
    assert gp.url.placeholderText() == "http://gp01.corp.example:48620"
    gp.url.setText(env.gp_soap.base_url)
    gp.username.setText("CORP\\svc-gp")
    gp.password.setText(env.secrets.gp_password)
    gp.set_auth_method("ntlm")
    run_and_wait(qtbot, gp)
    assert gp.stages.passed("reach", "tls", "auth", "companies"), gp.stages.text()
    assert "plain HTTP" in gp.stages.text()
    go_next(qtbot, wizard, PageId.COMPANY)

    page = wizard.company_page
    listed = [page.companies.item(i).text() for i in range(page.companies.count())]
    assert len(listed) == len(env.dataset.companies) and any(t.startswith(f"{company.name} (id ") for t in listed)
    assert not next_enabled(wizard)
    assert page.pick(company.name)  # picked from GetCompanyList, never typed as an id
    assert page.company.text() == company.name
    run_and_wait(qtbot, page)
    assert page.stages.passed("company", "sample", "data"), page.stages.text()
    go_next(qtbot, wizard, PageId.MAILCHIMP)

    mc = wizard.mailchimp_page
    connect_mailchimp(qtbot, wizard, env)
    assert mc.stages.passed("key", "ping", "audiences"), mc.stages.text()
    run_and_wait(qtbot, mc)
    assert mc.stages.passed("key", "ping", "audience", "store"), mc.stages.text()
    go_next(qtbot, wizard, PageId.CONTACTS)
    choose_contacts(qtbot, wizard, "transactional")
    choose_automations(qtbot, wizard, "off")
    go_next(qtbot, wizard, PageId.FIELDS)
    go_next(qtbot, wizard, PageId.SCHEDULE)
    go_next(qtbot, wizard, PageId.PREVIEW)
    wait_preview(qtbot, wizard)
    report = wizard.preview_page.report
    assert report is not None and report.outcome == "ok"
    # Over Web Services the preview counts the orders that carry their sales invoice's items.
    assert report.order_lines is not None and report.order_lines.with_items > 0
    assert html.escape(report.order_lines.lines()[0]) in wizard.preview_page.result.text()
    name = wizard.preview_page.name.text()
    finish(qtbot, wizard)

    row = store.get_profile(name)
    assert row is not None
    settings = row.profile()
    assert (settings.gp.api, settings.gp.url, settings.gp.company) == ("soap", env.gp_soap.base_url, company.name)
