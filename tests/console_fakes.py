"""An in-memory console unit of work and a cheap password hasher: the console's use cases
tested in milliseconds, by outcomes (the SQL twins are tested in tests/integration/console)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from postpurchase.domain.console import Attention, ConsoleUser, Principal, Role
from postpurchase.service_layer.console import (
    AbstractConsoleUnitOfWork,
    AgentMessage,
    MerchantRef,
    OneTimeToken,
    ParcelOfOrder,
    StoredSession,
)
from tests.fakes import FakeAudit


class PlainHasher:
    """Not a password hash: a marked copy, so tests can tell a hash from its password."""

    def __init__(self) -> None:
        self.verified = 0

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, hashed: str, password: str) -> bool:
        self.verified += 1
        return hashed == "plain$" + password

    def needs_rehash(self, hashed: str) -> bool:
        return False


class State:
    def __init__(self) -> None:
        self.users: dict[str, ConsoleUser] = {}
        self.tokens: dict[str, OneTimeToken] = {}
        self.sessions: dict[str, StoredSession] = {}
        self.merchants: dict[str, MerchantRef] = {}
        self.parcels: dict[str, ParcelOfOrder] = {}
        self.resolutions: list[tuple[str, str, str, str]] = []  # merchant, shipment, kind, action
        self.outbox: list[AgentMessage] = []
        self.audit = FakeAudit()
        self.commits = 0


class _Users:
    def __init__(self, s: State) -> None:
        self.s = s

    def add(self, user: ConsoleUser) -> None:
        self.s.users[user.id] = user

    def get(self, merchant_id: str, user_id: str) -> ConsoleUser | None:
        u = self.s.users.get(user_id)
        return u if u and u.merchant_id == merchant_id else None

    def find(self, merchant_id: str, email: str) -> ConsoleUser | None:
        return next(
            (u for u in self.s.users.values() if u.merchant_id == merchant_id and u.email == email),
            None,
        )

    def with_email(self, email: str) -> list[ConsoleUser]:
        return [u for u in self.s.users.values() if u.email == email]

    def list(self, merchant_id: str) -> list[ConsoleUser]:
        return sorted((u for u in self.s.users.values() if u.merchant_id == merchant_id),
                      key=lambda u: u.email)  # fmt: skip

    def save(self, user: ConsoleUser) -> None:
        self.s.users[user.id] = user

    def count_owners(self, merchant_id: str) -> int:
        return sum(1 for u in self.list(merchant_id) if u.role is Role.OWNER and u.active)


class _Tokens:
    def __init__(self, s: State) -> None:
        self.s = s

    def add(self, token: OneTimeToken) -> None:
        self.s.tokens[token.token_hash] = token

    def get(self, token_hash: str) -> OneTimeToken | None:
        return self.s.tokens.get(token_hash)

    def use(self, token_hash: str, at: datetime) -> bool:
        t = self.s.tokens[token_hash]
        if t.used_at is not None:
            return False
        self.s.tokens[token_hash] = replace(t, used_at=at)
        return True

    def revoke_user(self, merchant_id: str, user_id: str, at: datetime) -> None:
        for key, t in list(self.s.tokens.items()):
            if t.merchant_id == merchant_id and t.user_id == user_id and t.used_at is None:
                self.s.tokens[key] = replace(t, used_at=at)


class _Sessions:
    def __init__(self, s: State) -> None:
        self.s = s

    def add(self, session: StoredSession) -> None:
        self.s.sessions[session.session_hash] = session

    def principal(self, session_hash: str, now: datetime) -> Principal | None:
        found = self.s.sessions.get(session_hash)
        if found is None or found.expires_at <= now:
            return None
        user = self.s.users[found.user_id]
        if not user.active:
            return None
        m = self.s.merchants[user.merchant_id]
        return Principal(user.id, user.email, user.role, m.id, m.slug, m.name, session_hash,
                         found.csrf)  # fmt: skip

    def delete(self, session_hash: str) -> None:
        self.s.sessions.pop(session_hash, None)

    def delete_user(self, merchant_id: str, user_id: str) -> int:
        gone = [k for k, v in self.s.sessions.items() if v.user_id == user_id]
        for k in gone:
            del self.s.sessions[k]
        return len(gone)

    def prune(self, now: datetime) -> int:
        return 0


class _Merchants:
    def __init__(self, s: State) -> None:
        self.s = s

    def by_slug(self, slug: str) -> MerchantRef | None:
        return next((m for m in self.s.merchants.values() if m.slug == slug), None)

    def by_id(self, merchant_id: str) -> MerchantRef | None:
        return self.s.merchants.get(merchant_id)


class _Parcels:
    def __init__(self, s: State) -> None:
        self.s = s

    def get(self, merchant_id: str, shipment_id: str) -> ParcelOfOrder | None:
        p = self.s.parcels.get(shipment_id)
        return p if p and p.merchant_id == merchant_id else None


class _Resolutions:
    def __init__(self, s: State) -> None:
        self.s = s

    def resolve(self, merchant_id: str, shipment_id: str, kinds: list[Attention], at: datetime,
                actor: str, action: str, note: str | None) -> None:  # fmt: skip
        self.s.resolutions += [(merchant_id, shipment_id, k.value, action) for k in kinds]


class _Outbound:
    def __init__(self, s: State) -> None:
        self.s = s

    def queue_email(self, message: AgentMessage) -> None:
        self.s.outbox.append(message)


class FakeConsoleUnitOfWork(AbstractConsoleUnitOfWork):
    """Writes land in a staging copy and reach ``state`` only on commit (rollback: gone)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def __enter__(self) -> FakeConsoleUnitOfWork:
        import copy

        self.staged = copy.deepcopy(self.state)
        s = self.staged
        self.users, self.tokens, self.sessions = _Users(s), _Tokens(s), _Sessions(s)
        self.merchants, self.parcels = _Merchants(s), _Parcels(s)
        self.resolutions, self.outbound, self.audit = _Resolutions(s), _Outbound(s), s.audit
        return self

    def commit(self) -> None:
        self.staged.commits += 1
        self.state.__dict__.update(self.staged.__dict__)

    def rollback(self) -> None:
        pass
