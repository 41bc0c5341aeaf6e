"""Order-time features, and the running history that recent-performance features come from.

Nothing here may look past the moment of prediction: ``History`` only knows deliveries it
has been told about, and the replay tells it about a delivery only once it happened.
Recent lane performance is kept as exponentially decayed sums with two memories (about
four months and about three weeks), which is what lets the model see a slowdown building
up without refitting, and without storing every past shipment in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from postpurchase.adapters.edd.calendars import closed_days
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.domain.edd.geo import (
    BR_STATE_CAPITALS,
    PostalCentroids,
    br_is_capital,
    haversine_km,
    locate,
    normalise_postal_code,
    region_of,
)
from postpurchase.domain.edd.types import EstimateRequest

NAN = float("nan")
LONG_TAU = 120.0  # days
SHORT_TAU = 21.0
PRIOR_WEIGHT = 8.0  # pseudo-observations pulling a small group towards its parent
EXTRA_KEYS: tuple[str, ...] = (
    "order_value",
    "freight_value",
    "items",
    "sellers",
    "handling_deadline_days",
    "pays_by_bank_slip",
)
DEFAULT_REGIONS: tuple[str, ...] = tuple(sorted(BR_STATE_CAPITALS))


def local_day_number(moment: datetime, tz: object = SAO_PAULO) -> float:
    """Days since 1970-01-01 in the shopper's clock (fractional), for decay arithmetic."""
    local = moment.astimezone(tz) if moment.tzinfo is not None else moment  # type: ignore[arg-type]
    base = datetime(1970, 1, 1, tzinfo=local.tzinfo)
    return (local - base).total_seconds() / 86400.0


def local_date(moment: datetime) -> date:
    return (moment.astimezone(SAO_PAULO) if moment.tzinfo is not None else moment).date()


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """Everything about one order the features are made of, from a request or a record."""

    ordered_at: datetime
    order_day: date
    dest_country: str
    dest_region: str | None
    dest_zip3: str | None
    dest_capital: float
    origin_region: str | None
    origin_zip3: str | None
    origin_id: str | None
    origin_capital: float
    distance_km: float
    same_region: float
    service_key: str
    weight_grams: float
    volume_cm3: float
    extras: tuple[float, ...]
    reasons: tuple[str, ...] = ()
    # The store's own promise at purchase, as days from the order's local date (NaN: none).
    quote_days: float = NAN

    @property
    def lane(self) -> str:
        return f"{self.origin_region or '?'}>{self.dest_region or '?'}"


def facts_of(request: EstimateRequest, centroids: PostalCentroids | None = None) -> OrderFacts:
    """Order-time facts; unknown pieces become NaN plus a reason (never a silent guess)."""
    reasons: list[str] = []
    dest = request.destination
    dest_code = normalise_postal_code(dest.country, dest.postal_code)
    dest_region = region_of(dest.country, dest.postal_code, dest.region)
    if dest_code is None:
        reasons.append("destination postal code unknown")
    origin = request.origin
    origin_region = origin_code = None
    distance = NAN
    if origin is None:
        reasons.append("origin unknown")
    else:
        origin_code = normalise_postal_code(origin.country, origin.postal_code)
        origin_region = region_of(origin.country, origin.postal_code, origin.region)
        a = locate(origin.country, origin.postal_code, origin.region, centroids)
        b = locate(dest.country, dest.postal_code, dest.region, centroids)
        if a is not None and b is not None:
            distance = haversine_km(a, b)
        else:
            reasons.append("distance unknown")
    if request.weight_grams is None:
        reasons.append("weight unknown")
    ordered = request.ordered_at
    if not request.is_aware:
        reasons.append("order time has no time zone: read as São Paulo time")
        ordered = ordered.replace(tzinfo=SAO_PAULO)

    def capital(country: str, code: str | None) -> float:
        if country != "BR" or code is None:
            return NAN
        flag = br_is_capital(code)
        return NAN if flag is None else float(flag)

    quote_days = NAN
    if request.store_promise is not None:
        days = (request.store_promise - local_date(ordered)).days
        quote_days = float(days) if days >= 0 else NAN  # a quote before the order is noise
    return OrderFacts(
        ordered_at=ordered,
        order_day=local_date(ordered),
        dest_country=dest.country,
        dest_region=dest_region,
        dest_zip3=dest_code[:3] if dest_code else None,
        dest_capital=capital(dest.country, dest_code),
        origin_region=origin_region,
        origin_zip3=origin_code[:3] if origin_code else None,
        origin_id=request.origin_id,
        origin_capital=capital(origin.country, origin_code) if origin else NAN,
        distance_km=distance,
        same_region=(float(origin_region == dest_region) if origin_region and dest_region else NAN),
        service_key=f"{(request.carrier or '*').lower()}/{(request.service or '*').lower()}",
        weight_grams=NAN if request.weight_grams is None else request.weight_grams,
        volume_cm3=NAN if request.volume_cm3 is None else request.volume_cm3,
        extras=tuple(float(request.extras.get(k, NAN)) for k in EXTRA_KEYS),
        reasons=tuple(reasons),
        quote_days=quote_days,
    )


