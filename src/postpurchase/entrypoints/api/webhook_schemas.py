"""OpenAPI description of the tracking webhook (``POST /webhooks/tracking/{source}``).

The route reads the raw body (its HMAC covers the exact bytes) and hands it to the parsers in
``adapters/tracking_sources``, so FastAPI cannot infer a request body from it. The models here
describe the three accepted formats, for the documentation only: they never validate a
request (the parsers do, item by item). They follow the parsers' docstrings and limits, and a
test posts every example below to the live endpoint, so the documentation cannot drift into
promising what the endpoint refuses.

:func:`install` registers the schemas as named components of the app's OpenAPI document;
:data:`TRACKING_ROUTE` is what the route's decorator takes (request body with one example per
source, responses).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final, Literal

from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from postpurchase.adapters.tracking_sources import normalised
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.api import schemas

REF: Final = "#/components/schemas/{model}"
BODY: Final = "TrackingWebhookBody"

# --------------------------------------------------------------------------- ours


class PostpurchaseScanLocation(BaseModel):
    """Where the scan happened. Each part longer than 200 characters is cut."""

    city: str | None = None
    region: str | None = Field(default=None, description="State, province or county.")
    postal_code: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. US.")


class PostpurchaseScan(BaseModel):
    """One scan. Needs `status` or `code` (or both); any other field is refused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["status"]}, {"required": ["code"]}]},
    )

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=normalised.MAX_ID,
        description="Your id of the scan, unique within the batch. A scan with an id is "
        "stored once per id (the first write wins); one without is recognised by its content.",
    )
    tracking_number: str = Field(
        min_length=1,
        description="Compared without spaces, dashes or case; at most "
        f"{normalised.MAX_TRACKING_NUMBER} characters once those are removed.",
    )
    carrier: str | None = Field(
        default=None,
        max_length=normalised.MAX_SHORT,
        description="Our carrier slug (ups, usps, fedex, dhl, ...); an unknown slug is an "
        "item error. Optional: without it the scan goes to the parcel with this number, and "
        "`code` means what that parcel's carrier means by it.",
    )
    occurred_at: AwareDatetime = Field(
        description="When the scan happened: ISO 8601 with an offset (a time without one is "
        "refused), not before 2000-01-01 and at most a day ahead of the server's clock."
    )
    status: ShipmentStatus | None = Field(
        default=None, description="A unified status. Without it, `code` decides."
    )
    substatus: str | None = Field(
        default=None,
        max_length=normalised.MAX_SHORT,
        description="Finer detail, e.g. hub_arrival, delayed, address_issue.",
    )
    code: str | None = Field(
        default=None,
        max_length=normalised.MAX_SHORT,
        description="The carrier's event code (UPS AR, FedEx OD, USPS 01, ...). A code we "
        "cannot map, sent without `status`, is stored as in_transit / unrecognised_code and "
        "counted, never dropped.",
    )
    description: str | None = Field(
        default=None,
        description=f"The carrier's wording; longer than {normalised.MAX_TEXT} characters is cut.",
    )
    location: PostpurchaseScanLocation | None = None
    estimated_delivery: date | datetime | None = Field(
        default=None,
        description="The carrier's current delivery estimate; of a timestamp, its date is used.",
    )
    correction: bool | None = Field(
        default=False,
        description="true: this scan corrects the status, and may move a delivered parcel back.",
    )


class PostpurchaseTrackingBatch(BaseModel):
    """Our own batch format (`POST /webhooks/tracking/postpurchase`)."""

    events: list[PostpurchaseScan] = Field(
        max_length=normalised.MAX_EVENTS,
        description=f"At most {normalised.MAX_EVENTS} scans (POSTPURCHASE_MAX_BATCH_EVENTS); "
        "more is refused whole. Each scan is checked on its own: a bad one is reported in "
        "`errors` and the others are still stored.",
    )


# --------------------------------------------------------------------------- AfterShip


