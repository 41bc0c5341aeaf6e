"""What every tracking source's parser shares: the field limits, the batch result and its
item errors, the parsed webhook, and the helpers that load JSON and envelopes, normalise
tracking numbers, read times and dates, and finish an update.

Split out of ``normalised`` (our own batch format, which keeps the parser) so the AfterShip,
EasyPost and Shopify adapters build on a module of shared parts; ``normalised`` re-exports
every name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypedDict

import orjson

from postpurchase.domain.carrier_detection import normalise
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.timestamps import parse_instant
from postpurchase.domain.tracking import TrackingEvent

MAX_FUTURE: Final = timedelta(days=1)
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)

MAX_ID = 200
MAX_TRACKING_NUMBER = 64
MAX_SHORT = 64  # carrier, code, substatus
MAX_TEXT = 1000  # description (longer is cut, not refused)
MAX_LOCATION_PART = 200
MAX_SERVICE = 48  # a service level a source names ("FEDEX_GROUND", "USPS Ground Advantage")
MAX_SIGNED_BY = 200
MAX_URL = 2048


class ItemError(TypedDict):
    """One rejected item of a batch, as the HTTP route returns it."""

    index: int
    id: str | None
    field: str
    error: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Good events grouped per tracking number, and the items that were refused.

    ``TrackingUpdate.ref`` holds the comma-separated indices of the update's events in the
    request, so a per-update result can be reported against the items that made it.
    """

    updates: tuple[TrackingUpdate, ...]
    errors: tuple[ItemError, ...]
    received: int
    accepted: int
    unrecognised: int


@dataclass(frozen=True, slots=True)
class SourceWebhook:
    """A tracking webhook of another source (AfterShip, EasyPost), translated.

    ``delivery_id`` is the source's own id of this delivery (for replay/retry dedup);
    ``kind`` its event name; ``errors`` the checkpoints that could not be read (the rest of
    the payload is still used).
    """

    source: str
    delivery_id: str | None
    kind: str
    updates: tuple[TrackingUpdate, ...]
    errors: tuple[ItemError, ...] = ()


class FieldInvalid(Exception):
    """One field of one item is wrong; collected as an ``ItemError``, never propagated."""

    __slots__ = ("error", "field")

    def __init__(self, field: str, error: str) -> None:
        self.field = field
        self.error = error


_ASCII_SEPARATORS: Final = str.maketrans("", "", " -\t\n\r\v\f\x1c\x1d\x1e\x1f")


def finish_update(
    number: str,
    carrier: str | None,
    events: list[TrackingEvent],
    errors: list[ItemError],
    estimate: date | None,
    ref: str,
    *,
    service: str | None = None,
    tracking_url: str | None = None,
    signed_by: str | None = None,
) -> tuple[TrackingUpdate | None, tuple[ItemError, ...]]:
    """One tracking object's update from an aggregator: the carrier's current estimate rides
    on its latest event (where the fold reads estimates from), who signed on its latest
    delivered event; the service level and public tracking page on the update, for the
    shipment."""
    if not events:
        return None, tuple(errors)
    if estimate is not None:
        latest = max(range(len(events)), key=lambda k: events[k].sort_key)
        events[latest] = replace(events[latest], estimated_delivery=estimate)
    if signed_by is not None:
        delivered = [k for k, e in enumerate(events) if e.status is ShipmentStatus.DELIVERED]
        if delivered:
            k = max(delivered, key=lambda k: events[k].sort_key)
            events[k] = replace(events[k], signed_by=signed_by)  # same fingerprint
    update = TrackingUpdate(
        number, carrier, tuple(events), ref, service=service, tracking_url=tracking_url
    )
    return update, tuple(errors)


def web_url(value: object) -> str | None:
    """An http(s) URL a source gives for a page (a carrier's tracking page), else ``None``."""
    if type(value) is not str:
        return None
    url = value.strip()
    if len(url) > MAX_URL or not url.lower().startswith(("https://", "http://")):
        return None
    if any(c.isspace() or ord(c) < 32 for c in url):
        return None
    return url


def normalise_tracking_number(value: str) -> str:
    """Tracking numbers compare without spaces, dashes or case ("1z 999-aa1" = "1Z999AA1").

    Same result as ``domain.carrier_detection.normalise`` (which shipments are stored with),
    with a fast path for the ASCII numbers nearly every source sends.
    """
    if value.isascii():
        return value.translate(_ASCII_SEPARATORS).upper()
    return normalise(value)


def load_json(body: bytes | str | Mapping[str, Any], *, field: str = "body") -> Any:
    """orjson, with a clear ``InvalidInput`` for malformed JSON."""
    if isinstance(body, Mapping):
        return body
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", field=field) from None


def load_envelope(
    body: bytes | str | Mapping[str, Any], *, kind_key: str, id_key: str
) -> tuple[Mapping[str, Any], str, str | None]:
    """An aggregator's webhook body: the object, its event name and its delivery id (the
    id the source repeats when it retries, which is what replays are recognised by)."""
    data = load_json(body)
    if not isinstance(data, Mapping):
        raise InvalidInput("body must be a JSON object", field="body")
    kind = data.get(kind_key)
    delivery_id = data.get(id_key)
    return (
        data,
        kind if type(kind) is str else "",
        str(delivery_id) if delivery_id not in (None, "") else None,
    )


def parse_datetime(value: object, field: str) -> datetime:
    """An ISO 8601 timestamp with an offset, as aware UTC inside the window of
    ``domain.timestamps`` (1970 to 2100). Naive times are refused."""
    return instant(value, field)


def instant(value: object, field: str, *, naive_as_utc: bool = False) -> datetime:
    """``domain.timestamps.parse_instant`` with its refusal as this item's ``FieldInvalid``."""
    try:
        return parse_instant(value, field, naive_as_utc=naive_as_utc)
    except InvalidInput as bad:
        raise FieldInvalid(field, bad.message) from None


def check_event_time(value: datetime, now: datetime, field: str) -> datetime:
    """Refuse scan times before 2000-01-01 or more than a day after ``now``."""
    if value < EARLIEST:
        raise FieldInvalid(field, "is before 2000-01-01")
    if value > now + MAX_FUTURE:
        raise FieldInvalid(field, "is more than one day in the future")
    return value


def parse_date(value: object, field: str) -> date:
    """A calendar date; a full timestamp is accepted and its own local date used."""
    if type(value) is not str:
        raise FieldInvalid(field, "must be a date string (YYYY-MM-DD)")
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise FieldInvalid(field, f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None