# --- history -------------------------------------------------------------------------------

# Values tracked per group: weight, total days, slow flag, then the weight of deliveries with
# a known hand-over and their handling and transit days (sources without hand-over scans
# still teach totals without dragging the handling mean to zero).
_W, _Y, _S, _WH, _H, _T = range(6)
_NVALUES = 6
_DENOMINATOR = {_Y: _W, _S: _W, _H: _WH, _T: _WH}


@dataclass(slots=True)
class _Decayed:
    values: list[float] = field(default_factory=lambda: [0.0] * _NVALUES)
    at: float = 0.0

    def decayed(self, now: float, tau: float) -> list[float]:
        factor = math.exp(-max(0.0, now - self.at) / tau)
        return [v * factor for v in self.values]

    def add(self, now: float, tau: float, sample: Sequence[float]) -> None:
        if now < self.at:  # late arrival: age the sample instead of rejuvenating the group
            factor = math.exp(-(self.at - now) / tau)
            for i in range(_NVALUES):
                self.values[i] += sample[i] * factor
            return
        current = self.decayed(now, tau)
        self.values = [c + s for c, s in zip(current, sample, strict=True)]
        self.at = now


def _keys(f: OrderFacts) -> list[tuple[str, ...]]:
    return [
        ("all",),
        ("dr", f.dest_region or "?"),
        ("lane", f.lane),
        ("dz", f.dest_zip3 or "?"),
        ("or", f.origin_id or "?"),
        ("oz", f.origin_zip3 or "?"),
        ("cs", f.service_key),
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a delivery taught, in days: order->delivery, order->hand-over, hand-over->delivery."""

    total_days: float
    handling_days: float
    transit_days: float


def outcome_of(record: DeliveredShipmentRecord) -> Outcome:
    order_day = local_date(record.ordered_at)
    delivered_day = local_date(record.delivered_at)
    total = float((delivered_day - order_day).days)
    if record.handed_over_at is None:
        return Outcome(total, NAN, NAN)
    hand = (record.handed_over_at - record.ordered_at).total_seconds() / 86400.0
    transit = float((delivered_day - local_date(record.handed_over_at)).days)
    return Outcome(total, hand, transit)


class History:
    """Decayed per-group statistics of deliveries observed so far (two memories)."""

    def __init__(self) -> None:
        self.long: dict[tuple[str, ...], _Decayed] = {}
        self.short: dict[tuple[str, ...], _Decayed] = {}
        self.count = 0
        self.last_delivery: float = -math.inf
        # Network state by local day (``network_features``): orders placed per order day,
        # how many of them were delivered, and per delivery day the number of deliveries
        # with their order-to-door and transit days. Counts, so order of arrival is free.
        self.placed: dict[int, int] = {}
        self.delivered_of: dict[int, int] = {}
        self.by_delivery: dict[int, list[float]] = {}

    def note_order(self, facts: OrderFacts) -> None:
        """An order exists (placed, delivered or not): the backlog features count it."""
        day = facts.order_day.toordinal()
        self.placed[day] = self.placed.get(day, 0) + 1

    def observe(self, facts: OrderFacts, outcome: Outcome, delivered_at: datetime) -> None:
        now = local_day_number(delivered_at)
        g = self.long.get(("all",))
        level = g.values[_Y] / g.values[_W] if g is not None and g.values[_W] > 0 else 12.0
        slow = 1.0 if outcome.total_days > 1.75 * level else 0.0
        hand = outcome.handling_days
        trans = outcome.transit_days
        known = not (math.isnan(hand) or math.isnan(trans))
        sample = [
            1.0,
            outcome.total_days,
            slow,
            1.0 if known else 0.0,
            hand if known else 0.0,
            trans if known else 0.0,
        ]
        for key in _keys(facts):
            for table, tau in ((self.long, LONG_TAU), (self.short, SHORT_TAU)):
                stat = table.get(key)
                if stat is None:
                    stat = table[key] = _Decayed(at=now)
                stat.add(now, tau, sample)
        self.count += 1
        self.last_delivery = max(self.last_delivery, now)
        ordered = facts.order_day.toordinal()
        self.delivered_of[ordered] = self.delivered_of.get(ordered, 0) + 1
        slot = self.by_delivery.setdefault(local_date(delivered_at).toordinal(), [0.0] * 4)
        slot[0] += 1.0
        slot[1] += outcome.total_days
        if known:
            slot[2] += 1.0
            slot[3] += trans

    def network_features(self, now: float) -> list[float]:
        """The whole network as of ``now``: the share of orders placed 5-14 and 15-30 days
        ago still open, orders placed in the last week against the four before, and the
        order-to-door and transit days of the last week's deliveries.

        The open shares are what a shock looks like before its slow parcels arrive (the
        decayed means only learn from deliveries); only deliveries already observed count
        as delivered, and with no delivery for more than three days the clock stops the day
        after the last one, so a model nobody feeds does not read silence as a backlog.
        """
        today = (date(1970, 1, 1) + timedelta(days=math.floor(now + 0.05))).toordinal()
        if self.last_delivery > -math.inf:
            last = date(1970, 1, 1) + timedelta(days=math.floor(self.last_delivery + 0.05))
            if today > last.toordinal() + 3:  # nobody fed it for days: as of the last one
                today = last.toordinal() + 1

        def open_share(first: int, last: int) -> float:
            placed = sum(self.placed.get(d, 0) for d in range(today - last, today - first + 1))
            done = sum(self.delivered_of.get(d, 0) for d in range(today - last, today - first + 1))
            return max(0.0, placed - done) / placed if placed >= 20 else NAN

        week = sum(self.placed.get(d, 0) for d in range(today - 7, today))
        before = sum(self.placed.get(d, 0) for d in range(today - 35, today - 7)) / 4.0
        sums = [0.0] * 4
        for d in range(today - 7, today):
            slot = self.by_delivery.get(d)
            if slot is not None:
                sums = [a + b for a, b in zip(sums, slot, strict=True)]
        return [
            open_share(5, 14),
            open_share(15, 30),
            week / before if before >= 5 else NAN,
            sums[1] / sums[0] if sums[0] >= 10 else NAN,
            sums[3] / sums[2] if sums[2] >= 10 else NAN,
        ]

    def _mean(
        self,
        table: dict[tuple[str, ...], _Decayed],
        key: tuple[str, ...],
        now: float,
        tau: float,
        index: int,
        prior: float,
    ) -> tuple[float, float]:
        stat = table.get(key)
        if stat is None:
            return prior, 0.0
        v = stat.decayed(now, tau)
        w = v[_DENOMINATOR[index]]
        if math.isnan(prior):
            return (v[index] / w if w > 0 else NAN), w
        return (v[index] + PRIOR_WEIGHT * prior) / (w + PRIOR_WEIGHT), w

    def seller_features(self, facts: OrderFacts, now: float) -> list[float]:
        """The seller's own recent record as of ``now``: hand-off time over the last three
        weeks, and its parcels' transit and order-to-door days (long and recent memories),
        each shrunk toward the longer memory (or the whole marketplace) when thin."""
        L, S = self.long, self.short
        g_h, _ = self._mean(L, ("all",), now, LONG_TAU, _H, NAN)
        g_h = 2.5 if math.isnan(g_h) else g_h
        g_t, _ = self._mean(L, ("all",), now, LONG_TAU, _T, NAN)
        g_t = 9.0 if math.isnan(g_t) else g_t
        g_y, _ = self._mean(L, ("all",), now, LONG_TAU, _Y, NAN)
        g_y = 12.0 if math.isnan(g_y) else g_y
        origin = ("or", facts.origin_id or "?")
        or_h, _ = self._mean(L, origin, now, LONG_TAU, _H, g_h)
        ors_h, _ = self._mean(S, origin, now, SHORT_TAU, _H, or_h)
        or_t, _ = self._mean(L, origin, now, LONG_TAU, _T, g_t)
        ors_t, _ = self._mean(S, origin, now, SHORT_TAU, _T, or_t)
        or_y, _ = self._mean(L, origin, now, LONG_TAU, _Y, g_y)
        ors_y, _ = self._mean(S, origin, now, SHORT_TAU, _Y, or_y)
        return [ors_h, or_t, ors_t, ors_y]

    def features(self, facts: OrderFacts, now: float) -> list[float]:
        """History features for an order predicted at ``now`` (local day number)."""
        L, S = self.long, self.short
        g_y, _ = self._mean(L, ("all",), now, LONG_TAU, _Y, NAN)
        if math.isnan(g_y):
            g_y = 12.0
        g_h, _ = self._mean(L, ("all",), now, LONG_TAU, _H, NAN)
        g_h = 2.5 if math.isnan(g_h) else g_h
        g_t, _ = self._mean(L, ("all",), now, LONG_TAU, _T, NAN)
        g_t = 9.0 if math.isnan(g_t) else g_t
        g_s, _ = self._mean(L, ("all",), now, LONG_TAU, _S, NAN)
        g_s = 0.1 if math.isnan(g_s) else g_s
        gs_y, gs_w = self._mean(S, ("all",), now, SHORT_TAU, _Y, g_y)
        gs_t, _ = self._mean(S, ("all",), now, SHORT_TAU, _T, g_t)
        gs_h, _ = self._mean(S, ("all",), now, SHORT_TAU, _H, g_h)
        dr = ("dr", facts.dest_region or "?")
        dr_y, dr_w = self._mean(L, dr, now, LONG_TAU, _Y, g_y)
        dr_t, _ = self._mean(L, dr, now, LONG_TAU, _T, g_t)
        drs_t, _ = self._mean(S, dr, now, SHORT_TAU, _T, dr_t)
        drs_y, _ = self._mean(S, dr, now, SHORT_TAU, _Y, dr_y)
        lane = ("lane", facts.lane)
        lane_y, _ = self._mean(L, lane, now, LONG_TAU, _Y, dr_y)
        lane_t, _ = self._mean(L, lane, now, LONG_TAU, _T, dr_t)
        dz = ("dz", facts.dest_zip3 or "?")
        dz_y, _ = self._mean(L, dz, now, LONG_TAU, _Y, lane_y)
        dz_t, _ = self._mean(L, dz, now, LONG_TAU, _T, lane_t)
        dz_s, _ = self._mean(L, dz, now, LONG_TAU, _S, g_s)
        oz = ("oz", facts.origin_zip3 or "?")
        oz_h, _ = self._mean(L, oz, now, LONG_TAU, _H, g_h)
        origin = ("or", facts.origin_id or "?")
        or_h, or_w = self._mean(L, origin, now, LONG_TAU, _H, oz_h)
        or_s, _ = self._mean(L, origin, now, LONG_TAU, _S, g_s)
        cs_y, _ = self._mean(L, ("cs", facts.service_key), now, LONG_TAU, _Y, g_y)
        return [
            g_y,
            gs_y,
            gs_t,
            gs_h,
            gs_w,
            dr_y,
            drs_y,
            dr_t,
            drs_t,
            dr_w,
            lane_y,
            lane_t,
            dz_y,
            dz_t,
            dz_s,
            oz_h,
            or_h,
            or_w,
            or_s,
            cs_y,
        ]


HISTORY_NAMES: tuple[str, ...] = (
    "all_days",
    "all_days_recent",
    "all_transit_recent",
    "all_handling_recent",
    "all_volume_recent",
    "dest_days",
    "dest_days_recent",
    "dest_transit",
    "dest_transit_recent",
    "dest_volume",
    "lane_days",
    "lane_transit",
    "zip3_days",
    "zip3_transit",
    "zip3_slow_rate",
    "origin_zip3_handling",
    "origin_handling",
    "origin_volume",
    "origin_slow_rate",
    "service_days",
)

SELLER_NAMES: tuple[str, ...] = (
    "origin_handling_recent",
    "origin_transit",
    "origin_transit_recent",
    "origin_days_recent",
)

# The whole network as of the prediction (``EngineConfig.network_features``).
NETWORK_NAMES: tuple[str, ...] = (
    "net_open_5_14",
    "net_open_15_30",
    "net_volume_week",
    "net_days_week",
    "net_transit_week",
)

# The store's own promise at purchase (``EngineConfig.store_promise_feature``): days from the
# order to the quoted date, and the quoted date's weekday.
QUOTE_NAMES: tuple[str, ...] = ("store_promise_days", "store_promise_weekday")

ORDER_NAMES: tuple[str, ...] = (
    "distance_km",
    "same_region",
    "dest_capital",
    "origin_capital",
    "weight_grams",
    "volume_cm3",
    "weekday",
    "hour",
    "closed_days_7",
    "closed_days_14",
    "closed_days_28",
    *EXTRA_KEYS,
    "dest_region",
    "origin_region",
)
CATEGORICAL: tuple[str, ...] = ("dest_region", "origin_region")

LIVE_NAMES: tuple[str, ...] = (
    "handling_days_observed",
    "handover_weekday",
    "handover_hour",
    "handover_closed_days_7",
    "handover_closed_days_14",
)


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """Column layout and category codes, frozen at training time and saved with the model."""

    regions: tuple[str, ...] = DEFAULT_REGIONS
    # The seller's own recent hand-off and transit columns (``EngineConfig.seller_features``).
    seller_recent: bool = False
    # The store's own promise columns (``EngineConfig.store_promise_feature``).
    store_promise: bool = False
    # The network backlog and last week's deliveries (``EngineConfig.network_features``).
    network: bool = False

    @property
    def purchase_names(self) -> tuple[str, ...]:
        return (
            ORDER_NAMES
            + HISTORY_NAMES
            + (SELLER_NAMES if self.seller_recent else ())
            + (NETWORK_NAMES if self.network else ())
            + (QUOTE_NAMES if self.store_promise else ())
        )

    @property
    def quote_indices(self) -> list[int]:
        """Columns of the store's promise (empty when the layout has none)."""
        names = self.purchase_names
        return [names.index(n) for n in QUOTE_NAMES] if self.store_promise else []

    @property
    def live_names(self) -> tuple[str, ...]:
        return self.purchase_names + LIVE_NAMES

    def categorical_indices(self, live: bool = False) -> list[int]:
        names = self.live_names if live else self.purchase_names
        return [names.index(c) for c in CATEGORICAL]

    def _code(self, region: str | None) -> float:
        if region is None:
            return NAN
        try:
            return float(self.regions.index(region))
        except ValueError:
            return NAN

    def order_row(self, f: OrderFacts) -> list[float]:
        local = f.ordered_at.astimezone(SAO_PAULO)
        day = f.order_day
        return [
            f.distance_km,
            f.same_region,
            f.dest_capital,
            f.origin_capital,
            f.weight_grams,
            f.volume_cm3,
            float(day.weekday()),
            local.hour + local.minute / 60.0,
            float(closed_days(f.dest_country, f.dest_region, day, 7)),
            float(closed_days(f.dest_country, f.dest_region, day, 14)),
            float(closed_days(f.dest_country, f.dest_region, day, 28)),
            *f.extras,
            self._code(f.dest_region),
            self._code(f.origin_region),
        ]

    def purchase_row(self, f: OrderFacts, history: History, now: float) -> list[float]:
        row = self.order_row(f) + history.features(f, now)
        if self.seller_recent:
            row += history.seller_features(f, now)
        if self.network:
            row += history.network_features(now)
        if self.store_promise:
            row += quote_row(f)
        return row

    def live_extra(self, f: OrderFacts, handed_over_at: datetime) -> list[float]:
        local = handed_over_at.astimezone(SAO_PAULO)
        day = local.date()
        return [
            (handed_over_at - f.ordered_at).total_seconds() / 86400.0,
            float(day.weekday()),
            local.hour + local.minute / 60.0,
            float(closed_days(f.dest_country, f.dest_region, day, 7)),
            float(closed_days(f.dest_country, f.dest_region, day, 14)),
        ]


def quote_row(f: OrderFacts) -> list[float]:
    """The store's promise as features: NaN when the order carries none (a checkout)."""
    if math.isnan(f.quote_days):
        return [NAN, NAN]
    quoted = f.order_day + timedelta(days=int(f.quote_days))
    return [f.quote_days, float(quoted.weekday())]


def as_matrix(rows: Sequence[Sequence[float]], width: int) -> NDArray[np.float64]:
    if not rows:
        return np.empty((0, width), dtype=np.float64)
    return np.asarray(rows, dtype=np.float64)