class _Open(BaseModel):
    """A source's object: fields not listed are allowed and ignored."""

    model_config = ConfigDict(extra="allow")


class AfterShipCheckpoint(_Open):
    checkpoint_time: str = Field(
        description="ISO 8601. Without an offset it is read as UTC, and no later than `created_at`."
    )
    created_at: str | None = None
    tag: str | None = Field(default=None, description="Pending, InTransit, Delivered, ...")
    subtag: str | None = Field(default=None, description="e.g. InTransit_003, Exception_017.")
    message: str | None = None
    subtag_message: str | None = None
    location: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    zip: str | None = Field(default=None, description="Older API versions.")
    country_region: str | None = Field(default=None, description="ISO 3166-1 alpha-3.")
    country_iso3: str | None = Field(default=None, description="Older API versions.")
    raw_tag: str | None = None


class AfterShipTracking(_Open):
    id: str | None = None
    tracking_number: str
    slug: str | None = Field(default=None, description="AfterShip's courier slug, e.g. usps.")
    tag: str | None = None
    subtag: str | None = None
    shipment_type: str | None = Field(
        default=None, description="The service; kept as the shipment's when it has none."
    )
    signed_by: str | None = Field(default=None, description="Kept on the delivered scan.")
    courier_tracking_link: str | None = Field(
        default=None, description="Kept as the shipment's tracking page when it has none."
    )
    aftership_tracking_url: str | None = Field(
        default=None, description="Used as the tracking page when there is no courier link."
    )
    expected_delivery: str | None = Field(default=None, description="Older API versions.")
    courier_estimated_delivery_date: dict[str, Any] | None = None
    latest_estimated_delivery: dict[str, Any] | None = Field(
        default=None, description="Used when its `source` is the carrier."
    )
    checkpoints: list[AfterShipCheckpoint] = Field(
        default_factory=list, description="The whole history, re-sent with every update."
    )


class AfterShipWebhook(_Open):
    """An AfterShip tracking webhook (`POST /webhooks/tracking/aftership`), signed with
    `aftership-hmac-sha256`."""

    event: str | None = Field(default=None, description="e.g. tracking_update.")
    event_id: str | None = Field(
        default=None, description="A delivery AfterShip repeats (same id) is answered once."
    )
    is_tracking_first_tag: bool | None = None
    ts: int | None = None
    msg: AfterShipTracking


# --------------------------------------------------------------------------- EasyPost


class EasyPostTrackingLocation(_Open):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None


class EasyPostTrackingDetail(_Open):
    datetime: str = Field(description="ISO 8601; without an offset it is read as UTC.")
    status: str | None = Field(default=None, description="pre_transit, in_transit, delivered, ...")
    status_detail: str | None = None
    message: str | None = None
    description: str | None = None
    carrier_code: str | None = None
    tracking_location: EasyPostTrackingLocation | None = None


class EasyPostCarrierDetail(_Open):
    service: str | None = Field(
        default=None, description="Kept as the shipment's service when it has none."
    )
    est_delivery_date_local: str | None = None


class EasyPostTracker(_Open):
    id: str | None = None
    object: Literal["Tracker"] = "Tracker"
    tracking_code: str
    carrier: str | None = Field(default=None, description="e.g. USPS, FedEx, UPS.")
    status: str | None = None
    status_detail: str | None = None
    est_delivery_date: str | None = None
    signed_by: str | None = Field(default=None, description="Kept on the delivered scan.")
    public_url: str | None = Field(
        default=None, description="Kept as the shipment's tracking page when it has none."
    )
    carrier_detail: EasyPostCarrierDetail | None = None
    tracking_details: list[EasyPostTrackingDetail] = Field(
        default_factory=list, description="The whole history, re-sent with every update."
    )


class EasyPostEvent(_Open):
    """An EasyPost Event (`POST /webhooks/tracking/easypost`), signed with
    `X-Hmac-Signature`. Events that are not about trackers are acknowledged and ignored; a
    bare Tracker is accepted too."""

    id: str | None = Field(
        default=None, description="A delivery EasyPost repeats (same id) is answered once."
    )
    object: Literal["Event"] = "Event"
    description: str | None = Field(default=None, description="tracker.created, tracker.updated")
    result: EasyPostTracker


