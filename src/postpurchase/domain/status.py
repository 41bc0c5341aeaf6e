"""The unified status vocabulary: one small closed set every carrier maps onto."""

from __future__ import annotations

from enum import StrEnum


class ShipmentStatus(StrEnum):
    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPT_FAILED = "attempt_failed"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    EXPIRED = "expired"


class Substatus:
    """Known substatus values. Substatus stays an open string: carriers keep inventing detail."""

    DELAYED = "delayed"
    DAMAGED = "damaged"
    LOST = "lost"
    ADDRESS_ISSUE = "address_issue"
    CUSTOMS_HOLD = "customs_hold"
    RETURNED_TO_SENDER = "returned_to_sender"
    WEATHER = "weather"
    REFUSED = "refused"
    UNRECOGNISED = "unrecognised_code"
    NO_SCAN = "no_scan"
    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    HUB_ARRIVAL = "hub_arrival"
    HUB_DEPARTURE = "hub_departure"
    REDELIVERY_SCHEDULED = "redelivery_scheduled"
    SIGNED = "signed"
    LEFT_AT_DOOR = "left_at_door"
    PICKED_UP_BY_CUSTOMER = "picked_up_by_customer"


EXCEPTION_SUBSTATUSES: frozenset[str] = frozenset(
    {
        Substatus.DELAYED,
        Substatus.DAMAGED,
        Substatus.LOST,
        Substatus.ADDRESS_ISSUE,
        Substatus.CUSTOMS_HOLD,
        Substatus.RETURNED_TO_SENDER,
        Substatus.WEATHER,
        Substatus.REFUSED,
        Substatus.NO_SCAN,
    }
)

# Tie-break between events with the same timestamp: the later stage of a delivery wins.
STATUS_RANK: dict[ShipmentStatus, int] = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.INFO_RECEIVED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.EXCEPTION: 3,
    ShipmentStatus.EXPIRED: 3,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 4,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.ATTEMPT_FAILED: 5,
    ShipmentStatus.DELIVERED: 6,
}

# Statuses that only describe a parcel the carrier does not hold yet; a late "label created"
# must not drag an in-transit parcel back.
PRE_TRANSIT: frozenset[ShipmentStatus] = frozenset(
    {ShipmentStatus.PENDING, ShipmentStatus.INFO_RECEIVED}
)

# Statuses in which the carrier has the parcel (hand-over happened).
HANDED_OVER: frozenset[ShipmentStatus] = (
    frozenset(ShipmentStatus) - PRE_TRANSIT - {ShipmentStatus.EXPIRED}
)

# A shipment in one of these needs a human or a message.
NEEDS_ATTENTION: frozenset[ShipmentStatus] = frozenset(
    {ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED, ShipmentStatus.EXPIRED}
)


class OrderStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"


def parse_status(value: str, *, field: str = "status") -> ShipmentStatus:
    from postpurchase.domain.errors import InvalidInput

    try:
        return ShipmentStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ShipmentStatus)
        raise InvalidInput(
            f"{value!r} is not a status; expected one of {allowed}", field=field
        ) from None
