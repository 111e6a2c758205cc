"""One GP record's way through Mailchimp batches: the operations it still needs, and what its success means.

A member group goes through two dependent steps (the member PUT; then its tags, computed from the PUT's answer,
and its e-commerce customer PUT), an order through one (POST to create, PATCH to update; a POST answered
"already exists" becomes a PATCH).  Each step's operations go in a batch only once the step before finished,
because Mailchimp runs a batch's operations in any order.  A :class:`Work` item is stored as JSON between
batches (``store/batches.py``), so a run killed while Mailchimp works is finished by the next.

What the item applies once done is exactly what the per-record path applies (``sync/engine.py``): the same
audit rows, synced states and failures, in the same order of carrying (the group's first customer carries the
member's and the buyer's synced state).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gpmc_desktop.mailchimp.api import customer_path, member_path, order_path, orders_path, path_segment
from gpmc_desktop.mailchimp.batches import Operation, OperationResult
from gpmc_desktop.mailchimp.errors import Category, MailchimpError, error_from_response
from gpmc_desktop.store import Action, Entity, NewAuditEvent, SyncedState
from gpmc_desktop.sync import mapping

MEMBERS, FOLLOW_UPS, ORDERS = 0, 1, 2  # the dependent steps, in the order their batches run
STEP_NAMES = {MEMBERS: "members", FOLLOW_UPS: "tags and e-commerce customers", ORDERS: "orders"}

Write = tuple[str, str, SyncedState]  # entity, GP key, state


def operation_id(kind: str, key: str, content_hash: str) -> str:
    """Stable per record and content: the same operation carries the same id on every run and resubmission."""
    return f"{kind}:{key}:{content_hash[:12]}"


@dataclass
class Record:
    """One GP record's audit row on success, its failure-ledger hash and the synced state it keeps."""

    event: NewAuditEvent
    ledger_hash: str
    writes: list[Write] = field(default_factory=list)


@dataclass
class Pending:
    op: Operation
    role: str  # member, tags, buyer, order
    tries: int = 0


