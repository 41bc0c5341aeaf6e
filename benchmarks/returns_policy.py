"""Return policy decisions per second: what a policy simulator replaying months of orders
can expect, against a named baseline from the same run.

  baseline   the money alone: each line's refundable amount (line_refund_cap) and its share
             (refund_for_quantity) summed, no rules
  evaluate   the full decision (domain.returns.evaluate): statutory right, window in the
             shopper's zone, tags, reasons, keep-it, limit, fees, bonus, one Decision each

Requests are synthetic and seeded: 1-3 lines, US/EU destinations, windows open and closed,
a policy with fees, a bonus, keep-it costs and a customer limit.

Run:  nice -n 10 .venv/bin/python benchmarks/returns_policy.py [--requests 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from postpurchase.domain.money import Money, total
from postpurchase.domain.returns import (
    CustomerLimit,
    KeepIt,
    LineRequest,
    Resolution,
    ReturnPolicy,
    ReturnRequestContext,
    SkuCosts,
    evaluate,
    line_refund_cap,
    refund_for_quantity,
)
from postpurchase.domain.returns.policy import DEFAULT_REASONS

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ZONES = [ZoneInfo(z) for z in ("America/New_York", "Europe/Berlin", "America/Sao_Paulo", "UTC")]
REASONS = ["too_small", "too_large", "quality", "changed_mind", "damaged"]
POLICY = ReturnPolicy(
    reasons=DEFAULT_REASONS, return_fee={"USD": Decimal("4.95")},
    restocking_fee_rate=Decimal("0.05"), store_credit_bonus_rate=Decimal("0.10"),
    keep_it=KeepIt(SkuCosts(Decimal("7"), Decimal("3"), Decimal("0.5"))),
    limit=CustomerLimit(5, 90), resolutions=frozenset(Resolution),
)  # fmt: skip


def requests(n: int, seed: int = 7) -> list[ReturnRequestContext]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        lines = []
        for j in range(rnd.randint(1, 3)):
            qty = rnd.randint(1, 3)
            unit = Money(Decimal(rnd.randint(500, 15000)) / 100, "USD")
            cap = line_refund_cap(
                unit_price=unit, quantity=qty, discount=None,
                tax=Money(Decimal(rnd.randint(0, 900)) / 100, "USD"), taxes_included=False,
            )  # fmt: skip
            lines.append(
                LineRequest(
                    line_id=f"{i}-{j}", sku=f"SKU-{rnd.randint(1, 400)}",
                    quantity=rnd.randint(1, qty), reason_code=rnd.choice(REASONS),
                    line_quantity=qty, delivered=qty, already_returned=0, cap=cap,
                    already_refunded=Money.zero("USD"),
                    delivered_at=NOW - timedelta(days=rnd.randint(0, 45), hours=rnd.randint(0, 23)),
                )
            )  # fmt: skip
        out.append(
            ReturnRequestContext(
                currency="USD", now=NOW, zone=rnd.choice(ZONES),
                destination_country=rnd.choice(["US", "US", "DE", "FR"]),
                resolution=rnd.choice([Resolution.REFUND, Resolution.STORE_CREDIT]),
                lines=tuple(lines), customer_returns_in_period=rnd.randint(0, 6),
            )
        )  # fmt: skip
    return out


def baseline(ctx: ReturnRequestContext) -> Money:
    return total(
        [
            refund_for_quantity(x.cap, x.line_quantity, x.quantity, 0, x.already_refunded)
            for x in ctx.lines
        ],
        ctx.currency,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    batch = requests(args.requests)
    rows = []
    for name, fn in (("baseline (money only)", baseline), ("evaluate (full decision)", None)):
        started = time.perf_counter()
        if fn is None:
            for ctx in batch:
                evaluate(POLICY, ctx)
        else:
            for ctx in batch:
                fn(ctx)
        rows.append((name, time.perf_counter() - started))
    base = rows[0][1]
    print(f"{'path':<28}{'requests':>10}{'s':>8}{'per s':>10}{'vs baseline':>13}")
    for name, seconds in rows:
        rate = len(batch) / seconds
        print(f"{name:<28}{len(batch):>10,}{seconds:>8.2f}{rate:>10,.0f}{seconds / base:>12.1f}x")


if __name__ == "__main__":
    main()
