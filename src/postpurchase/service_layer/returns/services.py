"""The returns use cases: quote, request, review, receive, inspect, put away, resolve.

``Returns`` puts the shopper's side (``requests.py``) and the merchant's (``steps.py``)
together over one core (``core.py``), with the policy and the reads (queue, analytics, the
simulator) here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postpurchase.domain.errors import NotFound
from postpurchase.domain.returns import (
    Return,
    ReturnPolicy,
    ReturnsAnalytics,
    Tally,
    analyse,
)
from postpurchase.domain.returns.keep_it_advice import KeepItAdvice, advise
from postpurchase.service_layer.returns.audit import record_policy
from postpurchase.service_layer.returns.ports import ReturnQuery
from postpurchase.service_layer.returns.requests import Overview, ShopperSide, refusal
from postpurchase.service_layer.returns.simulate import all_returns, past_requests, replay
from postpurchase.service_layer.returns.steps import MerchantSide

__all__ = ["Overview", "Returns", "refusal"]


class Returns(ShopperSide, MerchantSide):
    """The use cases, given a way to open a unit of work, a clock and a refund issuer."""

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

    # ---- reads ---------------------------------------------------------------------------------

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

    def keep_it_advice(
        self, merchant_id: str, since: datetime, until: datetime, *, min_graded: int = 3
    ) -> list[KeepItAdvice]:
        """Keep-it costs per SKU measured from the grades of returns asked in the period."""
        with self._uow() as uow:
            found = all_returns(uow, merchant_id, since, until)
            policy = uow.policies.active(merchant_id)
        return advise(found, policy.keep_it, min_graded=min_graded)

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
