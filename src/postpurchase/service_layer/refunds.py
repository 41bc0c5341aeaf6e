"""Recording the refunds a store made (``refunds/create``), idempotent by the store's id."""

from __future__ import annotations

from dataclasses import replace

from postpurchase.domain import commands, events
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.refunds import Refund, RefundLine
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def record_refund(cmd: commands.RecordRefund, uow: AbstractUnitOfWork, clock: Clock) -> bool:
    """Store the refund once; True when this call recorded it. An order we have not heard of
    yet is NotFound (the store's delivery is retried until the order arrives)."""
    with uow:
        order = uow.orders.get_by_external_id(cmd.merchant_id, cmd.order_external_id)
        if order is None:
            raise NotFound(
                f"order {cmd.order_external_id!r} is not known yet; retry later",
                field="order_id",
            )
        if cmd.amount.currency != order.currency:
            raise InvalidInput(
                f"refund in {cmd.amount.currency}, order in {order.currency}", field="currency"
            )
        refund = Refund(
            id=new_id(),
            merchant_id=cmd.merchant_id,
            order_id=order.id,
            external_id=cmd.refund_external_id,
            created_at=cmd.created_at,
            amount=cmd.amount,
            shipping=cmd.shipping,
            lines=tuple(
                RefundLine(
                    line.id if (line := order.line_named(w.line_external_id, w.sku)) else None,
                    w.sku,
                    w.quantity,
                    w.amount,
                    w.restock,
                )
                for w in cmd.lines
            ),
            note=cmd.note,
        )
        recorded = uow.refunds.add(refund, clock.now())
        if recorded:
            order.events.append(
                events.RefundRecorded(
                    cmd.merchant_id, order.id, refund.id, str(refund.amount.amount),
                    refund.amount.currency,
                )
            )  # fmt: skip
        if cmd.audit is not None:  # a person's refund: audited in the refund's transaction
            changes = {**cmd.audit.changes, "refund.recorded": [None, recorded]}
            uow.audit.record(replace(cmd.audit, changes=changes))
        uow.commit()
    return recorded
