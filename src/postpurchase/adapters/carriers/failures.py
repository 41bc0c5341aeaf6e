"""Turning what a carrier's HTTP answer or a dead connection says into a named failure.

Shared by every carrier adapter so "wrong credentials", "rate limited", "carrier down" and
"timed out" read the same whichever connector hit them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from postpurchase.domain.carriers import CarrierError, CarrierFailure

F = CarrierFailure


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def from_status(
    carrier: str, status: int, detail: str, *, retry_after: str | None = None
) -> CarrierError:
    """The failure an HTTP status means, with the carrier's own words in the message."""
    detail = " ".join(detail.split())[:300] or "no detail"
    if status in (401, 403):
        return CarrierError(
            carrier, F.AUTH, f"the carrier refused the credentials (HTTP {status}: {detail})"
        )
    if status == 429:
        return CarrierError(
            carrier,
            F.RATE_LIMITED,
            f"too many requests (HTTP 429: {detail})",
            retry_after=retry_after_seconds(retry_after),
        )
    if status >= 500 or status in (408, 425):
        return CarrierError(
            carrier,
            F.UNAVAILABLE,
            f"the carrier's API failed (HTTP {status}: {detail})",
            retry_after=retry_after_seconds(retry_after),
        )
    return CarrierError(
        carrier, F.REJECTED, f"the carrier refused the request (HTTP {status}: {detail})"
    )


def timeout(carrier: str, seconds: float) -> CarrierError:
    return CarrierError(carrier, F.TIMEOUT, f"no answer within {seconds:g} s")


def unreachable(carrier: str, why: object) -> CarrierError:
    return CarrierError(carrier, F.UNAVAILABLE, f"cannot reach the carrier's API ({why})")
