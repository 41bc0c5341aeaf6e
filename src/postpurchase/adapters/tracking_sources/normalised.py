"""Our own tracking batch format (``POST /webhooks/tracking/postpurchase``).

Body::

    {"events": [
      {"id": "evt_1",                      # optional; unique within the batch
       "tracking_number": "1Z999AA10123456784",
       "carrier": "ups",                   # optional, our carrier slug
       "occurred_at": "2026-11-20T10:15:00-05:00",   # ISO 8601 with offset (required),
                                                     # 2000-01-01 to now + 1 day
       "status": "in_transit",             # a unified status, or ...
       "substatus": "hub_arrival",         # optional
       "code": "AR",                       # ... a carrier code we can map (see status_maps)
       "description": "Arrived at facility",
       "location": {"city": "Louisville", "region": "KY", "postal_code": "40209",
                    "country": "US"},
       "estimated_delivery": "2026-11-24", # optional date (or datetime: its date is used)
       "correction": false}                # optional; true may move a delivered parcel back
    ]}

At most :data:`MAX_EVENTS` events a request: more is refused whole (``InvalidInput`` on
``events``), as are malformed JSON and a body that is not ``{"events": [...]}``. Each event
is validated on its own: a bad one becomes an :class:`ItemError`
(``{"index", "id", "field", "error"}``, field as ``events[3].occurred_at``) and the good ones
are still returned, grouped into one ``TrackingUpdate`` per (tracking number, carrier).

An event with a ``code`` we cannot map and no ``status`` is kept as an *unrecognised* event
(``in_transit`` / ``unrecognised_code``) and counted downstream, never dropped. Without a
``carrier`` a code is read with the generic table, and also with each carrier's own table
where that reads differently (``TrackingUpdate.readings``): the handler then uses the
reading of the shipment's carrier, so ``"code": "OR"`` on a UPS parcel is UPS's origin scan.
An event with a ``status`` that is not one of ours is an item error: the sender controls that
field. So is a field this format does not define (a typo such as ``occured_at`` must not pass
silently).

This is the ingestion hot path: parsing is orjson plus plain dict access, with no pydantic
and no per-event allocation beyond the domain ``TrackingEvent``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypedDict

import orjson

from postpurchase.adapters.tracking_sources.status_maps import CARRIER_CODES, map_carrier_code
from postpurchase.domain.carrier_detection import normalise
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.timestamps import parse_instant
from postpurchase.domain.tracking import Location, TrackingEvent

SOURCE: Final = "postpurchase"
MAX_EVENTS: Final = 1000
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

_STATUSES: Final = {s.value: s for s in ShipmentStatus}
_ALLOWED_KEYS: Final = frozenset(
    {
        "id",
        "tracking_number",
        "carrier",
        "occurred_at",
        "status",
        "substatus",
        "code",
        "description",
        "location",
        "estimated_delivery",
        "correction",
    }
)


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


def _opt_str(item: dict[str, Any], key: str, prefix: str, limit: int) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise FieldInvalid(f"{prefix}.{key}", "must be a string")
    value = value.strip()
    if len(value) > limit:
        raise FieldInvalid(f"{prefix}.{key}", f"must be at most {limit} characters")
    return value or None


def _location_part(value: dict[str, Any], key: str, field: str) -> str | None:
    part = value.get(key)
    if part is None:
        return None
    if type(part) is not str:
        raise FieldInvalid(f"{field}.{key}", "must be a string")
    return part.strip()[:MAX_LOCATION_PART] or None


def _location(value: object, prefix: str) -> Location | None:
    if value is None:
        return None
    field = f"{prefix}.location"
    if type(value) is not dict:
        raise FieldInvalid(field, "must be an object with city, region, postal_code, country")
    city = _location_part(value, "city", field)
    region = _location_part(value, "region", field)
    postal_code = _location_part(value, "postal_code", field)
    country = _location_part(value, "country", field)
    if city is None and region is None and postal_code is None and country is None:
        return None
    return Location(city, region, postal_code, country.upper() if country else None)


def _event(
    item: dict[str, Any],
    i: int,
    *,
    now: datetime,
    source: str,
    known_carriers: Collection[str] | None,
) -> tuple[str, str | None, TrackingEvent, dict[str, TrackingEvent] | None]:
    prefix = f"events[{i}]"
    extra = item.keys() - _ALLOWED_KEYS
    if extra:
        raise FieldInvalid(f"{prefix}.{min(extra)}", "unknown field")

    raw_number = item.get("tracking_number")
    if type(raw_number) is not str:
        raise FieldInvalid(f"{prefix}.tracking_number", "required, must be a string")
    number = normalise_tracking_number(raw_number)
    if not number:
        raise FieldInvalid(f"{prefix}.tracking_number", "must not be empty")
    if len(number) > MAX_TRACKING_NUMBER:
        raise FieldInvalid(
            f"{prefix}.tracking_number", f"must be at most {MAX_TRACKING_NUMBER} characters"
        )

    carrier = _opt_str(item, "carrier", prefix, MAX_SHORT)
    if carrier is not None:
        carrier = carrier.lower()
        if known_carriers is not None and carrier not in known_carriers:
            raise FieldInvalid(f"{prefix}.carrier", f"unknown carrier {carrier!r}")

    if "occurred_at" not in item:
        raise FieldInvalid(f"{prefix}.occurred_at", "required")
    occurred_at = check_event_time(
        parse_datetime(item["occurred_at"], f"{prefix}.occurred_at"), now, f"{prefix}.occurred_at"
    )

    code = _opt_str(item, "code", prefix, MAX_SHORT)
    given_substatus = _opt_str(item, "substatus", prefix, MAX_SHORT)
    raw_status = item.get("status")
    given: ShipmentStatus | None = None
    if raw_status is not None:
        if type(raw_status) is not str:
            raise FieldInvalid(f"{prefix}.status", "must be a string")
        given = _STATUSES.get(raw_status.strip().lower())
        if given is None:
            allowed = ", ".join(_STATUSES)
            raise FieldInvalid(
                f"{prefix}.status",
                f"{raw_status[:40]!r} is not a status; expected one of {allowed}",
            )
    elif code is None:
        raise FieldInvalid(f"{prefix}.status", "status or code is required")
    status, substatus, recognised = _reading(carrier, code, given, given_substatus)

    description = item.get("description")
    if description is not None:
        if type(description) is not str:
            raise FieldInvalid(f"{prefix}.description", "must be a string")
        description = description.strip()[:MAX_TEXT] or None

    estimated = item.get("estimated_delivery")
    estimated_delivery = (
        None if estimated is None else parse_date(estimated, f"{prefix}.estimated_delivery")
    )

    correction = item.get("correction", False)
    if correction is None:
        correction = False
    elif type(correction) is not bool:
        raise FieldInvalid(f"{prefix}.correction", "must be true or false")

    event = TrackingEvent(
        occurred_at=occurred_at,
        status=status,
        substatus=substatus,
        carrier_code=code,
        description=description,
        location=_location(item.get("location"), prefix),
        source=source,
        source_event_id=item.get("id"),
        recognised=recognised,
        correction=correction,
        estimated_delivery=estimated_delivery,
    )
    readings: dict[str, TrackingEvent] | None = None
    if carrier is None and code is not None:
        for slug in CARRIER_CODES:
            alt = _reading(slug, code, given, given_substatus)
            if alt != (status, substatus, recognised):
                if readings is None:
                    readings = {}
                readings[slug] = replace(
                    event, status=alt[0], substatus=alt[1], recognised=alt[2], fingerprint=""
                )
    return number, carrier, event, readings


def _reading(
    carrier: str | None,
    code: str | None,
    given: ShipmentStatus | None,
    substatus: str | None,
) -> tuple[ShipmentStatus, str | None, bool]:
    """(status, substatus, recognised) of an event: the sender's status, its substatus
    refined from the code when the code means the same status; else the code's mapping."""
    if given is not None:
        if substatus is None and code is not None:
            mapped = map_carrier_code(carrier, code)
            if mapped.recognised and mapped.status is given:
                substatus = mapped.substatus
        return given, substatus, True
    mapped = map_carrier_code(carrier, code)
    if substatus is None or not mapped.recognised:
        substatus = mapped.substatus
    return mapped.status, substatus, mapped.recognised


