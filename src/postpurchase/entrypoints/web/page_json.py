"""The JSON twin of the tracking page: ``page_json`` serialises the very decisions the
HTML shows (plus machine-readable codes and dates) for headless storefronts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from postpurchase.entrypoints.web.page_models import (
    EstimateView,
    EventView,
    ItemView,
    TrackingPage,
)


def _d(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _estimate_json(e: EstimateView) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "text": e.text or None,
        "note": e.note,
        "source": e.source,
        "start": _d(e.start),
        "end": _d(e.end),
        "late": e.late,
        "late_since": _d(e.late_since),
        "layer": e.layer,
        "model": e.model,
        "model_version": e.model_version,
    }


def _event_json(e: EventView) -> dict[str, Any]:
    return {
        "occurred_at": e.at.isoformat(),
        "local_time": e.local_iso,
        "status": e.status,
        "substatus": e.substatus,
        "title": e.title,
        "description": e.description,
        "location": e.location,
    }


def _items_json(items: Sequence[ItemView]) -> list[dict[str, Any]]:
    return [{"name": i.name, "sku": i.sku, "quantity": i.quantity} for i in items]


def page_json(page: TrackingPage) -> dict[str, Any]:
    """The JSON twin: the same decisions as the HTML, plus machine-readable codes and dates."""
    b = page.branding
    block = page.custom_block
    return {
        "order": {
            "number": page.order_number,
            "status": page.order_status,
            "placed_at": page.placed_at.isoformat(),
            "destination": dict(page.destination_fields),
            "our_promise": _d(page.our_promise),
        },
        "language": page.lang,
        "timezone": page.timezone,
        "headline": page.headline,
        "detail": page.detail or None,
        "tone": page.tone,
        "estimate": _estimate_json(page.estimate),
        "milestones": [{"key": s.key, "label": s.label, "state": s.state} for s in page.steps],
        "shipments": [
            {
                "id": c.id,
                "carrier": c.carrier,
                "carrier_name": c.carrier_name,
                "service": c.service,
                "tracking_number": c.tracking_number,
                "carrier_tracking_url": c.carrier_url,
                "status": c.status,
                "substatus": c.substatus,
                "headline": c.headline,
                "detail": c.detail,
                "tone": c.tone,
                "estimate": _estimate_json(c.estimate),
                "delivered_at": _d(c.delivered_at),
                "milestones": [{"key": s.key, "label": s.label, "state": s.state} for s in c.steps],
                "items": _items_json(c.items),
                "events": [_event_json(e) for e in c.events],
                "pickup": (
                    {
                        "name": c.pickup.name,
                        "address": list(c.pickup.address),
                        "hours": c.pickup.hours,
                        "directions_url": c.pickup.directions_url,
                    }
                    if c.pickup
                    else None
                ),
                "reschedule_url": c.reschedule_url,
            }
            for c in page.shipments
        ],
        "items": _items_json(page.all_items),
        "summary": page.summary.as_json() if page.summary else None,
        "items_not_shipped": _items_json(page.unshipped),
        "returns_url": page.returns_url,
        "rating": {"allowed": page.rating.allowed, "score": page.rating.score},
        "support": {"email": page.help.email, "phone": page.help.phone, "url": page.help.url},
        "branding": {
            "name": b.name,
            "logo_url": b.logo_url,
            "primary_color": b.primary,
            "accent_color": b.accent,
            "background_color": b.background,
        },
        "custom_block": (
            {
                "title": block.title,
                "html": str(block.body) or None,
                "link_url": block.link_url,
                "link_label": block.link_label,
                "image_url": block.image_url,
                "image_alt": block.image_alt,
            }
            if block
            else None
        ),
    }
