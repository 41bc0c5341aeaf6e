"""The shopper's side of the returns use cases: what the portal shows, quotes, photos and the
request itself.

A request runs in one unit of work and either changes everything it should or nothing: a bad
line, a quantity above what is left, a return outside its window raises before anything is
written. A repeated idempotency key gives back the return it made the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia, sniff_image
from postpurchase.domain.money import Money
from postpurchase.domain.notification_vocabulary import valid_email
from postpurchase.domain.returns import (
    CatalogueVariant,
    MethodOption,
    Quote,
    Resolution,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnRequestContext,
    Verdict,
    evaluate,
)
from postpurchase.service_layer.returns.audit import (
    AUTOMATIC,
    record_step,
    snapshot,
)
from postpurchase.service_layer.returns.choices import (
    Preview,
    chosen_footprint,
    exchange_choices,
    exchange_plan,
    method_options,
    plan_refusal,
    to_exchange,
)
from postpurchase.service_layer.returns.context import (
    LineAsk,
    ReturnAsk,
    build_context,
    held_units,
)
from postpurchase.service_layer.returns.core import ReturnsCore
from postpurchase.service_layer.returns.photos import (
    MAX_PHOTO_BYTES,
    _check_photos,
    photo_tag,
)
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    OrderFacts,
)


@dataclass(frozen=True, slots=True)
class Overview:
    facts: OrderFacts
    policy: ReturnPolicy
    returns: list[Return]
    returnable: dict[str, int]  # order line id -> units that can still be returned
    methods: list[MethodOption] = field(default_factory=list)  # greenest first
    exchange: dict[str, list[CatalogueVariant]] = field(default_factory=dict)  # per line


def refusal(quote: Quote) -> InvalidInput:
    """The first refusal, naming the field (``lines[i]`` or ``resolution``) and the rule."""
    index = {line.line_id: i for i, line in enumerate(quote.lines)}
    first = quote.refused()[0]
    at = f"lines[{index[first.line_id]}]" if first.line_id in index else first.rule
    if first.rule == "resolution" or first.rule == "gift":
        at = "resolution"
    return InvalidInput(first.explanation, field=at)


def gift_recipient(ask: ReturnAsk) -> str | None:
    """The gift's recipient address, checked (lower-cased); only a gift return takes one."""
    raw = (ask.gift_email or "").strip()
    if not raw:
        return None
    if not ask.gift:
        raise InvalidInput("only a gift return has a recipient", field="gift_email")
    if not valid_email(raw):
        raise InvalidInput("not an email address", field="gift_email")
    return raw.lower()


