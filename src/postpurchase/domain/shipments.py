"""Shipments: a parcel on its way, and how tracking events move it through the status model."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from postpurchase.domain import events
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.orders import ShipmentView
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import SYSTEM_SOURCE, TrackingEvent, TrackingState, fold


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    line_id: str
    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidInput("quantity must be a positive integer", field="quantity")


@dataclass(frozen=True, slots=True)
class UnmatchedLine:
    """A line a store says it shipped that is not on the order as we hold it (an unknown
    SKU, a line added after we were told of the order). Kept, so nothing the store said is
    lost, and flagged, so someone can look; it does not count towards the order's status."""

    sku: str
    quantity: int
    title: str | None = None
    line_external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """What a store's fulfilment says of the parcel beyond its tracking number."""

    tracking_urls: tuple[str, ...] = ()
    name: str | None = None  # the store's fulfilment name, e.g. "#1001.1"
    location_id: str | None = None  # where it was fulfilled from
    carrier_name: str | None = None  # as the merchant typed it ("Canada Post", "Fastway")
    unmatched_lines: tuple[UnmatchedLine, ...] = ()


@dataclass(frozen=True, slots=True)
class ShipmentRef:
    """Enough of a shipment to route a scan to it, without loading or locking it."""

    id: str
    tracking_number: str
    carrier: str | None
    created_at: datetime
    service: str | None = None
    tracking_url: str | None = None

    def would_learn(self, service: str | None, tracking_url: str | None) -> bool:
        """True when a source's ``service`` or ``tracking_url`` fills a gap (see ``learn``)."""
        return bool((service and not self.service) or (tracking_url and not self.tracking_url))