@dataclass
class Work:
    key: str
    step: int
    records: list[Record]
    todo: dict[str, Pending] = field(default_factory=dict)  # this step's operations not yet answered
    later: list[Pending] = field(default_factory=list)  # the next step's operations known now (the buyer PUT)
    carried: list[Write] = field(default_factory=list)  # what Mailchimp accepted so far (member, buyer)
    pending_writes: list[Write] = field(default_factory=list)  # kept once the follow-ups succeed
    tags: list[str] = field(default_factory=list)  # the member's wanted tags
    tags_path: str = ""
    paused: bool = False  # the tags POST's is_syncing
    member_written: bool = False
    buyer_written: bool = False
    error: dict[str, Any] | None = None  # the failure that ends it (status, text, method, path)
    holder: str = ""  # orders: the e-commerce customer the order must hang on
    handed_back: bool = False  # left to the per-record path (an order on another customer, a lost product)

    @property
    def done(self) -> bool:
        return not self.todo and not self.later

    # -- answers ------------------------------------------------------------------------------------------------
    def answer(self, result: OperationResult, resubmits: int) -> bool:
        """Apply one operation's answer; True when the operation is settled (not to be sent again)."""
        pending = self.todo.get(result.operation_id)
        if pending is None:
            return True
        op = pending.op
        if not result.ok:
            err = result.error(op.method, op.path)
            if err.category is Category.TRANSIENT and pending.tries < resubmits:
                pending.tries += 1  # 429/5xx inside a batch: sent again in a later batch
                return False
            return self._refused(pending, result, err)
        del self.todo[result.operation_id]
        if pending.role == "member":
            self._member_done(result.body)
        elif pending.role == "buyer":
            self.buyer_written = True
        elif pending.role == "order":
            self._order_done(result.body)
        return True

    def lost(self, operation: str, resubmits: int) -> None:
        """An operation of a batch Mailchimp no longer knows (or left out of the results): sent again."""
        pending = self.todo.get(operation)
        if pending is not None:
            pending.tries += 1
            if pending.tries > resubmits:
                text = '{"title": "Batch operation lost", "detail": "Mailchimp did not report this operation."}'
                self._refused(pending, OperationResult(operation, 503, None, text),
                              MailchimpError(503, "Batch operation lost", category=Category.TRANSIENT))

    def _refused(self, pending: Pending, result: OperationResult, err: MailchimpError) -> bool:
        op = pending.op
        del self.todo[op.operation_id]
        if pending.role == "order":
            if err.already_exists and op.method == "POST":
                # Sent before a crash, or by an earlier install: updated instead (never PUT an order).
                self._order_as(Action.UPDATED, Operation(operation_id("order-patch", self.key, self.ledger_hash),
                                                         "PATCH", f"{op.path}/{path_segment(op.body['id'])}",
                                                         mapping.order_patch(op.body or {})))
                return True
            if err.is_not_found and op.method == "PATCH":  # our state said it existed
                body = dict(op.body or {}, id=self.records[0].event.gp_key)
                self._order_as(Action.CREATED, Operation(operation_id("order", self.key, self.ledger_hash), "POST",
                                                         op.path.rsplit("/", 1)[0], body))
                return True
            if err.missing_product:
                self.handed_back = True  # the per-record path puts the product back and tries again
                return True
        if pending.role == "tags":
            self.member_written = False
            self.pending_writes = [w for w in self.pending_writes if w[0] != Entity.MEMBER]
        if self.error is None or pending.role == "tags":  # the per-record path stops at its first failure
            self.error = {"status": result.status, "text": result.text, "method": op.method, "path": op.path}
        self.later.clear()
        return True

    def _order_as(self, action: Action, op: Operation) -> None:
        record = self.records[0]
        record.event = dataclasses.replace(record.event, action=action)
        self.todo[op.operation_id] = Pending(op, "order")

    def _member_done(self, body: Any) -> None:
        answer = body if isinstance(body, dict) else {}
        state = self.pending_writes[0][2]
        self.pending_writes[0] = (Entity.MEMBER, self.pending_writes[0][1],
                                  state._replace(remote_id=str(answer.get("id", "")) or None))
        self.member_written = True
        changes = mapping.tag_changes(self.tags, answer.get("tags"))
        if changes:
            op = Operation(operation_id("tags", self.pending_writes[0][1], mapping.content_hash(changes)), "POST",
                           self.tags_path, {"tags": changes, "is_syncing": self.paused})
            self.later.append(Pending(op, "tags"))
        self.step = FOLLOW_UPS
        self._next_step()

    def _next_step(self) -> None:
        if not self.todo:
            self.todo = {p.op.operation_id: p for p in self.later}
            self.later = []

    def _order_done(self, body: Any) -> None:
        customer = body.get("customer") if isinstance(body, dict) else None
        holder = customer.get("id") if isinstance(customer, dict) else None
        if holder and self.holder and holder != self.holder:
            self.handed_back = True  # a PATCH leaves an order on its customer: the per-record path moves it

    @property
    def ledger_hash(self) -> str:
        return self.records[0].ledger_hash

    # -- the outcome ------------------------------------------------------------------------------------------------
    def failure(self) -> MailchimpError | None:
        e = self.error
        return None if e is None else error_from_response(e["status"], e["text"].encode(), e["method"], e["path"])

    def kept(self) -> list[Write]:
        """The group's own writes Mailchimp accepted (the first record carries them)."""
        if self.error is None:
            return self.pending_writes
        return [w for w in self.pending_writes if w[0] == Entity.MEMBER and self.member_written]

    # -- storage ------------------------------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "key": self.key, "step": self.step,
            "records": [{"event": _event_state(r.event), "ledger": r.ledger_hash, "writes": _writes_state(r.writes)}
                        for r in self.records],
            "todo": [_pending_state(p) for p in self.todo.values()],
            "later": [_pending_state(p) for p in self.later],
            "pending_writes": _writes_state(self.pending_writes), "tags": self.tags, "tags_path": self.tags_path,
            "paused": self.paused, "member_written": self.member_written, "buyer_written": self.buyer_written,
            "error": self.error, "holder": self.holder,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Work:
        todo = [_pending_from(p) for p in data["todo"]]
        return cls(
            data["key"], int(data["step"]),
            [Record(_event_from(r["event"]), r["ledger"], _writes_from(r["writes"])) for r in data["records"]],
            {p.op.operation_id: p for p in todo}, [_pending_from(p) for p in data["later"]],
            pending_writes=_writes_from(data["pending_writes"]), tags=list(data["tags"]),
            tags_path=data["tags_path"], paused=bool(data["paused"]), member_written=bool(data["member_written"]),
            buyer_written=bool(data["buyer_written"]), error=data["error"], holder=data["holder"],
        )


