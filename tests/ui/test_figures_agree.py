"""One demo first load, end to end on the real simulators: the wizard's preview, the progress, the summary page,
the runs table, the status line, the tray and ``gpmc sync --json`` all state the same figures — contacts (e-mail
addresses: the demo's customers sharing one are one contact, and the preview says so), invoices and their money —
because each reads the one reconciliation (sync/reconciliation.py)."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gpmc_desktop.credentials import CredentialStore
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.sync.reconciliation import Reconciliation
from gpmc_desktop.sync.result_words import action_counts, contacts_sent, invoices_sent, sent_phrase
from gpmc_desktop.ui.wizard import PageId, SetupWizard
from tests.ui import test_wizard as walk
from tests.ui.conftest import DEMO_CUSTOMERS, wait_for_run

# The figures the preview predicts and the run then states (the dry run cannot know what Mailchimp will refuse).
CHAIN = ("currency", "gp_customers", "left_out", "addresses", "shared", "customers", "members",
         "ecommerce_customers", "gp_invoices", "invoices_left_out", "orders", "order_totals", "not_orders")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoEnvironment]:
    """The UI tests' demo, with no address Mailchimp would refuse as fake: the preview then predicts every
    record, and the figures can be the same everywhere."""
    env = DemoEnvironment(customers=DEMO_CUSTOMERS, workdir=tmp_path / "demo").start()
    env.mailchimp.config.fake_email_domains = set()
    try:
        yield env
    finally:
        env.stop()


def _preview(qtbot, name: str, credentials: CredentialStore) -> tuple[Reconciliation, str, str]:
    """The wizard's last page for the saved profile: its reconciliation, its text and its Finish line."""
    wizard = walk.open_wizard(qtbot, SetupWizard.edit_profile(name, credentials, start=PageId.PREVIEW))
    page = wizard.preview_page
    try:
        walk.wait_preview(qtbot, wizard)
        page.send_now_button.setChecked(True)
        assert page.report is not None and page.report.reconciliation is not None
        return page.report.reconciliation, page.result.text(), page.finish_line.text()
    finally:
        wizard.close()
        wizard.wait_for_checks()


def _cli_first_load(tmp_path: Path) -> dict:
    """``gpmc sync --json`` on a second demo of the same company (same seed): the headless first load's line."""
    env = DemoEnvironment(customers=DEMO_CUSTOMERS, workdir=tmp_path / "cli").start()
    env.mailchimp.config.fake_email_domains = set()
    try:
        profile = env.write_profile()
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("GPMC_") and k != "NTLM_USER_FILE"}
        run_env.update(GPMC_GP_PASSWORD=env.secrets.gp_password, GPMC_MAILCHIMP_API_KEY=env.secrets.mailchimp_api_key)
        done = subprocess.run([sys.executable, "-m", "gpmc_desktop.cli.main", "sync", "--config", str(profile),
                               "--json"], env=run_env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        env.stop()
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("First load (run 1): done"), done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _column(model, title: str) -> str:
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == title)
    return model.index(0, column).data()


def test_one_first_load_states_the_same_figures_everywhere(qtbot, make_controller, demo_profile: str,
                                                          credentials: CredentialStore, tmp_path: Path) -> None:
    # The wizard's preview: the chain in words, shared e-mails explained, and what Finish sends.
    preview, shown, finish_line = _preview(qtbot, demo_profile, credentials)
    assert preview.dry_run and preview.shared, "the demo company has customers sharing an e-mail address"
    assert preview.addresses < preview.eligible  # so contacts are fewer than customers, and that is said
    for line in preview.lines():
        assert html.escape(line.split(": ", 1)[-1].strip()) in shown, line
    assert html.escape(preview.shared_text()) in shown
    assert f"{preview.new_contacts:,} new contacts" in shown
    assert finish_line == f"Finish saves the profile and sends {sent_phrase(preview)} to Mailchimp now."

    # The first load from the app, with its progress.
    controller = make_controller()
    events: list[tuple[str, str, int, int]] = []
    controller.manager.progress.connect(lambda *args: events.append(args))
    report = wait_for_run(qtbot, controller, profile=demo_profile).report
    assert report is not None and report.outcome == "ok" and report.kind == "first-load"
    real = report.reconciliation
    assert real is not None and real.holds is not None
    for name in CHAIN:
        assert getattr(preview, name) == getattr(real, name), name
    contacts, invoices, money = contacts_sent(real), invoices_sent(real), real.money(real.money_sent)
    assert contacts == real.addresses == real.holds.members and invoices == real.holds.orders > 0
    assert real.money_sent == real.holds.money > 0

    # Progress: contacts end on the e-mail addresses, invoices on every GP invoice.
    totals = {phase: total for _name, phase, _done, total in events if phase in ("customers", "orders")}
    assert totals == {"customers": real.addresses, "orders": real.gp_invoices}

    window = controller.window
    # The summary page.
    summary = window.summary_view
    summary.refresh()
    assert f"{contacts:,} new contacts and {invoices:,} invoices ({money}) sent" in summary.sentence.text()
    assert summary.members.text() == f"{real.holds.members:,}" and summary.orders.text() == f"{invoices:,}"
    assert summary.order_total.text() == money
    assert summary.chart.bars[-1].sent == contacts + invoices  # the chart's bar: contacts and invoices sent
    # The runs table's row.
    runs = window.runs_model
    runs.reload()
    assert _column(runs, "Kind") == "First load"
    assert _column(runs, "Contacts") == action_counts(real.members) and _column(runs, "Contacts").startswith(
        f"{contacts:,} sent")
    assert _column(runs, "Invoices") == action_counts(real.orders) and _column(runs, "Invoices").startswith(
        f"{invoices:,} sent")
    assert _column(runs, "Money sent") == money
    # The status line, the tray's tooltip and its menu: the same sentence.
    said = f"OK: {contacts:,} contacts and {invoices:,} invoices ({money}) sent"
    assert window.result_label.text() == said
    assert said in controller.tray.icon.toolTip()
    assert said in controller.tray.result_action.text()
    # After a restart the stored run reads the same.
    controller.shutdown(timeout_s=60)
    again = make_controller()
    assert again.board[demo_profile].last_result_text == said

    # ``gpmc sync --json``: the headless first load of the same company states the same reconciliation.
    line = _cli_first_load(tmp_path)
    assert line["kind"] == "first-load"
    cli = Reconciliation.from_json(line["reconciliation"])
    for name in CHAIN:
        assert getattr(cli, name) == getattr(real, name), name
    assert cli.holds == real.holds
