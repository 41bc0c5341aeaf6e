"""The refund issuer that writes the money ledger (``return_ledger``)."""

from __future__ import annotations

from datetime import datetime

from postpurchase.domain.money import Money, total
from postpurchase.domain.returns import Return
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork, IssuedMoney


class LedgerIssuer:
    """Records refunds and credits in the ledger (``return_ledger``), in the same
    transaction as the state change, so each is recorded exactly once (unique per return
    and kind). With no store connected the ledger is the record; when the store paid
    (``paid``), the entry carries the store's refund id and the amount it really paid.
    Store credit's bonus is an entry of its own (``credit_bonus``): the storefront refund
    port pays back what was paid, the bonus is the merchant's to issue.
    """

    def refund(
        self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime,
        paid: IssuedMoney | None = None,
    ) -> IssuedMoney:  # fmt: skip
        self._fees(uow, ret, at)
        amount = paid.amount if paid is not None and paid.amount is not None else ret.refund
        ref = uow.ledger.record(ret, "refund", amount, at, paid.reference if paid else None)
        return IssuedMoney(paid.reference if paid else ref, amount)

    def credit(
        self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime,
        paid: IssuedMoney | None = None,
    ) -> IssuedMoney:  # fmt: skip
        self._fees(uow, ret, at)
        if paid is None:
            ref = uow.ledger.record(ret, "store_credit", ret.credit, at)
            return IssuedMoney(ref, ret.credit)
        amount = paid.amount if paid.amount is not None else ret.refund
        uow.ledger.record(ret, "store_credit", amount, at, paid.reference)
        if ret.bonus.amount > 0:
            uow.ledger.record(ret, "credit_bonus", ret.bonus, at)
        return IssuedMoney(paid.reference, amount + ret.bonus)

    @staticmethod
    def _fees(uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime) -> None:
        if ret.fees.amount > 0:
            uow.ledger.record(ret, "fee", ret.fees, at)


def lines_total(ret: Return) -> Money:
    return total([line.refund for line in ret.lines], ret.currency)
