"""``[mailchimp] automations``: whether Mailchimp may act on GP invoices once the first load is done.

Mailchimp's order notifications and e-commerce automations act on every order created or updated while the
store is not ``is_syncing``: for a finance team feeding B2B invoices that means e-mails to customers about every
invoice, payment and void.  "on" lets them (the store leaves ``is_syncing`` after the first load, as before the
key existed); "off" keeps the store ``is_syncing`` for good, so nothing fires and segmenting still works.

This module holds the rule the engine frames the store with and the words ``gpmc check`` and the app show; the
runner refuses the first sync of a profile that has not chosen (``runner.refuse_unchosen_first_sync``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpmc_desktop.profile import Profile

ON, OFF = "on", "off"
KEY = ("mailchimp", "automations")
LABEL = "Order e-mails and automations"
_ON_WORDS = "Mailchimp may e-mail customers about new invoices, payments and voids"
_OFF_WORDS = "Mailchimp sends nothing about GP invoices"


def keeps_store_syncing(choice: str, *, backfill: bool) -> bool:
    """The store's ``is_syncing`` the engine keeps: on during the first load, and for good with "off"."""
    return backfill or choice == OFF


@dataclass(frozen=True)
class AutomationsInForce:
    """The choice as it acts now: what the profile says (or, unsaid, the default) and where the first load is."""

    choice: str  # "on" / "off", the default when not chosen
    chosen: bool  # False: an older profile without the key
    first_load_done: bool

    @property
    def blocks_first_sync(self) -> bool:
        """A profile that never synced must choose before its first sync (``gpmc sync`` exits 2)."""
        return not self.chosen and not self.first_load_done

    def text(self) -> str:
        """One line in plain words, e.g. "Order e-mails and automations: off — Mailchimp sends nothing about GP
        invoices"."""
        if self.blocks_first_sync:
            return f"{LABEL}: not chosen — the first sync waits until the profile says on or off"
        if self.choice == OFF:
            return f"{LABEL}: off — {_OFF_WORDS}"
        if not self.chosen:
            return f"{LABEL}: on (the profile does not choose; as before) — {_ON_WORDS}"
        if not self.first_load_done:
            return f"{LABEL}: on once the first load is done — then {_ON_WORDS}"
        return f"{LABEL}: on — {_ON_WORDS}"


def in_force(profile: Profile, *, first_load_done: bool) -> AutomationsInForce:
    return AutomationsInForce(profile.mailchimp.automations, KEY not in profile.unchosen, first_load_done)
