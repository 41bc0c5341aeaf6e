"""The policy simulator's replay: 12 months of 100,000 orders under a draft policy, against
a named baseline from the same run.

  baseline   reading each past request into the policy's input (build_context: what each
             line paid, its share of order discounts and tax, what is still returnable,
             the shopper's zone), no decision
  replay     the simulator's loop (service_layer.returns.replay): build_context, then the
             full decision (evaluate) and the tally, as POST /api/v1/returns/policy/simulate

Orders are synthetic and seeded: placed over 12 months, 1-3 lines each, US and EU
destinations, delivered 2-6 days after purchase; --return-rate of them (default 0.25; 1.0 is
the worst case: every order returned) carry a return request asked 1-40 days after delivery,
with a reason, a resolution (refund, store credit, keep-it) and a return method. The draft has
fees, a bonus, keep-it costs, methods with fees and a customer limit. The database read that
feeds the replay in the API is not in this figure (see docs/benchmarks.md).

Run:  nice -n 10 .venv/bin/python benchmarks/returns_simulator.py [--orders 100000]
      [--return-rate 0.25]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import DomainError
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, Order, OrderLine
from postpurchase.domain.returns import Resolution, ReturnMethod, policy_from_dict
from postpurchase.service_layer.returns import (
    DeliveredLine,
    LineAsk,
    OrderFacts,
    PastRequest,
    ReturnAsk,
    replay,
)
from postpurchase.service_layer.returns.context import build_context

START = datetime(2025, 12, 1, tzinfo=UTC)
REASONS = ["too_small", "too_large", "quality", "changed_mind", "damaged", "looks_different"]
DRAFT = policy_from_dict(
    {
        "window_days": 30, "return_fee": {"USD": "4.95"}, "restocking_fee_rate": "0.05",
        "store_credit_bonus_rate": "0.10",
        "keep_it": {"default": {"label": "7", "handling": "3", "resale_rate": "0.5"},
                    "max_value": {"USD": "25"}},
        "limit": {"max_returns": 4, "period_days": 90},
        "methods": [{"method": "mail", "fee": {"USD": "3.00"}}, {"method": "drop_off"},
                    {"method": "pickup", "fee": {"USD": "6.00"}}],
        "resolutions": ["refund", "store_credit"],
    }
)  # fmt: skip


def past(n_orders: int, rate: float, seed: int = 11) -> list[PastRequest]:
    rnd = random.Random(seed)
    out = []
    for i in range(n_orders):
        placed = START + timedelta(minutes=rnd.randint(0, 365 * 24 * 60))
        lines = []
        for j in range(rnd.randint(1, 3)):
            qty = rnd.randint(1, 3)
            price = Money(Decimal(rnd.randint(500, 15000)) / 100, "USD")
            tax = Money(Decimal(rnd.randint(0, 900)) / 100, "USD")
            lines.append(
                OrderLine(f"{i}-{j}", f"SKU-{rnd.randint(1, 400)}", "Item", qty, price, 300,
                          LineFacts(tax=tax))
            )  # fmt: skip
        country = rnd.choice(["US", "US", "DE", "FR"])
        order = Order(
            id=f"o{i}", merchant_id="m", external_id=f"e{i}", number=f"#{i}",
            customer_id=None, email=f"s{rnd.randint(1, n_orders // 3)}@example.com",
            phone=None, locale="en", currency="USD", lines=lines,
            shipping_address=Address(country, "10115" if country != "US" else "10001"),
            shipping_fee=Money(Decimal("5"), "USD"), placed_at=placed, tracking_token=f"t{i}",
            timezone=rnd.choice(["America/New_York", "Europe/Berlin", None]),
        )  # fmt: skip
        delivered_at = placed + timedelta(days=rnd.randint(2, 6))
        if rnd.random() >= rate:
            continue
        facts = OrderFacts(
            order, {x.id: DeliveredLine(x.quantity, delivered_at) for x in lines}, {},
            country, order.timezone,
        )  # fmt: skip
        chosen = rnd.sample(lines, rnd.randint(1, len(lines)))
        ask = ReturnAsk(
            tuple(LineAsk(x.id, rnd.randint(1, x.quantity), rnd.choice(REASONS)) for x in chosen),
            rnd.choice([Resolution.REFUND] * 6 + [Resolution.STORE_CREDIT] * 3
                       + [Resolution.KEEP_IT]),
            method=rnd.choice([ReturnMethod.MAIL, ReturnMethod.DROP_OFF, ReturnMethod.PICKUP]),
        )  # fmt: skip
        at = delivered_at + timedelta(days=rnd.randint(1, 40), hours=rnd.randint(0, 23))
        out.append(PastRequest(facts, ask, at, (), rnd.randint(0, 5)))
    return out


def baseline(requests: list[PastRequest]) -> int:
    n = 0
    for p in requests:
        with contextlib.suppress(DomainError):
            build_context(
                DRAFT, p.facts, p.earlier, p.ask, p.at, customer_returns=p.customer_returns
            )
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--return-rate", type=float, default=0.25)
    args = parser.parse_args()
    t0 = time.perf_counter()
    requests = past(args.orders, args.return_rate)
    print(f"{args.orders:,} orders over 12 months, {len(requests):,} return requests "
          f"(made in {time.perf_counter() - t0:.1f} s, not counted)")  # fmt: skip
    rows = []
    started = time.perf_counter()
    baseline(requests)
    rows.append(("baseline (build_context only)", time.perf_counter() - started))
    started = time.perf_counter()
    tally = replay(DRAFT, requests)
    rows.append(("replay (context + evaluate + tally)", time.perf_counter() - started))
    base = rows[0][1]
    print(f"{'path':<38}{'requests':>10}{'s':>8}{'per s':>10}{'vs baseline':>13}")
    for name, seconds in rows:
        rate = len(requests) / seconds
        print(
            f"{name:<38}{len(requests):>10,}{seconds:>8.2f}{rate:>10,.0f}{seconds / base:>12.1f}x"
        )
    print(f"draft: {tally.approved:,} approved, {tally.review:,} review, {tally.refused:,} refused "
          f"({dict(tally.refused_by.most_common(3))}); {tally.refunds:,} refunds, "
          f"{tally.credits:,} credits, {tally.keep_its:,} keep-its")  # fmt: skip


if __name__ == "__main__":
    main()
