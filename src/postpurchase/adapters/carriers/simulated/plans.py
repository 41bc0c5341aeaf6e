"""Scan plans: every event a simulated parcel will produce, computed up front.

A plan is a pure function of the parcel and a seed. The day-level schedule comes from
``service.schedule`` (so the carrier's promise equals ``quote``); this module adds times of
day in each hub's time zone and, for about one parcel in twenty, some trouble.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from postpurchase.adapters.carriers.simulated.network import Hub
from postpurchase.adapters.carriers.simulated.service import (
    SAME_DAY,
    SAME_DAY_LOCAL_KM,
    Schedule,
    add_working_days,
    schedule,
)
from postpurchase.adapters.carriers.simulated.vocabulary import KINDS, VOCABULARY
from postpurchase.domain.addresses import Address


class Trouble(StrEnum):
    WEATHER = "weather"  # held at a hub, resumes a day or two later
    FAILED_ATTEMPT = "failed_attempt"  # nobody home; redelivered the next working day
    ADDRESS_ISSUE = "address_issue"  # resolved, or returned to sender
    LOST = "lost"  # scans stop; declared lost a week or so later
    RETURNED = "returned_to_sender"  # refused at the door


TROUBLE_RATE = 0.05
TROUBLE_MIX: tuple[tuple[Trouble, float], ...] = (
    (Trouble.WEATHER, 0.30),
    (Trouble.FAILED_ATTEMPT, 0.30),
    (Trouble.ADDRESS_ISSUE, 0.18),
    (Trouble.LOST, 0.10),
    (Trouble.RETURNED, 0.12),
)


@dataclass(frozen=True)
class SimParcel:
    tracking_number: str
    carrier: str
    service: str
    origin: Address
    destination: Address
    shipped_at: datetime


def _rng(parcel: SimParcel, seed: int) -> random.Random:
    # str seeds hash with SHA-512, so this is stable across processes and Python runs
    return random.Random(
        f"postpurchase-sim|{seed}|{parcel.carrier}|{parcel.service}|{parcel.tracking_number}"
    )


def _pick_trouble(roll: float, rate: float) -> Trouble | None:
    if roll >= rate:
        return None
    acc = 0.0
    for kind, share in TROUBLE_MIX:
        acc += share * rate
        if roll < acc:
            return kind
    return TROUBLE_MIX[-1][0]


def trouble_of(
    parcel: SimParcel, seed: int, *, trouble_rate: float = TROUBLE_RATE
) -> Trouble | None:
    """Which trouble, if any, ``plan(parcel, seed)`` will contain."""
    return _pick_trouble(_rng(parcel, seed).random(), trouble_rate)


def _address_location(address: Address, hub: Hub) -> dict[str, str | None]:
    if not address.city:
        return hub.location()
    return {
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def _at(day: date, hours: float, tz: ZoneInfo) -> datetime:
    """``hours`` after local midnight of ``day`` (may run into the next day), in UTC."""
    local = datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hours)
    return local.astimezone(UTC)


def _local_hours(at: datetime, tz: ZoneInfo) -> float:
    local = at.astimezone(tz)
    return local.hour + local.minute / 60


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


@dataclass(slots=True)
class _Scan:
    at: datetime
    kind: str
    location: dict[str, str | None]
    tz: ZoneInfo
    edd: date | None


class _Planner:
    def __init__(
        self, parcel: SimParcel, sched: Schedule, rng: random.Random, trouble: Trouble | None
    ) -> None:
        self.parcel = parcel
        self.s = sched
        self.rng = rng
        self.trouble = trouble
        self.scans: list[_Scan] = []
        self.day = sched.delivery_day  # current delivery day
        self.edd: date | None = sched.delivery_day  # what the carrier currently promises
        self.o_tz = sched.origin_hub.tz
        self.d_tz = sched.dest_hub.tz
        self.origin_loc = _address_location(parcel.origin, sched.origin_hub)
        self.dest_loc = _address_location(parcel.destination, sched.dest_hub)

    # -- emission -----------------------------------------------------------------------
    def emit(self, kind: str, at: datetime, loc: dict[str, str | None], tz: ZoneInfo) -> None:
        self.scans.append(_Scan(at.replace(microsecond=0), kind, loc, tz, self.edd))

    @property
    def last(self) -> datetime:
        return self.scans[-1].at

    def after(self, at: datetime, min_minutes: float) -> datetime:
        """``at``, or a little after the last scan when ``at`` would not follow it."""
        floor = self.last + timedelta(minutes=min_minutes)
        return at if at > floor else floor + timedelta(minutes=self.rng.uniform(0, 20))

    def window(self, day: date, lo: float, hi: float, tz: ZoneInfo) -> datetime:
        return _at(day, self.rng.uniform(lo, hi), tz)

    # -- phases -------------------------------------------------------------------------
    def build(self) -> list[_Scan]:
        s = self.s
        self.emit("label", s.shipped_at, self.origin_loc, self.o_tz)
        pickup = self.pickup_time()
        self.emit("pickup", pickup, self.origin_loc, self.o_tz)
        courier = (
            s.service == SAME_DAY and s.transit_days == 0 and s.distance_km <= SAME_DAY_LOCAL_KM
        )
        ready = self.courier_run(pickup) if courier else self.linehaul(pickup)
        if ready is not None:
            self.last_mile(ready, courier=courier)
        return self.with_transit_scans()

    def with_transit_scans(self) -> list[_Scan]:
        """Long legs get a daily "in transit" scan, as carriers' tracking pages show."""
        out: list[_Scan] = []
        for scan in self.scans:
            prev = out[-1] if out else None
            if prev is not None and prev.kind in ("departure", "export"):
                gap = scan.at - prev.at
                days = int(gap / timedelta(hours=24))
                if gap > timedelta(hours=36):
                    step = gap / (days + 1)
                    country = {"country": prev.location.get("country")}
                    for i in range(1, days + 1):
                        at = prev.at + step * i + _h(self.rng.uniform(-2.0, 2.0))
                        out.append(
                            _Scan(at.replace(microsecond=0), "transit", country, prev.tz, prev.edd)
                        )
            out.append(scan)
        return out

    def pickup_time(self) -> datetime:
        s, rng = self.s, self.rng
        shipped = s.shipped_at.astimezone(UTC)
        if s.service == SAME_DAY:
            if s.pickup_day == s.shipped_at.date():
                at = shipped + timedelta(minutes=rng.uniform(20, 60))
                return max(at, self.window(s.pickup_day, 8.0, 8.75, self.o_tz))
            return self.window(s.pickup_day, 8.0, 9.5, self.o_tz)
        start = max(_at(s.pickup_day, 14.0, self.o_tz), shipped + timedelta(minutes=30))
        end = _at(s.pickup_day, 18.5, self.o_tz)
        span = max((end - start).total_seconds(), 600.0)
        return start + timedelta(seconds=rng.uniform(0, span))

    def courier_run(self, pickup: datetime) -> datetime | None:
        """Same-day courier inside a metro area: no hubs, straight to the door."""
        if self.trouble is Trouble.LOST:
            self.declare_lost(self.origin_loc, self.o_tz)
            return None
        if self.trouble is Trouble.WEATHER:
            held = pickup + _h(self.rng.uniform(0.5, 1.5))
            self.day = self.s.add_days(self.day, 1)
            self.edd = self.day
            self.emit("weather", held, self.origin_loc, self.o_tz)
            return self.window(self.day, 7.0, 8.0, self.d_tz)
        return pickup + _h(self.rng.uniform(0.1, 0.4))

    def arrival_time(self, day: date, depart: datetime, stops: int) -> datetime:
        """When a parcel that left at ``depart`` reaches the last hub, to go out on ``day``."""
        s = self.s
        if s.service == SAME_DAY and s.transit_days == 0:
            return depart + _h(s.distance_km / 800 + 0.5)
        arrive = self.window(day, 1.5, 5.5, self.d_tz)
        speed = 850.0 if s.service != "ground" or s.international else 75.0
        needed = _h(s.distance_km / speed + 0.75 * stops + 1.0)
        return max(arrive, depart + needed)

    def hold_for_weather(
        self, hub: Hub, arrived: datetime, stops_left: int
    ) -> tuple[datetime, datetime]:
        rng = self.rng
        held = arrived + _h(rng.uniform(0.5, 3.0))
        self.day = self.s.add_days(self.day, rng.choice((1, 1, 2)))
        self.edd = self.day
        self.emit("weather", held, hub.location(), hub.tz)
        new_arrival = self.window(self.day, 1.5, 5.5, self.d_tz)
        resume = held + max(_h(4), (new_arrival - held) * rng.uniform(0.3, 0.55))
        if resume >= new_arrival - _h(stops_left + 1):
            new_arrival = resume + _h(stops_left * 3 + 2)
        return resume, new_arrival

    def spread(
        self, hubs: tuple[Hub, ...], depart: datetime, arrive: datetime
    ) -> list[tuple[Hub, datetime, datetime]]:
        """Arrival and departure times at intermediate hubs between two instants."""
        seg = (arrive - depart) / (len(hubs) + 1)
        legs = []
        for i, hub in enumerate(hubs, start=1):
            at = depart + seg * i - seg * self.rng.uniform(0, 0.25)
            leave = at + min(_h(self.rng.uniform(1.0, 4.0)), seg * 0.5)
            legs.append((hub, at, leave))
        return legs

    def arrive(self, index: int, at: datetime, next_at: datetime | None) -> None:
        hubs = self.s.hubs
        hub = hubs[index]
        crossed = index > 0 and hubs[index - 1].country != hub.country
        self.emit("import" if crossed else "arrival", at, hub.location(), hub.tz)
        if crossed:
            gap = _h(self.rng.uniform(0.25, 1.0))
            if next_at is not None:
                gap = min(gap, (next_at - at) / 2)
            self.emit("customs", at + gap, hub.location(), hub.tz)

    def depart(self, index: int, at: datetime) -> None:
        hubs = self.s.hubs
        hub = hubs[index]
        crossing = index + 1 < len(hubs) and hubs[index + 1].country != hub.country
        self.emit("export" if crossing else "departure", at, hub.location(), hub.tz)

    def linehaul(self, pickup: datetime) -> datetime | None:
        """Hub to hub; returns when the parcel is ready for the last mile (None when lost)."""
        s, rng = self.s, self.rng
        hubs = s.hubs
        weather_at = rng.randrange(max(1, len(hubs) - 1)) if self.trouble is Trouble.WEATHER else -1
        lost_at = rng.randrange(len(hubs)) if self.trouble is Trouble.LOST else -1
        flight = s.service == SAME_DAY and s.transit_days == 0
        a0 = pickup + (_h(rng.uniform(0.5, 1.0)) if flight else _h(rng.uniform(1.0, 2.5)))
        self.arrive(0, a0, None)
        if lost_at == 0:
            self.declare_lost(hubs[0].location(), hubs[0].tz)
            return None
        if len(hubs) == 1:  # origin hub is also the delivery hub: out to its delivery station
            if weather_at == 0:
                leave, _ = self.hold_for_weather(hubs[0], a0, 0)
            else:
                leave = max(self.window(s.pickup_day, 21.5, 25.5, self.o_tz), a0 + _h(1))
            self.depart(0, self.after(leave, 30))
            return self.last
        if flight:
            dep = a0 + _h(rng.uniform(0.5, 1.0))
        else:
            dep = max(self.window(s.pickup_day, 21.5, 25.5, self.o_tz), a0 + _h(1))
        arrive_last = self.arrival_time(self.day, dep, len(hubs) - 2)
        pos = 0
        if weather_at == 0:
            dep, arrive_last = self.hold_for_weather(hubs[0], a0, len(hubs) - 2)
        while True:
            self.depart(pos, self.after(dep, 5))
            for j, (_hub, at, leave) in enumerate(
                self.spread(hubs[pos + 1 : -1], self.last, arrive_last), start=pos + 1
            ):
                self.arrive(j, self.after(at, 5), leave)
                if j == lost_at:
                    self.declare_lost(hubs[j].location(), hubs[j].tz)
                    return None
                if j == weather_at:
                    dep, arrive_last = self.hold_for_weather(hubs[j], self.last, len(hubs) - j - 2)
                    pos = j
                    break
                self.depart(j, self.after(leave, 5))
            else:
                break
        last_index = len(hubs) - 1
        self.arrive(last_index, self.after(arrive_last, 5), None)
        if lost_at == last_index:
            self.declare_lost(hubs[-1].location(), hubs[-1].tz)
            return None
        return self.last

    def last_mile(self, ready: datetime, *, courier: bool) -> None:
        s, rng = self.s, self.rng
        hub = s.dest_hub
        if self.trouble is Trouble.ADDRESS_ISSUE:
            self.edd = None
            self.emit("address_issue", ready + _h(rng.uniform(0.5, 2.0)), hub.location(), hub.tz)
            if rng.random() >= 0.65:
                self.return_to_sender("rts_address", hub.location(), hub.tz, rng.randint(3, 5))
                return
            fixed_day = s.add_days(self.day, rng.choice((1, 1, 2)))
            self.day = s.add_days(fixed_day, 1)
            self.edd = self.day
            self.emit(
                "address_fixed",
                self.window(fixed_day, 10.0, 16.0, self.d_tz),
                hub.location(),
                hub.tz,
            )
        ofd = self.out_for_delivery(courier)
        if self.trouble is Trouble.RETURNED:
            self.edd = None
            refused = ofd + _h(rng.uniform(1.0, 5.0))
            self.emit("refused", refused, self.dest_loc, self.d_tz)
            self.return_to_sender(None, hub.location(), hub.tz, 0)
            return
        if self.trouble is Trouble.FAILED_ATTEMPT:
            self.day = s.add_days(self.day, 1)
            self.edd = self.day
            self.emit("attempt", self.attempt_time(ofd), self.dest_loc, self.d_tz)
            ofd = self.out_for_delivery(False)
            if rng.random() >= 0.8:  # nobody home again: held for collection
                self.edd = None
                attempt = self.attempt_time(ofd)
                self.emit("attempt", attempt, self.dest_loc, self.d_tz)
                self.emit("held", attempt + _h(rng.uniform(1.5, 3.0)), self.dest_loc, self.d_tz)
                day = self.last.astimezone(self.d_tz).date() + timedelta(days=rng.randint(1, 4))
                if day.weekday() == 6:
                    day += timedelta(days=1)
                self.emit(
                    "collected", self.window(day, 10.0, 19.0, self.d_tz), self.dest_loc, self.d_tz
                )
                return
        self.deliver(ofd, courier)

    def out_for_delivery(self, courier: bool) -> datetime:
        if courier and self.day == self.s.delivery_day:  # straight on from the pickup
            at = self.last + _h(self.rng.uniform(0.15, 0.5))
        else:
            at = self.after(self.window(self.day, 7.0, 9.0, self.d_tz), 20)
        self.emit("ofd", at, self.s.dest_hub.location(), self.d_tz)
        return at

    def attempt_time(self, ofd: datetime) -> datetime:
        latest = max(_local_hours(ofd, self.d_tz) + 1.5, 19.5)
        return ofd + _h(self.rng.uniform(1.0, latest - _local_hours(ofd, self.d_tz)))

    def deliver(self, ofd: datetime, courier: bool) -> None:
        s, rng = self.s, self.rng
        start = _local_hours(ofd, self.d_tz)
        if courier:
            lo, hi, p_signed = start + 0.75, max(start + 1.0, min(start + 4.0, 19.75)), 0.5
        elif s.service == "ground":
            lo, hi, p_signed = max(9.5, start + 0.5), max(start + 1.0, 19.75), 0.3
        else:
            lo, hi, p_signed = max(9.0, start + 0.33), max(start + 0.75, 12.0), 0.6
        at = self.window(self.day, lo, max(hi, lo + 0.1), self.d_tz)
        self.edd = None
        kind = "signed" if rng.random() < p_signed else "door"
        self.emit(kind, self.after(at, 15), self.dest_loc, self.d_tz)

    def declare_lost(self, loc: dict[str, str | None], tz: ZoneInfo) -> None:
        day = self.last.astimezone(tz).date() + timedelta(days=self.rng.randint(7, 12))
        self.edd = None
        self.emit("lost", self.window(day, 10.0, 17.0, tz), loc, tz)

    def return_to_sender(
        self, kind: str | None, loc: dict[str, str | None], tz: ZoneInfo, wait_days: int
    ) -> None:
        s = self.s
        self.edd = None
        if kind is not None:
            day = s.add_days(self.day, wait_days)
            self.emit(kind, self.after(self.window(day, 9.0, 17.0, tz), 60), loc, tz)
        start = self.last.astimezone(self.o_tz).date()
        back = add_working_days(
            start, s.transit_days + 1, s.origin_hub.country, s.carrier, "ground"
        )
        self.emit(
            "returned",
            self.after(self.window(back, 10.0, 17.0, self.o_tz), 60),
            self.origin_loc,
            self.o_tz,
        )


