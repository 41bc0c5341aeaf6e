"""Order-time features and the column layout the models are trained and served on.

Nothing here may look past the moment of prediction: the facts are what an order says at
purchase, and the recent-performance columns come from :class:`~.history.History`, which
only knows deliveries it has been told about.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from postpurchase.adapters.edd.calendars import closed_days
from postpurchase.adapters.edd.records import SAO_PAULO
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

if TYPE_CHECKING:  # the history reads the facts; the layout only takes its columns
    from postpurchase.adapters.edd.history import History

NAN = float("nan")
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