FORMATS: Final = (PostpurchaseTrackingBatch, AfterShipWebhook, EasyPostEvent)

# --------------------------------------------------------------------------- examples

EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "postpurchase": {
        "summary": "Our batch format (source postpurchase)",
        "value": {
            "events": [
                {
                    "id": "evt_1001",
                    "tracking_number": "1Z999AA10123456784",
                    "carrier": "ups",
                    "occurred_at": "2026-11-20T10:15:00-05:00",
                    "status": "in_transit",
                    "substatus": "hub_arrival",
                    "code": "AR",
                    "description": "Arrived at facility",
                    "location": {
                        "city": "Louisville",
                        "region": "KY",
                        "postal_code": "40209",
                        "country": "US",
                    },
                    "estimated_delivery": "2026-11-24",
                },
                {
                    "id": "evt_1002",
                    "tracking_number": "1Z999AA10123456784",
                    "occurred_at": "2026-11-21T08:02:00-05:00",
                    "code": "OT",
                    "description": "Out for delivery",
                },
            ]
        },
    },
    "aftership": {
        "summary": "AfterShip tracking_update (source aftership)",
        "value": {
            "event": "tracking_update",
            "event_id": "6a0d9c57-37b5-4a4e-b0b2-8a0b4f1e9d12",
            "is_tracking_first_tag": False,
            "msg": {
                "id": "bff5a3bac79b472991a204172473a635",
                "tracking_number": "9400111899223817576123",
                "slug": "usps",
                "tag": "Delivered",
                "subtag": "Delivered_001",
                "shipment_type": "USPS Ground Advantage",
                "signed_by": None,
                "courier_tracking_link": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223817576123",
                "courier_estimated_delivery_date": {
                    "estimated_delivery_date": "2026-11-21",
                    "estimated_delivery_date_min": None,
                    "estimated_delivery_date_max": None,
                },
                "checkpoints": [
                    {
                        "created_at": "2026-11-19T00:20:31+00:00",
                        "checkpoint_time": "2026-11-18T16:05:00-08:00",
                        "tag": "InTransit",
                        "subtag": "InTransit_002",
                        "message": "USPS picked up item",
                        "location": "ONTARIO, CA 91761",
                        "city": "Ontario",
                        "state": "CA",
                        "postal_code": "91761",
                        "country_region": "USA",
                        "raw_tag": "03",
                    },
                    {
                        "created_at": "2026-11-21T13:30:40+00:00",
                        "checkpoint_time": "2026-11-21T07:10:00-06:00",
                        "tag": "OutForDelivery",
                        "subtag": "OutForDelivery_001",
                        "message": "Out for Delivery",
                        "city": "Chicago",
                        "state": "IL",
                        "postal_code": "60614",
                        "country_region": "USA",
                        "raw_tag": "OF",
                    },
                    {
                        "created_at": "2026-11-21T18:03:12+00:00",
                        "checkpoint_time": "2026-11-21T11:58:00-06:00",
                        "tag": "Delivered",
                        "subtag": "Delivered_001",
                        "message": "Delivered, Front Door/Porch",
                        "city": "Chicago",
                        "state": "IL",
                        "postal_code": "60614",
                        "country_region": "USA",
                        "raw_tag": "01",
                    },
                ],
            },
            "ts": 1795284192,
        },
    },
    "easypost": {
        "summary": "EasyPost tracker.updated (source easypost)",
        "value": {
            "id": "evt_5ee4e1a4c1d911ef8d3b0b6c9e1a2f3d",
            "object": "Event",
            "description": "tracker.updated",
            "result": {
                "id": "trk_8d1e5a0d4b1a4f0c9f7a3d2b1c0e9f8a",
                "object": "Tracker",
                "tracking_code": "794621839203",
                "carrier": "FedEx",
                "status": "delivered",
                "status_detail": "arrived_at_destination",
                "signed_by": "J. PATEL",
                "est_delivery_date": "2026-11-21T20:00:00Z",
                "public_url": "https://track.easypost.com/djE6dHJrXzhkMWU1YTBkNGIxYTRmMGM5ZjdhM2QyYjFjMGU5Zjhh",
                "carrier_detail": {
                    "object": "CarrierDetail",
                    "service": "FEDEX_GROUND",
                    "est_delivery_date_local": "2026-11-21",
                },
                "tracking_details": [
                    {
                        "object": "TrackingDetail",
                        "message": "Picked up",
                        "status": "in_transit",
                        "status_detail": "received_at_origin_facility",
                        "datetime": "2026-11-19T00:31:00Z",
                        "carrier_code": "PU",
                        "tracking_location": {
                            "city": "RENO",
                            "state": "NV",
                            "country": "US",
                            "zip": "89502",
                        },
                    },
                    {
                        "object": "TrackingDetail",
                        "message": "On FedEx vehicle for delivery",
                        "status": "out_for_delivery",
                        "status_detail": "out_for_delivery",
                        "datetime": "2026-11-21T15:02:00Z",
                        "carrier_code": "OD",
                        "tracking_location": {
                            "city": "OAKLAND",
                            "state": "CA",
                            "country": "US",
                            "zip": "94621",
                        },
                    },
                    {
                        "object": "TrackingDetail",
                        "message": "Delivered",
                        "status": "delivered",
                        "status_detail": "arrived_at_destination",
                        "datetime": "2026-11-21T18:01:00Z",
                        "carrier_code": "DL",
                        "tracking_location": {
                            "city": "OAKLAND",
                            "state": "CA",
                            "country": "US",
                            "zip": "94610",
                        },
                    },
                ],
            },
        },
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {}}}


