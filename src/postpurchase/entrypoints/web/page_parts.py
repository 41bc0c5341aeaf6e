"""The building blocks of the tracking page: one parcel's tone, headline, milestones,
events grouped by day and delivery estimate, each a plain function of a stored row.

Kept apart from ``page.build_page``, which puts them together for a whole order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import SYSTEM_SOURCE
from postpurchase.entrypoints.web.estimates import Chosen
from postpurchase.entrypoints.web.i18n import Translator
from postpurchase.entrypoints.web.page_models import (
    DayGroup,
    EstimateView,
    EventView,
    Step,
)

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
    status_at: datetime | None = None,
) -> EstimateView:
    """What the page says about when the parcel comes, for ``today`` in the shopper's zone.

    Nothing here goes stale with the clock: "out for delivery" means today only on the day
    of that scan, and a date that passed without a delivery is shown as late, with since
    when and the live layer's new estimate.
    """
    if status == ShipmentStatus.DELIVERED and delivered_at is not None:
        local = delivered_at.astimezone(tz)
        text = cap(f"{t.day(local.date())}, {t.time(delivered_at, tz)}")
        return EstimateView("delivered", t("eta.delivered_label"), text, start=local.date())
    if status == ShipmentStatus.OUT_FOR_DELIVERY:
        scan_day = status_at.astimezone(tz).date() if status_at is not None else today
        if scan_day >= today:
            return EstimateView("date", t("eta.label"), t("eta.today"), start=today, end=today)
        # Out for delivery on an earlier day and still not delivered: late since the day after.
        late_since = scan_day + timedelta(days=1)
        if chosen is None or chosen.late_since is None or chosen.late_since > late_since:
            chosen = (
                replace(chosen, late_since=late_since)
                if chosen is not None
                else Chosen(scan_day, scan_day, "carrier", late_since=late_since)
            )
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
    if chosen.late_since is not None or chosen.end < today:
        since = chosen.late_since or chosen.end + timedelta(days=1)
        expected = since - timedelta(days=1)
        revised = None
        if chosen.late_since is not None and chosen.end >= today:
            start = max(chosen.start, today)
            new = (
                t.relative_day(start, today)
                if start == chosen.end
                else t.day_range(start, chosen.end)
            )
            revised = f"{t('eta.label')}: {cap(new)}"
        return EstimateView(
            "date",
            t("eta.label"),
            t("h.delayed"),
            note=t("eta.late", date=t.day(expected)),
            source=chosen.source,
            start=chosen.start,
            end=chosen.end,
            late=True,
            late_since=since,
            revised=revised,
            layer=chosen.layer,
            model=chosen.model,
            model_version=chosen.model_version,
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
        layer=chosen.layer,
        model=chosen.model,
        model_version=chosen.model_version,
    )
