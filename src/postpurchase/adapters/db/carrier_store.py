"""Carrier accounts and the tracking-poll schedule in the database.

Credentials are sealed by the keyring as one JSON object before they are written and opened
only when a gateway is built; what may be shown (``hints``) is the last four characters of
each. The poll store runs every method in a transaction of its own, short and free of
network I/O: the poller calls carriers between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, delete, insert, or_, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.leases import heartbeat
from postpurchase.adapters.db.sql import one_of, upsert_insert
from postpurchase.domain.carriers import (
    FINAL,
    AccountMode,
    CarrierAccount,
    Connector,
)
from postpurchase.domain.ids import new_id
from postpurchase.domain.secrets import last4
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.carriers.polling import PollItem, PollState, Reschedule
from postpurchase.service_layer.ports import SecretBox

A = t.carrier_accounts.c
P = t.shipment_polls.c
S = t.shipments.c


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account as it may be shown: options in full, secrets by their last four."""

    id: str
    carrier: str
    connector: str
    mode: str
    options: dict[str, str]
    secrets: dict[str, str]  # field -> last four characters
    created_at: datetime
    updated_at: datetime
    paused_until: datetime | None
    failures: int
    last_error: str | None
    last_ok_at: datetime | None
    polling: int  # shipments currently polled through it


def _account(row: Any, box: SecretBox | None) -> CarrierAccount:
    creds = orjson.loads(box.open(row.sealed_credentials)) if box is not None else {}
    return CarrierAccount(
        id=row.id,
        merchant_id=row.merchant_id,
        carrier=row.carrier,
        connector=Connector(row.connector),
        mode=AccountMode(row.mode),
        options=dict(row.options or {}),
        credentials=creds,
        created_at=row.created_at,
        updated_at=row.updated_at,
        paused_until=row.paused_until,
        failures=row.failures,
        last_error=row.last_error,
    )


class SqlCarrierAccounts:
    """A merchant's carrier accounts, inside the caller's transaction."""

    def __init__(self, conn: Connection, box: SecretBox) -> None:
        self.conn = conn
        self.box = box

    def put(
        self,
        merchant_id: str,
        carrier: str,
        connector: Connector,
        mode: AccountMode,
        options: dict[str, str],
        secrets: dict[str, str],
        now: datetime,
    ) -> tuple[str, bool]:
        """Create or replace the merchant's account at ``carrier``; (id, created)."""
        values = {
            "connector": connector.value,
            "mode": mode.value,
            "options": options,
            "sealed_credentials": self.box.seal(orjson.dumps(secrets).decode()),
            "hints": {k: last4(v) for k, v in secrets.items()},
            "updated_at": now,
            "paused_until": None,
            "failures": 0,
            "last_error": None,
        }
        existing = self.conn.execute(
            select(A.id).where(A.merchant_id == merchant_id, A.carrier == carrier)
        ).scalar()
        if existing is not None:
            self.conn.execute(update(t.carrier_accounts).where(A.id == existing).values(**values))
            return existing, False
        account_id = new_id()
        self.conn.execute(
            insert(t.carrier_accounts).values(
                id=account_id, merchant_id=merchant_id, carrier=carrier, created_at=now, **values
            )
        )
        return account_id, True

    def get(self, merchant_id: str, carrier: str) -> CarrierAccount | None:
        row = self.conn.execute(
            select(t.carrier_accounts).where(A.merchant_id == merchant_id, A.carrier == carrier)
        ).first()
        return _account(row, self.box) if row is not None else None

    def all(self, merchant_id: str) -> list[CarrierAccount]:
        """Every account of the merchant, credentials opened (to call the carriers)."""
        rows = self.conn.execute(
            select(t.carrier_accounts).where(A.merchant_id == merchant_id).order_by(A.carrier)
        ).all()
        return [_account(r, self.box) for r in rows]

    def views(self, merchant_id: str) -> list[AccountView]:
        polling = (
            select(P.account_id, _count().label("n"))
            .where(P.merchant_id == merchant_id, P.processed_at.is_(None))
            .group_by(P.account_id)
            .subquery()
        )
        rows = self.conn.execute(
            select(t.carrier_accounts, polling.c.n)
            .outerjoin(polling, polling.c.account_id == A.id)
            .where(A.merchant_id == merchant_id)
            .order_by(A.carrier)
        ).all()
        return [
            AccountView(
                id=r.id,
                carrier=r.carrier,
                connector=r.connector,
                mode=r.mode,
                options=dict(r.options or {}),
                secrets=dict(r.hints or {}),
                created_at=r.created_at,
                updated_at=r.updated_at,
                paused_until=r.paused_until,
                failures=r.failures,
                last_error=r.last_error,
                last_ok_at=r.last_ok_at,
                polling=int(r.n or 0),
            )
            for r in rows
        ]

    def remove(self, merchant_id: str, carrier: str) -> bool:
        account_id = self.conn.execute(
            select(A.id).where(A.merchant_id == merchant_id, A.carrier == carrier)
        ).scalar()
        if account_id is None:
            return False
        self.conn.execute(delete(t.shipment_polls).where(P.account_id == account_id))
        self.conn.execute(delete(t.carrier_accounts).where(A.id == account_id))
        return True


