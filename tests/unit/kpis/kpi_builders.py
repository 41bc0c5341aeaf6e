"""Tiny hand-built orders for the KPI tests: São Paulo wall-clock times, like Olist's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from postpurchase.domain.kpis import KpiOrder, OrderState

SP = ZoneInfo("America/Sao_Paulo")
DELIVERED, OPEN, VOID = OrderState.DELIVERED, OrderState.OPEN, OrderState.VOID


def at(text: str) -> datetime:
    """``2017-01-01 12:00`` in São Paulo (which kept daylight saving until 2019)."""
    return datetime.fromisoformat(text).replace(tzinfo=SP)


def order(
    order_id: str,
    customer: str | None,
    bought: str,
    state: OrderState = DELIVERED,
    *,
    delivered: str | None = None,
    promised: str | None = None,
    reviews: tuple[float, ...] = (),
) -> KpiOrder:
    return KpiOrder(
        order_id=order_id,
        customer_key=customer,
        state=state,
        purchased_at=at(bought),
        delivered_at=at(delivered) if delivered else None,
        promised_on=date.fromisoformat(promised) if promised else None,
        review_scores=reviews,
    )
