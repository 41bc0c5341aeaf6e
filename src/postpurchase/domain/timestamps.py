"""Instants from outside, as aware UTC inside one documented window.

Every ingest format (our tracking batches, AfterShip, EasyPost, Shopify, the CSV order
import, the API's ``placed_at``) reads its timestamps through here, so they all accept and
refuse the same things:

* ISO 8601 text (``2026-11-20T10:15:00-05:00``, ``...Z``), with a UTC offset: a naive
  time is ambiguous and refused, unless the caller knows the source means UTC by it;
* converted to UTC; a conversion that leaves the calendar (``9999-12-31T23:59:59-05:00``,
  ``0001-01-01T00:00:00+05:00``) is refused like any other out-of-window time;
* from :data:`EARLIEST` (1970-01-01T00:00:00Z) up to, not including, :data:`LATEST`
  (2100-01-01T00:00:00Z).

Every refusal is :class:`InvalidInput` naming the field; nothing else is raised, whatever
the text, so one bad item never turns a whole batch into a server error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from postpurchase.domain.errors import InvalidInput

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
WINDOW: Final = "between 1970-01-01 and 2100-01-01 (UTC)"


def instant_utc(value: datetime, field: str) -> datetime:
    """An aware ``value`` as UTC, inside the window; ``InvalidInput`` naming ``field`` if
    it is naive, if its conversion to UTC overflows, or if it falls outside the window."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            "timestamp must include a time zone offset (e.g. Z, -05:00)", field=field
        )
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"timestamp must be {WINDOW}", field=field) from None
    if not EARLIEST <= utc < LATEST:
        raise InvalidInput(f"timestamp must be {WINDOW}", field=field)
    return utc


def parse_instant(text: object, field: str, *, naive_as_utc: bool = False) -> datetime:
    """ISO 8601 ``text`` (surrounding whitespace ignored) as aware UTC inside the window.

    A time without an offset is refused, or read as UTC with ``naive_as_utc`` (for sources
    that document their naive times as UTC). Raises only ``InvalidInput`` naming ``field``.
    """
    if type(text) is not str:
        raise InvalidInput("must be an ISO 8601 timestamp string", field=field)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise InvalidInput(f"{text[:40]!r} is not an ISO 8601 timestamp", field=field) from None
    if naive_as_utc and (parsed.tzinfo is None or parsed.utcoffset() is None):
        parsed = parsed.replace(tzinfo=UTC)
    return instant_utc(parsed, field)
