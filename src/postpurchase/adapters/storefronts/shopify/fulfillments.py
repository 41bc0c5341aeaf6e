"""Shopify Fulfillments (``fulfillments/create`` and ``/update`` bodies): one or more
parcels of one order, keyed by Shopify's order id (the caller finds the order)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postpurchase.adapters.storefronts.json_fields import Payload, array, objects, quantity, text
from postpurchase.adapters.storefronts.shopify.read import (
    line_sku,
    optional_id,
    shopify_id,
    timestamp,
    unwrap,
)
from postpurchase.adapters.storefronts.shopify.topics import SOURCE
from postpurchase.adapters.tracking_sources.normalised import normalise_tracking_number
from postpurchase.adapters.tracking_sources.status_maps import (
    map_shopify_shipment_status,
    normalise_carrier,
)
from postpurchase.domain.carrier_detection import carrier_from_url
from postpurchase.domain.commands import RecordFulfillment, ShipmentLineInput
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.shipments import ShipmentFacts
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent


@dataclass(frozen=True, slots=True)
class FulfillmentLine:
    """A line a fulfilment carries: match it to the order's line by Shopify's line id
    first, by SKU second (the SKU follows ``line_sku``, so SKU-less lines match too)."""

    line_item_id: str | None
    sku: str
    quantity: int
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ShopifyFulfillment:
    """A Shopify fulfillment: one or more parcels of one order, with their tracking numbers."""

    order_external_id: str
    fulfillment_id: str
    tracking_numbers: tuple[str, ...]
    tracking_company: str | None  # as the merchant typed or chose it in Shopify
    line_items: tuple[tuple[str, int], ...]  # (sku, quantity); ``lines`` has the line ids
    shipment_status: ShipmentStatus | None  # mapped; None when Shopify has none yet
    created_at: datetime
    updated_at: datetime
    carrier: str | None = None  # our slug: from tracking_company, else a tracking URL's host
    substatus: str | None = None
    recognised: bool = True
    raw_shipment_status: str | None = None
    status: str | None = None  # Shopify's fulfillment status: pending/open/success/cancelled...
    service: str | None = None  # the fulfilment service's handle: "manual", an app's...
    tracking_urls: tuple[str, ...] = ()
    name: str | None = None  # "#1001.1"
    location_id: str | None = None  # the Shopify location it ships from
    lines: tuple[FulfillmentLine, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.status in ("cancelled", "error", "failure")

    def tracking_events(self) -> tuple[TrackingEvent, ...]:
        """The shipment status Shopify reports, as one event at ``updated_at``.

        Its id is (fulfillment, status): the same status sent again is the same event, a new
        status is a new one.
        """
        if self.shipment_status is None:
            return ()
        return (
            TrackingEvent(
                occurred_at=self.updated_at,
                status=self.shipment_status,
                substatus=self.substatus,
                carrier_code=self.raw_shipment_status,
                source=SOURCE,
                source_event_id=f"{self.fulfillment_id}:{self.raw_shipment_status}",
                recognised=self.recognised,
            ),
        )


def _strings(f: Mapping[str, Any], many: str, one: str) -> list[tuple[str, str]]:
    """``tracking_numbers`` (or the older single ``tracking_number`` when the list is absent
    or empty) as (path, value)."""
    values = array(f, many, many)
    if values:
        found = list(zip((f"{many}[{i}]" for i in range(len(values))), values, strict=True))
    elif f.get(one) not in (None, ""):
        found = [(one, f[one])]
    else:
        return []
    for where, value in found:
        if type(value) is not str:
            raise InvalidInput("must be a string", field=where)
    return found


def _tracking(f: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tracking numbers (normalised, blanks and repeats dropped) and every tracking
    URL. Shopify pairs ``tracking_urls[i]`` with ``tracking_numbers[i]``: when both lists
    are that long, the URLs follow the numbers kept (``urls[n]`` is number n's, up to the
    first number without one); otherwise every non-blank URL is kept in Shopify's order."""
    raw_numbers = [raw for _, raw in _strings(f, "tracking_numbers", "tracking_number")]
    raw_urls = [u.strip() for _, u in _strings(f, "tracking_urls", "tracking_url")]
    paired = len(raw_urls) == len(raw_numbers)
    numbers: list[str] = []
    urls: list[str] = []
    for i, raw in enumerate(raw_numbers):
        number = normalise_tracking_number(raw)
        if number and number not in numbers:
            numbers.append(number)
            if paired and len(urls) == len(numbers) - 1 and raw_urls[i]:
                urls.append(raw_urls[i])  # stops at a number without one: urls[n] is n's
    if not paired:
        urls = list(dict.fromkeys(u for u in raw_urls if u))
    return tuple(numbers), tuple(urls)


