"""The console's repositories: users, one-time links, sessions, merchants by slug or id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.tables import console_sessions, console_tokens, console_users
from postpurchase.domain.console import ConsoleUser, Principal, Role, TokenPurpose
from postpurchase.service_layer.console import MerchantRef, OneTimeToken, StoredSession

U = console_users.c


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(
        id=row.id,
        merchant_id=row.merchant_id,
        email=row.email,
        role=Role(row.role),
        created_at=row.created_at,
        password_hash=row.password_hash,
        name=row.name,
        disabled_at=row.disabled_at,
        last_login_at=row.last_login_at,
    )


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, user: ConsoleUser) -> None:
        self.conn.execute(
            insert(console_users).values(
                id=user.id, merchant_id=user.merchant_id, email=user.email,
                role=user.role.value, name=user.name, password_hash=user.password_hash,
                created_at=user.created_at, last_login_at=user.last_login_at,
                disabled_at=user.disabled_at,
            )
        )  # fmt: skip

    def get(self, merchant_id: str, user_id: str) -> ConsoleUser | None:
        row = self.conn.execute(
            select(console_users).where(U.merchant_id == merchant_id, U.id == user_id)
        ).first()
        return _user(row) if row else None

    def find(self, merchant_id: str, email: str) -> ConsoleUser | None:
        row = self.conn.execute(
            select(console_users).where(U.merchant_id == merchant_id, U.email == email)
        ).first()
        return _user(row) if row else None

    def with_email(self, email: str) -> list[ConsoleUser]:
        rows = self.conn.execute(
            select(console_users).where(U.email == email).order_by(U.created_at, U.id)
        )
        return [_user(r) for r in rows]

    def list(self, merchant_id: str) -> list[ConsoleUser]:
        rows = self.conn.execute(
            select(console_users).where(U.merchant_id == merchant_id).order_by(U.email)
        )
        return [_user(r) for r in rows]

    def save(self, user: ConsoleUser) -> None:
        self.conn.execute(
            update(console_users)
            .where(U.merchant_id == user.merchant_id, U.id == user.id)
            .values(
                role=user.role.value, name=user.name, password_hash=user.password_hash,
                last_login_at=user.last_login_at, disabled_at=user.disabled_at,
            )
        )  # fmt: skip

    def count_owners(self, merchant_id: str) -> int:
        return int(
            self.conn.execute(
                select(func.count()).where(
                    U.merchant_id == merchant_id,
                    U.role == Role.OWNER.value,
                    U.disabled_at.is_(None),
                    U.password_hash.is_not(None),
                )
            ).scalar_one()
        )


class SqlTokens:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, token: OneTimeToken) -> None:
        self.conn.execute(
            insert(console_tokens).values(
                token_hash=token.token_hash, merchant_id=token.merchant_id,
                user_id=token.user_id, purpose=token.purpose.value,
                created_at=token.created_at, expires_at=token.expires_at, used_at=None,
            )
        )  # fmt: skip

    def get(self, token_hash: str) -> OneTimeToken | None:
        row = self.conn.execute(
            select(console_tokens).where(console_tokens.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return OneTimeToken(
            row.token_hash, row.merchant_id, row.user_id, TokenPurpose(row.purpose),
            row.created_at, row.expires_at, row.used_at,
        )  # fmt: skip

    def use(self, token_hash: str, at: datetime) -> bool:
        c = console_tokens.c
        done = self.conn.execute(
            update(console_tokens)
            .where(c.token_hash == token_hash, c.used_at.is_(None))
            .values(used_at=at)
        )
        return bool(done.rowcount)

    def revoke_user(self, merchant_id: str, user_id: str, at: datetime) -> None:
        c = console_tokens.c
        self.conn.execute(
            update(console_tokens)
            .where(c.merchant_id == merchant_id, c.user_id == user_id, c.used_at.is_(None))
            .values(used_at=at)
        )


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, session: StoredSession) -> None:
        self.conn.execute(
            insert(console_sessions).values(
                session_hash=session.session_hash, merchant_id=session.merchant_id,
                user_id=session.user_id, csrf=session.csrf, created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )  # fmt: skip

    def principal(self, session_hash: str, now: datetime) -> Principal | None:
        s, m = console_sessions.c, t.merchants.c
        row = self.conn.execute(
            select(
                s.session_hash, s.csrf, s.expires_at, U.id, U.email, U.role, U.password_hash,
                U.disabled_at, m.id.label("merchant_id"), m.slug, m.name,
            )
            .select_from(
                console_sessions.join(
                    console_users, (U.id == s.user_id) & (U.merchant_id == s.merchant_id)
                ).join(t.merchants, m.id == s.merchant_id)
            )
            .where(s.session_hash == session_hash)
        ).first()  # fmt: skip
        if row is None or row.expires_at <= now:
            return None
        if row.password_hash is None or row.disabled_at is not None:
            return None
        return Principal(
            row.id, row.email, Role(row.role), row.merchant_id, row.slug, row.name,
            row.session_hash, row.csrf,
        )  # fmt: skip

    def delete(self, session_hash: str) -> None:
        self.conn.execute(
            delete(console_sessions).where(console_sessions.c.session_hash == session_hash)
        )

    def delete_user(self, merchant_id: str, user_id: str) -> int:
        c = console_sessions.c
        done = self.conn.execute(
            delete(console_sessions).where(c.merchant_id == merchant_id, c.user_id == user_id)
        )
        return int(done.rowcount or 0)

    def prune(self, now: datetime) -> int:
        done = self.conn.execute(
            delete(console_sessions).where(console_sessions.c.expires_at <= now)
        )
        return int(done.rowcount or 0)


class SqlMerchantLookup:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, where: Any) -> MerchantRef | None:
        m = t.merchants.c
        row = self.conn.execute(select(m.id, m.slug, m.name).where(where)).first()
        return MerchantRef(row.id, row.slug, row.name) if row else None

    def by_slug(self, slug: str) -> MerchantRef | None:
        return self._one(t.merchants.c.slug == slug)

    def by_id(self, merchant_id: str) -> MerchantRef | None:
        return self._one(t.merchants.c.id == merchant_id)
