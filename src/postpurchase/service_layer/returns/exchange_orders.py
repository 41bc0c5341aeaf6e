"""The exchange order: the new variants, sent like any other order.

It is an order of ours (source ``exchange``, external id ``exchange-<return id>``, so placing
it again finds the first one). Each new line carries a discount of what the returned units
were worth, so what is left to pay is exactly the upsell's difference; an even or cheaper
exchange costs nothing. The store is not asked to create it (see docs/returns.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.domain.returns import Return
from postpurchase.service_layer.returns.ports import OrderFacts


def exchange_command(ret: Return, facts: OrderFacts, at: datetime) -> PlaceOrder:
    """The order to place for an exchange return (``ret.exchange`` must be set)."""
    assert ret.exchange is not None
    order = facts.order
    worth = {line.order_line_id: line.refund for line in ret.lines}
    lines = []
    for x in ret.exchange.lines:
        price = x.unit_price * x.quantity
        value = worth.get(x.order_line_id, Money.zero(order.currency))
        discount = value if value <= price else price
        lines.append(
            OrderLineInput(
                x.sku or f"variant-{x.variant_id}", x.title[:200], x.quantity, x.unit_price,
                facts=LineFacts(variant_id=x.variant_id, discount=discount),
            )
        )  # fmt: skip
    return PlaceOrder(
        merchant_id=ret.merchant_id,
        external_id=f"exchange-{ret.id}",
        number=f"{order.number.lstrip('#')}-X{ret.number.rsplit('-R', 1)[-1]}",
        email=order.email,
        phone=order.phone,
        customer_name=None,
        locale=order.locale,
        currency=order.currency,
        lines=tuple(lines),
        shipping_address=order.shipping_address,
        shipping_fee=Money.zero(order.currency),
        placed_at=at,
        source="exchange",
        timezone=order.timezone,
    )


class PlacedExchangeOrders:
    """``ExchangeOrders`` through the message bus's ``PlaceOrder`` (idempotent by its
    external id): ``place`` runs the command and answers the order's id."""

    def __init__(self, place: Callable[[PlaceOrder], str], now: Callable[[], datetime]) -> None:
        self._place = place
        self._now = now

    def create(self, ret: Return, facts: OrderFacts) -> str:
        return self._place(exchange_command(ret, facts, self._now()))
