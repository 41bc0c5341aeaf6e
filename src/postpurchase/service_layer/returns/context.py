"""From an order and a shopper's ask to the policy's input: what each line paid (its share
of order-level discounts and tax), what is still returnable, the shopper's zone. Tampered
line ids and quantities are refused here, naming the field, before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, minor_units, total
from postpurchase.domain.orders import Order
from postpurchase.domain.returns import (
    LineRequest,
    Resolution,
    Return,
    ReturnMethod,
    ReturnPolicy,
    ReturnRequestContext,
    ReturnStatus,
    exchange_line_cap,
    held_quantities,
    line_refund_cap,
)
from postpurchase.service_layer.returns.ports import OrderFacts

MAX_LINES = 100
EXCHANGE_SOURCE = "exchange"  # an exchange order's (exchange_orders.exchange_command)


@dataclass(frozen=True, slots=True)
class LineAsk:
    order_line_id: str
    quantity: int
    reason: str
    photos: tuple[str, ...] = ()  # media ids of return photos uploaded for this order


@dataclass(frozen=True, slots=True)
class ExchangeAsk:
    order_line_id: str
    variant_id: str  # the catalogue variant wanted instead


@dataclass(frozen=True, slots=True)
class ReturnAsk:
    """What a shopper (through the portal) or an integrator (through the API) asks for."""

    lines: tuple[LineAsk, ...]
    resolution: Resolution = Resolution.REFUND
    gift: bool = False
    method: ReturnMethod | None = None
    exchange: tuple[ExchangeAsk, ...] = ()  # for Resolution.EXCHANGE: a variant per line
    gift_email: str | None = None  # a gift return: the recipient's address for their credit


def shopper_zone(facts: OrderFacts, merchant_zone: str | None = None) -> tzinfo:
    """The shopper's zone: the order's, else the merchant's, else UTC."""
    for name in (facts.timezone, merchant_zone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def held_units(returns: Sequence[Return]) -> dict[str, int]:
    return held_quantities(returns)


def _refunded_by_returns(returns: Sequence[Return], currency: str) -> dict[str, Money]:
    """What other live returns pay (or will pay) for each line: every return not rejected
    holds its share from the moment it is asked, so two returns of a line's units asked
    before either is refunded still add up to at most the line. A return the store refunded
    is left out: the store's refund is already among the order's refunds."""
    out: dict[str, Money] = {}
    for r in returns:
        paid_by_store = (
            r.status in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED)
            and r.resolution_reference is not None
            and not r.resolution_reference.startswith("ledger:")
        )
        if r.status is not ReturnStatus.REJECTED and not paid_by_store:
            for line in r.lines:
                out[line.order_line_id] = out.get(line.order_line_id, Money.zero(currency)) + (
                    line.refund
                )
    return out


def order_discount_shares(order: Order) -> dict[str, Money]:
    """An order-level discount the store did not allocate to lines (a code for 10 % off
    the order, reported once), shared over the lines by what each paid, rounded up so the
    refundable amount of every line stays at or below what was really paid for it."""
    cur = order.currency
    zero = Money.zero(cur)
    on_lines = total([d.amount for d in order.details.discounts if d.target == "lines"], cur)
    allocated = total([line.discount for line in order.lines], cur)
    extra = on_lines - allocated
    if not zero < extra:
        return {}
    paid = {line.id: line.paid for line in order.lines if not line.paid.is_negative()}
    base = total(list(paid.values()), cur)
    if not zero < base:
        return {}
    quantum = Decimal(1).scaleb(-minor_units(cur))
    return {
        lid: Money((extra.amount * p.amount / base.amount).quantize(quantum, ROUND_UP), cur)
        for lid, p in paid.items()
    }


