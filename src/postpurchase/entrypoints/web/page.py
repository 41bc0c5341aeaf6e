"""The tracking page as data: what to say about an order, built once for HTML and JSON.

Everything shopper-facing is decided here, in plain functions of the stored rows, the
merchant's branding, the language and the clock, so the HTML template only lays it out and
the JSON twin serialises the very same decisions: a headless storefront never disagrees
with the hosted page about an order's status or date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.status import NEEDS_ATTENTION, OrderStatus, ShipmentStatus, Substatus
from postpurchase.domain.tracking import SYSTEM_SOURCE
from postpurchase.entrypoints.web import order_summary
from postpurchase.entrypoints.web.branding import Branding, CustomBlock, fill_url
from postpurchase.entrypoints.web.estimates import Chosen, Estimator, choose
from postpurchase.entrypoints.web.i18n import LANGUAGES, Translator
from postpurchase.entrypoints.web.order_summary import OrderSummary

VISIBLE_EVENTS = 6  # the rest of the history sits behind a <details> toggle
VISIBLE_EVENTS_SPLIT = 3  # per parcel when an order ships in several

# Public tracking pages of the carriers we detect, for "track on the carrier's website".
CARRIER_TRACKING_URLS: Mapping[str, str] = {
    "ups": "https://www.ups.com/track?tracknum={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={n}&submit=1",
    "dhl_ecommerce": "https://webtrack.dhlecs.com/?trackingnumber={n}",
    "dhl_paket": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "deutsche_post": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "amazon": "https://track.amazon.com/tracking/{n}",
    "ontrac": "https://www.ontrac.com/tracking/?number={n}",
    "canada_post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={n}",
    "purolator": "https://www.purolator.com/en/shipping/tracker?pin={n}",
    "royal_mail": "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
    "la_poste": "https://www.laposte.fr/outils/suivre-vos-envois?code={n}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{n}",
}

EVENT_PHRASES = frozenset(
    {
        Substatus.LABEL_CREATED,
        Substatus.PICKED_UP,
        Substatus.HUB_ARRIVAL,
        Substatus.HUB_DEPARTURE,
        Substatus.REDELIVERY_SCHEDULED,
        Substatus.SIGNED,
        Substatus.LEFT_AT_DOOR,
        Substatus.PICKED_UP_BY_CUSTOMER,
        Substatus.UNRECOGNISED,
    }
)
PROBLEM_HEADLINES = frozenset(
    {
        Substatus.DELAYED,
        Substatus.WEATHER,
        Substatus.DAMAGED,
        Substatus.LOST,
        Substatus.ADDRESS_ISSUE,
        Substatus.CUSTOMS_HOLD,
        Substatus.RETURNED_TO_SENDER,
        Substatus.REFUSED,
        Substatus.NO_SCAN,
    }
)
SEVERE = frozenset(
    {Substatus.LOST, Substatus.DAMAGED, Substatus.RETURNED_TO_SENDER, Substatus.REFUSED}
)
CONTACT_US = frozenset(SEVERE | {Substatus.ADDRESS_ISSUE})
ORDER_HEADLINES: Mapping[str, str] = {
    OrderStatus.PARTIALLY_SHIPPED: "partially_shipped",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.PARTIALLY_DELIVERED: "partially_delivered",
    OrderStatus.DELIVERED: "delivered",
}


# ---- view models ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    label: str
    state: str  # done | current | todo
    problem: bool = False


@dataclass(frozen=True, slots=True)
class EstimateView:
    kind: str  # date | window | delivered | pickup | none | unavailable
    label: str
    text: str
    note: str | None = None
    source: str | None = None
    start: date | None = None
    end: date | None = None
    late: bool = False


@dataclass(frozen=True, slots=True)
class EventView:
    at: datetime
    local_iso: str
    time_text: str
    title: str
    description: str | None
    location: str | None
    status: str
    substatus: str | None


@dataclass(frozen=True, slots=True)
class DayGroup:
    day: str
    events: tuple[EventView, ...]


@dataclass(frozen=True, slots=True)
class ItemView:
    name: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PickupView:
    name: str | None
    address: tuple[str, ...]
    hours: str | None
    directions_url: str | None


@dataclass(frozen=True, slots=True)
class ShipmentCard:
    id: str
    index: int
    total: int
    carrier: str | None
    carrier_name: str | None
    service: str | None
    tracking_number: str
    carrier_url: str | None
    status: str
    substatus: str | None
    tone: str
    headline: str
    detail: str
    estimate: EstimateView
    steps: tuple[Step, ...]
    items: tuple[ItemView, ...]
    recent: tuple[DayGroup, ...]
    older: tuple[DayGroup, ...]
    events: tuple[EventView, ...]
    pickup: PickupView | None
    reschedule_url: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Help:
    urgent: bool
    email: str | None
    email_href: str | None
    phone: str | None
    phone_href: str | None
    url: str | None

    @property
    def any(self) -> bool:
        return bool(self.email or self.phone or self.url)


@dataclass(frozen=True, slots=True)
class Rating:
    allowed: bool
    score: int | None
    options: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class TrackingPage:
    token: str
    lang: str
    languages: Mapping[str, str]
    timezone: str
    zone_name: str
    branding: Branding
    order_number: str
    order_status: str
    placed_at: datetime
    placed_text: str
    destination: str | None
    destination_fields: Mapping[str, str | None]
    headline: str
    detail: str
    tone: str
    estimate: EstimateView
    steps: tuple[Step, ...]
    shipments: tuple[ShipmentCard, ...]
    unshipped: tuple[ItemView, ...]
    all_items: tuple[ItemView, ...]
    help: Help
    returns_url: str | None
    rating: Rating
    custom_block: CustomBlock | None
    summary: OrderSummary | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---- building blocks --------------------------------------------------------------------------


def cap(text: str) -> str:
    """Sentence case for a date standing alone (Spanish, French and Portuguese write weekday
    names in lower case, but not at the start of a line)."""
    return text[:1].upper() + text[1:]


def carrier_url(carrier: str | None, number: str, valid: bool) -> str | None:
    template = CARRIER_TRACKING_URLS.get(carrier or "")
    if not template or not valid:
        return None
    return template.replace("{n}", quote_plus(number))


def tone_of(status: str, substatus: str | None) -> str:
    if status == ShipmentStatus.DELIVERED:
        return "good"
    if status == ShipmentStatus.EXPIRED or (
        status == ShipmentStatus.EXCEPTION and substatus in SEVERE
    ):
        return "bad"
    if status in (ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED):
        return "warn"
    if status in (ShipmentStatus.PENDING, ShipmentStatus.INFO_RECEIVED):
        return "info"
    return "ok"


def headline_of(t: Translator, status: str, substatus: str | None) -> tuple[str, str]:
    """The status in plain words: a short headline and one sentence of what it means."""
    if status == ShipmentStatus.EXCEPTION and substatus in PROBLEM_HEADLINES:
        return t(f"h.{substatus}"), t(f"sub.{substatus}")
    return t(f"status.{status}"), t(f"detail.{status}")


def event_title(t: Translator, status: str, substatus: str | None) -> str:
    if substatus in EVENT_PHRASES:
        return t(f"ev.{substatus}")
    if status == ShipmentStatus.EXCEPTION and substatus in PROBLEM_HEADLINES:
        return t(f"h.{substatus}")
    return t(f"status.{status}")


def steps_for(
    t: Translator, status: str | None, handed_over: bool, cancelled: bool = False
) -> tuple[Step, ...]:
    """The milestone bar: ordered, shipped, in transit, out for delivery/pickup, delivered."""
    keys = ["ordered", "shipped", "in_transit", "out_for_delivery", "delivered"]
    if status == ShipmentStatus.AVAILABLE_FOR_PICKUP:
        keys[3] = "pickup"
    if cancelled:
        return ()
    problem = False
    if status is None:
        reached = 0
    elif status in (ShipmentStatus.PENDING, ShipmentStatus.INFO_RECEIVED):
        reached = 1
    elif status == ShipmentStatus.IN_TRANSIT:
        reached = 2
    elif status in (ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.AVAILABLE_FOR_PICKUP):
        reached = 3
    elif status == ShipmentStatus.ATTEMPT_FAILED:
        reached, problem = 3, True
    elif status == ShipmentStatus.DELIVERED:
        reached = 4
    else:  # exception, expired: stuck where the parcel was
        reached, problem = (2 if handed_over else 1), True
    out = []
    for i, key in enumerate(keys):
        if i < reached or (i == reached == len(keys) - 1):
            state = "done"
        elif i == reached:
            state = "current"
        else:
            state = "todo"
        out.append(Step(key, t(f"step.{key}"), state, problem and i == reached))
    return tuple(out)


def _location(row: Mapping[str, Any], t: Translator) -> str | None:
    parts = [row.get("city"), row.get("region")]
    country = row.get("country")
    label = ", ".join(p for p in parts if p)
    if country:
        label = f"{label}, {t.country_name(country)}" if label else t.country_name(country)
    return label or None


def event_views(
    t: Translator, tz: ZoneInfo, rows: Sequence[Mapping[str, Any]]
) -> tuple[EventView, ...]:
    out = []
    for e in rows:  # newest first, as stored
        at: datetime = e["occurred_at"]
        local = at.astimezone(tz)
        title = event_title(t, e["status"], e.get("substatus"))
        desc = e.get("description")
        if e.get("source") == SYSTEM_SOURCE or not desc or desc.strip().lower() == title.lower():
            desc = None  # our sweeps' notes are English-only internals
        out.append(
            EventView(
                at=at,
                local_iso=local.isoformat(),
                time_text=t.time(at, tz),
                title=title,
                description=desc,
                location=_location(e, t),
                status=e["status"],
                substatus=e.get("substatus"),
            )
        )
    return tuple(out)


def group_by_day(t: Translator, tz: ZoneInfo, events: Sequence[EventView]) -> tuple[DayGroup, ...]:
    groups: list[DayGroup] = []
    current: date | None = None
    bucket: list[EventView] = []
    for ev in events:
        day = ev.at.astimezone(tz).date()
        if day != current and bucket:
            assert current is not None
            groups.append(DayGroup(cap(t.day(current)), tuple(bucket)))
            bucket = []
        current = day
        bucket.append(ev)
    if bucket and current is not None:
        groups.append(DayGroup(cap(t.day(current)), tuple(bucket)))
    return tuple(groups)


def estimate_view(
    t: Translator,
    chosen: Chosen | None,
    *,
    today: date,
    status: str | None,
    substatus: str | None,
    delivered_at: datetime | None,
    tz: ZoneInfo,
    carrier_name: str | None,
) -> EstimateView:
    if status == ShipmentStatus.DELIVERED and delivered_at is not None:
        local = delivered_at.astimezone(tz)
        text = cap(f"{t.day(local.date())}, {t.time(delivered_at, tz)}")
        return EstimateView("delivered", t("eta.delivered_label"), text, start=local.date())
    if status == ShipmentStatus.OUT_FOR_DELIVERY:
        return EstimateView("date", t("eta.label"), t("eta.today"), start=today, end=today)
    if status == ShipmentStatus.AVAILABLE_FOR_PICKUP:
        return EstimateView("pickup", t("eta.label"), "")  # it is there now: no date to wait for
    if status == ShipmentStatus.EXPIRED or (
        status == ShipmentStatus.EXCEPTION and substatus in SEVERE
    ):
        return EstimateView("unavailable", t("eta.label"), "")
    if chosen is None:
        return EstimateView("none", t("eta.label"), "", note=t("eta.none"))
    sources = {
        "carrier": t("eta.source.carrier", carrier=carrier_name or t("shipment.carrier")),
        "promise": t("eta.source.promise"),
        "engine": t("eta.source.engine"),
        "rough": t("eta.source.rough"),
    }
    if chosen.end < today:
        return EstimateView(
            "date",
            t("eta.label"),
            t("h.delayed"),
            note=t("eta.late", date=t.day(chosen.end)),
            source=chosen.source,
            start=chosen.start,
            end=chosen.end,
            late=True,
        )
    start = max(chosen.start, today)
    if start == chosen.end:
        text = cap(t.relative_day(start, today))
        kind = "date"
    else:
        text = cap(t.day_range(start, chosen.end))
        kind = "window"
    return EstimateView(
        kind,
        t("eta.label"),
        text,
        note=sources[chosen.source],
        source=chosen.source,
        start=start,
        end=chosen.end,
    )


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
            allowed=delivered_any and not cancelled,
            score=rating_score,
            options=tuple((n, t(f"rating.{n}")) for n in (1, 2, 3, 4, 5)),
        ),
        custom_block=branding.custom_block,
        summary=order_summary.build(order, t),
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
