"""Instant exchanges: for a customer the merchant's rule trusts, the exchange order is placed
when the return is approved, before the parcel is back (``ReturnApproved``, outbox).

The same exchange order as at the end of the flow (``ExchangeOrders.create``, idempotent by
``exchange-<return id>``): resolving the return after inspection finds it and marks the
return ``exchanged`` without placing a second one. What it is secured by depends on the
store (docs/returns.md): our own exchange order asks the upsell's difference; the decision
and its one-line reason are kept with the return either way. An exchange order placed this
way is audited in the transaction that records it on the return
(``returns.exchange.instant``, ``exchange_order_id`` old and new) by the actor
``system:instant-exchange``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from postpurchase.domain.returns import Resolution, ReturnStatus, Verdict, instant_exchange
from postpurchase.service_layer.returns.audit import record_step, snapshot
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork, ExchangeOrders

ACTOR = "system:instant-exchange"  # who the audit log says placed an instant exchange


class CustomerHistory(Protocol):
    """What the trust rule reads of a customer (by e-mail, within one merchant)."""

    def earlier_orders(self, merchant_id: str, email: str, before: datetime) -> int: ...
    def rejected_returns(self, merchant_id: str, email: str) -> int: ...


class InstantExchanges:
    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        history: CustomerHistory,
        exchanges: ExchangeOrders,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._history = history
        self._exchanges = exchanges
        self._after_commit = after_commit

    def on_approved(self, payload: Mapping[str, Any]) -> str | None:
        """Place the exchange order now if the rule trusts the customer; its id, or None."""
        return self.consider(str(payload["merchant_id"]), str(payload["return_id"]))

    def consider(self, merchant_id: str, return_id: str) -> str | None:
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if (
                ret is None or ret.resolution is not Resolution.EXCHANGE or ret.exchange is None
                or ret.status is not ReturnStatus.APPROVED
            ):  # fmt: skip
                return None
            if ret.exchange.order_id is not None:
                return ret.exchange.order_id  # placed before (a replayed event)
            rule = uow.policies.active(merchant_id).instant_exchange
            if rule is None:
                return None
            facts = uow.orders.facts(merchant_id, ret.order_id)
        assert facts is not None  # a return's order is never deleted (foreign key)
        email = (facts.order.email or "").strip().lower()
        decision = instant_exchange(
            rule,
            earlier_orders=(
                self._history.earlier_orders(merchant_id, email, facts.order.placed_at)
                if email else 0
            ),
            rejected_returns=self._history.rejected_returns(merchant_id, email) if email else 0,
            order_value=facts.order.total,
        )  # fmt: skip
        placed = (
            self._exchanges.create(ret, facts) if decision.verdict is Verdict.APPROVED else None
        )
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None or ret.exchange is None:
                return None
            now = self._now()
            if placed is not None and ret.exchange.order_id is None:
                before = snapshot(ret)
                ret.exchange.order_id = placed
                record_step(
                    uow, ret, actor=ACTOR, action="returns.exchange.instant", before=before,
                    extra={"instant_exchange": {"rule": decision.rule}},
                )  # fmt: skip
            uow.returns.record_decisions(
                ret, None, now, actor="policy", note=f"{decision.rule}: {decision.explanation}"
            )
            uow.commit()
            if uow.collect_new_events() and self._after_commit is not None:
                self._after_commit()
        return placed
