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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from postpurchase.adapters.tracking_sources.common import (
    EARLIEST,
    MAX_FUTURE,
    MAX_ID,
    MAX_LOCATION_PART,
    MAX_SERVICE,
    MAX_SHORT,
    MAX_SIGNED_BY,
    MAX_TEXT,
    MAX_TRACKING_NUMBER,
    MAX_URL,
    BatchResult,
    FieldInvalid,
    ItemError,
    SourceWebhook,
    check_event_time,
    finish_update,
    instant,
    load_envelope,
    load_json,
    normalise_tracking_number,
    parse_date,
    parse_datetime,
    web_url,
)
from postpurchase.adapters.tracking_sources.status_maps import CARRIER_CODES, map_carrier_code
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingEvent

SOURCE: Final = "postpurchase"
MAX_EVENTS: Final = 1000

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


__all__ = [
    "EARLIEST",
    "MAX_FUTURE",
    "MAX_ID",
    "MAX_LOCATION_PART",
    "MAX_SERVICE",
    "MAX_SHORT",
    "MAX_SIGNED_BY",
    "MAX_TEXT",
    "MAX_TRACKING_NUMBER",
    "MAX_URL",
    "SOURCE",
    "BatchResult",
    "FieldInvalid",
    "ItemError",
    "SourceWebhook",
    "check_event_time",
    "finish_update",
    "instant",
    "load_envelope",
    "load_json",
    "normalise_tracking_number",
    "parse_batch",
    "parse_date",
    "parse_datetime",
    "web_url",
]
