"""Console accounts: the first owner, invitations, passwords, log-in sessions and the team.

Links and sessions are random tokens of which only a SHA-256 is stored, so a copy of the
database opens no account. A password is checked against every account of the address (an
agency's person may belong to several merchants) and, when none exists, against a dummy hash,
so the time a wrong log-in takes does not tell whether the address has an account.

Nothing here sends mail: invitation and reset links are returned, and the entrypoint sends them
after the transaction committed (no network I/O inside a transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.console import (
    MANAGE_TEAM,
    ConsoleUser,
    Principal,
    Role,
    TokenPurpose,
    check_password,
    normalise_email,
)
from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.service_layer.console.ports import (
    AbstractConsoleUnitOfWork,
    MerchantRef,
    OneTimeToken,
    PasswordHasher,
    StoredSession,
)

DEFAULT_SESSION = timedelta(hours=12)


class InvalidCredentials(DomainError):
    """Wrong address or password; deliberately never says which."""


class StoreNeeded(DomainError):
    """The address and password open accounts with several stores: name the store."""


class NotAllowed(DomainError):
    """The signed-in role may not do this."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """A one-time link for ``user`` (set a password, accept an invitation, reset)."""

    user: ConsoleUser
    merchant: MerchantRef
    token: str
    purpose: TokenPurpose
    expires_at: datetime

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/console/password/{self.token}"


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_token: str  # the cookie's value; only its hash is stored
    principal: Principal
    expires_at: datetime


class Accounts:
    """The console's account use cases over a fresh unit of work per call."""

    def __init__(
        self,
        uow: Callable[[], AbstractConsoleUnitOfWork],
        hasher: PasswordHasher,
        now: Callable[[], datetime],
        *,
        session_lifetime: timedelta = DEFAULT_SESSION,
    ) -> None:
        self.uow = uow
        self.hasher = hasher
        self.now = now
        self.session_lifetime = session_lifetime
        self._dummy: str | None = None

    # ---- the first owner (CLI) and invitations ---------------------------------------------

    def create_user(
        self, slug: str, email: str, role: Role, name: str | None = None, *, actor: str = "cli"
    ) -> Link:
        """A user of the merchant ``slug`` with a one-time set-password link. An address that
        is invited but never set a password gets a fresh link; an active one is a conflict."""
        address = normalise_email(email)
        with self.uow() as uow:
            merchant = uow.merchants.by_slug(slug.strip())
            if merchant is None:
                raise NotFound(f"no merchant with slug {slug!r}", field="slug")
            link = self._issue(uow, merchant, address, role, TokenPurpose.SET_PASSWORD, name)
            self._audit(uow, merchant.id, actor, "console.user.created", address,
                        {"role": [None, role.value]})  # fmt: skip
            uow.commit()
        return link

    def invite(self, by: Principal, email: str, role: Role) -> Link:
        """Invite a team member (owners only); re-inviting a pending address renews the link."""
        self._require(by, MANAGE_TEAM)
        address = normalise_email(email)
        with self.uow() as uow:
            merchant = uow.merchants.by_id(by.merchant_id)
            if merchant is None:
                raise NotFound("merchant not found")
            link = self._issue(uow, merchant, address, role, TokenPurpose.INVITE, None)
            self._audit(uow, merchant.id, by.actor, "console.user.invited", address,
                        {"role": [None, role.value]})  # fmt: skip
            uow.commit()
        return link

    def _issue(
        self,
        uow: AbstractConsoleUnitOfWork,
        merchant: MerchantRef,
        email: str,
        role: Role,
        purpose: TokenPurpose,
        name: str | None,
    ) -> Link:
        now = self.now()
        user = uow.users.find(merchant.id, email)
        if user is not None and user.active:
            raise Conflict(f"{email} is already a member of {merchant.slug}", field="email")
        if user is None:
            user = ConsoleUser(new_id(), merchant.id, email, role, now, name=name)
            uow.users.add(user)
        else:  # pending or removed: invited again, with the role asked for now
            user = ConsoleUser(user.id, merchant.id, email, role, user.created_at, name=name)
            uow.users.save(user)
        uow.tokens.revoke_user(merchant.id, user.id, now)
        return self._link(uow, merchant, user, purpose)

    def _link(
        self,
        uow: AbstractConsoleUnitOfWork,
        merchant: MerchantRef,
        user: ConsoleUser,
        purpose: TokenPurpose,
    ) -> Link:
        now = self.now()
        token = secrets.token_urlsafe(32)
        expires = now + purpose.lifetime
        uow.tokens.add(OneTimeToken(digest(token), merchant.id, user.id, purpose, now, expires))
        return Link(user, merchant, token, purpose, expires)

    # ---- one-time links ----------------------------------------------------------------------

    def link_user(self, token: str) -> tuple[ConsoleUser, OneTimeToken] | None:
        """The user a still-usable link belongs to (for the set-password page), else None."""
        with self.uow() as uow:
            stored = uow.tokens.get(digest(token))
            if stored is None or not stored.usable(self.now()):
                return None
            user = uow.users.get(stored.merchant_id, stored.user_id)
            if user is None or user.disabled_at is not None:
                return None
            return user, stored

    def set_password(self, token: str, password: str) -> ConsoleUser:
        """Use a link: set the password, end the user's sessions and other links."""
        now = self.now()
        with self.uow() as uow:
            stored = uow.tokens.get(digest(token))
            user = None
            if stored is not None and stored.usable(now):
                user = uow.users.get(stored.merchant_id, stored.user_id)
            if stored is None or user is None or user.disabled_at is not None:
                raise NotFound("this link is not valid any more; ask for a new one", field="token")
            check_password(password, email=user.email)
            if not uow.tokens.use(stored.token_hash, now):
                raise NotFound("this link was used already", field="token")
            user = replace(user, password_hash=self.hasher.hash(password), disabled_at=None)
            uow.users.save(user)
            uow.tokens.revoke_user(user.merchant_id, user.id, now)
            uow.sessions.delete_user(user.merchant_id, user.id)
            self._audit(uow, user.merchant_id, f"user:{user.email}",
                        f"console.password.{stored.purpose.value}", user.email, {})  # fmt: skip
            uow.commit()
        return user

    def request_reset(self, email: str) -> list[Link]:
        """Reset links for every active account of the address (none: an empty list; the page
        says the same either way, so it tells nobody whether the address has an account)."""
        try:
            address = normalise_email(email)
        except InvalidInput:
            return []
        links: list[Link] = []
        with self.uow() as uow:
            for user in uow.users.with_email(address):
                merchant = uow.merchants.by_id(user.merchant_id)
                if not user.active or merchant is None:
                    continue
                uow.tokens.revoke_user(user.merchant_id, user.id, self.now())
                links.append(self._link(uow, merchant, user, TokenPurpose.RESET))
            uow.commit()
        return links

    # ---- sessions ----------------------------------------------------------------------------

    def login(self, email: str, password: str, store: str | None = None) -> SignedIn:
        try:
            address = normalise_email(email)
        except InvalidInput:
            address = ""
        store = (store or "").strip() or None
        with self.uow() as uow:
            candidates = [u for u in uow.users.with_email(address) if u.active] if address else []
            matched = [u for u in candidates if self.hasher.verify(u.password_hash or "", password)]
            if not candidates:
                self.hasher.verify(self._dummy_hash(), password)  # the same time as a miss
            merchants = {u.merchant_id: uow.merchants.by_id(u.merchant_id) for u in matched}
            if store is not None:
                matched = [
                    u for u in matched if (m := merchants[u.merchant_id]) and m.slug == store
                ]
            if not matched:
                raise InvalidCredentials("the e-mail address or the password is not right")
            if len(matched) > 1:
                raise StoreNeeded(
                    "this address has accounts with several stores: enter the store",
                    field="store",
                )
            user = matched[0]
            merchant = merchants[user.merchant_id]
            assert merchant is not None
            now = self.now()
            if self.hasher.needs_rehash(user.password_hash or ""):
                user = replace(user, password_hash=self.hasher.hash(password))
            user = replace(user, last_login_at=now)
            uow.users.save(user)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            expires = now + self.session_lifetime
            session = StoredSession(digest(token), user.id, user.merchant_id, csrf, now, expires)
            uow.sessions.add(session)
            if secrets.randbelow(64) == 0:
                uow.sessions.prune(now)
            uow.commit()
        principal = Principal(
            user.id, user.email, user.role, merchant.id, merchant.slug, merchant.name,
            session.session_hash, csrf,
        )  # fmt: skip
        return SignedIn(token, principal, expires)

    def principal(self, session_token: str) -> Principal | None:
        if not session_token or len(session_token) > 128:
            return None
        with self.uow() as uow:
            return uow.sessions.principal(digest(session_token), self.now())

    def logout(self, session_token: str) -> None:
        with self.uow() as uow:
            uow.sessions.delete(digest(session_token))
            uow.commit()

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    # ---- the team ----------------------------------------------------------------------------

    def team(self, by: Principal) -> list[ConsoleUser]:
        with self.uow() as uow:
            return [u for u in uow.users.list(by.merchant_id) if u.disabled_at is None]

    def change_role(self, by: Principal, user_id: str, role: Role) -> tuple[ConsoleUser, Role]:
        """Give a member another role (owners only); the last owner stays an owner. Their
        sessions end, so the new role applies at once. Returns the user and the old role."""
        self._require(by, MANAGE_TEAM)
        with self.uow() as uow:
            user = self._member(uow, by, user_id)
            if user.role is Role.OWNER and role is not Role.OWNER:
                self._keep_an_owner(uow, by.merchant_id)
            old = user.role
            user = user.with_role(role)
            uow.users.save(user)
            uow.sessions.delete_user(by.merchant_id, user.id)
            self._audit(uow, by.merchant_id, by.actor, "console.user.role_changed", user.email,
                        {"role": [old.value, role.value]})  # fmt: skip
            uow.commit()
        return user, old

    def remove(self, by: Principal, user_id: str) -> ConsoleUser:
        """Remove a member (owners only): they cannot log in, their links and sessions end."""
        self._require(by, MANAGE_TEAM)
        now = self.now()
        with self.uow() as uow:
            user = self._member(uow, by, user_id)
            if user.role is Role.OWNER and user.active:
                self._keep_an_owner(uow, by.merchant_id)
            user = replace(user, disabled_at=now)
            uow.users.save(user)
            uow.tokens.revoke_user(by.merchant_id, user.id, now)
            uow.sessions.delete_user(by.merchant_id, user.id)
            self._audit(uow, by.merchant_id, by.actor, "console.user.removed", user.email,
                        {"role": [user.role.value, None]})  # fmt: skip
            uow.commit()
        return user

    def _audit(
        self,
        uow: AbstractConsoleUnitOfWork,
        merchant_id: str,
        actor: str,
        action: str,
        email: str,
        changes: dict[str, list[object]],
    ) -> None:
        entry = AuditEntry(merchant_id, actor, action, f"console_user:{email}", self.now(), changes)
        uow.audit.record(entry)

    @staticmethod
    def _member(uow: AbstractConsoleUnitOfWork, by: Principal, user_id: str) -> ConsoleUser:
        user = uow.users.get(by.merchant_id, user_id)
        if user is None or user.disabled_at is not None:
            raise NotFound("no such team member", field="user")
        return user

    @staticmethod
    def _keep_an_owner(uow: AbstractConsoleUnitOfWork, merchant_id: str) -> None:
        if uow.users.count_owners(merchant_id) <= 1:
            raise Conflict("a store keeps at least one owner", field="role")

    @staticmethod
    def _require(by: Principal, needed: Role) -> None:
        if not by.may(needed):
            raise NotAllowed(f"this needs the {needed.value} role", field="role")
