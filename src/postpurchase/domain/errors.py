"""Domain errors: each names the field or rule it violates so adapters can report it."""

from __future__ import annotations


class DomainError(Exception):
    """A request that breaks a business rule; ``field`` points at the offending input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """Input that cannot be turned into a valid domain object."""


class NotFound(DomainError):
    """The thing asked for does not exist for this merchant (or at all: we never say which)."""


class Conflict(DomainError):
    """The request contradicts stored state (e.g. cancelling a delivered order)."""


class CurrencyMismatch(InvalidInput):
    """Adding money of two currencies is a bug, never a silent conversion."""
