"""Deciding a return: which lines may come back, for how much, and which rule said so.

:func:`evaluate` is a pure function of a policy and a request. Every line and every fee
gets a :class:`Decision` naming its rule (``statutory.eu_withdrawal``, ``window``,
``final_sale``, ``reason.photo``, ``limit``, ``fee.return``...) and one line the shopper can
read. The law comes first: inside the EU right of withdrawal a final-sale tag or a short
merchant window does not refuse the line, and no restocking fee is charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from postpurchase.domain.money import Money, minor_units, total
from postpurchase.domain.returns import statutory
from postpurchase.domain.returns.methods import ReturnMethod
from postpurchase.domain.returns.policy import LimitAction, Resolution, ReturnPolicy
from postpurchase.domain.returns.refunds import refund_for_quantity


class Verdict(StrEnum):
    APPROVED = "approved"  # automatically
    REVIEW = "review"  # a person decides
    REFUSED = "refused"


_RANK = {Verdict.APPROVED: 0, Verdict.REVIEW: 1, Verdict.REFUSED: 2}


@dataclass(frozen=True, slots=True)
class Decision:
    rule: str  # which rule made it, e.g. "window", "statutory.eu_withdrawal"
    verdict: Verdict
    explanation: str  # one line for the shopper (English; pages translate by rule)
    params: tuple[tuple[str, str], ...] = ()  # the values in the explanation, for translation
    line_id: str | None = None  # None: about the whole return


@dataclass(frozen=True, slots=True)
class LineRequest:
    """One order line the shopper wants to send back, with what the order says of it."""

    line_id: str
    sku: str
    quantity: int  # asked to return
    reason_code: str
    line_quantity: int  # ordered
    delivered: int  # delivered so far
    already_returned: int  # in other returns that were not rejected
    cap: Money  # what was paid for the whole line (refunds.line_refund_cap)
    already_refunded: Money  # by the store or earlier returns
    delivered_at: datetime | None
    gift_card: bool = False
    photos: int = 0  # photos the shopper attached (checked and stored before the quote)


@dataclass(frozen=True, slots=True)
class ReturnRequestContext:
    currency: str
    now: datetime
    zone: tzinfo  # the shopper's
    destination_country: str | None
    resolution: Resolution
    lines: tuple[LineRequest, ...]
    order_tags: frozenset[str] = frozenset()
    gift: bool = False
    customer_returns_in_period: int = 0
    method: ReturnMethod | None = None  # how the parcel comes back (None: not chosen yet)


@dataclass(frozen=True, slots=True)
class QuotedLine:
    line_id: str
    sku: str
    quantity: int
    reason_code: str
    decision: Decision
    refund: Money  # this line's share before fees
    restocking_fee: Money
    keep_it: bool  # returning it costs more than it is worth


@dataclass(frozen=True, slots=True)
class Quote:
    verdict: Verdict
    resolution: Resolution
    policy_version: int
    lines: tuple[QuotedLine, ...]
    decisions: tuple[Decision, ...]  # about the whole return: resolution, limit, fees
    items: Money  # the lines' refunds, before fees
    restocking_fee: Money
    return_fee: Money
    refund: Money  # money back to the payment (or the basis of the credit)
    bonus: Money  # extra store credit
    keep_it_offered: bool = False
    allowed_resolutions: tuple[Resolution, ...] = field(default=())
    method: ReturnMethod | None = None
    method_fee: Money | None = None  # the chosen method's cost, taken from the refund

    @property
    def credit(self) -> Money:
        return self.refund + self.bonus

    @property
    def amount(self) -> Money:
        """What the shopper gets: credit for store credit (and gift returns), else refund."""
        return self.credit if self.resolution is Resolution.STORE_CREDIT else self.refund

    def all_decisions(self) -> list[Decision]:
        return [*(line.decision for line in self.lines), *self.decisions]

    def refused(self) -> list[Decision]:
        return [d for d in self.all_decisions() if d.verdict is Verdict.REFUSED]


def _share(amount: Money, rate: Decimal) -> Money:
    quantum = Decimal(1).scaleb(-minor_units(amount.currency))
    value = (amount.amount * rate).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return Money(value, amount.currency)


def _line_decision(
    policy: ReturnPolicy, ctx: ReturnRequestContext, line: LineRequest
) -> tuple[Decision, bool]:
    """(decision, under statutory right)."""
    lid = line.line_id

    def d(rule: str, verdict: Verdict, text: str, **params: str) -> Decision:
        return Decision(rule, verdict, text, tuple(sorted(params.items())), lid)

    if line.gift_card:
        return d("gift_card", Verdict.REFUSED, "Gift cards cannot be returned."), False
    if line.delivered_at is None or line.delivered <= 0:
        return d("not_delivered", Verdict.REFUSED, "This item has not been delivered yet."), False
    left = line.delivered - line.already_returned
    if line.quantity > left:
        return d(
            "quantity", Verdict.REFUSED,
            f"Only {max(left, 0)} of this item can still be returned.", left=str(max(left, 0)),
        ), False  # fmt: skip
    reason = policy.reason(line.reason_code)
    if reason is None:
        return d("reason", Verdict.REFUSED, "Choose a reason from the list."), False
    tags = policy.tags_of(line.sku, ctx.order_tags)
    if (
        policy.statutory_rights
        and statutory.eu_withdrawal_applies(ctx.destination_country)
        and line.sku not in policy.statutory_exempt_skus
        and statutory.within(line.delivered_at, statutory.EU_WITHDRAWAL_DAYS, ctx.now, ctx.zone)
    ):
        until = statutory.last_day(line.delivered_at, statutory.EU_WITHDRAWAL_DAYS, ctx.zone)
        return d(
            "statutory.eu_withdrawal", Verdict.APPROVED,
            f"Your legal 14-day right of withdrawal applies until {until.isoformat()}.",
            until=until.isoformat(),
        ), True  # fmt: skip
    if line.sku in policy.non_returnable_skus or tags & policy.non_returnable_tags:
        return d("non_returnable", Verdict.REFUSED, "This item cannot be returned."), False
    if tags & policy.final_sale_tags:
        return d("final_sale", Verdict.REFUSED, "Final-sale items cannot be returned."), False
    days = reason.window_days if reason.window_days is not None else policy.window_days
    until = statutory.last_day(line.delivered_at, days, ctx.zone)
    if not statutory.within(line.delivered_at, days, ctx.now, ctx.zone):
        return d(
            "window", Verdict.REFUSED,
            f"The {days}-day return window ended on {until.isoformat()}.",
            days=str(days), until=until.isoformat(),
        ), False  # fmt: skip
    if reason.requires_photo and not line.photos:
        return d(
            "reason.photo", Verdict.REVIEW,
            "This reason needs a photo: the shop looks at your return before approving it.",
        ), False  # fmt: skip
    if reason.review:
        return d(
            "reason.review", Verdict.REVIEW, "The shop reviews returns for this reason."
        ), False
    return d(
        "window", Verdict.APPROVED,
        f"Within the {days}-day return window (until {until.isoformat()}).",
        days=str(days), until=until.isoformat(),
    ), False  # fmt: skip


def _keep_it(policy: ReturnPolicy, line: LineRequest) -> bool:
    """Bringing one unit back costs more than it can be resold for."""
    keep = policy.keep_it
    if keep is None or line.line_quantity <= 0:
        return False
    unit_paid = Money(line.cap.amount / line.line_quantity, line.cap.currency)
    ceiling = keep.max_value.get(line.cap.currency)
    if ceiling is not None and unit_paid.amount > ceiling:
        return False
    return Money.zero(line.cap.currency) < keep.cost_to_serve(line.sku, unit_paid)


def evaluate(policy: ReturnPolicy, ctx: ReturnRequestContext) -> Quote:
    """Decide every line and the return as a whole, and price it."""
    cur = ctx.currency
    zero = Money.zero(cur)
    quoted: list[QuotedLine] = []
    statutory_lines: set[str] = set()
    for line in ctx.lines:
        decision, by_law = _line_decision(policy, ctx, line)
        if by_law:
            statutory_lines.add(line.line_id)
        counts = decision.verdict is not Verdict.REFUSED
        refund = (
            refund_for_quantity(
                line.cap, line.line_quantity, line.quantity, line.already_returned,
                line.already_refunded,
            )
            if counts else zero
        )  # fmt: skip
        reason = policy.reason(line.reason_code)
        fault = reason is not None and reason.merchant_fault
        restock = (
            zero
            if by_law or fault or not counts or ctx.resolution is Resolution.KEEP_IT
            else min(_share(refund, policy.restocking_fee_rate), refund, key=lambda m: m.amount)
        )
        quoted.append(
            QuotedLine(
                line.line_id, line.sku, line.quantity, line.reason_code, decision, refund,
                restock, _keep_it(policy, line),
            )
        )  # fmt: skip

    decisions: list[Decision] = []
    live = [q for q in quoted if q.decision.verdict is not Verdict.REFUSED]
    keep_offered = bool(live) and all(q.keep_it for q in live)
    allowed = _allowed_resolutions(policy, ctx, keep_offered)
    decisions.append(_resolution_decision(ctx, allowed))

    every_by_law = bool(live) and all(q.line_id in statutory_lines for q in live)
    limit = policy.limit
    if (
        limit is not None
        and not every_by_law
        and ctx.customer_returns_in_period >= limit.max_returns
    ):
        refuse = limit.action is LimitAction.REFUSE
        outcome = "no more can be returned for now" if refuse else "the shop reviews this one"
        decisions.append(
            Decision(
                "limit", Verdict.REFUSED if refuse else Verdict.REVIEW,
                f"You have made {limit.max_returns} or more returns in {limit.period_days} "
                f"days: {outcome}.",
                (("max", str(limit.max_returns)), ("days", str(limit.period_days))),
            )
        )  # fmt: skip

    items = total([q.refund for q in quoted], cur)
    restocking = total([q.restocking_fee for q in quoted], cur)
    after_restock = items - restocking
    fee, fee_decision = _return_fee(policy, ctx, quoted, after_restock)
    decisions.append(fee_decision)
    if restocking.amount > 0:
        decisions.append(
            Decision(
                "fee.restocking", Verdict.APPROVED,
                f"A restocking fee of {restocking} applies.", (("amount", str(restocking)),),
            )
        )  # fmt: skip
    method_fee, method_decision = _method_fee(policy, ctx, quoted, after_restock - fee)
    if method_decision is not None:
        decisions.append(method_decision)
    refund = after_restock - fee - method_fee
    refund = refund if not refund.is_negative() else zero
    bonus = (
        _share(refund, policy.store_credit_bonus_rate)
        if ctx.resolution is Resolution.STORE_CREDIT
        else zero
    )
    if bonus.amount > 0:
        decisions.append(
            Decision(
                "credit.bonus", Verdict.APPROVED,
                f"Store credit comes with a bonus of {bonus}.", (("amount", str(bonus)),),
            )
        )  # fmt: skip
    verdict = max(
        (d.verdict for d in [*(q.decision for q in quoted), *decisions]),
        key=_RANK.__getitem__,
        default=Verdict.REFUSED,
    )
    if not quoted:
        verdict = Verdict.REFUSED
    return Quote(
        verdict=verdict,
        resolution=ctx.resolution,
        policy_version=policy.version,
        lines=tuple(quoted),
        decisions=tuple(decisions),
        items=items,
        restocking_fee=restocking,
        return_fee=fee,
        refund=refund,
        bonus=bonus,
        keep_it_offered=keep_offered,
        allowed_resolutions=tuple(sorted(allowed)),
        method=ctx.method if ctx.resolution is not Resolution.KEEP_IT else None,
        method_fee=method_fee,
    )


def _allowed_resolutions(
    policy: ReturnPolicy, ctx: ReturnRequestContext, keep_offered: bool
) -> frozenset[Resolution]:
    if ctx.gift:
        return frozenset({Resolution.STORE_CREDIT}) if policy.gift_returns else frozenset()
    allowed = set(policy.resolutions) - {Resolution.KEEP_IT}
    if keep_offered:
        allowed.add(Resolution.KEEP_IT)
    return frozenset(allowed)


def _resolution_decision(ctx: ReturnRequestContext, allowed: frozenset[Resolution]) -> Decision:
    r = ctx.resolution
    if ctx.gift and not allowed:
        return Decision("gift", Verdict.REFUSED, "This shop does not take gift returns.")
    if r not in allowed:
        if r is Resolution.KEEP_IT:
            text = "Keeping the item is not offered for these items."
        elif ctx.gift:
            text = "A gift is returned for store credit, so the giver is not told."
        else:
            text = "This shop does not offer that for returns."
        return Decision("resolution", Verdict.REFUSED, text, (("resolution", r.value),))
    if ctx.gift:
        return Decision(
            "gift", Verdict.APPROVED,
            "A gift is returned for store credit; the giver is not told.",
        )  # fmt: skip
    if r is Resolution.KEEP_IT:
        return Decision(
            "keep_it", Verdict.APPROVED,
            "Sending these back costs more than they are worth: keep them, no return needed.",
        )  # fmt: skip
    chosen = {
        Resolution.REFUND: "a refund to the original payment",
        Resolution.STORE_CREDIT: "store credit",
        Resolution.EXCHANGE: "an exchange: the new item is sent when the policy allows",
    }[r]
    return Decision(
        "resolution", Verdict.APPROVED, f"You get {chosen}.", (("resolution", r.value),)
    )


def _return_fee(
    policy: ReturnPolicy, ctx: ReturnRequestContext, lines: Sequence[QuotedLine], left: Money
) -> tuple[Money, Decision]:
    zero = Money.zero(ctx.currency)
    fee = policy.fee(ctx.currency)
    live = [q for q in lines if q.decision.verdict is not Verdict.REFUSED]
    faults = [policy.reason(q.reason_code) for q in live]
    if fee.amount <= 0:
        return zero, Decision("fee.free", Verdict.APPROVED, "Returns are free.")
    if ctx.resolution is Resolution.KEEP_IT:
        return zero, Decision("fee.keep_it", Verdict.APPROVED, "No return, so no return fee.")
    if ctx.resolution is Resolution.EXCHANGE:
        return zero, Decision(
            "fee.exchange", Verdict.APPROVED, "Exchanges are free: no return fee."
        )
    if live and all(r is not None and r.merchant_fault for r in faults):
        return zero, Decision(
            "fee.merchant_fault", Verdict.APPROVED, "Free return: the shop got this wrong."
        )
    if ctx.resolution is Resolution.STORE_CREDIT and policy.fee_waived_for_credit:
        return zero, Decision(
            "fee.waived_for_credit", Verdict.APPROVED, "Free return when you choose store credit."
        )
    charged = fee if fee <= left else (left if not left.is_negative() else zero)
    return charged, Decision(
        "fee.return", Verdict.APPROVED,
        f"A return fee of {charged} is taken from your refund.", (("amount", str(charged)),),
    )  # fmt: skip


def _method_fee(
    policy: ReturnPolicy, ctx: ReturnRequestContext, lines: Sequence[QuotedLine], left: Money
) -> tuple[Money, Decision | None]:
    """The chosen return method's cost to the shopper, taken from what is left of the refund
    (never below zero); a method the policy does not offer is refused."""
    zero = Money.zero(ctx.currency)
    if ctx.method is None or ctx.resolution is Resolution.KEEP_IT:
        return zero, None
    terms = policy.method(ctx.method)
    if terms is None:
        offered = ", ".join(t.method.value for t in policy.methods) or "none"
        return zero, Decision(
            "method", Verdict.REFUSED, f"This shop does not offer that return method ({offered}).",
            (("method", ctx.method.value),),
        )  # fmt: skip
    live = [q for q in lines if q.decision.verdict is not Verdict.REFUSED]
    reasons = [policy.reason(q.reason_code) for q in live]
    fault = bool(live) and all(r is not None and r.merchant_fault for r in reasons)
    cost = Money(terms.cost(ctx.currency, merchant_fault=fault), ctx.currency)
    if cost.amount <= 0:
        return zero, Decision(
            "method.free", Verdict.APPROVED, "This return method is free.",
            (("method", ctx.method.value),),
        )  # fmt: skip
    charged = cost if cost <= left else (left if not left.is_negative() else zero)
    return charged, Decision(
        "method.fee", Verdict.APPROVED,
        f"This return method costs {charged}, taken from your refund.",
        (("method", ctx.method.value), ("amount", str(charged))),
    )  # fmt: skip
