"""The checkout estimate: the engine's dates for an order placed now, and the cut-off that
decides them.

Answers are cached per (merchant, engine, settings, zone, question, next cut-off): every
order between two cut-offs is handed over the same day, so they share dates, and an entry
keyed by its cut-off instant can never be served after it (the next request computes a new
key). A new active model is a new engine object, and changed settings a new settings value,
so neither is ever answered from the old entry.

The engine is asked for an order placed just before the cut-off (:data:`JUST_BEFORE`), not
at the request's own second: that is what the answer promises ("order before the cut-off
and get it by ..."), it makes the answer the same for the whole window by construction, and
it keeps the hand-over and the countdown on the same day even when the cut-off falls in an
hour a daylight-saving change skips or repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from postpurchase.domain.addresses import Address
from postpurchase.domain.checkout.cutoff import next_cutoff
from postpurchase.domain.checkout.query import CheckoutQuery
from postpurchase.domain.checkout.settings import CheckoutSettings
from postpurchase.domain.edd.rules import hand_over_date
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.order_details import estimate_service
from postpurchase.service_layer.checkout.ports import (
    CalendarFor,
    CheckoutEngine,
    CheckoutEngineFor,
)

MAX_ENTRIES = 50_000
JUST_BEFORE = timedelta(seconds=1)
POSTAL_NOT_CHECKED = "postal code format not checked for this country"


def layer_of(estimate: Estimate) -> str:
    """``rules``, or ``model:<model>`` (the learned or live layer names its model version)."""
    return "rules" if estimate.layer is Layer.RULES else f"model:{estimate.model}"


@dataclass(frozen=True, slots=True)
class Quote:
    """One answer, before formatting for a shopper's locale."""

    estimate: Estimate
    cutoff_at: datetime  # UTC: order before this to get these dates
    hand_over: date  # the business day the carrier gets the parcel
    layer: str
    reason: str | None  # why the answer is less precise than it could be, in plain words


@dataclass(frozen=True, slots=True)
class Merchant:
    """What checkout needs of a merchant: its id, zone and settings (all hashable)."""

    id: str
    timezone: str
    settings: CheckoutSettings


def request_for(merchant: Merchant, query: CheckoutQuery, ordered_at: datetime) -> EstimateRequest:
    s = merchant.settings
    origin = Address(s.ship_from_country, s.ship_from_postal_code) if s.ship_from_country else None
    extras = {"items": float(query.item_count)} if query.items else {}
    return EstimateRequest(
        destination=Address(query.country, query.postal_code, query.region),
        ordered_at=ordered_at.astimezone(zone_of(merchant.timezone)),
        origin=origin,
        service=estimate_service(None, query.level),
        weight_grams=float(query.weight_grams) if query.weight_grams else None,
        cutoff=s.cutoff,
        handling_days=s.handling_days,
        origin_timezone=merchant.timezone,
        extras=extras,
        confidence=s.promise_confidence,
    )


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # stored zones are validated; belt and braces
        return ZoneInfo("UTC")


class CheckoutQuotes:
    """Quotes with the cache described in the module docstring (one per process)."""

    def __init__(
        self,
        engine_for: CheckoutEngineFor,
        calendar_for: CalendarFor,
        *,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.engine_for = engine_for
        self.calendar_for = calendar_for
        self.max_entries = max_entries
        self._entries: dict[tuple[object, ...], tuple[CheckoutEngine, Quote]] = {}
        self.hits = 0
        self.misses = 0

    def quote(self, merchant: Merchant, query: CheckoutQuery, now: datetime) -> Quote:
        engine = self.engine_for(merchant.id)
        s = merchant.settings
        origin_calendar = self.calendar_for(s.ship_from_country, None)
        tz = zone_of(merchant.timezone)
        cutoff_at = next_cutoff(now, s.cutoff, tz, origin_calendar)
        key = (merchant, id(engine), query, cutoff_at)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is engine and hit[1].cutoff_at > now:
            self.hits += 1
            return hit[1]
        self.misses += 1
        request = request_for(merchant, query, cutoff_at - JUST_BEFORE)
        estimate = engine.estimate(request)
        hand_over, _ = hand_over_date(request.ordered_at, request, origin_calendar)
        reasons = [r for r in (estimate.reason,) if r]
        if query.postal_code and not query.postal_checked:
            reasons.append(POSTAL_NOT_CHECKED)
        quote = Quote(
            estimate,
            cutoff_at,
            hand_over,
            layer_of(estimate),
            "; ".join(reasons) if reasons else None,
        )
        self._store(key, engine, quote, now)
        return quote

    def _store(
        self, key: tuple[object, ...], engine: CheckoutEngine, quote: Quote, now: datetime
    ) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[1].cutoff_at > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key] = (engine, quote)
