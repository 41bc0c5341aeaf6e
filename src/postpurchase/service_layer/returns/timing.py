"""Paying a return before it is inspected, when the policy's ``refund_timing`` says so.

Called after the return moved (its parcel's first carrier scan or arrival, through
``ReturnLegs``; a counter receipt through ``POST /api/v1/returns/{id}/receive``). The same
three steps and the same exactly-once guarantees as ``Returns.resolve``: check in a first
transaction, ask the store outside any transaction under the key ``return-<return id>``,
record the ledger entry in a second transaction. The return keeps its place in the
lifecycle; resolving it after inspection then closes it without paying again
(:func:`paid_before`).

``receive_without_refund`` is the merchant's way out: the parcel is received, the refund
that arrival would have paid is held, and waits for the merchant's resolve.

An early payment is audited in its transaction (``returns.refund`` or ``returns.credit``,
the amount as ``paid.*``) by the actor ``system:refund-timing``, like a merchant's resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from postpurchase.domain.errors import NotFound
from postpurchase.domain.returns import (
    RefundDeadline,
    Resolution,
    Return,
    ReturnStatus,
    due_early,
    pays_early,
    record_paid_early,
    statutory_refund_deadline,
)
from postpurchase.service_layer.returns.audit import record_step, snapshot
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    IssuedMoney,
    RefundIssuer,
    StoreRefunds,
)

PAYMENT_KINDS = ("refund", "store_credit")
ACTOR = "system:refund-timing"  # who the audit log says paid a return early


def paid_before(uow: AbstractReturnsUnitOfWork, ret: Return) -> IssuedMoney | None:
    """The refund or credit already in the ledger for ``ret`` (paid early), if any."""
    for entry in uow.ledger.entries(ret.merchant_id, ret.id):
        if entry.get("kind") in PAYMENT_KINDS:
            ref = entry.get("reference") or f"ledger:{entry.get('id')}"
            return IssuedMoney(str(ref))
    return None


class EarlyRefunds:
    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        issuer: RefundIssuer,
        store: StoreRefunds | None = None,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._issuer = issuer
        self._store = store
        self._after_commit = after_commit

    def after_steps(
        self, merchant_id: str, return_id: str, steps: Sequence[ReturnStatus]
    ) -> Return | None:
        """Pay ``return_id`` now if its policy's timing is due at one of ``steps``; the
        return when it was paid (now or before), else None."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                return None
            timing = uow.policies.active(merchant_id).refund_timing
            if not due_early(timing, steps, ret):
                return None
        return self.pay(merchant_id, return_id, rule=f"refund_timing.{timing.value}")

    def pay(self, merchant_id: str, return_id: str, *, rule: str) -> Return | None:
        """Pay the return's refund or credit now (once: a second call finds the ledger
        entry and pays nothing)."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if not pays_early(ret) or ret.status in (
                ReturnStatus.REQUESTED, ReturnStatus.REJECTED, ReturnStatus.REFUNDED,
                ReturnStatus.CREDITED, ReturnStatus.EXCHANGED,
            ):  # fmt: skip
                return None
            if paid_before(uow, ret) is not None:
                return ret
            facts = uow.orders.facts(merchant_id, ret.order_id)
        assert facts is not None  # a return's order is never deleted (foreign key)
        credit = ret.resolution is Resolution.STORE_CREDIT or ret.gift
        paid = (
            self._store.refund(ret, facts, credit=credit)
            if self._store is not None and ret.refund.amount > 0
            else None
        )
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if paid_before(uow, ret) is not None:
                return ret  # paid meanwhile by another call: the store was asked once
            now = self._now()
            before = snapshot(ret)
            issued = (
                self._issuer.credit(uow, ret, now, paid)
                if credit
                else self._issuer.refund(uow, ret, now, paid)
            )
            record_paid_early(ret, now, issued.reference, credit=credit)
            uow.returns.record_decisions(ret, None, now, actor="policy", note=rule)
            amount = (issued.amount or (ret.credit if credit else ret.refund)).rounded()
            record_step(
                uow, ret, actor=ACTOR, action="returns.credit" if credit else "returns.refund",
                before=before, extra={"paid": {
                    "amount": str(amount.amount), "currency": amount.currency,
                    "reference": issued.reference, "timing": rule,
                }},
            )  # fmt: skip
            uow.commit()
            if uow.collect_new_events() and self._after_commit is not None:
                self._after_commit()
            return ret

    def deadline(self, merchant_id: str, return_id: str) -> tuple[Return, RefundDeadline]:
        """The law's deadline for this return's refund (EU/EEA), with its one-line reason."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            facts = uow.orders.facts(merchant_id, ret.order_id)
            policy = uow.policies.active(merchant_id)
        when = dict(ret.history)
        country = facts.destination_country if facts is not None else None
        return ret, statutory_refund_deadline(
            country, ret.created_at, sent_at=when.get(ReturnStatus.IN_TRANSIT),
            received_at=when.get(ReturnStatus.RECEIVED), statutory_rights=policy.statutory_rights,
        )  # fmt: skip
