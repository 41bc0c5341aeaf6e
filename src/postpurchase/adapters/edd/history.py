"""The running history that recent-performance features come from.

``History`` only knows deliveries it has been told about, and the replay tells it about a
delivery only once it happened, so nothing here looks past the moment of prediction.
Recent lane performance is kept as exponentially decayed sums with two memories (about
four months and about three weeks), which is what lets the model see a slowdown building
up without refitting, and without storing every past shipment in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from postpurchase.adapters.edd.features import NAN, OrderFacts, local_date, local_day_number
from postpurchase.adapters.edd.records import DeliveredShipmentRecord

LONG_TAU = 120.0  # days
SHORT_TAU = 21.0
PRIOR_WEIGHT = 8.0  # pseudo-observations pulling a small group towards its parent


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

    def _marketplace(self, now: float) -> tuple[float, float, float]:
        """The whole marketplace's long-memory order-to-door, hand-off and transit days, with
        typical values (12, 2.5 and 9 days) before any delivery was seen: the priors every
        group's mean shrinks toward."""
        L = self.long
        g_y, _ = self._mean(L, ("all",), now, LONG_TAU, _Y, NAN)
        g_h, _ = self._mean(L, ("all",), now, LONG_TAU, _H, NAN)
        g_t, _ = self._mean(L, ("all",), now, LONG_TAU, _T, NAN)
        return (
            12.0 if math.isnan(g_y) else g_y,
            2.5 if math.isnan(g_h) else g_h,
            9.0 if math.isnan(g_t) else g_t,
        )

    def seller_features(self, facts: OrderFacts, now: float) -> list[float]:
        """The seller's own recent record as of ``now``: hand-off time over the last three
        weeks, and its parcels' transit and order-to-door days (long and recent memories),
        each shrunk toward the longer memory (or the whole marketplace) when thin."""
        L, S = self.long, self.short
        g_y, g_h, g_t = self._marketplace(now)
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
        g_y, g_h, g_t = self._marketplace(now)
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