def _event_id(parcel: SimParcel, seed: int, index: int) -> str:
    raw = f"{parcel.carrier}|{parcel.tracking_number}|{seed}|{index}".encode()
    return "sim_" + hashlib.blake2b(raw, digest_size=12).hexdigest()


def _to_dict(parcel: SimParcel, seed: int, index: int, scan: _Scan) -> dict[str, Any]:
    status, substatus = KINDS[scan.kind]
    code, description = VOCABULARY[parcel.carrier][scan.kind]
    event: dict[str, Any] = {
        "id": _event_id(parcel, seed, index),
        "tracking_number": parcel.tracking_number,
        "carrier": parcel.carrier,
        "occurred_at": scan.at.astimezone(scan.tz).isoformat(timespec="seconds"),
        "status": status.value,
    }
    if substatus is not None:
        event["substatus"] = substatus
    event["code"] = code
    event["description"] = description
    event["location"] = {k: v for k, v in scan.location.items() if v}
    if scan.edd is not None:
        event["estimated_delivery"] = scan.edd.isoformat()
    return event


def plan(
    parcel: SimParcel,
    seed: int,
    *,
    trouble_rate: float = TROUBLE_RATE,
    trouble: Trouble | None = None,
) -> list[dict[str, Any]]:
    """Every scan of ``parcel``, in time order, in our normalised webhook event format.

    Deterministic for ``(parcel, seed)``. ``trouble`` forces one kind of trouble (tests,
    demos); otherwise about ``trouble_rate`` of parcels get one.
    """
    sched = schedule(
        parcel.origin, parcel.destination, parcel.carrier, parcel.service, parcel.shipped_at
    )
    rng = _rng(parcel, seed)
    drawn = _pick_trouble(rng.random(), trouble_rate)
    scans = _Planner(parcel, sched, rng, trouble or drawn).build()
    # A total order: nudge the (rare) collision forward so times strictly increase.
    for prev, cur in itertools.pairwise(scans):
        if cur.at <= prev.at:
            cur.at = prev.at + timedelta(minutes=1)
    return [_to_dict(parcel, seed, i, scan) for i, scan in enumerate(scans)]
