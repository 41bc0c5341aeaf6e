"""A gift return's credit, given to its recipient (issue 15; ADR 0032).

A gift's credit is never paid through the order's store (the store's refund or store credit
lands with the order's customer, the giver). Instead the recipient gets a code: a Shopify
gift card where the order's store is Shopify (``giftCardCreate``), else a store-credit code
of ours backed by the return's ``store_credit`` ledger entry.

Why the code is chosen here, before the store is asked: Shopify's ``giftCardCreate`` takes
no idempotency key, but it takes our ``code`` and refuses a second card with the same code
(``TAKEN``). The code is drawn once, sealed into the ledger row before the call, and sent
again on every retry, so an unknown outcome (a timeout, a crash after the call) can never
create two cards: a retry either creates the one card or is told the code is taken, which
means the first call did create it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from postpurchase.domain.money import Money
from postpurchase.domain.returns.events import ReturnEvent

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # Shopify: a-z0-9; no 0/o, 1/l/i to misread
CODE_LENGTH = 16  # Shopify accepts 8 to 20 characters, case-insensitive


class GiftCreditKind(StrEnum):
    SHOPIFY_GIFT_CARD = "shopify_gift_card"  # a gift card in the Shopify store
    STORE_CREDIT_CODE = "store_credit_code"  # our code, backed by the credit ledger


class GiftCreditStatus(StrEnum):
    PENDING = "pending"  # written before the store is asked; outcome not yet known
    ISSUED = "issued"
    FAILED = "failed"  # the store refused (its message kept); a retry asks again


def new_gift_code() -> str:
    """A random code (about 79 bits): guessing one is hopeless, colliding with another shop's
    card is too."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """The code grouped by four for reading aloud or typing: ``abcd-efgh-jkmn-pqrs``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(slots=True)
class GiftCredit:
    """The recipient's credit for one gift return (one row per return, keyed ``key``)."""

    merchant_id: str
    return_id: str
    order_id: str
    key: str  # ``gift-<return id>``
    kind: GiftCreditKind
    status: GiftCreditStatus
    recipient: str | None
    amount: Money
    code: str  # in memory only: stored sealed
    store_reference: str | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime

    @property
    def last4(self) -> str:
        return self.code[-4:]


@dataclass(frozen=True, slots=True)
class ReturnGiftCreditIssued(ReturnEvent):
    """The recipient's credit exists: the notification engine's ``return_gift_credit`` flow
    writes to ``recipient`` (never to the order's contact). The code itself is not in the
    event (the outbox is plain JSON): the message is filled in with it when it is sent."""

    amount: str
    currency: str
    kind: str
    recipient: str | None
    code_last4: str
    occurred_at: datetime  # the message's age is counted from here, not from the order
    gift: bool = True
