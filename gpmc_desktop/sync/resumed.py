"""What a run finished of a stopped run's Mailchimp batches before it planned, so its counts agree with its audit.

A run killed or cancelled while batches were in flight leaves them stored; the next run applies their results
first (their audit rows are written in that run: "created", "updated").  Its plan then finds those records synced
and would count them unchanged, so the run's figures would say "0 created" beside 89 audit rows of its own that
say "created".  The engine asks :meth:`Resumed.counted` at each place it counts a record: a record the plan found
unchanged because a finished batch made it so counts as what the batch did, once, in the report and in the
reconciliation alike.  Failures need nothing: the plan finds them in the failure ledger and counts them failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from gpmc_desktop.store import Action, Entity, NewAuditEvent
from gpmc_desktop.sync.reconciliation import RecordOutcomes

_COUNTED = (Action.CREATED, Action.UPDATED)


class _Synced(Protocol):
    entity: Entity
    gp_key: str


class _Result(Protocol):
    event: NewAuditEvent
    synced: tuple[_Synced, ...]


class Resumed:
    def __init__(self) -> None:
        self._actions: dict[tuple[str, str], str] = {}  # (entity, key) -> created / updated

    def __bool__(self) -> bool:
        return bool(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def note(self, results: Iterable[_Result]) -> None:
        """A finished batch record's results: the GP record's action, and its member's and buyer's (keyed by
        e-mail, as the reconciliation counts them) when the batch wrote them."""
        for result in results:
            action = str(result.event.action)
            if action not in _COUNTED:
                continue
            self._actions[(str(result.event.entity), result.event.gp_key)] = action
            for write in result.synced:
                if write.entity in (Entity.MEMBER, Entity.ECOMMERCE_CUSTOMER):
                    self._actions.setdefault((str(write.entity), write.gp_key), action)

    def counted(self, entity: str, key: str, action: str) -> str:
        """The action to count for a record this run found *action*: what the finished batch did, if the run
        found it unchanged."""
        if action == Action.UNCHANGED and self._actions:
            return self._actions.get((str(entity), key), action)
        return action

    def outcomes(self, outcomes: RecordOutcomes) -> RecordOutcomes:
        """*outcomes* with the records a finished batch made unchanged counted as what it did."""
        if not self._actions:
            return outcomes
        return RecordOutcomes(
            members={k: self.counted(Entity.MEMBER, k, a) for k, a in outcomes.members.items()},
            ecommerce_customers={k: self.counted(Entity.ECOMMERCE_CUSTOMER, k, a)
                                 for k, a in outcomes.ecommerce_customers.items()},
            orders={k: self.counted(Entity.ORDER, k, a) for k, a in outcomes.orders.items()},
        )
