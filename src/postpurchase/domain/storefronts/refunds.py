"""Refunds we ask a store to make, and the rule that comes before asking.

Why domain: "never refund more than what is refundable" is a money rule that must hold for
every platform, and it must be checked before the store is called (a refused refund costs
nothing; a paid one cannot be taken back). What is refundable is worked out from what we
hold of the order: what the shopper paid, less what earlier refunds gave back; per line the
quantity not refunded yet; for shipping what was paid for it less what was refunded of it.

A request's amount here is an estimate (the line's paid price per unit, with its tax when
prices exclude it, plus shipping): the store computes the exact amount itself (Shopify's
``suggestedRefund``). The estimate only has to refuse what the store would refuse, or worse,
pay.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.orders import Order, OrderLine
from postpurchase.domain.refunds import Refund

MAX_NOTE = 1000
MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class RefundRequestLine:
    store_line_id: str  # the store's line item id (Shopify's numeric id, Woo's item id)
    quantity: int
    restock: bool = True


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """What to refund of one order, in the store's own terms."""

    order_store_id: str  # the order's id at the store (our ``Order.external_id``)
    currency: str
    lines: tuple[RefundRequestLine, ...] = ()
    shipping: Money | None = None
    note: str | None = None
    to_store_credit: bool = False  # pay back as store credit instead of to the card
    idempotency_key: str = ""
    # Kept by the merchant (a return's restocking and return fees): the store pays back what
    # it computes for the lines and shipping, less this, and never less than nothing.
    fee: Money | None = None

    def __post_init__(self) -> None:
        key = self.idempotency_key
        if not key or len(key) > MAX_KEY or any(ch.isspace() for ch in key):
            raise InvalidInput(
                f"an idempotency key of 1-{MAX_KEY} characters without spaces is required",
                field="idempotency_key",
            )
        if not self.lines and (self.shipping is None or self.shipping.amount == 0):
            raise InvalidInput("refund at least one line or some shipping", field="lines")
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            if isinstance(line.quantity, bool) or line.quantity < 1:
                raise InvalidInput("must be a positive integer", field=f"lines[{i}].quantity")
            if not line.store_line_id.strip():
                raise InvalidInput("must not be empty", field=f"lines[{i}].line_id")
            if line.store_line_id in seen:
                raise InvalidInput("the same line twice", field=f"lines[{i}].line_id")
            seen.add(line.store_line_id)
        if self.shipping is not None:
            if self.shipping.currency != self.currency:
                raise InvalidInput(f"shipping must be in {self.currency}", field="shipping")
            if self.shipping.is_negative():
                raise InvalidInput("must not be negative", field="shipping")
        if self.note is not None and len(self.note) > MAX_NOTE:
            raise InvalidInput(f"at most {MAX_NOTE} characters", field="note")
        if self.fee is not None:
            if self.fee.currency != self.currency:
                raise InvalidInput(f"the fee must be in {self.currency}", field="fee")
            if self.fee.is_negative():
                raise InvalidInput("must not be negative", field="fee")

    def fingerprint(self) -> str:
        """The same request gives the same fingerprint: a retry under a key must ask for
        exactly what the first attempt asked for."""
        doc = {
            "order": self.order_store_id,
            "lines": sorted([x.store_line_id, x.quantity, x.restock] for x in self.lines),
            "shipping": str(self.shipping.amount) if self.shipping else None,
            "currency": self.currency,
            "note": self.note,
            "credit": self.to_store_credit,
        }
        if self.fee is not None and self.fee.amount > 0:  # absent before fees were kept
            doc["fee"] = str(self.fee.amount)
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RefundedLine:
    store_line_id: str | None
    quantity: int
    amount: Money


@dataclass(frozen=True, slots=True)
class RefundResult:
    """What the store did: its refund id and the money it gave back."""

    store_refund_id: str
    amount: Money  # in total, to the card or as store credit
    shipping: Money
    created_at: datetime
    lines: tuple[RefundedLine, ...] = ()
    store_credit: bool = False


class AttemptStatus(StrEnum):
    PENDING = "pending"  # recorded before the store was called; outcome not known yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the store refused; nothing was paid, the key may be tried again