def _readings(
    events: list[TrackingEvent], alternatives: dict[int, dict[str, TrackingEvent]] | None
) -> tuple[tuple[str, tuple[TrackingEvent, ...]], ...]:
    """The group's events as each carrier would read them, for carriers that read any
    differently (``TrackingUpdate.readings``)."""
    if not alternatives:
        return ()
    slugs = dict.fromkeys(slug for alts in alternatives.values() for slug in alts)
    return tuple(
        (
            slug,
            tuple(alternatives.get(k, {}).get(slug, e) for k, e in enumerate(events)),
        )
        for slug in slugs
    )


def parse_batch(
    body: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    known_carriers: Collection[str] | None = None,
    max_events: int = MAX_EVENTS,
    source: str = SOURCE,
) -> BatchResult:
    """Translate a batch body into grouped ``TrackingUpdate``s plus per-item errors.

    Raises ``InvalidInput`` only for problems with the request as a whole (malformed JSON,
    wrong shape, more than ``max_events`` events). ``known_carriers``, when given, makes an
    unknown carrier slug an item error.
    """
    data = load_json(body)
    if type(data) is not dict:
        raise InvalidInput('body must be an object {"events": [...]}', field="body")
    events = data.get("events")
    if type(events) is not list:
        raise InvalidInput("events is required and must be an array", field="events")
    if len(events) > max_events:
        raise InvalidInput(
            f"{len(events)} events in one request; the limit is {max_events}", field="events"
        )
    now = now.astimezone(UTC)

    errors: list[ItemError] = []
    seen_ids: dict[str, int] = {}
    groups: dict[tuple[str, str | None], tuple[list[TrackingEvent], list[int]]] = {}
    # per group, per event index in the group: the event's readings by carrier slug
    alternatives: dict[tuple[str, str | None], dict[int, dict[str, TrackingEvent]]] = {}
    unrecognised = 0
    for i, item in enumerate(events):
        item_id: str | None = None
        try:
            if type(item) is not dict:
                raise FieldInvalid(f"events[{i}]", "must be an object")
            raw_id = item.get("id")
            if raw_id is not None:
                if type(raw_id) is not str or not raw_id.strip():
                    raise FieldInvalid(f"events[{i}].id", "must be a non-empty string")
                if len(raw_id) > MAX_ID:
                    raise FieldInvalid(f"events[{i}].id", f"must be at most {MAX_ID} characters")
                item_id = raw_id
                first = seen_ids.get(raw_id)
                if first is not None:
                    raise FieldInvalid(
                        f"events[{i}].id", f"duplicate id in this batch (first at index {first})"
                    )
                seen_ids[raw_id] = i
            number, carrier, event, readings = _event(
                item, i, now=now, source=source, known_carriers=known_carriers
            )
        except FieldInvalid as bad:
            errors.append({"index": i, "id": item_id, "field": bad.field, "error": bad.error})
            continue
        except InvalidInput as bad:  # a domain constructor refused a value
            field = f"events[{i}].{bad.field}" if bad.field else f"events[{i}]"
            errors.append({"index": i, "id": item_id, "field": field, "error": bad.message})
            continue
        if not event.recognised:
            unrecognised += 1
        group = groups.get((number, carrier))
        if group is None:
            group = groups[(number, carrier)] = ([], [])
        if readings is not None:
            alternatives.setdefault((number, carrier), {})[len(group[0])] = readings
        group[0].append(event)
        group[1].append(i)

    updates = tuple(
        TrackingUpdate(
            tracking_number=number,
            carrier=carrier,
            events=tuple(evts),
            ref=",".join(map(str, indices)),
            readings=_readings(evts, alternatives.get((number, carrier))),
        )
        for (number, carrier), (evts, indices) in groups.items()
    )
    return BatchResult(
        updates=updates,
        errors=tuple(errors),
        received=len(events),
        accepted=len(events) - len(errors),
        unrecognised=unrecognised,
    )
