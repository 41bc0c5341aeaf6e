"""A return's refund through the order's connected store: the storefront refund port behind
the returns' ``StoreRefunds``.

``refund_order`` (service_layer.storefronts.refunds) does the exactly-once part: it records
the attempt under its idempotency key before calling the store, replays a settled key
without calling again, and looks an unknown outcome up at the store before paying twice.
The key is ``return-<return id>``: resolving a return again after a crash, a timeout or a
double click reaches the store at most once. The store computes each line's amount with its
tax and restocks what we put back into stock (``restock`` per line); the return's fees
(restocking and return fee) go with the request, so the store pays back that amount less
the fees, as the policy quoted, not the lines' full price.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from postpurchase.domain.returns import Disposition, Return
from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine, StorePlatform
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.returns.ports import IssuedMoney, OrderFacts
from postpurchase.service_layer.storefronts.ports import StorefrontRefunds
from postpurchase.service_layer.storefronts.refunds import refund_order
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

RefundPorts = Callable[[StorePlatform], AbstractContextManager[StorefrontRefunds] | None]
RestockClaim = Callable[[Return, str], frozenset[str]]  # the lines the store may restock


def refund_request(
    ret: Return, facts: OrderFacts, *, credit: bool, restock: frozenset[str] | None = None
) -> RefundRequest | None:
    """The store's terms for a return: its lines by the store's line ids. None when a line
    is unknown to the store (an order typed in by hand) or nothing is to be paid.
    ``restock``: the lines the refund may restock in the store (None: every line put back
    into stock); the others our inventory adjustment restocks (ADR 0031)."""
    order = facts.order
    if not order.external_id or ret.refund.amount <= 0:
        return None
    by_id = {line.id: line for line in order.lines}
    lines = []
    for x in ret.lines:
        line = by_id.get(x.order_line_id)
        if line is None or not line.facts.external_id:
            return None
        back = x.disposition is Disposition.RESTOCK
        back = back and (restock is None or x.order_line_id in restock)
        lines.append(RefundRequestLine(line.facts.external_id, x.quantity, back))
    return RefundRequest(
        order.external_id, order.currency, tuple(lines),
        note=f"Return {ret.number}", to_store_credit=credit, idempotency_key=f"return-{ret.id}",
        fee=ret.fees if ret.fees.amount > 0 and ret.fees.currency == order.currency else None,
    )  # fmt: skip


class StorefrontReturnRefunds:
    """``StoreRefunds`` through ``refund_order`` with the platform's refund port."""

    def __init__(
        self,
        uow: Callable[[], AbstractUnitOfWork],
        clock: Clock,
        ports: RefundPorts,
        *,
        restock_claim: RestockClaim | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ports = ports
        self._claim = restock_claim

    def refund(self, ret: Return, facts: OrderFacts, *, credit: bool) -> IssuedMoney | None:
        if ret.gift:
            # A gift's credit is the recipient's: the store's refund or store credit would
            # land with the order's customer, the giver. The ledger is the record.
            return None
        try:
            platform = StorePlatform(facts.order.source)
        except ValueError:
            return None  # not from a store: the ledger is the record
        with self._uow() as uow:
            connection = uow.connections.get(ret.merchant_id, platform)
        if connection is None or not connection.active:
            return None  # no store to pay through: the ledger is the record
        request = refund_request(ret, facts, credit=credit)
        port = self._ports(platform) if request is not None else None
        if request is None or port is None:
            return None
        if self._claim is not None:  # never restock a line our adjustment restocked
            owned = self._claim(ret, platform.value)
            request = refund_request(ret, facts, credit=credit, restock=owned) or request
        with port as stores:
            outcome = refund_order(
                self._uow(), self._clock, stores, ret.merchant_id, ret.order_id, request
            )
        r = outcome.result
        return IssuedMoney(f"{platform.value}:{r.store_refund_id}", r.amount)