# ------------------------------------------------------------------------------------------------ building
def group_work(
    email: str, records: list[Record], *, list_id: str, member: tuple[dict[str, Any], str] | None,
    tags: list[str], paused: bool, buyer: tuple[str, dict[str, Any], str] | None,
) -> Work:
    """A member group's item.  *member*: the member PUT's body and hash, when the member is written; *buyer*:
    the store's id, the e-commerce customer's body and hash, when it is written."""
    path = member_path(list_id, email)
    work = Work(f"member:{email}", MEMBERS if member else FOLLOW_UPS, records, tags=tags,
                tags_path=f"{path}/tags", paused=paused)
    if member is not None:
        body, digest = member
        op = Operation(operation_id("member", email, digest), "PUT", path, body,
                       {"skip_merge_validation": "true"})
        work.todo[op.operation_id] = Pending(op, "member")
        work.pending_writes.append((Entity.MEMBER, email, SyncedState(digest, None, email)))
    if buyer is not None:
        store_id, body, digest = buyer
        op = Operation(operation_id("customer", body["id"], digest), "PUT", customer_path(store_id, body["id"]), body)
        if member is None:
            work.todo[op.operation_id] = Pending(op, "buyer")
        else:  # after the member: an e-commerce customer made first would make the contact transactional
            work.later.append(Pending(op, "buyer"))
        work.pending_writes.append((Entity.ECOMMERCE_CUSTOMER, body["id"], SyncedState(digest, body["id"], email)))
    return work


def order_work(record: Record, *, store_id: str, payload: dict[str, Any], update: bool) -> Work:
    """An order's item: POST to create it, PATCH to update it (never PUT)."""
    number = record.event.gp_key
    op = (Operation(operation_id("order-patch", number, record.ledger_hash), "PATCH", order_path(store_id, number),
                    mapping.order_patch(payload)) if update else
          Operation(operation_id("order", number, record.ledger_hash), "POST", orders_path(store_id), payload))
    return Work(f"order:{number}", ORDERS, [record], {op.operation_id: Pending(op, "order")},
                holder=str(payload["customer"]["id"]))


# ------------------------------------------------------------------------------------------------ JSON
def _event_state(event: NewAuditEvent) -> dict[str, Any]:
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "at"}
    data["amount"] = None if event.amount is None else str(event.amount)
    return {k: str(v) if k in ("entity", "action") else v for k, v in data.items()}


def _event_from(data: dict[str, Any]) -> NewAuditEvent:
    amount = data.get("amount")
    return NewAuditEvent(**{**data, "amount": None if amount is None else Decimal(amount)})


def _writes_state(writes: list[Write]) -> list[list[Any]]:
    return [[str(entity), key, *state] for entity, key, state in writes]


def _writes_from(data: list[list[Any]]) -> list[Write]:
    return [(Entity(row[0]), row[1], SyncedState(*row[2:])) for row in data]


def _pending_state(p: Pending) -> dict[str, Any]:
    return {"op": p.op.to_state(), "role": p.role, "tries": p.tries}


def _pending_from(data: dict[str, Any]) -> Pending:
    return Pending(Operation.from_state(data["op"]), data["role"], int(data["tries"]))
