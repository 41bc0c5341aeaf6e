"""Tracking numbers WooCommerce shipment-tracking plugins keep in an order's ``meta_data``,
as store fulfilments (``RecordFulfillment``): the parcels exist from then on, and their
scans come from carriers or a tracking source as for any shipment.

Read:

* ``_wc_shipment_tracking_items``: WooCommerce Shipment Tracking (Woo's own extension) and
  Advanced Shipment Tracking, a list of ``{tracking_provider, custom_tracking_provider,
  custom_tracking_link, tracking_number, date_shipped (unix seconds), tracking_id}``;
* ``ywot_tracking_code`` with ``ywot_carrier_name`` / ``ywot_carrier_id`` and
  ``ywot_pick_up_date``: YITH WooCommerce Order Tracking.

Each parcel is keyed ``wc-tracking:<tracking_id>`` (or the number), so every later snapshot
of the order finds the same shipment. The carrier is our slug for the provider's name or
slug, else the carrier the tracking link's host names, else left to detection from the
number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.read import meta, text, woo_id
from postpurchase.adapters.tracking_sources.common import normalise_tracking_number
from postpurchase.adapters.tracking_sources.status_maps import normalise_carrier
from postpurchase.domain.carrier_detection import CARRIERS, carrier_from_url
from postpurchase.domain.commands import RecordFulfillment
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.shipments import ShipmentFacts
from postpurchase.domain.timestamps import parse_instant

SHIPMENT_TRACKING = "_wc_shipment_tracking_items"
YITH_CODE = "ywot_tracking_code"


def _carrier(provider: str | None, url: str | None) -> str | None:
    slug = normalise_carrier(provider)
    if slug is None and url:
        slug = carrier_from_url(url)
    return slug if slug in CARRIERS else None


def _shipped(value: object, default: datetime) -> datetime:
    """``date_shipped``: unix seconds (as text or a number) or an ISO date; else ``default``."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is int and 0 < value < 4102444800:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip():
        try:
            return parse_instant(value, "date_shipped", naive_as_utc=True)
        except InvalidInput:
            return default
    return default


def _fulfillment(
    merchant_id: str, order_id: str, key: str, number: str, provider: str | None,
    url: str | None, at: datetime,
) -> RecordFulfillment:  # fmt: skip
    urls = (url,) if url else ()
    return RecordFulfillment(
        merchant_id=merchant_id,
        order_external_id=order_id,
        fulfillment_id=f"wc-tracking:{key}",
        tracking_numbers=(number,),
        carrier=_carrier(provider, url),
        service=None,
        lines=(),
        created_at=at,
        tracking_urls=urls,
        facts=ShipmentFacts(tracking_urls=urls, carrier_name=provider),
    )


def fulfillments(
    order: Mapping[str, Any], *, merchant_id: str, at: datetime
) -> tuple[RecordFulfillment, ...]:
    """Every tracking number the order's meta holds; ``at`` stands in for a missing
    shipping date. Entries without a number are skipped (a plugin's half-filled form)."""
    order_id = woo_id(order.get("id"), "id")
    found: dict[str, RecordFulfillment] = {}
    entries = {key: value for _, key, value in meta(order, "")}
    items = entries.get(SHIPMENT_TRACKING)
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        raw = item.get("tracking_number")
        number = normalise_tracking_number(raw) if isinstance(raw, str) else ""
        if not number:
            continue
        provider = text(item, "tracking_provider") if isinstance(
            item.get("tracking_provider"), str) else None  # fmt: skip
        custom = item.get("custom_tracking_provider")
        if isinstance(custom, str) and custom.strip():
            provider = provider or custom.strip()
        link = item.get("custom_tracking_link")
        url = link.strip() if isinstance(link, str) and link.strip() else None
        tracking_id = item.get("tracking_id")
        key = tracking_id if isinstance(tracking_id, str) and tracking_id else number
        found[number] = _fulfillment(
            merchant_id, order_id, key, number, provider, url,
            _shipped(item.get("date_shipped"), at),
        )  # fmt: skip
    yith = entries.get(YITH_CODE)
    if isinstance(yith, str) and normalise_tracking_number(yith) not in found | {"": None}:
        number = normalise_tracking_number(yith)
        name = entries.get("ywot_carrier_name") or entries.get("ywot_carrier_id")
        provider = name.strip() if isinstance(name, str) and name.strip() else None
        found[number] = _fulfillment(
            merchant_id, order_id, number, number, provider, None,
            _shipped(entries.get("ywot_pick_up_date"), at),
        )  # fmt: skip
    return tuple(found.values())
