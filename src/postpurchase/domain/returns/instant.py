"""Instant exchange: the new item ships before the old one is back, for customers a rule of
the merchant's trusts (``ReturnPolicy.instant_exchange``).

The rule is deliberately simple and explainable: enough earlier orders with the shop, never
a rejected return, an order worth no more than a limit. A merchant who trusts nobody leaves
``instant_exchange`` unset; exchanges then wait for the parcel as before.
"""

from __future__ import annotations

from postpurchase.domain.money import Money
from postpurchase.domain.returns.decisions import Decision, Verdict
from postpurchase.domain.returns.policy import InstantExchange

RULE = "exchange.instant"


def instant_exchange(
    rule: InstantExchange | None,
    *,
    earlier_orders: int,
    rejected_returns: int,
    order_value: Money,
) -> Decision:
    """Whether this customer's exchange ships now (approved) or waits for the parcel
    (refused), and why, in one line."""
    if rule is None:
        return Decision(RULE, Verdict.REFUSED, "Your exchange ships once your return arrives.")
    if rejected_returns > 0:
        return Decision(
            RULE, Verdict.REFUSED,
            "Your exchange ships once your return arrives (an earlier return was not accepted).",
        )  # fmt: skip
    if earlier_orders < rule.min_orders:
        return Decision(
            RULE, Verdict.REFUSED,
            f"Your exchange ships once your return arrives (instant exchange needs "
            f"{rule.min_orders} earlier orders).",
            (("min_orders", str(rule.min_orders)),),
        )  # fmt: skip
    limit = rule.max_order_value.get(order_value.currency)
    if limit is not None and order_value.amount > limit:
        shown = Money(limit, order_value.currency)
        return Decision(
            RULE, Verdict.REFUSED,
            f"Your exchange ships once your return arrives (instant exchange is for orders "
            f"up to {shown}).",
            (("max_order_value", str(shown)),),
        )  # fmt: skip
    return Decision(RULE, Verdict.APPROVED, "Your exchange ships now, before your return arrives.")
