"""The recipients' credits of gift returns (``return_gift_credits``, migration 0035) and the
unit of work that issues them (service_layer.returns.gift_credits). The code is sealed by
the keyring before it is written and opened when read: a dump of the database holds no
usable gift-card code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories.receipts import outbox_rows
from postpurchase.adapters.db.returns.repository import (
    SqlLedger,
    SqlOrderFacts,
    SqlReturnRepository,
)
from postpurchase.adapters.db.tables import Id, metadata
from postpurchase.adapters.db.types import ExactDecimal, UTCDateTime
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    GiftCredit,
    GiftCreditKind,
    GiftCreditStatus,
    ReturnGiftCreditIssued,
)
from postpurchase.service_layer.ports import SecretBox
from postpurchase.service_layer.returns import GiftCreditsUnitOfWork

return_gift_credits = Table(
    "return_gift_credits",
    metadata,
    Column("return_id", Id, ForeignKey("returns.id"), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("kind", String(24), nullable=False),  # shopify_gift_card | store_credit_code
    Column("status", String(16), nullable=False),  # pending | issued | failed
    Column("recipient", String(320)),
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("code_sealed", Text, nullable=False),  # the keyring's ``fernet:...``
    Column("code_last4", String(4), nullable=False),
    Column("store_reference", String(128)),  # the store's gift card id
    Column("error", String(500)),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "idempotency_key", name="uq_return_gift_credits_key"),
)


class SqlGiftCreditLedger:
    def __init__(self, conn: Connection, box: SecretBox) -> None:
        self.conn = conn
        self.box = box

    def get(self, merchant_id: str, return_id: str, *, lock: bool = False) -> GiftCredit | None:
        c = return_gift_credits.c
        query = select(return_gift_credits).where(
            c.merchant_id == merchant_id, c.return_id == return_id
        )
        row = self.conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            return None
        return GiftCredit(
            row["merchant_id"], row["return_id"], row["order_id"], row["idempotency_key"],
            GiftCreditKind(row["kind"]), GiftCreditStatus(row["status"]), row["recipient"],
            Money(row["amount"], row["currency"]), self.box.open(row["code_sealed"]),
            row["store_reference"], row["error"], row["attempts"], row["created_at"],
            row["updated_at"],
        )  # fmt: skip

    def add(self, credit: GiftCredit) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(return_gift_credits).values(
                        return_id=credit.return_id, merchant_id=credit.merchant_id,
                        order_id=credit.order_id, idempotency_key=credit.key,
                        kind=credit.kind.value, status=credit.status.value,
                        recipient=credit.recipient, currency=credit.amount.currency,
                        amount=credit.amount.amount, code_sealed=self.box.seal(credit.code),
                        code_last4=credit.last4, store_reference=credit.store_reference,
                        error=credit.error, attempts=credit.attempts,
                        created_at=credit.created_at, updated_at=credit.updated_at,
                    )
                )  # fmt: skip
        except IntegrityError:
            return False
        return True

    def save(self, credit: GiftCredit) -> None:
        c = return_gift_credits.c
        self.conn.execute(
            update(return_gift_credits)
            .where(c.merchant_id == credit.merchant_id, c.return_id == credit.return_id)
            .values(
                status=credit.status.value, store_reference=credit.store_reference,
                error=credit.error, attempts=credit.attempts, updated_at=credit.updated_at,
            )
        )  # fmt: skip


def sealed_gift_code(conn: Connection, merchant_id: str, return_id: str) -> str | None:
    """The stored (sealed) code of a return's issued gift credit, for the message."""
    c = return_gift_credits.c
    return conn.execute(
        select(c.code_sealed).where(
            c.merchant_id == merchant_id,
            c.return_id == return_id,
            c.status == GiftCreditStatus.ISSUED.value,
        )
    ).scalar_one_or_none()


class SqlGiftCreditsUnitOfWork(GiftCreditsUnitOfWork):
    def __init__(self, engine: Engine, now: Callable[[], datetime], box: SecretBox) -> None:
        super().__init__()
        self.engine = engine
        self.now = now
        self.box = box
        self.conn: Connection | None = None
        self._events: list[ReturnGiftCreditIssued] = []

    def __enter__(self) -> Self:
        self.conn = self.engine.connect().execution_options(write=True)
        self.returns = SqlReturnRepository(self.conn)
        self.ledger = SqlLedger(self.conn)
        self.orders = SqlOrderFacts(self.conn)
        self.gift_credits = SqlGiftCreditLedger(self.conn, self.box)
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def publish(self, event: ReturnGiftCreditIssued) -> None:
        self._events.append(event)

    def commit(self) -> None:
        assert self.conn is not None
        if self._events:
            bulk.insert_rows(self.conn, t.outbox, outbox_rows(self._events, self.now()))
        self.conn.commit()
        self.published.extend(self._events)
        self._events = []

    def rollback(self) -> None:
        self._events = []
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()
