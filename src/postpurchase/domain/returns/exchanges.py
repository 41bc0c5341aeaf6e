"""Exchanges: another variant for a returned line, or a dearer one with the difference charged.

A returned line is worth what the shopper paid for the units coming back (its refund share,
tax included where prices excluded it: ``QuotedLine.refund``). The new variant costs its
catalogue price times the same quantity. The difference over all lines is either charged
(an upsell) or, for a cheaper variant, refunded to the original payment. Stock is checked
against the catalogue as last synced from the store: a variant the store does not sell out of
stock needs enough units; one whose stock the store does not share goes to review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.returns.decisions import Decision, QuotedLine, Verdict


@dataclass(frozen=True, slots=True)
class CatalogueVariant:
    """A variant as the catalogue holds it (``product_variants``, synced from the store)."""

    id: str  # our id
    product_id: str
    sku: str | None
    title: str
    price: Money | None  # None: the store gave no price; cannot be exchanged into
    stock: int | None  # None: the store shares no inventory
    sells_out_of_stock: bool = False  # inventory_policy "continue"
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class PlannedLine:
    order_line_id: str
    variant: CatalogueVariant
    quantity: int
    unit_price: Money
    value: Money  # what the returned units were worth


@dataclass(frozen=True, slots=True)
class ExchangePlan:
    lines: tuple[PlannedLine, ...]
    charge: Money  # the shopper pays this on top (an upsell); never negative
    refund: Money  # a cheaper variant: this goes back to the payment; never negative
    decisions: tuple[Decision, ...]

    @property
    def verdict(self) -> Verdict:
        if any(d.verdict is Verdict.REFUSED for d in self.decisions):
            return Verdict.REFUSED
        if any(d.verdict is Verdict.REVIEW for d in self.decisions):
            return Verdict.REVIEW
        return Verdict.APPROVED


def plan_exchange(
    quoted: Sequence[QuotedLine],
    wanted: Mapping[str, CatalogueVariant],
    product_of: Mapping[str, str | None],
    currency: str,
) -> ExchangePlan:
    """Price and check an exchange: ``wanted`` maps each returned order line id to the
    variant the shopper chose; ``product_of`` maps it to the product the line was bought as
    (a variant of another product is refused: an exchange is not a new purchase).

    Raises ``InvalidInput`` naming ``exchange[i]`` for a line without a variant or a variant
    that cannot be sold (another product, deleted, no price, another currency).
    """
    zero = Money.zero(currency)
    lines: list[PlannedLine] = []
    decisions: list[Decision] = []
    for i, q in enumerate(quoted):
        at = f"exchange[{i}].variant_id"
        v = wanted.get(q.line_id)
        if v is None:
            raise InvalidInput("choose the variant you want instead", field=at)
        product = product_of.get(q.line_id)
        if product is None or v.product_id != product or v.deleted:
            raise InvalidInput("not a variant of the item being returned", field=at)
        if v.price is None or v.price.currency != currency:
            raise InvalidInput(f"this variant has no price in {currency}", field=at)
        lines.append(PlannedLine(q.line_id, v, q.quantity, v.price, q.refund))
        if v.stock is None:
            if not v.sells_out_of_stock:
                decisions.append(
                    Decision(
                        "exchange.stock", Verdict.REVIEW,
                        f"The shop confirms that {v.title} is in stock.",
                        (("variant", v.title),), q.line_id,
                    )
                )  # fmt: skip
        elif v.stock < q.quantity and not v.sells_out_of_stock:
            decisions.append(
                Decision(
                    "exchange.stock", Verdict.REFUSED,
                    f"{v.title} is out of stock ({max(v.stock, 0)} left).",
                    (("variant", v.title), ("left", str(max(v.stock, 0)))), q.line_id,
                )
            )  # fmt: skip
    new = total([line.unit_price * line.quantity for line in lines], currency)
    value = total([line.value for line in lines], currency)
    diff = new - value
    charge = diff if zero < diff else zero
    refund = zero - diff if diff < zero else zero
    if zero < charge:
        decisions.append(
            Decision(
                "exchange.upsell", Verdict.APPROVED,
                f"The new item costs {charge} more: you pay the difference.",
                (("amount", str(charge)),),
            )
        )  # fmt: skip
    elif zero < refund:
        decisions.append(
            Decision(
                "exchange.cheaper", Verdict.APPROVED,
                f"The new item costs {refund} less: the difference is refunded.",
                (("amount", str(refund)),),
            )
        )  # fmt: skip
    else:
        decisions.append(
            Decision("exchange.even", Verdict.APPROVED, "An even exchange: nothing to pay.")
        )
    return ExchangePlan(tuple(lines), charge, refund, tuple(decisions))
