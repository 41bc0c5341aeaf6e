"""The tracking page as data: what to say about an order, built once for HTML and JSON.

Everything shopper-facing is decided here, in plain functions of the stored rows, the
merchant's branding, the language and the clock, so the HTML template only lays it out and
the JSON twin serialises the very same decisions: a headless storefront never disagrees
with the hosted page about an order's status or date.

This module puts a whole order's page together (``build_page``); the view dataclasses live
in ``page_models``, one parcel's building blocks in ``page_parts`` and the JSON twin in
``page_json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.status import NEEDS_ATTENTION, OrderStatus, ShipmentStatus, Substatus
from postpurchase.entrypoints.web import order_summary
from postpurchase.entrypoints.web.branding import Branding, fill_url
from postpurchase.entrypoints.web.estimates import Estimator, choose
from postpurchase.entrypoints.web.i18n import LANGUAGES, Translator
from postpurchase.entrypoints.web.page_models import (
    EstimateView,
    Help,
    ItemView,
    PickupView,
    Rating,
    ShipmentCard,
    Step,
    TrackingPage,
)
from postpurchase.entrypoints.web.page_parts import (
    SEVERE,
    carrier_url,
    estimate_view,
    event_views,
    group_by_day,
    headline_of,
    steps_for,
    tone_of,
)

VISIBLE_EVENTS = 6  # the rest of the history sits behind a <details> toggle
VISIBLE_EVENTS_SPLIT = 3  # per parcel when an order ships in several

CONTACT_US = frozenset(SEVERE | {Substatus.ADDRESS_ISSUE})
ORDER_HEADLINES: Mapping[str, str] = {
    OrderStatus.PARTIALLY_SHIPPED: "partially_shipped",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.PARTIALLY_DELIVERED: "partially_delivered",
    OrderStatus.DELIVERED: "delivered",
}


def _items_of_shipment(
    shipment: Mapping[str, Any], lines_by_id: Mapping[str, Mapping[str, Any]], only: bool
) -> tuple[ItemView, ...]:
    carried = shipment.get("lines") or []
    if not carried:
        # A shipment that does not say what it carries carries everything, if it is alone.
        return (
            tuple(ItemView(li["name"], li["sku"], li["quantity"]) for li in lines_by_id.values())
            if only
            else ()
        )
    out = []
    for line_id, sku, qty in carried:
        line = lines_by_id.get(line_id)
        out.append(ItemView(line["name"] if line else sku, sku, int(qty)))
    return tuple(out)


def _unshipped(
    order: Mapping[str, Any], shipments: Sequence[Mapping[str, Any]]
) -> tuple[ItemView, ...]:
    if not shipments:
        return ()
    if any(not s.get("lines") for s in shipments):
        return ()
    shipped: dict[str, int] = {}
    for s in shipments:
        for line_id, _sku, qty in s["lines"]:
            shipped[line_id] = shipped.get(line_id, 0) + int(qty)
    out = []
    for li in order["lines"]:
        left = li["quantity"] - shipped.get(li["id"], 0)
        if left > 0:
            out.append(ItemView(li["name"], li["sku"], left))
    return tuple(out)


def _pickup(
    shipment: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    branding: Branding,
    home: Mapping[str, Any] | None,
) -> PickupView | None:
    """Where the parcel waits: a pickup-point destination on the shipment when it has one
    (it differs from the shopper's own address), else what the carrier's "held" scan says."""
    if shipment["status"] != ShipmentStatus.AVAILABLE_FOR_PICKUP:
        return None
    raw = shipment.get("destination")
    dest = raw if isinstance(raw, dict) and raw != home and raw.get("line1") else None
    held = next((e for e in events if e["status"] == ShipmentStatus.AVAILABLE_FOR_PICKUP), None)
    name = None
    address: list[str] = []
    hours = branding.pickup_hours
    if dest is not None:
        name = dest.get("name")
        city = " ".join(p for p in (dest.get("postal_code"), dest.get("city")) if p)
        address = [p for p in (dest.get("line1"), dest.get("line2"), city) if p]
        hours = dest.get("hours") or hours
    elif held is not None:
        name = held.get("description")
        city = " ".join(p for p in (held.get("postal_code"), held.get("city")) if p)
        address = [p for p in (city, held.get("region")) if p]
    country = (dest or held or {}).get("country") or ""
    query = ", ".join([*address, country]).strip(", ")
    directions = (
        f"https://www.openstreetmap.org/search?query={quote_plus(query)}" if address else None
    )
    return PickupView(name, tuple(address), hours, directions)


def _contact_help(branding: Branding, urgent: bool, order_number: str, t: Translator) -> Help:
    email_href = None
    if branding.support_email:
        subject = quote_plus(t("order.label", number=order_number)).replace("+", "%20")
        email_href = f"mailto:{branding.support_email}?subject={subject}"
    phone_href = None
    if branding.support_phone:
        phone_href = "tel:" + "".join(c for c in branding.support_phone if c in "+0123456789")
    return Help(
        urgent=urgent,
        email=branding.support_email,
        email_href=email_href,
        phone=branding.support_phone,
        phone_href=phone_href,
        url=branding.support_url,
        chat_url=branding.chat_url,
    )


def _destination(
    order: Mapping[str, Any], t: Translator
) -> tuple[str | None, dict[str, str | None]]:
    addr = order.get("shipping_address") or {}
    fields = {k: addr.get(k) for k in ("city", "region", "postal_code", "country")}
    city = " ".join(p for p in (fields["postal_code"], fields["city"]) if p)
    parts = [p for p in (city, fields["region"]) if p]
    if fields["country"]:
        parts.append(t.country_name(fields["country"]))
    return (", ".join(parts) or None), fields


# ---- the page ---------------------------------------------------------------------------------


def build_page(
    *,
    order: Mapping[str, Any],
    token: str,
    branding: Branding,
    t: Translator,
    tz: ZoneInfo,
    now: datetime,
    rating_score: int | None,
    estimator: Estimator | None,
) -> TrackingPage:
    """Everything the shopper is told about one order."""
    now_local = now.astimezone(tz)
    today = now_local.date()
    number = order["number"]
    status = order["status"]
    cancelled = status == OrderStatus.CANCELLED
    shipments = list(order.get("shipments") or [])
    lines_by_id = {li["id"]: li for li in order["lines"]}
    all_items = tuple(ItemView(li["name"], li["sku"], li["quantity"]) for li in order["lines"])

    cards: list[ShipmentCard] = []
    visible = VISIBLE_EVENTS if len(shipments) < 2 else VISIBLE_EVENTS_SPLIT
    for i, s in enumerate(shipments, start=1):
        events = s.get("events") or []
        evs = event_views(t, tz, events)
        name = CARRIERS.get(s.get("carrier") or "") or (s.get("carrier") or None)
        headline, detail = headline_of(t, s["status"], s.get("substatus"))
        chosen = None if cancelled else choose(order, s, now_local, estimator)
        url = carrier_url(s.get("carrier"), s["tracking_number"], bool(s.get("tracking_valid")))
        reschedule = None
        if s["status"] == ShipmentStatus.ATTEMPT_FAILED:
            reschedule = (
                fill_url(
                    branding.reschedule_url,
                    tracking_number=s["tracking_number"],
                    order_number=number,
                    carrier=s.get("carrier") or "",
                    token=token,
                )
                or url
            )
        cards.append(
            ShipmentCard(
                id=s["id"],
                index=i,
                total=len(shipments),
                carrier=s.get("carrier"),
                carrier_name=name,
                service=s.get("service"),
                tracking_number=s["tracking_number"],
                carrier_url=url,
                status=s["status"],
                substatus=s.get("substatus"),
                tone=tone_of(s["status"], s.get("substatus")),
                headline=headline,
                detail=detail,
                estimate=estimate_view(
                    t,
                    chosen,
                    today=today,
                    status=s["status"],
                    substatus=s.get("substatus"),
                    delivered_at=s.get("delivered_at"),
                    tz=tz,
                    carrier_name=name,
                    status_at=s.get("status_at"),
                ),
                steps=steps_for(t, s["status"], s.get("handed_over_at") is not None, cancelled),
                items=_items_of_shipment(s, lines_by_id, len(shipments) == 1),
                recent=group_by_day(t, tz, evs[:visible]),
                older=group_by_day(t, tz, evs[visible:]),
                events=evs,
                pickup=_pickup(s, events, branding, order.get("shipping_address")),
                reschedule_url=reschedule,
                delivered_at=s.get("delivered_at"),
            )
        )

    # The order-level summary at the top of the page.
    if cancelled:
        headline, detail, tone = t("order.cancelled.h"), t("order.cancelled.p"), "bad"
        hero_estimate = EstimateView("unavailable", t("eta.label"), "")
        steps: tuple[Step, ...] = ()
    elif not cards:
        headline, detail, tone = t("order.unfulfilled.h"), t("order.unfulfilled.p"), "info"
        hero_estimate = estimate_view(
            t,
            choose(order, None, now_local, estimator),
            today=today,
            status=None,
            substatus=None,
            delivered_at=None,
            tz=tz,
            carrier_name=None,
        )
        steps = steps_for(t, None, False)
    elif len(cards) == 1:
        c = cards[0]
        headline, detail, tone = c.headline, c.detail, c.tone
        hero_estimate, steps = c.estimate, c.steps
    else:
        problem = next((c for c in cards if c.status in NEEDS_ATTENTION), None)
        if problem is not None:
            headline, tone = t("order.exception.h"), problem.tone
        else:
            headline = t(f"order.{ORDER_HEADLINES.get(status, 'shipped')}.h")
            tone = "good" if status == OrderStatus.DELIVERED else "ok"
        detail = t.plural("order.parcels", len(cards))
        pending = [c for c in cards if c.status != ShipmentStatus.DELIVERED]
        if not pending:
            last = max(cards, key=lambda c: c.delivered_at or now)
            hero_estimate = last.estimate
        else:
            dated = [c for c in pending if c.estimate.end is not None]
            hero_estimate = (
                max(dated, key=lambda c: c.estimate.end or today).estimate
                if dated
                else pending[0].estimate
            )
        steps = ()

    delivered_any = any(c.status == ShipmentStatus.DELIVERED for c in cards)
    # Contact details move up when the shopper has something to do (not for a mere delay).
    urgent = cancelled or any(
        c.status in (ShipmentStatus.ATTEMPT_FAILED, ShipmentStatus.EXPIRED)
        or (c.status == ShipmentStatus.EXCEPTION and c.substatus in CONTACT_US)
        for c in cards
    )
    returns_url = (
        fill_url(branding.returns_url, order_number=number, token=token)
        if delivered_any and not cancelled
        else None
    )
    destination, destination_fields = _destination(order, t)
    placed = order["placed_at"]
    return TrackingPage(
        token=token,
        lang=t.lang,
        languages=LANGUAGES,
        timezone=str(tz.key),
        zone_name=t.zone_name(tz),
        branding=branding,
        order_number=number,
        order_status=status,
        placed_at=placed,
        placed_text=t("order.placed", date=t.date_with_year(placed.astimezone(tz).date())),
        destination=destination,
        destination_fields=destination_fields,
        headline=headline,
        detail=detail,
        tone=tone,
        estimate=hero_estimate,
        steps=steps,
        shipments=tuple(cards),
        unshipped=_unshipped(order, shipments),
        all_items=all_items,
        help=_contact_help(branding, urgent, number, t),
        returns_url=returns_url,
        rating=Rating(
            allowed=delivered_any and not cancelled and branding.survey_enabled,
            score=rating_score,
            options=tuple((n, t(f"rating.{n}")) for n in (1, 2, 3, 4, 5)),
        ),
        custom_block=branding.custom_block,
        summary=order_summary.build(order, t),
        our_promise=order.get("our_promise"),
        promo=branding.banner_at(now),
        faq=branding.faq,
    )
