"""The returns use cases: quote, request, review, receive, inspect, put away, resolve.

Each runs in one unit of work and either changes everything it should or nothing: a bad
line, a quantity above what is left, a return outside its window raises before anything is
written. A repeated idempotency key gives back the return it made the first time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia, sniff_image
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    PAID_EVENTS,
    CatalogueVariant,
    Disposition,
    Grade,
    MethodOption,
    Quote,
    Resolution,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnRequestContext,
    ReturnsAnalytics,
    ReturnStatus,
    Tally,
    Verdict,
    analyse,
    evaluate,
)
from postpurchase.service_layer.returns.audit import (
    AUTOMATIC,
    record_policy,
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
from postpurchase.service_layer.returns.photos import (
    MAX_PHOTO_BYTES,
    _check_photos,
    photo_tag,
)
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    ExchangeOrders,
    OrderFacts,
    RefundIssuer,
    ReturnQuery,
    StoreRefunds,
)
from postpurchase.service_layer.returns.simulate import all_returns, past_requests, replay
from postpurchase.service_layer.returns.timing import paid_before


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


class Returns:
    """The use cases, given a way to open a unit of work, a clock and a refund issuer."""

    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        issuer: RefundIssuer,
        after_commit: Callable[[], None] | None = None,
        *,
        store: StoreRefunds | None = None,
        exchanges: ExchangeOrders | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._issuer = issuer
        self._after_commit = after_commit  # wakes the outbox drain (notifications, inventory)
        self._store = store  # pays through the order's connected store, when there is one
        self._exchanges = exchanges  # creates exchange orders

    def _commit(self, uow: AbstractReturnsUnitOfWork) -> None:
        uow.commit()
        if uow.collect_new_events() and self._after_commit is not None:
            self._after_commit()

    # ---- policy --------------------------------------------------------------------------------

    def policy(self, merchant_id: str) -> ReturnPolicy:
        with self._uow() as uow:
            return uow.policies.active(merchant_id)

    def save_policy(self, merchant_id: str, policy: ReturnPolicy, *, actor: str) -> ReturnPolicy:
        """Save ``policy`` as the new active version, audited as ``returns.policy.activate``."""
        with self._uow() as uow:
            before = uow.policies.active(merchant_id)
            saved = uow.policies.save(merchant_id, policy, self._now())
            record_policy(uow, merchant_id, actor=actor, before=before, after=saved)
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

    # ---- the merchant's side -------------------------------------------------------------------

    def _step(
        self, merchant_id: str, return_id: str, act: Callable[[Return, datetime], None],
        *, note: str = "", actor: str, action: str,
    ) -> Return:  # fmt: skip
        """One step in one transaction, audited as ``action`` by ``actor`` in it."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            now = self._now()
            before = snapshot(ret)
            act(ret, now)
            uow.returns.record_decisions(ret, None, now, actor="merchant", note=note)
            record_step(uow, ret, actor=actor, action=action, before=before)
            self._commit(uow)
            return ret

    def approve(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.approve(at), note="approved",
            actor=actor, action="returns.approve",
        )  # fmt: skip

    def reject(self, merchant_id: str, return_id: str, reason: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.reject(at, reason), note=reason[:500],
            actor=actor, action="returns.reject",
        )  # fmt: skip

    def bulk_approve(
        self, merchant_id: str, return_ids: Sequence[str], *, actor: str
    ) -> list[tuple[str, Return | None, DomainError | None]]:
        """Each id on its own: one that cannot be approved is refused, the others are not."""
        out: list[tuple[str, Return | None, DomainError | None]] = []
        for rid in return_ids:
            try:
                out.append((rid, self.approve(merchant_id, rid, actor=actor), None))
            except DomainError as exc:
                out.append((rid, None, exc))
        return out

    def bulk_reject(
        self, merchant_id: str, return_ids: Sequence[str], reason: str, *, actor: str
    ) -> list[tuple[str, Return | None, DomainError | None]]:
        """Like ``bulk_approve``: each id on its own, one reason (shown to each shopper)."""
        out: list[tuple[str, Return | None, DomainError | None]] = []
        for rid in return_ids:
            try:
                out.append((rid, self.reject(merchant_id, rid, reason, actor=actor), None))
            except DomainError as exc:
                out.append((rid, None, exc))
        return out

    def issue_label(
        self, merchant_id: str, return_id: str, carrier: str | None, tracking_number: str | None,
        *, actor: str,
    ) -> Return:  # fmt: skip
        return self._step(
            merchant_id, return_id,
            lambda r, at: r.issue_label(at, carrier, tracking_number), note="label",
            actor=actor, action="returns.label",
        )  # fmt: skip

    def in_transit(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.ship(at), note="in transit",
            actor=actor, action="returns.in_transit",
        )  # fmt: skip

    def receive(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.receive(at), note="received",
            actor=actor, action="returns.receive",
        )  # fmt: skip

    def inspect(
        self,
        merchant_id: str,
        return_id: str,
        grades: Mapping[str, Grade],
        notes: Mapping[str, str] | None = None,
        dispositions: Mapping[str, Disposition] | None = None,
        *,
        put_away: bool = True,
        photos: Mapping[str, tuple[str, ...]] | None = None,
        actor: str,
        location: str | None = None,
    ) -> Return:
        """Grade the lines (with notes and the inspector's photos), then (by default)
        restock (into ``location``, when named) or dispose of them in the same step; audited
        as ``returns.inspect`` and ``returns.put_away``."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            for line_id, ids in (photos or {}).items():
                ask = ReturnAsk((LineAsk(line_id, 1, "", ids),))
                try:
                    _check_photos(uow, merchant_id, ret.order_id, ask)
                except InvalidInput:
                    raise InvalidInput(
                        "no such photo for this order",
                        field=f"photos.{line_id}",
                    ) from None
            now = self._now()
            before = snapshot(ret)
            ret.inspect(now, grades, notes)
            for line in ret.lines:
                for media_id in (photos or {}).get(line.order_line_id, ()):
                    if media_id not in line.photos:
                        line.photos.append(media_id)
            record_step(uow, ret, actor=actor, action="returns.inspect", before=before)
            if put_away:
                graded = snapshot(ret)
                ret.put_away(now, dispositions, location=location)
                where = {"location": location} if location else None
                record_step(
                    uow, ret, actor=actor, action="returns.put_away", before=graded, extra=where
                )
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="inspected")
            self._commit(uow)
            return ret

    def resolve(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        """Pay the refund or issue the credit (or create the exchange order), once.

        No network I/O inside a transaction: the return is checked and the order read in a
        first one; the store's refund (``StoreRefunds``, idempotent per return) and the
        exchange order are made outside; a second transaction records the result in the
        ledger and moves the return on. Resolving again replays the store's first answer.
        """
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if not ret.ready_to_resolve():
                raise Conflict(
                    f"a return that is {ret.status.value} cannot be refunded yet", field="status"
                )
            facts = uow.orders.facts(merchant_id, ret.order_id)
            early = paid_before(uow, ret)  # paid at its first scan or arrival (refund_timing)
        assert facts is not None  # a return's order is never deleted (foreign key)
        credit = ret.resolution is Resolution.STORE_CREDIT or ret.gift
        exchange_order: str | None = None
        if ret.resolution is Resolution.EXCHANGE:
            if self._exchanges is None:
                raise Conflict("exchange orders are not available here", field="resolution")
            exchange_order = self._exchanges.create(ret, facts)
        paid = (
            self._store.refund(ret, facts, credit=credit and exchange_order is None)
            if self._store is not None and ret.refund.amount > 0 and early is None
            else None
        )
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if ret.status in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED, ReturnStatus.EXCHANGED):
                return ret  # resolved meanwhile by another call: the store was paid once
            now = self._now()
            before = snapshot(ret)
            if exchange_order is not None:
                amount = (
                    self._issuer.refund(uow, ret, now, paid).amount
                    if ret.refund.amount > 0
                    else None
                )
                ret.exchanged(now, exchange_order)
                action = "returns.exchange"
            elif early is not None:  # closed without paying again; the shopper was told
                ret.resolve(now, early.reference)
                ret.events = [e for e in ret.events if not isinstance(e, PAID_EVENTS)]
                amount = None  # paid earlier, by the refund timing, and audited then
                action = "returns.resolve"
            else:
                issued = (
                    self._issuer.credit(uow, ret, now, paid)
                    if credit
                    else self._issuer.refund(uow, ret, now, paid)
                )
                amount = issued.amount
                ret.resolve(now, issued.reference)
                action = "returns.credit" if credit else "returns.refund"
            paid_out = (
                None
                if amount is None
                else {"amount": str(amount.rounded().amount), "currency": amount.currency}
            )
            record_step(
                uow, ret, actor=actor, action=action, before=before,
                extra={"paid": paid_out} if paid_out else None,
            )  # fmt: skip
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="resolved")
            self._commit(uow)
            return ret

    def simulate(self, merchant_id: str, draft: ReturnPolicy, days: int) -> Tally:
        """Replay the last ``days`` of return requests under ``draft`` (nothing is stored)."""
        until = self._now() + timedelta(seconds=1)  # up to and including now
        with self._uow() as uow:
            past = list(past_requests(uow, merchant_id, until - timedelta(days=days), until, draft))
        return replay(draft, past)

    def analytics(self, merchant_id: str, since: datetime, until: datetime) -> ReturnsAnalytics:
        """Returns asked in ``[since, until)`` against the units sold in it."""
        with self._uow() as uow:
            found = all_returns(uow, merchant_id, since, until)
            sold = uow.orders.sold(merchant_id, since, until)
            policy = uow.policies.active(merchant_id)
        return analyse(found, sold, policy)

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
