"""What a shopper may choose beside the items: the return method (cost and CO2e) and, for an
exchange, the variant wanted instead (priced and stock-checked from the catalogue)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.returns import (
    CatalogueVariant,
    Exchange,
    ExchangeLine,
    ExchangePlan,
    Footprint,
    MethodOption,
    Place,
    Quote,
    Resolution,
    ReturnPolicy,
    Verdict,
    distance,
    footprint,
    options,
    plan_exchange,
)
from postpurchase.service_layer.returns.context import LineAsk, ReturnAsk
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork, OrderFacts


def _shopper_place(facts: OrderFacts) -> Place | None:
    a = facts.order.shipping_address
    return Place(a.country, a.postal_code, a.region) if a.country else None


def weight_of(facts: OrderFacts, lines: Sequence[LineAsk]) -> int | None:
    """Grams coming back, when every chosen line says what it weighs."""
    by_id = {line.id: line for line in facts.order.lines}
    grams = 0
    for a in lines:
        line = by_id.get(a.order_line_id)
        if line is None or line.weight_grams is None:
            return None
        grams += line.weight_grams * a.quantity
    return grams


def method_options(
    policy: ReturnPolicy,
    facts: OrderFacts,
    lines: Sequence[LineAsk] = (),
    *,
    merchant_fault: bool = False,
) -> list[MethodOption]:
    """The methods the policy offers for this order, each with cost and estimated CO2e."""
    km, precision = distance(_shopper_place(facts), policy.return_to)
    return options(
        policy.methods, facts.order.currency, km, precision,
        weight_grams=weight_of(facts, lines) if lines else None, merchant_fault=merchant_fault,
    )  # fmt: skip


def chosen_footprint(policy: ReturnPolicy, facts: OrderFacts, ask: ReturnAsk) -> Footprint | None:
    if ask.method is None or ask.resolution is Resolution.KEEP_IT:
        return None
    km, precision = distance(_shopper_place(facts), policy.return_to)
    return footprint(ask.method, km, precision, weight_grams=weight_of(facts, ask.lines))


def exchange_choices(
    uow: AbstractReturnsUnitOfWork, merchant_id: str, facts: OrderFacts
) -> dict[str, list[CatalogueVariant]]:
    """Per order line: the other variants of its product that have a price in the order's
    currency (the portal lists them; out-of-stock ones are shown as such)."""
    out: dict[str, list[CatalogueVariant]] = {}
    cur = facts.order.currency
    for line in facts.order.lines:
        product = uow.catalogue.product_of(merchant_id, line)
        if product is None:
            continue
        out[line.id] = [
            v for v in uow.catalogue.variants(merchant_id, product)
            if not v.deleted and v.price is not None and v.price.currency == cur
        ]  # fmt: skip
    return out


def exchange_plan(
    uow: AbstractReturnsUnitOfWork, merchant_id: str, facts: OrderFacts, quote: Quote,
    ask: ReturnAsk,
) -> ExchangePlan | None:  # fmt: skip
    """Price and stock-check the variants asked for (None unless an exchange is asked)."""
    if ask.resolution is not Resolution.EXCHANGE:
        if ask.exchange:
            raise InvalidInput("variants are only chosen for an exchange", field="exchange")
        return None
    by_line = {line.id: line for line in facts.order.lines}
    wanted: dict[str, CatalogueVariant] = {}
    for i, x in enumerate(ask.exchange):
        v = uow.catalogue.variant(merchant_id, x.variant_id[:64])
        if v is None:
            raise InvalidInput("no such variant", field=f"exchange[{i}].variant_id")
        if x.order_line_id not in by_line:
            raise InvalidInput("not an item of this order", field=f"exchange[{i}].order_line_id")
        wanted[x.order_line_id] = v
    product_of = {
        q.line_id: uow.catalogue.product_of(merchant_id, by_line[q.line_id]) for q in quote.lines
    }
    return plan_exchange(quote.lines, wanted, product_of, facts.order.currency)


def kg(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@dataclass(frozen=True, slots=True)
class Preview:
    quote: Quote
    exchange: ExchangePlan | None  # priced and stock-checked, for an exchange
    footprint: Footprint | None  # the chosen method's estimated CO2e


def to_exchange(plan: ExchangePlan) -> Exchange:
    return Exchange(
        [
            ExchangeLine(
                x.order_line_id, x.variant.sku or "", x.variant.id, x.variant.title,
                x.quantity, x.unit_price,
            )
            for x in plan.lines
        ],
        plan.charge,
    )  # fmt: skip


def plan_refusal(plan: ExchangePlan) -> InvalidInput:
    index = {x.order_line_id: i for i, x in enumerate(plan.lines)}
    first = next(d for d in plan.decisions if d.verdict is Verdict.REFUSED)
    at = f"exchange[{index.get(first.line_id or '', 0)}].variant_id"
    return InvalidInput(first.explanation, field=at)