TRACKING_ROUTE: Final[dict[str, Any]] = {
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "description": "The body as the source sends it, byte for byte (the signature "
            "covers the raw bytes): one of the formats of `TrackingWebhookBody`, the one "
            "`{source}` names.",
            "content": {
                "application/json": {
                    "schema": {"$ref": REF.format(model=BODY)},
                    "examples": EXAMPLES,
                }
            },
        },
        "parameters": [
            {
                "name": "merchant",
                "in": "query",
                "required": False,
                "description": "The merchant's slug, with a signed body (no API key).",
                "schema": {"type": "string"},
            }
        ],
    },
    "responses": {
        200: {
            "model": schemas.BatchResult,
            "description": "Per tracking number, how many scans were new and how many were "
            "duplicates; refused items in `errors`.",
        },
        401: _problem("No API key and no valid signature (or an unknown merchant)."),
        404: _problem("Unknown source."),
        413: _problem("Body over 8 MiB."),
        422: {
            "description": "The request as a whole is refused (malformed JSON, wrong shape, too "
            "many events), or every item was: a problem document, which for item errors also "
            "carries the `BatchResult` fields.",
            "content": {"application/problem+json": {}},
        },
    },
}


def component_schemas() -> dict[str, Any]:
    """The named schemas the tracking webhook's documentation refers to."""
    _, top = models_json_schema([(m, "validation") for m in FORMATS], ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    defs[BODY] = {
        "title": BODY,
        "description": "A tracking webhook body: our batch format "
        "(`/webhooks/tracking/postpurchase`), an AfterShip webhook (`.../aftership`) or an "
        "EasyPost Event (`.../easypost`).",
        "oneOf": [{"$ref": REF.format(model=m.__name__)} for m in FORMATS],
    }
    return defs


def install(app: FastAPI) -> None:
    """Add :func:`component_schemas` to the app's OpenAPI components (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        known = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in component_schemas().items():
            if name in known and known[name] != schema:
                raise RuntimeError(f"two different OpenAPI schemas are named {name!r}")
            known[name] = schema
        return document

    app.openapi = openapi  # type: ignore[method-assign]