def order_tax_shares(order: Order, discounts: Mapping[str, Money]) -> dict[str, Money]:
    """Tax the store reported for the order but not per line (prices before tax), shared
    over the lines by what each paid after discounts, rounded down: a refund gives back
    the tax paid on what comes back, never more."""
    cur = order.currency
    zero = Money.zero(cur)
    if order.money.taxes_included:
        return {}
    extra = order.money.tax - total([line.facts.tax or zero for line in order.lines], cur)
    if not zero < extra:
        return {}
    paid = {}
    for line in order.lines:
        p = line.paid - discounts.get(line.id, zero)
        if zero < p:
            paid[line.id] = p
    base = total(list(paid.values()), cur)
    if not zero < base:
        return {}
    quantum = Decimal(1).scaleb(-minor_units(cur))
    return {
        lid: Money((extra.amount * p.amount / base.amount).quantize(quantum, ROUND_DOWN), cur)
        for lid, p in paid.items()
    }


def build_context(
    policy: ReturnPolicy,
    facts: OrderFacts,
    existing: Sequence[Return],
    ask: ReturnAsk,
    now: datetime,
    *,
    customer_returns: int = 0,
) -> ReturnRequestContext:
    """The policy's input from an order and a shopper's ask; tampered line ids and
    quantities are refused here, naming the field."""
    order = facts.order
    if not ask.lines:
        raise InvalidInput("choose at least one item", field="lines")
    if len(ask.lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines", field="lines")
    lines_by_id = {line.id: line for line in order.lines}
    held = held_units(existing)
    by_returns = _refunded_by_returns(existing, order.currency)
    seen: set[str] = set()
    requests: list[LineRequest] = []
    zero = Money.zero(order.currency)
    extra_discounts = order_discount_shares(order)
    extra_tax = order_tax_shares(order, extra_discounts)
    for i, a in enumerate(ask.lines):
        line = lines_by_id.get(a.order_line_id)
        if line is None:
            raise InvalidInput("not an item of this order", field=f"lines[{i}].order_line_id")
        if a.order_line_id in seen:
            raise InvalidInput("each item once", field=f"lines[{i}].order_line_id")
        seen.add(a.order_line_id)
        if isinstance(a.quantity, bool) or a.quantity < 1:
            raise InvalidInput("must be a positive integer", field=f"lines[{i}].quantity")
        delivered = facts.delivered.get(line.id)
        n_delivered = min(delivered.quantity, line.quantity) if delivered else 0
        left = n_delivered - held.get(line.id, 0)
        if a.quantity > max(left, 0):
            raise InvalidInput(
                f"only {max(left, 0)} of {line.sku} can be returned "
                f"({n_delivered} delivered, {held.get(line.id, 0)} in other returns)",
                field=f"lines[{i}].quantity",
            )
        if policy.reason(a.reason) is None:
            codes = ", ".join(r.code for r in policy.leaf_reasons())
            raise InvalidInput(f"one of: {codes}", field=f"lines[{i}].reason")
        discount = (line.facts.discount or zero) + extra_discounts.get(line.id, zero)
        tax = (line.facts.tax or zero) + extra_tax.get(line.id, zero)
        cap = line_refund_cap(
            unit_price=line.unit_price, quantity=line.quantity, discount=discount,
            tax=tax, taxes_included=order.money.taxes_included,
        ) if order.source != EXCHANGE_SOURCE else exchange_line_cap(
            unit_price=line.unit_price, quantity=line.quantity, carried=discount,
            tax=tax, taxes_included=order.money.taxes_included,
        )  # fmt: skip
        refunded = facts.refunded.get(line.id, zero) + by_returns.get(line.id, zero)
        requests.append(
            LineRequest(
                line_id=line.id, sku=line.sku, quantity=a.quantity, reason_code=a.reason,
                line_quantity=line.quantity, delivered=n_delivered,
                already_returned=held.get(line.id, 0), cap=cap, already_refunded=refunded,
                delivered_at=delivered.delivered_at if delivered else None,
                gift_card=line.facts.gift_card, photos=len(a.photos),
            )
        )  # fmt: skip
    return ReturnRequestContext(
        currency=order.currency,
        now=now,
        zone=shopper_zone(facts),
        destination_country=facts.destination_country,
        resolution=ask.resolution,
        lines=tuple(requests),
        order_tags=frozenset(t.strip().lower() for t in order.details.tags),
        gift=ask.gift,
        customer_returns_in_period=customer_returns,
        method=ask.method,
    )
