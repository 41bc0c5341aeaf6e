"""Console users, their passwords' rules and the one-time links that set a password.

A console user belongs to exactly one merchant; the same e-mail address may be a user of
several merchants (an agency), each with its own password and role. Passwords are never held
here, only their hashes (argon2id, by the adapter behind ``PasswordHasher``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from postpurchase.domain.console.roles import Role
from postpurchase.domain.errors import InvalidInput

MIN_PASSWORD = 10
MAX_PASSWORD = 256  # argon2 takes any length; a cap keeps a login from hashing megabytes
MAX_EMAIL = 254


class TokenPurpose(StrEnum):
    """Why a one-time link was made; each lives as long as its purpose needs."""

    SET_PASSWORD = "set_password"  # the first owner, made by the CLI
    INVITE = "invite"  # a team member invited from the console
    RESET = "reset"  # "forgot my password"

    @property
    def lifetime(self) -> timedelta:
        return _LIFETIMES[self]


_LIFETIMES = {
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
    TokenPurpose.INVITE: timedelta(days=7),
    TokenPurpose.RESET: timedelta(hours=1),
}


def normalise_email(raw: str, *, field: str = "email") -> str:
    """Lower-cased and trimmed: the same person types their address in many ways."""
    email = raw.strip().lower() if isinstance(raw, str) else ""
    local, _, domain = email.partition("@")
    if (
        not local
        or "." not in domain
        or len(email) > MAX_EMAIL
        or any(ch.isspace() or ch in "<>,;\"'" for ch in email)
    ):
        raise InvalidInput("not an e-mail address", field=field)
    return email


def check_password(password: str, *, email: str = "", field: str = "password") -> str:
    """A password a person can type and an attacker cannot guess cheaply: at least 10
    characters, not the e-mail address, not one character repeated."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"use at least {MIN_PASSWORD} characters", field=field)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"use at most {MAX_PASSWORD} characters", field=field)
    if len(set(password)) < 4:
        raise InvalidInput("use more different characters", field=field)
    if email and password.strip().lower() in {email, email.partition("@")[0]}:
        raise InvalidInput("do not use your e-mail address as the password", field=field)
    return password


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """One person's access to one merchant's console."""

    id: str
    merchant_id: str
    email: str
    role: Role
    created_at: datetime
    password_hash: str | None = None  # None until the invitation or set-password link is used
    name: str | None = None
    disabled_at: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def active(self) -> bool:
        """May log in: has set a password and was not removed."""
        return self.password_hash is not None and self.disabled_at is None

    @property
    def pending(self) -> bool:
        """Invited, no password set yet."""
        return self.password_hash is None and self.disabled_at is None

    def with_role(self, role: Role) -> ConsoleUser:
        return replace(self, role=role)


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of one request, as pages see it: who, which merchant, what role,
    and the CSRF token their forms must carry."""

    user_id: str
    email: str
    role: Role
    merchant_id: str
    merchant_slug: str
    merchant_name: str
    session_id: str
    csrf: str

    @property
    def actor(self) -> str:
        """How the audit log names this user (``user:<email>``)."""
        return f"user:{self.email}"

    def may(self, needed: Role) -> bool:
        return self.role.allows(needed)
