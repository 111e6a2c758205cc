"""The page after the contacts page: may Mailchimp e-mail customers about GP invoices (``[mailchimp]
automations``)?  The user must choose: there is no silent default, and an older profile that never chose shows
the choice unset."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from gpmc_desktop.ui.wizard.choices import ChoicePage

# The schema's automations choices in their order (a test holds them equal): the label and one line on what it
# means for the finance team.
AUTOMATION_CHOICES: dict[str, tuple[str, str]] = {
    "on": (
        "On — Mailchimp may e-mail customers about new invoices, payments and voids",
        "Once the first load is done, Mailchimp's order notifications (when turned on in your Mailchimp account) "
        "and its e-commerce automations act on every invoice the sync adds or changes.",
    ),
    "off": (
        "Off — Mailchimp sends nothing about GP invoices",
        "The invoices still reach Mailchimp for segments and reports, but no order e-mail and no automation ever "
        "starts from them.",
    ),
}
# The two sentences that explain the choice.
EXPLANATION = ("Mailchimp can e-mail a customer whenever an order is added or changes (a confirmation for a new "
               "invoice, an invoice when it is paid, a cancellation when it is voided) and start automations from "
               "it. For business customers that means e-mails about every invoice, payment and void, so choose "
               "whether Mailchimp may do this once the first load is done.")


class AutomationsPage(ChoicePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Order e-mails and automations", "Whether Mailchimp may e-mail your customers about their GP invoices.",
            AUTOMATION_CHOICES, "automations",
            "Either way the history the first load brings over triggers nothing; edit the profile to change your "
            "choice later.", parent, intro=EXPLANATION)
