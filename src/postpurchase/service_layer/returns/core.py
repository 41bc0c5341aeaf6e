"""The state the returns use cases share (``Returns`` is put together from the shopper's
side, ``requests.py``, and the merchant's, ``steps.py``, over this core)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    ExchangeOrders,
    RefundIssuer,
    StoreRefunds,
)


class ReturnsCore:
    """What every use case needs: a way to open a unit of work, a clock, a refund issuer,
    the outbox nudge, and the store's refund and exchange ports."""

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
