"""How much of a line can go back to the shopper: never more than they paid, never negative.

What was paid for a line is its list price times quantity, less the discounts allocated to
it, plus its tax when prices were quoted before tax (with taxes included the tax is inside
the price already). A partial return gets its share rounded *down* to the minor unit, and the
return that takes the last units gets exactly what is left, so the parts of several returns
always add up to the line and never above it.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from postpurchase.domain.money import Money, minor_units


def line_refund_cap(
    *,
    unit_price: Money,
    quantity: int,
    discount: Money | None,
    tax: Money | None,
    taxes_included: bool,
) -> Money:
    """What the shopper paid for the whole line (all its units)."""
    zero = Money.zero(unit_price.currency)
    paid = unit_price * quantity - (discount or zero)
    if not taxes_included and tax is not None:
        paid = paid + tax
    return paid if not paid.is_negative() else zero


def _round_down(amount: Money) -> Money:
    quantum = Decimal(1).scaleb(-minor_units(amount.currency))
    return Money(amount.amount.quantize(quantum, rounding=ROUND_DOWN), amount.currency)


def refund_for_quantity(
    cap: Money, line_quantity: int, returning: int, already_returned: int, already_refunded: Money
) -> Money:
    """The refund for ``returning`` units of a line of ``line_quantity`` units.

    ``already_returned`` units and ``already_refunded`` money went back before (earlier
    returns, refunds the store made). The result is within ``[0, cap - already_refunded]``.
    """
    zero = Money.zero(cap.currency)
    left = cap - already_refunded
    if returning <= 0 or line_quantity <= 0 or not zero < left:
        return zero
    if already_returned + returning >= line_quantity:
        return left  # the last units take what is left: the parts add up to the line
    share = _round_down(Money(cap.amount * returning / line_quantity, cap.currency))
    return share if share <= left else left


def exchange_line_cap(
    *,
    unit_price: Money,
    quantity: int,
    carried: Money,
    tax: Money | None,
    taxes_included: bool,
) -> Money:
    """What a line of an *exchange order* can refund (the return of an item that came from
    an exchange).

    Such a line's discount is not a discount: it is the value of the returned units it
    replaced (what the shopper paid for them, tax included, carried over), capped at the new
    line's price (``exchange_orders.exchange_command``). What was really paid for the new
    item is that carried value plus what was paid on top (an upsell's difference), so that
    is what can go back, never more than the line's own price: an even swap refunds what the
    original item cost, not zero (as a plain discount would say); a cheaper one refunds the
    new price (the difference went back with the first return).
    """
    zero = Money.zero(unit_price.currency)
    carried = carried if zero < carried else zero
    on_top = line_refund_cap(
        unit_price=unit_price, quantity=quantity, discount=carried, tax=tax,
        taxes_included=taxes_included,
    )  # fmt: skip
    price = line_refund_cap(
        unit_price=unit_price, quantity=quantity, discount=None, tax=tax,
        taxes_included=taxes_included,
    )  # fmt: skip
    paid = on_top + (carried if carried <= price else price)
    return paid if paid <= price else price
