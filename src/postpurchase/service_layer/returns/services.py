"""The returns use cases: quote, request, review, receive, inspect, put away, resolve.

Each runs in one unit of work and either changes everything it should or nothing: a bad
line, a quantity above what is left, a return outside its window raises before anything is
written. A repeated idempotency key gives back the return it made the first time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money, minor_units, total
from postpurchase.domain.orders import Order
from postpurchase.domain.returns import (
    Disposition,
    Grade,
    LineRequest,
    Quote,
    Resolution,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnRequestContext,
    ReturnStatus,
    Verdict,
    evaluate,
    line_refund_cap,
)
from postpurchase.domain.returns.lifecycle import held_quantities
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    IssuedMoney,
    OrderFacts,
    RefundIssuer,
    ReturnQuery,
)

MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class LineAsk:
    order_line_id: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReturnAsk:
    """What a shopper (through the portal) or an integrator (through the API) asks for."""

    lines: tuple[LineAsk, ...]
    resolution: Resolution = Resolution.REFUND
    gift: bool = False


@dataclass(frozen=True, slots=True)
class Overview:
    facts: OrderFacts
    policy: ReturnPolicy
    returns: list[Return]
    returnable: dict[str, int]  # order line id -> units that can still be returned


def shopper_zone(facts: OrderFacts, merchant_zone: str | None = None) -> tzinfo:
    """The shopper's zone: the order's, else the merchant's, else UTC."""
    for name in (facts.timezone, merchant_zone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _held(returns: Sequence[Return]) -> dict[str, int]:
    return held_quantities(returns)


def _refunded_by_returns(returns: Sequence[Return], currency: str) -> dict[str, Money]:
    out: dict[str, Money] = {}
    for r in returns:
        if r.status in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED):
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
    held = _held(existing)
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
        )  # fmt: skip
        refunded = facts.refunded.get(line.id, zero) + by_returns.get(line.id, zero)
        requests.append(
            LineRequest(
                line_id=line.id, sku=line.sku, quantity=a.quantity, reason_code=a.reason,
                line_quantity=line.quantity, delivered=n_delivered,
                already_returned=held.get(line.id, 0), cap=cap, already_refunded=refunded,
                delivered_at=delivered.delivered_at if delivered else None,
                gift_card=line.facts.gift_card,
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
    )


def refusal(quote: Quote) -> InvalidInput:
    """The first refusal, naming the field (``lines[i]`` or ``resolution``) and the rule."""
    index = {line.line_id: i for i, line in enumerate(quote.lines)}
    first = quote.refused()[0]
    at = f"lines[{index[first.line_id]}]" if first.line_id in index else first.rule
    if first.rule == "resolution" or first.rule == "gift":
        at = "resolution"
    return InvalidInput(first.explanation, field=at)


class Returns:
    """The use cases, given a way to open a unit of work, a clock and a refund issuer."""

    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        issuer: RefundIssuer,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._issuer = issuer
        self._after_commit = after_commit  # wakes the outbox drain (notifications, inventory)

    def _commit(self, uow: AbstractReturnsUnitOfWork) -> None:
        uow.commit()
        if uow.collect_new_events() and self._after_commit is not None:
            self._after_commit()

    # ---- policy --------------------------------------------------------------------------------

    def policy(self, merchant_id: str) -> ReturnPolicy:
        with self._uow() as uow:
            return uow.policies.active(merchant_id)

    def save_policy(self, merchant_id: str, policy: ReturnPolicy) -> ReturnPolicy:
        with self._uow() as uow:
            saved = uow.policies.save(merchant_id, policy, self._now())
            self._commit(uow)
            return saved

    # ---- the shopper's side --------------------------------------------------------------------

    def _context(
        self,
        uow: AbstractReturnsUnitOfWork,
        merchant_id: str,
        order_id: str,
        ask: ReturnAsk,
        *,
        lock: bool = False,
    ) -> tuple[ReturnPolicy, OrderFacts, ReturnRequestContext]:
        facts = uow.orders.facts(merchant_id, order_id, lock=lock)
        if facts is None:
            raise NotFound("no such order", field="order_id")
        policy = uow.policies.active(merchant_id)
        existing = uow.returns.for_order(merchant_id, order_id)
        now = self._now()
        customer = 0
        email = facts.order.email
        if policy.limit is not None and email:
            since = now - timedelta(days=policy.limit.period_days)
            customer = uow.returns.count_for_customer(merchant_id, email, since)
        ctx = build_context(policy, facts, existing, ask, now, customer_returns=customer)
        return policy, facts, ctx

    def overview(self, merchant_id: str, order_id: str) -> Overview:
        """What the portal shows before the shopper chooses: each line with how many can
        still be returned, the policy, and the order's returns so far."""
        with self._uow() as uow:
            facts = uow.orders.facts(merchant_id, order_id)
            if facts is None:
                raise NotFound("no such order", field="order_id")
            existing = uow.returns.for_order(merchant_id, order_id)
            held = _held(existing)
            left = {}
            for line in facts.order.lines:
                d = facts.delivered.get(line.id)
                n = min(d.quantity, line.quantity) if d else 0
                left[line.id] = max(0, n - held.get(line.id, 0))
            return Overview(facts, uow.policies.active(merchant_id), existing, left)

    def quote(self, merchant_id: str, order_id: str, ask: ReturnAsk) -> Quote:
        """What the policy would decide and pay, without storing anything."""
        with self._uow() as uow:
            policy, _, ctx = self._context(uow, merchant_id, order_id, ask)
            return evaluate(policy, ctx)

    def request(
        self, merchant_id: str, order_id: str, ask: ReturnAsk, *, key: str | None = None
    ) -> tuple[Return, Quote | None, bool]:
        """(return, quote, created). A key seen before returns the first return unchanged."""
        with self._uow() as uow:
            if key:
                before = uow.returns.by_key(merchant_id, key)
                if before is not None:
                    if before.order_id != order_id:
                        raise Conflict("this idempotency key made another return", field="key")
                    return before, None, False
            policy, facts, ctx = self._context(uow, merchant_id, order_id, ask, lock=True)
            quote = evaluate(policy, ctx)
            if quote.verdict is Verdict.REFUSED:
                raise refusal(quote)
            order = facts.order
            existing = uow.returns.for_order(merchant_id, order_id)
            now = self._now()
            fees = quote.restocking_fee + quote.return_fee
            ret = Return(
                id=new_id(),
                merchant_id=merchant_id,
                order_id=order_id,
                number=f"{order.number.lstrip('#')}-R{len(existing) + 1}",
                lines=[
                    ReturnLine(
                        q.line_id, q.sku, q.quantity, q.reason_code, q.refund, q.decision.rule
                    )
                    for q in quote.lines
                ],
                resolution=quote.resolution,
                currency=order.currency,
                refund=quote.refund,
                bonus=quote.bonus,
                fees=fees,
                policy_version=quote.policy_version,
                created_at=now,
                gift=ask.gift,
                customer_email=(order.email or "").lower() or None,
                idempotency_key=key,
            )
            review = [d for d in quote.all_decisions() if d.verdict is Verdict.REVIEW]
            ret.review_reason = review[0].rule if review else None
            ret.requested(quote.verdict.value)
            if quote.verdict is Verdict.APPROVED:
                ret.approve(now, automatic=True)
            if not uow.returns.add(ret):  # the same key, submitted at the same instant
                uow.rollback()
                again = uow.returns.by_key(merchant_id, key or "")
                if again is None:
                    raise Conflict("submitted twice at once; try again", field="key")
                return again, None, False
            uow.returns.record_decisions(ret, quote, now, actor="policy")
            self._commit(uow)
            return ret, quote, True

    # ---- the merchant's side -------------------------------------------------------------------

    def _step(
        self, merchant_id: str, return_id: str, act: Callable[[Return, datetime], None],
        *, note: str = "",
    ) -> Return:  # fmt: skip
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            now = self._now()
            act(ret, now)
            uow.returns.record_decisions(ret, None, now, actor="merchant", note=note)
            self._commit(uow)
            return ret

    def approve(self, merchant_id: str, return_id: str) -> Return:
        return self._step(merchant_id, return_id, lambda r, at: r.approve(at), note="approved")

    def reject(self, merchant_id: str, return_id: str, reason: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.reject(at, reason), note=reason[:500]
        )

    def bulk_approve(
        self, merchant_id: str, return_ids: Sequence[str]
    ) -> list[tuple[str, Return | None, DomainError | None]]:
        """Each id on its own: one that cannot be approved is refused, the others are not."""
        out: list[tuple[str, Return | None, DomainError | None]] = []
        for rid in return_ids:
            try:
                out.append((rid, self.approve(merchant_id, rid), None))
            except DomainError as exc:
                out.append((rid, None, exc))
        return out

    def issue_label(
        self, merchant_id: str, return_id: str, carrier: str | None, tracking_number: str | None
    ) -> Return:
        return self._step(
            merchant_id, return_id,
            lambda r, at: r.issue_label(at, carrier, tracking_number), note="label",
        )  # fmt: skip

    def in_transit(self, merchant_id: str, return_id: str) -> Return:
        return self._step(merchant_id, return_id, lambda r, at: r.ship(at), note="in transit")

    def receive(self, merchant_id: str, return_id: str) -> Return:
        return self._step(merchant_id, return_id, lambda r, at: r.receive(at), note="received")

    def inspect(
        self,
        merchant_id: str,
        return_id: str,
        grades: Mapping[str, Grade],
        notes: Mapping[str, str] | None = None,
        dispositions: Mapping[str, Disposition] | None = None,
        *,
        put_away: bool = True,
    ) -> Return:
        """Grade the lines, then (by default) restock or dispose of them in the same step."""

        def act(r: Return, at: datetime) -> None:
            r.inspect(at, grades, notes)
            if put_away:
                r.put_away(at, dispositions)

        return self._step(merchant_id, return_id, act, note="inspected")

    def resolve(self, merchant_id: str, return_id: str) -> Return:
        """Pay the refund or issue the credit through the issuer, and record it."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if not ret.ready_to_resolve():
                raise Conflict(
                    f"a return that is {ret.status.value} cannot be refunded yet", field="status"
                )
            now = self._now()
            credit = ret.resolution is Resolution.STORE_CREDIT or ret.gift
            issued = (
                self._issuer.credit(uow, ret, now) if credit else self._issuer.refund(uow, ret, now)
            )
            ret.resolve(now, issued.reference)
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="resolved")
            self._commit(uow)
            return ret

    def get(self, merchant_id: str, return_id: str) -> Return:
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            return ret

    def search(self, merchant_id: str, q: ReturnQuery) -> list[Return]:
        with self._uow() as uow:
            found = uow.returns.search(merchant_id, q)
            return sorted(found, key=lambda r: r.id)

    def ledger(self, merchant_id: str, return_id: str) -> list[dict[str, object]]:
        with self._uow() as uow:
            return uow.ledger.entries(merchant_id, return_id)

    def for_order(self, merchant_id: str, order_id: str) -> list[Return]:
        with self._uow() as uow:
            return uow.returns.for_order(merchant_id, order_id)


class LedgerIssuer:
    """The refund issuer when no store is connected: the ledger is the record.

    Writes a ``refund`` or ``store_credit`` entry (and the fees kept, as ``fee``) in the same
    transaction as the state change, so a refund is recorded exactly once.
    """

    def refund(self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime) -> IssuedMoney:
        self._fees(uow, ret, at)
        return IssuedMoney(uow.ledger.record(ret, "refund", ret.refund, at))

    def credit(self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime) -> IssuedMoney:
        self._fees(uow, ret, at)
        return IssuedMoney(uow.ledger.record(ret, "store_credit", ret.credit, at))

    @staticmethod
    def _fees(uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime) -> None:
        if ret.fees.amount > 0:
            uow.ledger.record(ret, "fee", ret.fees, at)


def lines_total(ret: Return) -> Money:
    return total([line.refund for line in ret.lines], ret.currency)