def reseal_credentials(conn: Connection, box: SecretBox) -> int:
    """Re-seal every account's credentials with the keyring's first key (after a key
    rotation, by ``postpurchase secrets reencrypt``); returns how many changed."""
    changed = 0
    for row in conn.execute(select(A.id, A.sealed_credentials)).all():
        if box.needs_reseal(row.sealed_credentials):
            conn.execute(
                update(t.carrier_accounts)
                .where(A.id == row.id)
                .values(sealed_credentials=box.reseal(row.sealed_credentials))
            )
            changed += 1
    return changed


def _count() -> Any:
    from sqlalchemy import func

    return func.count()


_OPEN = [s.value for s in ShipmentStatus if s not in FINAL]


class SqlPollStore:
    """The poller's side: enrol, claim, reschedule; one short transaction per call."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        now: Callable[[], datetime],
        *,
        enrol_limit: int = 5000,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.engine = engine
        self.box = box
        self.now = now
        self.enrol_limit = enrol_limit
        self.lease = lease

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn:
            yield conn
            conn.commit()

    def enrol(self, conn: Connection, now: datetime) -> int:
        """Start polling open shipments whose merchant has an account at their carrier."""
        candidates = (
            select(S.id, S.merchant_id, A.id.label("account_id"))
            .join(t.carrier_accounts, and_(A.merchant_id == S.merchant_id, A.carrier == S.carrier))
            .outerjoin(t.shipment_polls, P.id == S.id)
            .where(P.id.is_(None), S.status.in_(_OPEN), S.tracking_valid.is_(True))
            .limit(self.enrol_limit)
        )
        rows = conn.execute(candidates).all()
        if not rows:
            return 0
        # Two workers may enrol the same shipment at once: the second insert is a no-op.
        conn.execute(
            upsert_insert(conn, t.shipment_polls).on_conflict_do_nothing(),
            [
                {"id": r.id, "merchant_id": r.merchant_id, "account_id": r.account_id,
                 "next_attempt_at": now, "polls": 0}
                for r in rows
            ],
        )  # fmt: skip
        return len(rows)

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[PollItem]:
        with self._tx() as conn:
            self.enrol(conn, now)
            due = (
                select(P.id)
                .join(t.carrier_accounts, A.id == P.account_id)
                .where(
                    P.next_attempt_at <= now,
                    P.processed_at.is_(None),
                    or_(A.paused_until.is_(None), A.paused_until <= now),
                )
                .order_by(P.next_attempt_at)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(of=t.shipment_polls, skip_locked=True)
            ids = [r.id for r in conn.execute(due)]
            if not ids:
                return []
            claimed = conn.execute(
                update(t.shipment_polls)
                .where(one_of(conn, P.id, ids), P.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
                .returning(P.id)
            ).all()
            got = [r.id for r in claimed]
            if not got:
                return []
            rows = conn.execute(
                select(P.id, P.merchant_id, P.account_id, S.tracking_number)
                .join(t.shipments, S.id == P.id)
                .where(one_of(conn, P.id, got))
            ).all()
        return [PollItem(r.id, r.merchant_id, r.account_id, r.tracking_number) for r in rows]

    def accounts(self, ids: Sequence[str]) -> dict[str, CarrierAccount]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.carrier_accounts).where(one_of(conn, A.id, list(ids)))
            ).all()
        return {r.id: _account(r, self.box) for r in rows}

    def states(self, shipment_ids: Sequence[str]) -> list[PollState]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.id, S.status, S.last_scan_at, S.created_at).where(
                    one_of(conn, S.id, list(shipment_ids))
                )
            ).all()
        return [
            PollState(r.id, ShipmentStatus(r.status), r.last_scan_at or r.created_at) for r in rows
        ]

    def reschedule(self, rows: Sequence[Reschedule], now: datetime) -> None:
        if not rows:
            return
        params = [
            {
                "b_id": r.shipment_id,
                "b_next": r.next_at,
                "b_done": now if r.next_at is None else None,
                "b_reason": r.stop_reason,
                "b_error": r.error,
                "b_now": now,
            }
            for r in rows
        ]
        with self._tx() as conn:
            conn.execute(
                update(t.shipment_polls)
                .where(P.id == bindparam("b_id"))
                .values(
                    next_attempt_at=bindparam("b_next"),
                    processed_at=bindparam("b_done"),
                    stop_reason=bindparam("b_reason"),
                    last_error=bindparam("b_error"),
                    last_polled_at=bindparam("b_now"),
                    polls=P.polls + 1,
                ),
                params,
            )

    def account_failed(self, account_id: str, until: datetime, failures: int, error: str) -> None:
        with self._tx() as conn:
            conn.execute(
                update(t.carrier_accounts)
                .where(A.id == account_id)
                .values(paused_until=until, failures=failures, last_error=error[:1000])
            )

    def account_ok(self, account_id: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                update(t.carrier_accounts)
                .where(A.id == account_id)
                .values(paused_until=None, failures=0, last_error=None, last_ok_at=now)
            )

    @contextmanager
    def holding(self, shipment_ids: Sequence[str]) -> Iterator[None]:
        """Renew the claim on these shipments while the caller polls them."""
        with heartbeat(
            self.engine, t.shipment_polls, list(shipment_ids), self.now,
            lease=self.lease, beat=self.lease / 4,
        ):  # fmt: skip
            yield
