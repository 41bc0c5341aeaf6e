"""EasyPost tracker webhooks (``POST /webhooks/tracking/easypost``) into ``TrackingUpdate``s.

EasyPost posts an Event (``{"object": "Event", "id": "evt_...", "description":
"tracker.updated", "result": <Tracker>, ...}``). The Tracker carries ``tracking_code``,
``carrier``, ``status``/``status_detail``, ``est_delivery_date``, ``signed_by``,
``public_url``, an optional ``carrier_detail`` (with ``service`` and
``est_delivery_date_local``) and the full scan history in ``tracking_details``; each detail
has ``datetime``, ``status``, ``status_detail``, ``message``, ``carrier_code`` and a
``tracking_location`` (city, state, country, zip).

``signed_by`` goes on the latest delivered scan; ``carrier_detail.service`` and
``public_url`` become the shipment's service and tracking page when it has none.

Each tracking detail becomes one event; its ``source_event_id`` is derived from the detail's
own fields, so the history EasyPost re-sends with every update dedups in storage. Events
that are not about trackers (``batch.*``, ``insurance.*``...) translate to no updates; the
route acknowledges them. EasyPost gives detail times in UTC when it lacks the scan's
location, so a time without an offset is read as UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from postpurchase.adapters.tracking_sources.aftership import country_alpha2
from postpurchase.adapters.tracking_sources.normalised import (
    MAX_LOCATION_PART,
    MAX_SERVICE,
    MAX_SIGNED_BY,
    MAX_TEXT,
    FieldInvalid,
    ItemError,
    SourceWebhook,
    check_event_time,
    finish_update,
    instant,
    load_envelope,
    normalise_tracking_number,
    web_url,
)
from postpurchase.adapters.tracking_sources.status_maps import map_easypost, normalise_carrier
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.tracking import Location, TrackingEvent

SOURCE: Final = "easypost"


def _text(value: object, limit: int = MAX_LOCATION_PART) -> str | None:
    if type(value) is not str:
        return None
    return value.strip()[:limit] or None


def _time(value: object, field: str) -> datetime:
    if type(value) is not str or not value.strip():
        raise FieldInvalid(field, "datetime is missing")
    return instant(value, field, naive_as_utc=True)


def _date(value: object) -> date | None:
    if type(value) is not str or not value.strip():
        return None
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def carrier_estimate(tracker: Mapping[str, Any]) -> date | None:
    """The local estimated delivery date when EasyPost has it, else ``est_delivery_date``."""
    detail = tracker.get("carrier_detail")
    if isinstance(detail, Mapping):
        local = _date(detail.get("est_delivery_date_local"))
        if local:
            return local
    return _date(tracker.get("est_delivery_date"))


def _location(detail: Mapping[str, Any]) -> Location | None:
    loc = detail.get("tracking_location")
    if not isinstance(loc, Mapping):
        return None
    city = _text(loc.get("city"))
    region = _text(loc.get("state"))
    postal = _text(loc.get("zip"))
    country = country_alpha2(loc.get("country"))
    if city is None and region is None and postal is None and country is None:
        return None
    return Location(city=city, region=region, postal_code=postal, country=country)


def _event_id(tracker_key: str, detail: Mapping[str, Any]) -> str:
    parts = (
        tracker_key,
        str(detail.get("datetime") or ""),
        str(detail.get("status") or ""),
        str(detail.get("status_detail") or ""),
        str(detail.get("message") or ""),
    )
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"ep_{digest}"


def parse_tracker(
    tracker: Mapping[str, Any], *, now: datetime, field: str = "result"
) -> tuple[TrackingUpdate | None, tuple[ItemError, ...]]:
    """One EasyPost Tracker (from a webhook Event's ``result`` or the trackers API)."""
    raw_code = tracker.get("tracking_code")
    if type(raw_code) is not str or not normalise_tracking_number(raw_code):
        raise InvalidInput("tracking_code is required", field=f"{field}.tracking_code")
    number = normalise_tracking_number(raw_code)
    carrier_name = _text(tracker.get("carrier"), 64)
    details = tracker.get("tracking_details")
    if details is None:
        details = []
    if type(details) is not list:
        raise InvalidInput("tracking_details must be an array", field=f"{field}.tracking_details")
    tracker_key = str(tracker.get("id") or f"{carrier_name or ''}:{number}")
    now = now.astimezone(UTC)

    events: list[TrackingEvent] = []
    errors: list[ItemError] = []
    for i, detail in enumerate(details):
        where = f"{field}.tracking_details[{i}]"
        try:
            if not isinstance(detail, Mapping):
                raise FieldInvalid(where, "must be an object")
            occurred_at = check_event_time(
                _time(detail.get("datetime"), f"{where}.datetime"), now, f"{where}.datetime"
            )
        except FieldInvalid as bad:
            errors.append({"index": i, "id": None, "field": bad.field, "error": bad.error})
            continue
        status = _text(detail.get("status"), 64)
        status_detail = _text(detail.get("status_detail"), 64)
        mapped = map_easypost(status, status_detail)
        code = _text(detail.get("carrier_code"), 64)
        if not mapped.recognised and code is None:
            code = status_detail or status  # what the mapping table is missing
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=mapped.status,
                substatus=mapped.substatus,
                carrier_code=code,
                description=_text(detail.get("message"), MAX_TEXT)
                or _text(detail.get("description"), MAX_TEXT),
                location=_location(detail),
                source=SOURCE,
                source_event_id=_event_id(tracker_key, detail),
                recognised=mapped.recognised,
            )
        )
    detail = tracker.get("carrier_detail")
    return finish_update(
        number,
        normalise_carrier(carrier_name),
        events,
        errors,
        carrier_estimate(tracker),
        str(tracker.get("id") or number),
        service=_text(detail.get("service"), MAX_SERVICE) if isinstance(detail, Mapping) else None,
        tracking_url=web_url(tracker.get("public_url")),
        signed_by=_text(tracker.get("signed_by"), MAX_SIGNED_BY),
    )


def parse_webhook(body: bytes | str | Mapping[str, Any], *, now: datetime) -> SourceWebhook:
    """Translate an EasyPost webhook Event body (verify its signature first)."""
    data, kind, delivery_id = load_envelope(body, kind_key="description", id_key="id")
    if data.get("object") == "Tracker":  # a bare Tracker (polling, or a replayed result)
        tracker: Any = data
        field = "body"
        kind = kind or "tracker"
        delivery_id = None
    else:
        tracker = data.get("result")
        field = "result"
        is_tracker = isinstance(tracker, Mapping) and tracker.get("object") == "Tracker"
        if not is_tracker and not kind.startswith("tracker."):
            return SourceWebhook(source=SOURCE, delivery_id=delivery_id, kind=kind, updates=())
        if not isinstance(tracker, Mapping):
            raise InvalidInput("the Tracker (result) is missing", field="result")
    update, errors = parse_tracker(tracker, now=now, field=field)
    return SourceWebhook(
        source=SOURCE,
        delivery_id=delivery_id,
        kind=kind,
        updates=(update,) if update is not None else (),
        errors=errors,
    )
