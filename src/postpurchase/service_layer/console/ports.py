"""What the console's use cases need from outside: a password hasher, and a unit of work with
users, one-time links and sessions. Small Protocols, so the unit tests run on fakes."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from postpurchase.domain.console import Attention, ConsoleUser, ParcelFacts, Principal, TokenPurpose
from postpurchase.domain.money import Money
from postpurchase.service_layer.ports import AuditLog


class PasswordHasher(Protocol):
    """argon2id in production (adapters.console.passwords); a hash embeds its parameters."""

    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when ``password`` matches; False (never an exception) otherwise."""
        ...

    def needs_rehash(self, hashed: str) -> bool:
        """The hash was made with weaker parameters than today's: re-hash at next login."""
        ...


@dataclass(frozen=True, slots=True)
class MerchantRef:
    id: str
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """A stored one-time link: only the SHA-256 of the token is kept."""

    token_hash: str
    merchant_id: str
    user_id: str
    purpose: TokenPurpose
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class StoredSession:
    session_hash: str
    user_id: str
    merchant_id: str
    csrf: str
    created_at: datetime
    expires_at: datetime


class UserRepository(Protocol):
    def add(self, user: ConsoleUser) -> None: ...

    def get(self, merchant_id: str, user_id: str) -> ConsoleUser | None: ...

    def find(self, merchant_id: str, email: str) -> ConsoleUser | None: ...

    def with_email(self, email: str) -> list[ConsoleUser]:
        """Every merchant's user with this address (an agency may have several)."""
        ...

    def list(self, merchant_id: str) -> list[ConsoleUser]: ...

    def save(self, user: ConsoleUser) -> None:
        """Write role, password hash, name, disabled and last login of an existing user."""
        ...

    def count_owners(self, merchant_id: str) -> int:
        """Active owners (the last one may not be demoted or removed)."""
        ...


class TokenRepository(Protocol):
    def add(self, token: OneTimeToken) -> None: ...

    def get(self, token_hash: str) -> OneTimeToken | None: ...

    def use(self, token_hash: str, at: datetime) -> bool:
        """Mark used, once: False when it was used already (two tabs, a replay)."""
        ...

    def revoke_user(self, merchant_id: str, user_id: str, at: datetime) -> None:
        """Every open link of the user is used up (a new one replaces them)."""
        ...


class SessionRepository(Protocol):
    def add(self, session: StoredSession) -> None: ...

    def principal(self, session_hash: str, now: datetime) -> Principal | None:
        """The session's user, merchant and role, when the session is live and the user may
        still log in; None otherwise."""
        ...

    def delete(self, session_hash: str) -> None: ...

    def delete_user(self, merchant_id: str, user_id: str) -> int:
        """End every session of a user (password changed, role changed, removed)."""
        ...

    def prune(self, now: datetime) -> int: ...


class MerchantLookup(Protocol):
    def by_slug(self, slug: str) -> MerchantRef | None: ...

    def by_id(self, merchant_id: str) -> MerchantRef | None: ...


@dataclass(frozen=True, slots=True)
class ParcelOfOrder:
    """A shipment as the console's actions need it: the rule's facts and its order's."""

    id: str
    merchant_id: str
    order_id: str
    order_number: str
    order_external_id: str
    order_source: str
    email: str | None
    customer_id: str | None
    locale: str
    shipping_fee: Money
    tracking_number: str
    carrier: str | None
    facts: ParcelFacts


@dataclass(frozen=True, slots=True)
class AgentMessage:
    """An e-mail a person writes to a customer about one shipment."""

    id: str
    merchant_id: str
    order_id: str
    shipment_id: str
    customer_id: str | None
    recipient: str
    locale: str
    subject: str
    body: str
    at: datetime


class ParcelLookup(Protocol):
    def get(self, merchant_id: str, shipment_id: str) -> ParcelOfOrder | None: ...


class Resolutions(Protocol):
    def resolve(
        self,
        merchant_id: str,
        shipment_id: str,
        kinds: list[Attention],
        at: datetime,
        actor: str,
        action: str,
        note: str | None,
    ) -> None:
        """Record (or renew) that a person dealt with these kinds of attention."""
        ...


class Outbound(Protocol):
    def queue_email(self, message: AgentMessage) -> None:
        """A queued e-mail in the notifications store, due now: the worker sends it the way
        it sends every message (retries, opt-outs, the merchant's sender)."""
        ...


class AbstractConsoleUnitOfWork(abc.ABC):
    """One transaction over the console's tables; rolled back unless committed."""

    users: UserRepository
    tokens: TokenRepository
    sessions: SessionRepository
    merchants: MerchantLookup
    audit: AuditLog
    parcels: ParcelLookup
    resolutions: Resolutions
    outbound: Outbound

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...