class ShopperSide(ReturnsCore):
    """Overview, quote, methods, exchange choices, photos and the request."""

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
            held = held_units(existing)
            left = {}
            for line in facts.order.lines:
                d = facts.delivered.get(line.id)
                n = min(d.quantity, line.quantity) if d else 0
                left[line.id] = max(0, n - held.get(line.id, 0))
            policy = uow.policies.active(merchant_id)
            swaps = (
                exchange_choices(uow, merchant_id, facts)
                if Resolution.EXCHANGE in policy.resolutions
                else {}
            )
            return Overview(facts, policy, existing, left, method_options(policy, facts), swaps)

    def quote(self, merchant_id: str, order_id: str, ask: ReturnAsk) -> Quote:
        """What the policy would decide and pay, without storing anything."""
        return self.preview(merchant_id, order_id, ask).quote

    def preview(self, merchant_id: str, order_id: str, ask: ReturnAsk) -> Preview:
        """The quote with the exchange's price and the chosen method's footprint; stores
        nothing (the portal's review step and ``POST .../returns/quote``)."""
        with self._uow() as uow:
            policy, facts, ctx = self._context(uow, merchant_id, order_id, ask)
            quote = evaluate(policy, ctx)
            plan = exchange_plan(uow, merchant_id, facts, quote, ask)
            return Preview(quote, plan, chosen_footprint(policy, facts, ask))

    def methods(self, merchant_id: str, order_id: str, lines: Sequence[LineAsk] = ()) -> list[
        MethodOption
    ]:  # fmt: skip
        """The return methods offered for the order, each with its cost and CO2e."""
        with self._uow() as uow:
            facts = uow.orders.facts(merchant_id, order_id)
            if facts is None:
                raise NotFound("no such order", field="order_id")
            return method_options(uow.policies.active(merchant_id), facts, lines)

    def exchange_choices(
        self, merchant_id: str, order_id: str
    ) -> dict[str, list[CatalogueVariant]]:
        with self._uow() as uow:
            facts = uow.orders.facts(merchant_id, order_id)
            if facts is None:
                raise NotFound("no such order", field="order_id")
            return exchange_choices(uow, merchant_id, facts)

    def add_photo(
        self, merchant_id: str, order_id: str, data: bytes, *, field: str = "photo"
    ) -> MediaRef:
        """Check an uploaded photo (PNG, JPEG, WebP or GIF by its bytes, at most
        ``MAX_PHOTO_BYTES``) and store it for this order's return; a bad file raises
        ``InvalidInput`` naming ``field`` and nothing is stored."""
        content_type = sniff_image(data, MAX_PHOTO_BYTES, field=field)
        with self._uow() as uow:
            if uow.orders.facts(merchant_id, order_id) is None:
                raise NotFound("no such order", field="order_id")
            ref = uow.media.put(
                merchant_id, MediaKind.RETURN_PHOTO, content_type, data, photo_tag(order_id)
            )
            self._commit(uow)
            return ref

    def media(self, merchant_id: str, media_id: str) -> StoredMedia | None:
        with self._uow() as uow:
            return uow.media.get(merchant_id, media_id)

    def photo(self, merchant_id: str, media_id: str) -> StoredMedia | None:
        with self._uow() as uow:
            found = uow.media.get(merchant_id, media_id)
        ok = found is not None and found.ref.kind is MediaKind.RETURN_PHOTO
        return found if ok else None

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
            _check_photos(uow, merchant_id, order_id, ask)
            recipient = gift_recipient(ask)
            policy, facts, ctx = self._context(uow, merchant_id, order_id, ask, lock=True)
            quote = evaluate(policy, ctx)
            if quote.verdict is Verdict.REFUSED:
                raise refusal(quote)
            plan = exchange_plan(uow, merchant_id, facts, quote, ask)
            if plan is not None and plan.verdict is Verdict.REFUSED:
                raise plan_refusal(plan)
            order = facts.order
            existing = uow.returns.for_order(merchant_id, order_id)
            now = self._now()
            zero = Money.zero(order.currency)
            photos = {a.order_line_id: a.photos for a in ask.lines}
            fees = quote.restocking_fee + quote.return_fee + (quote.method_fee or zero)
            shown = chosen_footprint(policy, facts, ask)
            ret = Return(
                id=new_id(),
                merchant_id=merchant_id,
                order_id=order_id,
                number=f"{order.number.lstrip('#')}-R{len(existing) + 1}",
                lines=[
                    ReturnLine(
                        q.line_id,
                        q.sku,
                        q.quantity,
                        q.reason_code,
                        q.refund,
                        q.decision.rule,
                        photos=list(photos.get(q.line_id, ())),
                    )
                    for q in quote.lines
                ],
                resolution=quote.resolution,
                currency=order.currency,
                refund=quote.refund if plan is None else plan.refund,
                bonus=quote.bonus if plan is None else zero,
                fees=fees,
                policy_version=quote.policy_version,
                created_at=now,
                gift=ask.gift,
                gift_email=recipient,
                customer_email=(order.email or "").lower() or None,
                idempotency_key=key,
                method=quote.method,
                co2e_kg=shown.kg_co2e if shown is not None else None,
                exchange=None if plan is None else to_exchange(plan),
            )
            decisions = [*quote.all_decisions(), *(plan.decisions if plan else ())]
            review = [d for d in decisions if d.verdict is Verdict.REVIEW]
            ret.review_reason = review[0].rule if review else None
            verdict = Verdict.REVIEW if review else quote.verdict
            ret.requested(verdict.value)
            was = snapshot(ret)
            if verdict is Verdict.APPROVED:
                ret.approve(now, automatic=True)
            if not uow.returns.add(ret):  # the same key, submitted at the same instant
                uow.rollback()
                again = uow.returns.by_key(merchant_id, key or "")
                if again is None:
                    raise Conflict("submitted twice at once; try again", field="key")
                return again, None, False
            uow.returns.record_decisions(
                ret, quote, now, actor="policy", extra=plan.decisions if plan else ()
            )
            if verdict is Verdict.APPROVED:
                record_step(uow, ret, actor=AUTOMATIC, action="returns.approve", before=was)
            self._commit(uow)
            return ret, quote, True
