"""How a call to a carrier can fail, named so an operator (or a retry policy) can act."""

from __future__ import annotations

from enum import StrEnum

from postpurchase.domain.errors import DomainError


class CarrierFailure(StrEnum):
    AUTH = "auth"  # the carrier refused the credentials: fix the account, retrying won't help
    RATE_LIMITED = "rate_limited"  # HTTP 429: wait (Retry-After when the carrier sends one)
    UNAVAILABLE = "unavailable"  # HTTP 5xx or a refused connection: back off, then retry
    TIMEOUT = "timeout"  # no answer in time: back off, then retry
    REJECTED = "rejected"  # the carrier refused the request itself (bad address, parcel...)
    UNSUPPORTED = "unsupported"  # this carrier or connector does not offer the operation


TRANSIENT: frozenset[CarrierFailure] = frozenset(
    {CarrierFailure.RATE_LIMITED, CarrierFailure.UNAVAILABLE, CarrierFailure.TIMEOUT}
)


class CarrierError(DomainError):
    """A carrier call that failed; the message names the carrier and the cause."""

    def __init__(
        self,
        carrier: str,
        failure: CarrierFailure,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(f"{carrier}: {failure.value}: {message}", field=field)
        self.carrier = carrier
        self.failure = failure
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.failure in TRANSIENT
