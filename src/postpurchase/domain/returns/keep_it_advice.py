"""Keep-it suggested per SKU from what returns of it really were, not only hand-set costs.

The policy's keep-it rule offers "keep the item" when bringing one unit back costs more than
it recovers: label + handling − price × resale rate > 0 (``KeepIt.cost_to_serve``). The
merchant enters those costs per SKU; the resale rate is the hard one to guess. Here it is
measured: the units of a SKU that inspections graded, worth their full price when
resellable, ``REFURBISH_VALUE`` of it when they need refurbishing, nothing when damaged or the
wrong item. The price is what shoppers paid per unit returned (the lines' refund shares,
tax included). The label is measured too, from what the carrier charged for the labels
bought for the SKU's returns (``Return.label_cost``), shared among the units each parcel
carried; a SKU with fewer than ``min_graded`` units on priced labels (or labels priced in
another currency than the order's) keeps the policy's label figure. Handling stays the
policy's: nothing here sees what a warehouse spends. A SKU with fewer than ``min_graded``
graded units keeps the policy's own rate, and says so.

The answer per SKU is the ``keep_it.per_sku`` entry to paste into the policy, and whether
keep-it would then be offered for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from postpurchase.domain.money import Money
from postpurchase.domain.returns.lifecycle import Grade, Return, ReturnStatus
from postpurchase.domain.returns.policy import KeepIt, SkuCosts

REFURBISH_VALUE = Decimal("0.5")  # share of the price a refurbished unit sells for again
_WORTH = {Grade.RESELLABLE: Decimal(1), Grade.REFURBISH: REFURBISH_VALUE}
_RATE_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class KeepItAdvice:
    sku: str
    currency: str
    graded_units: int  # units of the SKU that inspections graded in the period
    unit_price: Money  # average paid per unit returned (refund share, tax included)
    costs: SkuCosts  # the suggested ``keep_it.per_sku`` entry
    measured: bool  # the resale rate comes from the grades (else the policy's, too few)
    label_measured: bool  # the label cost comes from bought labels (else the policy's)
    label_units: int  # units of the SKU that came back on labels with a price
    cost_to_serve: Money  # label + handling − price × resale rate, for one unit
    keep_it: bool  # whether keep-it would be offered for it (cost to serve > 0)


def advise(
    returns: Iterable[Return], keep_it: KeepIt | None, *, min_graded: int = 3
) -> list[KeepItAdvice]:
    """Per SKU and currency, from the graded lines of ``returns`` (rejected ones left out);
    the SKUs where returning loses most first. With no keep-it rule in the policy, label and
    handling are taken as zero (the merchant has not said what they cost)."""
    units: dict[tuple[str, str], int] = {}
    worth: dict[tuple[str, str], Decimal] = {}
    paid: dict[tuple[str, str], Decimal] = {}
    label_units: dict[tuple[str, str], int] = {}
    label_paid: dict[tuple[str, str], Decimal] = {}
    for ret in returns:
        if ret.status is ReturnStatus.REJECTED:
            continue
        _share_label(ret, label_units, label_paid)
        for line in ret.lines:
            if line.grade is None:
                continue
            key = (line.sku, ret.currency)
            units[key] = units.get(key, 0) + line.quantity
            worth[key] = worth.get(key, Decimal(0)) + _WORTH.get(line.grade, Decimal(0)) * (
                line.quantity
            )
            paid[key] = paid.get(key, Decimal(0)) + line.refund.amount
    base = keep_it.default if keep_it is not None else SkuCosts(Decimal(0), Decimal(0), Decimal(0))
    out = []
    for (sku, currency), n in units.items():
        set_for = keep_it.costs(sku) if keep_it is not None else base
        measured = n >= min_graded
        rate = (
            (worth[(sku, currency)] / n).quantize(_RATE_PLACES, ROUND_HALF_UP)
            if measured
            else set_for.resale_rate
        )
        on_labels = label_units.get((sku, currency), 0)
        label_measured = on_labels >= min_graded
        label = (
            (label_paid[(sku, currency)] / on_labels).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if label_measured
            else set_for.label
        )
        costs = SkuCosts(label, set_for.handling, rate)
        price = Money(paid[(sku, currency)] / n, currency).rounded()
        serve = (Money(costs.label + costs.handling, currency) - price * rate).rounded()
        out.append(
            KeepItAdvice(
                sku, currency, n, price, costs, measured, label_measured, on_labels, serve,
                serve.amount > 0,
            )
        )  # fmt: skip
    return sorted(out, key=lambda a: (-a.cost_to_serve.amount, a.sku, a.currency))


def _share_label(
    ret: Return, units: dict[tuple[str, str], int], paid: dict[tuple[str, str], Decimal]
) -> None:
    """Add the return's label cost, shared equally among the units its parcel carried, to
    each SKU's tally; a label with no price, or priced in another currency than the order
    (no exchange rate here), is left out rather than guessed."""
    cost = ret.label_cost
    if cost is None or cost.currency != ret.currency:
        return
    total = sum(line.quantity for line in ret.lines)
    if total <= 0:
        return
    for line in ret.lines:
        key = (line.sku, ret.currency)
        units[key] = units.get(key, 0) + line.quantity
        paid[key] = paid.get(key, Decimal(0)) + cost.amount * line.quantity / total
