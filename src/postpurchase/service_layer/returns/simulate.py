"""The policy simulator: replay past return requests under a draft policy.

Each request is rebuilt as it was asked (the order as we hold it, the same lines, quantities,
reasons, resolution, gift flag and method, at the instant it was asked, after the order's
earlier returns) and evaluated under the draft with the same code that decides live returns
(``build_context`` + ``evaluate``). Refunds the store made are left out of the replay: many
of them were made because of these very returns, and counting them would shrink what the
draft could refund. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.returns import Return, ReturnPolicy, Tally, evaluate
from postpurchase.service_layer.returns.context import (
    ExchangeAsk,
    LineAsk,
    ReturnAsk,
    build_context,
)
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    OrderFacts,
    ReturnQuery,
)

PAGE = 500


@dataclass(frozen=True, slots=True)
class PastRequest:
    facts: OrderFacts
    ask: ReturnAsk
    at: datetime
    earlier: tuple[Return, ...] = ()  # the order's returns asked before this one
    customer_returns: int = 0  # the customer's returns in the limit's period before it


def ask_of(ret: Return) -> ReturnAsk:
    """The request a stored return was made from."""
    swaps = tuple(
        ExchangeAsk(x.order_line_id, x.variant_id or "")
        for x in (ret.exchange.lines if ret.exchange else ())
    )
    return ReturnAsk(
        tuple(LineAsk(x.order_line_id, x.quantity, x.reason_code, tuple(x.photos))
              for x in ret.lines),
        ret.resolution, ret.gift, ret.method, swaps,
    )  # fmt: skip


def replay(policy: ReturnPolicy, past: Iterable[PastRequest]) -> Tally:
    """The draft's outcome for every past request (pure: no I/O)."""
    tally = Tally()
    for p in past:
        try:
            ctx = build_context(
                policy, p.facts, p.earlier, p.ask, p.at, customer_returns=p.customer_returns
            )
        except InvalidInput as exc:
            tally.refused_invalid(exc.field or "input")
            continue
        tally.add(evaluate(policy, ctx), gift=p.ask.gift)
    return tally


def all_returns(
    uow: AbstractReturnsUnitOfWork, merchant_id: str, since: datetime, until: datetime
) -> list[Return]:
    """Every return asked in ``[since, until)``, oldest first (read a page at a time)."""
    found: list[Return] = []
    cursor: str | None = None
    while True:
        q = ReturnQuery(created_from=since, created_to=until, limit=PAGE, cursor=cursor)
        page = uow.returns.search(merchant_id, q)
        found.extend(page)
        if len(page) < PAGE:
            break
        cursor = page[-1].id
    return sorted(found, key=lambda r: (r.created_at, r.id))


def past_requests(
    uow: AbstractReturnsUnitOfWork, merchant_id: str, since: datetime, until: datetime,
    policy: ReturnPolicy,
) -> Iterator[PastRequest]:  # fmt: skip
    """The merchant's return requests asked in ``[since, until)``, oldest first, each with
    its order (read once per order) and what came before it."""
    found = all_returns(uow, merchant_id, since, until)
    facts: dict[str, OrderFacts | None] = {}
    by_order: dict[str, list[Return]] = {}
    by_email: dict[str, list[datetime]] = {}
    limit = policy.limit
    for ret in found:
        if ret.order_id not in facts:
            got = uow.orders.facts(merchant_id, ret.order_id)
            facts[ret.order_id] = replace(got, refunded={}) if got is not None else None
        order_facts = facts[ret.order_id]
        earlier = by_order.setdefault(ret.order_id, [])
        if order_facts is None:
            continue
        customer = 0
        if limit is not None and ret.customer_email:
            window = ret.created_at.timestamp() - limit.period_days * 86400
            seen = by_email.get(ret.customer_email, ())
            customer = sum(1 for at in seen if at.timestamp() >= window)
        yield PastRequest(order_facts, ask_of(ret), ret.created_at, tuple(earlier), customer)
        earlier.append(ret)  # holds its units for the later ones, unless it was rejected
        if ret.customer_email:
            by_email.setdefault(ret.customer_email, []).append(ret.created_at)
