"""``[mailchimp] automations``: with "off" no order e-mail ever goes out; with "on" they start after the first load;
switching flips the store once; a new profile must choose before its first sync, an older one keeps today's
behaviour.  Each test runs the real engine (or ``gpmc sync``) against the simulators and counts the e-mails the
Mailchimp simulator says the account would have sent."""

from __future__ import annotations

from gpmc_desktop import store
from gpmc_desktop.demo.gp_model import DocType, key_of
from gpmc_desktop.demo.gp_mutate import GPMutator
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from tests.sync.engine_support import Demo, demo_fixture, expected_state

demo = demo_fixture("demo", 120)
DONE = ("ok", "partial")  # the demo's dirty data holds addresses Mailchimp refuses: "partial", still done


def set_automations(demo: Demo, choice: str) -> None:
    """Rewrite the demo's profile file with ``automations = choice`` ("" leaves the key out)."""
    demo.profile_path.write_text(demo.env.profile_toml(database=str(demo.db_path), automations=choice),
                                 encoding="utf-8")


def gp_activity(demo: Demo) -> dict[str, str]:
    """A new invoice, a payment in full and a void in GP; the order e-mail each should trigger, by invoice."""
    exp = expected_state(demo)
    with demo.env.dataset.lock:
        open_invoices = sorted(
            key_of(r.docnumbr) for r in demo.company.open_docs.values()
            if r.rmdtypal == DocType.INVOICE and not r.voidstts and r.curtrxam > 0)
    pending = [n for n in open_invoices if n in exp.orders and exp.orders[n].status == "pending"]
    paid, voided = pending[0], pending[1]
    mutator = GPMutator(demo.env.dataset)
    added = mutator.add_invoices(1, customer=exp.orders[paid].customer, amount="250.00")[0]
    new = key_of(added.key.split(";", 1)[1])
    mutator.apply_payment(paid)
    mutator.void_invoice(voided)
    return {new: "financial_status:pending", paid: "financial_status:paid", voided: "financial_status:cancelled"}


def order_e_mails(events: list[dict[str, object]]) -> dict[str, str]:
    return {str(e["order_id"]): str(e["trigger"]) for e in events if e["event"] == "order_notification"}


def store_reasons(demo: Demo) -> list[str]:
    """The audit's words for every store action, oldest first."""
    def read(profile_id: int) -> list[str]:
        rows = store.iter_audit(store.AuditFilter(profile_id=profile_id, entity="store"))
        return [row.reason or "" for row in rows]

    return list(demo.with_store(read))


def set_is_syncing_in_mailchimp(demo: Demo, on: bool) -> None:
    """What a person changing the store in Mailchimp (or another integration) does behind the sync's back."""
    transport = MailchimpTransport(demo.sim.api_base, demo.env.api_key)
    try:
        MailchimpApi(transport).patch_store(demo.store_id, {"is_syncing": on})
    finally:
        transport.close()


# ---------------------------------------------------------------------------------------------------- "off"
def test_off_keeps_the_store_syncing_so_no_order_e_mail_ever_goes_out(demo: Demo) -> None:
    set_automations(demo, "off")
    first = demo.run()
    assert first.outcome in DONE and first.backfill and first.orders["created"] > 50
    assert demo.sim.is_syncing_history(demo.store_id) == [True]  # created syncing, never let go

    expected = gp_activity(demo)
    report = demo.run()

    assert report.outcome in DONE and not report.backfill
    assert report.orders["created"] == 1 and report.orders["updated"] == 2
    assert demo.sim.store(demo.store_id)["is_syncing"] is True
    assert demo.sim.is_syncing_history(demo.store_id) == [True]
    assert demo.sim.sent_notifications(demo.store_id) == []  # not one e-mail, not one automation
    # The rules were exercised: Mailchimp saw each e-mail-worthy change and held it back for is_syncing.
    held = [e for e in demo.sim.notification_events(demo.store_id) if e["order_id"] in expected]
    assert order_e_mails(held) == expected
    assert {e["suppressed_by"] for e in held} == {"is_syncing"}
    assert demo.sim.tag_requests() and all(t["is_syncing"] is True for t in demo.sim.tag_requests())
    assert store_reasons(demo) == [
        "historical load: automations paused",
        "historical load done: the store stays syncing (automations = off), so Mailchimp sends nothing about "
        "GP invoices",
    ]


