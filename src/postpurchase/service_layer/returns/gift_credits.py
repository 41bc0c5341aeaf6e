"""A gift return's credit given to its recipient, exactly once (issue 15; ADR 0032).

Runs from the outbox on ``ReturnCredited`` with ``gift: true`` (at least once), after the
credit is in the return's ledger (``store_credit``, written by resolve or by an early
payment). Three steps, no network I/O inside a transaction:

1. One transaction: the return and its ledger credit are read; the recipient's credit row
   (``return_gift_credits``, key ``gift-<return id>``) is written ``pending`` with a code we
   drew, sealed by the keyring. Where the order's store is not a connected Shopify store
   (no store, WooCommerce: no gift-card API), the code is ours, backed by the ledger entry,
   and the row is ``issued`` at once.
2. Outside any transaction: Shopify's ``giftCardCreate`` with that code.
3. One transaction: the row is settled ``issued`` (with the card's id) or ``failed`` (with
   Shopify's message), and ``ReturnGiftCreditIssued`` goes to the outbox for the message.

A retry (the outbox's, or ``POST /api/v1/returns/{id}/gift-credit``) sends the same code:
Shopify creates the card or answers that the code is taken, which means the earlier call
created it. Two cards are never made, whatever was lost on the way.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from postpurchase.domain.errors import Conflict, NotFound
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    GiftCredit,
    GiftCreditKind,
    GiftCreditStatus,
    Return,
    ReturnGiftCreditIssued,
    new_gift_code,
)
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.returns.ports import Ledger, OrderFactsReader, ReturnRepository
from postpurchase.service_layer.storefronts.ports import StoreRefused

CREDIT_KINDS = ("store_credit", "credit_bonus")  # what the recipient is given


@dataclass(frozen=True, slots=True)
class GiftCardOrder:
    """What we ask the store for: a card of ``amount`` with our ``code``."""

    code: str
    amount: Money
    note: str  # not shown to the shopper (Shopify: the card's internal note)
    key: str


class GiftCardPort(Protocol):
    """A store's gift-card API (Shopify's ``giftCardCreate``). Network I/O."""

    def create(self, connection: StoreConnection, order: GiftCardOrder) -> str | None:
        """The card's id at the store; None when the store says the code is already taken
        (an earlier call with this code made the card). ``StoreRefused`` otherwise."""
        ...


GiftCardPorts = Callable[[StorePlatform], AbstractContextManager[GiftCardPort] | None]


class GiftCreditLedger(Protocol):
    def get(self, merchant_id: str, return_id: str, *, lock: bool = False) -> GiftCredit | None: ...

    def add(self, credit: GiftCredit) -> bool:
        """Insert; False when a row for this return exists (another call got there)."""
        ...

    def save(self, credit: GiftCredit) -> None: ...


class GiftCreditsUnitOfWork(abc.ABC):
    returns: ReturnRepository
    ledger: Ledger
    orders: OrderFactsReader
    gift_credits: GiftCreditLedger

    def __init__(self) -> None:
        self.published: list[ReturnGiftCreditIssued] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.rollback()

    @abc.abstractmethod
    def publish(self, event: ReturnGiftCreditIssued) -> None:
        """Write ``event`` to the outbox in this transaction."""

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


def credited(entries: list[dict[str, object]], currency: str) -> Money | None:
    """What the ledger credited the return (credit plus bonus), or None when not yet."""
    kinds = {str(e.get("kind")): e for e in entries}
    if "store_credit" not in kinds:
        return None
    amount = sum(
        (Decimal(str(kinds[k].get("amount"))) for k in CREDIT_KINDS if k in kinds), Decimal(0)
    )
    return Money(amount, str(kinds["store_credit"].get("currency") or currency))


def _event(ret: Return, credit: GiftCredit) -> ReturnGiftCreditIssued:
    amount = credit.amount.rounded()
    return ReturnGiftCreditIssued(
        ret.merchant_id, ret.id, ret.order_id, str(amount.amount), amount.currency,
        credit.kind.value, credit.recipient, credit.last4, credit.updated_at,
    )  # fmt: skip


class GiftCredits:
    """Issues the recipient's credit of a credited gift return (see the module text)."""

    def __init__(
        self,
        uow: Callable[[], GiftCreditsUnitOfWork],
        now: Callable[[], datetime],
        connection: Callable[[str, StorePlatform], StoreConnection | None],
        ports: GiftCardPorts,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._connection = connection
        self._ports = ports
        self._after_commit = after_commit

    def on_credited(self, payload: Mapping[str, Any]) -> None:
        """The outbox subscriber of ``ReturnCredited``: gifts only."""
        merchant_id, return_id = payload.get("merchant_id"), payload.get("return_id")
        if payload.get("gift") is not True or not isinstance(merchant_id, str):
            return
        if isinstance(return_id, str):
            self.issue(merchant_id, return_id)

    def get(self, merchant_id: str, return_id: str) -> GiftCredit | None:
        with self._uow() as uow:
            return uow.gift_credits.get(merchant_id, return_id)

    def issue(self, merchant_id: str, return_id: str) -> GiftCredit:
        """The recipient's credit, issued now or before (see the module text)."""
        store = self._connection(merchant_id, StorePlatform.SHOPIFY)  # read before writing
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if not ret.gift:
                raise Conflict("the return is not a gift", field="return_id")
            amount = credited(uow.ledger.entries(merchant_id, return_id), ret.currency)
            if amount is None:
                raise Conflict("the return's credit is not issued yet", field="status")
            credit = uow.gift_credits.get(merchant_id, return_id, lock=True)
            if credit is not None and credit.status is GiftCreditStatus.ISSUED:
                return credit
            now = self._now()
            facts = uow.orders.facts(merchant_id, ret.order_id)
            source = facts.order.source if facts is not None else ""
            shopify = source == StorePlatform.SHOPIFY.value
            connection = store if shopify else None
            if connection is not None and not connection.active:
                connection = None
            if credit is None:
                kind = (
                    GiftCreditKind.SHOPIFY_GIFT_CARD if connection is not None
                    else GiftCreditKind.STORE_CREDIT_CODE
                )  # fmt: skip
                credit = GiftCredit(
                    merchant_id, ret.id, ret.order_id, f"gift-{ret.id}", kind,
                    GiftCreditStatus.PENDING, ret.gift_email, amount, new_gift_code(), None,
                    None, 1, now, now,
                )  # fmt: skip
                if kind is GiftCreditKind.STORE_CREDIT_CODE:
                    credit.status = GiftCreditStatus.ISSUED  # ours: the ledger entry backs it
                if not uow.gift_credits.add(credit):
                    raise Conflict("the gift credit is being issued; retry", field="return_id")
            else:
                credit.attempts += 1
                credit.updated_at = now
                uow.gift_credits.save(credit)
            if credit.status is GiftCreditStatus.ISSUED:
                uow.publish(_event(ret, credit))
            self._commit(uow)
            if credit.status is GiftCreditStatus.ISSUED:
                return credit
        if connection is None:  # a Shopify card asked before, its store since disconnected
            raise Conflict("the order's Shopify store is not connected", field="return_id")
        port = self._ports(StorePlatform.SHOPIFY)
        if port is None:
            raise Conflict("gift cards are not available for this store", field="return_id")
        order = GiftCardOrder(
            credit.code, credit.amount, f"Gift return {ret.number} (order {ret.order_id})",
            credit.key,
        )  # fmt: skip
        try:
            with port as cards:
                store_id = cards.create(connection, order)
        except StoreRefused as refused:
            with self._uow() as uow:
                found = uow.gift_credits.get(merchant_id, return_id, lock=True)
                if found is not None and found.status is not GiftCreditStatus.ISSUED:
                    found.status, found.error = GiftCreditStatus.FAILED, refused.message[:500]
                    found.updated_at = self._now()
                    uow.gift_credits.save(found)
                    self._commit(uow)
            raise Conflict(
                f"the store refused the gift card: {refused.message}",
                field=refused.field or "gift_card",
            ) from None
        with self._uow() as uow:
            found = uow.gift_credits.get(merchant_id, return_id, lock=True)
            assert found is not None  # rows are never deleted
            if found.status is GiftCreditStatus.ISSUED:
                return found  # settled meanwhile by another call: one card, same code
            found.status, found.error = GiftCreditStatus.ISSUED, None
            found.store_reference = store_id or found.store_reference
            found.updated_at = self._now()
            uow.gift_credits.save(found)
            uow.publish(_event(ret, found))
            self._commit(uow)
            return found

    def _commit(self, uow: GiftCreditsUnitOfWork) -> None:
        uow.commit()
        if uow.published and self._after_commit is not None:
            uow.published.clear()
            self._after_commit()