def _carrier(company: str | None, urls: tuple[str, ...]) -> str | None:
    """Our slug for ``tracking_company``; else the carrier a tracking URL's host names (the
    older shape sends ``tracking_company: null`` with a carrier's link); else None, and
    the shipment's creation detects it from the number."""
    known = normalise_carrier(company)
    if known is not None:
        return known
    return next((slug for url in urls if (slug := carrier_from_url(url))), None)


def parse_fulfillment(payload: Payload) -> ShopifyFulfillment:
    """A Shopify Fulfillment (``fulfillments/create`` and ``/update`` body)."""
    f = unwrap(payload, "fulfillment")
    fulfillment_id = shopify_id(f.get("id"), "id", "Fulfillment")
    order_id = shopify_id(f.get("order_id"), "order_id", "Order")

    numbers, urls = _tracking(f)

    lines: list[FulfillmentLine] = []
    for where, item in objects(f, "line_items", "line_items"):
        count = quantity(item.get("quantity"), f"{where}.quantity")
        if count:
            lines.append(
                FulfillmentLine(
                    line_item_id=optional_id(item.get("id"), f"{where}.id", "LineItem"),
                    sku=line_sku(item),
                    quantity=count,
                    title=text(item, "name", f"{where}.name")
                    or text(item, "title", f"{where}.title"),
                )
            )

    created_at = timestamp(f, "created_at", "created_at")
    if created_at is None:
        raise InvalidInput("created_at is required", field="created_at")
    updated_at = timestamp(f, "updated_at", "updated_at") or created_at

    company = text(f, "tracking_company")
    raw_status = text(f, "shipment_status")
    mapped = map_shopify_shipment_status(raw_status)
    return ShopifyFulfillment(
        order_external_id=order_id,
        fulfillment_id=fulfillment_id,
        tracking_numbers=tuple(numbers),
        tracking_company=company,
        line_items=tuple((line.sku, line.quantity) for line in lines),
        shipment_status=mapped.status if mapped else None,
        created_at=created_at,
        updated_at=updated_at,
        carrier=_carrier(company, urls),
        substatus=mapped.substatus if mapped else None,
        recognised=mapped.recognised if mapped else True,
        raw_shipment_status=raw_status.lower() if raw_status else None,
        status=text(f, "status"),
        service=text(f, "service"),
        tracking_urls=urls,
        name=text(f, "name"),
        location_id=optional_id(f.get("location_id"), "location_id", "Location"),
        lines=tuple(lines),
    )


def as_command(parsed: ShopifyFulfillment, merchant_id: str) -> RecordFulfillment:
    """The ``RecordFulfillment`` a fulfilment stands for (webhooks and backfills alike)."""
    return RecordFulfillment(
        merchant_id=merchant_id,
        order_external_id=parsed.order_external_id,
        fulfillment_id=parsed.fulfillment_id,
        tracking_numbers=parsed.tracking_numbers,
        carrier=parsed.carrier,
        service=parsed.service,
        lines=tuple(
            ShipmentLineInput(x.sku, x.quantity, line_external_id=x.line_item_id, title=x.title)
            for x in parsed.lines
        ),
        created_at=parsed.created_at,
        events=parsed.tracking_events(),
        cancelled=parsed.cancelled,
        tracking_urls=parsed.tracking_urls,
        facts=ShipmentFacts(
            tracking_urls=parsed.tracking_urls,
            name=parsed.name,
            location_id=parsed.location_id,
            carrier_name=parsed.tracking_company,
        ),
    )