def test_off_sets_a_store_found_not_syncing_back_and_says_so(demo: Demo) -> None:
    set_automations(demo, "off")
    demo.run()
    set_is_syncing_in_mailchimp(demo, False)

    demo.run()

    assert demo.sim.is_syncing_history(demo.store_id) == [True, False, True]
    assert store_reasons(demo)[-1] == ("automations = off, but the store was found not syncing in Mailchimp: set "
                                       "syncing again, so Mailchimp sends nothing about GP invoices")


# ---------------------------------------------------------------------------------------------------- "on"
def test_on_lets_order_e_mails_go_out_only_after_the_first_load(demo: Demo) -> None:
    first = demo.run()  # the demo profile says automations = "on"
    assert first.outcome in DONE and first.orders["created"] > 50
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]
    during = demo.sim.notification_events(demo.store_id)
    assert during and all(e["suppressed_by"] == "is_syncing" for e in during)  # years of history stay quiet
    assert demo.sim.sent_notifications(demo.store_id) == []

    expected = gp_activity(demo)
    demo.run()

    assert order_e_mails(demo.sim.sent_notifications(demo.store_id)) == expected
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]


def test_switching_after_the_first_load_flips_the_store_once_in_plain_words(demo: Demo) -> None:
    set_automations(demo, "off")
    demo.run()
    set_automations(demo, "on")
    demo.run()
    demo.run()  # already as the profile wants: nothing to flip
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]
    set_automations(demo, "off")
    demo.run()
    demo.run()
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False, True]
    assert store_reasons(demo)[-2:] == [
        "automations switched to on: the store stops syncing, so Mailchimp may e-mail customers about new "
        "invoices, payments and voids",
        "automations switched to off: the store is syncing again, so Mailchimp sends nothing about GP invoices",
    ]


# ------------------------------------------------------------------------------------------ profiles that do not say
def test_a_new_profile_that_does_not_choose_is_refused_before_anything_is_written(demo: Demo) -> None:
    set_automations(demo, "")
    demo.sim.reset_counters()

    result = demo.cli()

    assert result.code == 2 and result.json["exit_code"] == 2 and result.json["outcome"] == "failed"
    message = result.stderr
    assert "[mailchimp] automations is required before a profile's first sync" in message
    assert 'automations = "on" (once the first load is done, Mailchimp\'s order notifications' in message
    assert 'automations = "off" (the store stays syncing: Mailchimp sends nothing about GP invoices' in message
    assert demo.sim.writes == 0 and demo.sim.store(demo.store_id) is None
    with store.open_store(demo.db_path):
        assert store.list_profiles() == []  # not even the profile row

    # A dry run sends nothing, so it may preview the profile before IT decides.
    preview = demo.cli("--dry-run")
    assert preview.code == 0 and preview.json["dry_run"] is True and demo.sim.writes == 0


def test_a_profile_that_already_synced_keeps_todays_behaviour_without_the_key(demo: Demo) -> None:
    demo.run()  # the first load, as the file ran before the key existed ("on")
    set_automations(demo, "")  # the file IT already runs
    demo.with_store(lambda profile_id: store.delete_state(profile_id, store.AUTOMATIONS_APPLIED))  # older state
    expected = gp_activity(demo)

    result = demo.cli()

    assert result.code in (0, 1) and result.json["outcome"] in DONE, result.stderr  # 1: the refused address
    assert result.json["orders"]["created"] == 1 and result.json["orders"]["updated"] == 2
    assert demo.sim.is_syncing_history(demo.store_id) == [True, False]
    assert order_e_mails(demo.sim.sent_notifications(demo.store_id)) == expected