@dataclass(frozen=True, slots=True)
class RefundAttempt:
    """One refund asked of a store under one idempotency key (the ledger's row)."""

    merchant_id: str
    idempotency_key: str
    platform: str
    order_id: str
    fingerprint: str
    status: AttemptStatus
    created_at: datetime
    updated_at: datetime
    attempts: int = 1
    result: RefundResult | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LineRefundable:
    line: OrderLine
    quantity: int  # not refunded yet
    unit: Money  # paid per unit, tax included when the store charged it on top


@dataclass(frozen=True, slots=True)
class Refundable:
    """What may still be refunded of an order."""

    total: Money  # what the shopper paid less what was refunded; never negative
    shipping: Money
    lines: dict[str, LineRefundable] = field(default_factory=dict)  # by the store's line id


def _per_unit(line: OrderLine, taxes_included: bool) -> Money:
    paid = line.paid
    if not taxes_included and line.facts.tax is not None:
        paid = paid + line.facts.tax
    if line.quantity <= 0:
        return Money.zero(paid.currency)
    return Money(paid.amount / Decimal(line.quantity), paid.currency)


def _clamp(amount: Money) -> Money:
    return Money.zero(amount.currency) if amount.is_negative() else amount


def refundable(order: Order, refunds: list[Refund]) -> Refundable:
    """What is left to refund of ``order`` after ``refunds`` (those we recorded, from the
    store's webhooks, a backfill, or our own earlier requests)."""
    currency = order.currency
    totals = order.money
    given = total([r.amount for r in refunds if r.amount.currency == currency], currency)
    shipping_given = total(
        [r.shipping for r in refunds if r.shipping.currency == currency], currency
    )
    refunded_qty: dict[str, int] = {}
    for refund in refunds:
        for x in refund.lines:
            if x.line_id is not None:
                refunded_qty[x.line_id] = refunded_qty.get(x.line_id, 0) + x.quantity
    lines: dict[str, LineRefundable] = {}
    for line in order.lines:
        store_id = line.facts.external_id
        if store_id is None:
            continue
        left = max(line.quantity - refunded_qty.get(line.id, 0), 0)
        lines[store_id] = LineRefundable(line, left, _per_unit(line, totals.taxes_included))
    return Refundable(
        total=_clamp(totals.paid - given),
        shipping=_clamp(totals.shipping - shipping_given),
        lines=lines,
    )


def check_refund(order: Order, refunds: list[Refund], request: RefundRequest) -> Money:
    """Refuse a request larger than what is refundable (naming the field); else the
    estimated amount it will pay back. Called before the store is asked."""
    if request.currency != order.currency:
        raise InvalidInput(f"the order is in {order.currency}", field="currency")
    if request.order_store_id != order.external_id:
        raise InvalidInput("the request names another order", field="order_id")
    left = refundable(order, refunds)
    estimate = Money.zero(order.currency)
    for i, wanted in enumerate(request.lines):
        line = left.lines.get(wanted.store_line_id)
        if line is None:
            raise InvalidInput(
                f"the order has no line {wanted.store_line_id!r}", field=f"lines[{i}].line_id"
            )
        if wanted.quantity > line.quantity:
            raise InvalidInput(
                f"only {line.quantity} of this line can still be refunded",
                field=f"lines[{i}].quantity",
            )
        estimate = estimate + line.unit * wanted.quantity
    if request.shipping is not None:
        if left.shipping < request.shipping:
            raise InvalidInput(
                f"only {left.shipping} of shipping can still be refunded", field="shipping"
            )
        estimate = estimate + request.shipping
    estimate = estimate.rounded()
    if left.total < estimate:
        raise InvalidInput(
            f"refund of about {estimate} is more than the {left.total} still refundable",
            field="amount",
        )
    if request.fee is not None and request.fee.amount > 0:
        kept = min(request.fee.amount, estimate.amount)
        estimate = Money(estimate.amount - kept, estimate.currency)
    return estimate


def less_fee(amounts: list[Decimal], fee: Decimal) -> list[Decimal]:
    """``amounts`` (what a store would pay back, per transaction or per line) with ``fee``
    taken off, from the last one backwards, none below zero: the merchant keeps the fee out
    of the refund rather than the store paying it back and the ledger saying otherwise."""
    left = max(fee, Decimal(0))
    out = list(amounts)
    for i in range(len(out) - 1, -1, -1):
        if left <= 0:
            break
        taken = min(out[i], left)
        out[i] -= taken
        left -= taken
    return out