@dataclass(slots=True)
class Shipment:
    id: str
    merchant_id: str
    order_id: str
    tracking_number: str
    carrier: str | None
    tracking_valid: bool
    created_at: datetime
    service: str | None = None
    lines: list[ShipmentLine] = field(default_factory=list)
    origin: Address | None = None
    destination: Address | None = None
    external_id: str | None = None
    tracking_url: str | None = None  # the carrier's or the store's public tracking page
    facts: ShipmentFacts = field(default_factory=ShipmentFacts)
    state: TrackingState = field(default_factory=TrackingState)
    # A return leg: the parcel of this return coming back (its scans move the return; it
    # never counts towards the order's status and raises no outbound events).
    return_id: str | None = None
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def status(self) -> ShipmentStatus:
        return self.state.status

    @property
    def substatus(self) -> str | None:
        return self.state.substatus

    def learn(self, service: str | None, tracking_url: str | None) -> bool:
        """Keep a tracking source's service level and public tracking page where we have
        none; what the store or the merchant said is never overwritten. True if any changed."""
        changed = False
        if service and not self.service:
            self.service, changed = service, True
        if tracking_url and not self.tracking_url:
            self.tracking_url, changed = tracking_url, True
        return changed

    def view(self) -> ShipmentView:
        return ShipmentView(self.status, {line.line_id: line.quantity for line in self.lines})

    def record(
        self,
        new_events: Sequence[TrackingEvent],
        history: Callable[[], Iterable[TrackingEvent]],
    ) -> None:
        """Apply events not seen before (the caller deduplicates against storage).

        In-order events are folded incrementally; one that sorts before what we have already
        folded forces a re-fold of the full ``history`` (which must include ``new_events``),
        so the result is always ``fold(all events)``.
        """
        if not new_events:
            return
        before = self.state
        ordered = sorted(new_events, key=lambda e: e.sort_key)
        if all(before.follows(e) for e in ordered[:1]):
            state = before
            for e in ordered:
                state = state.step(e)
        else:
            state = fold(history())
        self.state = state
        for e in ordered:
            if not e.recognised:
                self.events.append(
                    events.UnrecognisedCarrierCode(
                        self.merchant_id, e.source, self.carrier, e.carrier_code, self.id
                    )
                )
        self._announce(before, state)

    def _announce(self, before: TrackingState, after: TrackingState) -> None:
        m, sid, oid = self.merchant_id, self.id, self.order_id
        if self.return_id is not None:
            self._announce_return_leg(before, after)
            return
        if (before.status, before.substatus) != (after.status, after.substatus):
            at = after.status_at or after.last_event_at
            assert at is not None
            self.events.append(
                events.ShipmentStatusChanged(
                    m, sid, oid, before.status, after.status, before.substatus, after.substatus, at
                )
            )
            if after.status is ShipmentStatus.DELIVERED and before.status is not after.status:
                assert after.delivered_at is not None
                self.events.append(events.ShipmentDelivered(m, sid, oid, after.delivered_at))
            elif after.status is ShipmentStatus.EXCEPTION:
                self.events.append(events.ShipmentException(m, sid, oid, after.substatus, at))
                if after.substatus in (Substatus.DELAYED, Substatus.WEATHER, Substatus.NO_SCAN):
                    reason = after.substatus or Substatus.DELAYED
                    self.events.append(events.ShipmentDelayed(m, sid, oid, reason, at))
        if after.carrier_estimate and after.carrier_estimate != before.carrier_estimate:
            self.events.append(
                events.CarrierEstimateChanged(
                    m, sid, oid, before.carrier_estimate, after.carrier_estimate
                )
            )

    def _announce_return_leg(self, before: TrackingState, after: TrackingState) -> None:
        """A return leg tells the returns context its folded state, and nothing else: the
        shopper's "delivered" message, the late-delivery remedy and the KPIs are about
        parcels going out."""
        moved = (before.status, before.substatus, before.handed_over_at, before.delivered_at) != (
            after.status, after.substatus, after.handed_over_at, after.delivered_at,
        )  # fmt: skip
        if not moved or self.return_id is None:
            return
        at = after.status_at or after.last_event_at
        assert at is not None
        self.events.append(
            events.ReturnShipmentMoved(
                self.merchant_id, self.id, self.order_id, self.return_id, after.status.value,
                after.substatus, after.handed_over_at, after.delivered_at, at,
            )
        )  # fmt: skip

    def stale_event(
        self,
        now: datetime,
        *,
        no_scan_after: timedelta,
        expire_after: timedelta,
        out_for_delivery_after: timedelta | None = None,
    ) -> TrackingEvent | None:
        """The system event a periodic sweep should record, if the shipment went quiet.

        Quiet means no event (by event time) since ``no_scan_after``: it becomes
        exception/delayed. With no information at all for ``expire_after`` it expires.
        """
        if self.status in (ShipmentStatus.DELIVERED, ShipmentStatus.EXPIRED):
            return None
        last = self.state.last_scan_at or self.created_at
        quiet = now - last
        if quiet >= expire_after:
            return TrackingEvent(
                occurred_at=now,
                status=ShipmentStatus.EXPIRED,
                substatus=Substatus.NO_SCAN,
                description=f"No tracking information for {quiet.days} days",
                source=SYSTEM_SOURCE,
            )
        already_flagged = (
            self.status is ShipmentStatus.EXCEPTION and self.substatus == Substatus.DELAYED
        )
        out_since = self.state.status_at
        if (
            out_for_delivery_after is not None
            and self.status is ShipmentStatus.OUT_FOR_DELIVERY
            and out_since is not None
            and now - out_since >= out_for_delivery_after
        ):
            # "Arriving today" went stale: out for delivery on an earlier day, no delivery.
            return TrackingEvent(
                occurred_at=now,
                status=ShipmentStatus.EXCEPTION,
                substatus=Substatus.DELAYED,
                description=f"Out for delivery on {out_since.date().isoformat()}, not delivered",
                source=SYSTEM_SOURCE,
            )
        if quiet >= no_scan_after and not already_flagged and self.state.handed_over_at is not None:
            return TrackingEvent(
                occurred_at=now,
                status=ShipmentStatus.EXCEPTION,
                substatus=Substatus.DELAYED,
                description=f"No carrier scan for {quiet.days} days",
                source=SYSTEM_SOURCE,
            )
        return None
