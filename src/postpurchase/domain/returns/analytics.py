"""Returns analytics: rate by SKU and by reason, refund cycle time, keep-it savings, the
exchange share and the revenue kept, the CO2e of the chosen methods. Pure: given the
returns of a period and the units sold per SKU in it.

Definitions (docs/returns.md, "Analytics"):

- return rate of a SKU = units in returns that were not rejected / units sold, in the period;
- refund cycle time = from the request to the refund or credit (returns resolved so), in
  hours, median and 90th percentile;
- keep-it savings = for keep-it returns, what sending the items back would have cost
  (label + handling per line, from the policy's keep-it costs), per currency;
- exchange share = exchanges / returns that were not rejected; revenue kept = the value of
  what was exchanged or turned into store credit instead of refunded, per currency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from postpurchase.domain.returns.lifecycle import Return, ReturnStatus
from postpurchase.domain.returns.policy import Resolution, ReturnPolicy


@dataclass(frozen=True, slots=True)
class SkuRate:
    sku: str
    sold: int
    returned: int
    rate: Decimal | None  # None when nothing of it was sold in the period


@dataclass(slots=True)
class ReturnsAnalytics:
    returns: int = 0  # not rejected
    rejected: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)  # units
    by_sku: list[SkuRate] = field(default_factory=list)
    refund_hours_median: Decimal | None = None
    refund_hours_p90: Decimal | None = None
    keep_its: int = 0
    keep_it_savings: dict[str, Decimal] = field(default_factory=dict)
    exchanges: int = 0
    exchange_share: Decimal | None = None
    revenue_kept: dict[str, Decimal] = field(default_factory=dict)
    co2e_kg: Decimal = Decimal(0)
    by_method: Counter[str] = field(default_factory=Counter)


def _pct(values: Sequence[Decimal], q: Decimal) -> Decimal:
    """The q-quantile by the nearest-rank method (no interpolation)."""
    ordered = sorted(values)
    rank = max(1, int((q * len(ordered)).to_integral_value(rounding="ROUND_CEILING")))
    return ordered[rank - 1]


def _add(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal(0)) + amount


def analyse(
    returns: Sequence[Return], sold: Mapping[str, int], policy: ReturnPolicy
) -> ReturnsAnalytics:
    out = ReturnsAnalytics()
    returned: Counter[str] = Counter()
    cycle: list[Decimal] = []
    for r in returns:
        if r.status is ReturnStatus.REJECTED:
            out.rejected += 1
            continue
        out.returns += 1
        for line in r.lines:
            returned[line.sku] += line.quantity
            out.by_reason[line.reason_code] += line.quantity
        if r.co2e_kg is not None:
            out.co2e_kg += r.co2e_kg
        if r.method is not None:
            out.by_method[r.method.value] += 1
        if r.resolution is Resolution.KEEP_IT:
            out.keep_its += 1
            if policy.keep_it is not None:
                for line in r.lines:
                    c = policy.keep_it.costs(line.sku)
                    _add(out.keep_it_savings, r.currency, (c.label + c.handling) * line.quantity)
        if r.resolution is Resolution.EXCHANGE:
            out.exchanges += 1
            value = sum((line.refund.amount for line in r.lines), Decimal(0))
            _add(out.revenue_kept, r.currency, value)
        elif r.resolution is Resolution.STORE_CREDIT or r.gift:
            _add(out.revenue_kept, r.currency, r.credit.amount)
        done = [at for s, at in r.history if s in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED)]
        if done:
            hours = Decimal((done[0] - r.created_at).total_seconds()) / 3600
            cycle.append(hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if cycle:
        out.refund_hours_median = _pct(cycle, Decimal("0.5"))
        out.refund_hours_p90 = _pct(cycle, Decimal("0.9"))
    if out.returns:
        out.exchange_share = (Decimal(out.exchanges) / out.returns).quantize(Decimal("0.0001"))
    skus = sorted(set(returned) | {s for s, n in sold.items() if n > 0})
    rates = []
    for sku in skus:
        n = sold.get(sku, 0)
        rate = (Decimal(returned[sku]) / n).quantize(Decimal("0.0001")) if n > 0 else None
        rates.append(SkuRate(sku, n, returned[sku], rate))
    out.by_sku = sorted(rates, key=lambda x: (-(x.rate or Decimal(-1)), -x.returned, x.sku))
    return out
