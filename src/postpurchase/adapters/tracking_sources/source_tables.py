"""Status tables per tracking source: AfterShip tags and subtags, EasyPost ``status`` and
``status_detail``, and Shopify's ``shipment_status``, each onto a :class:`Mapped`.

Sources: AfterShip "Delivery Sub-statuses" (tracking API enum, incl. the codes added in
2026), EasyPost Tracker ``status`` / ``status_detail`` values, Shopify Fulfillment
``shipment_status``. The functions that read these tables are in ``status_maps``; the tables
live here so they can be reviewed (and grown) as data.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from postpurchase.adapters.tracking_sources.mapped import (
    EXTRA_ADDRESS_CORRECTED,
    EXTRA_APPOINTMENT_SCHEDULED,
    EXTRA_ARRIVED_DESTINATION_COUNTRY,
    EXTRA_BUSINESS_CLOSED,
    EXTRA_CANCELLED,
    EXTRA_CASH_ON_DELIVERY,
    EXTRA_CUSTOMER_CONTACTED,
    EXTRA_CUSTOMS_CLEARED,
    EXTRA_CUSTOMS_PROCESSING,
    EXTRA_HELD,
    EXTRA_LEFT_WITH_NEIGHBOUR,
    EXTRA_PROBLEM_RESOLVED,
    EXTRA_RECIPIENT_UNAVAILABLE,
    EXTRA_REDIRECTED,
    EXTRA_REJECTED_BY_CARRIER,
    EXTRA_TRACKING_ERROR,
    EXTRA_TRANSFERRED,
    EXTRA_UNCLAIMED,
    UNRECOGNISED,
    Mapped,
)
from postpurchase.domain.status import ShipmentStatus, Substatus

S = ShipmentStatus

# --------------------------------------------------------------------------------------
# AfterShip: tags (9 statuses) and subtags ("Tag_NNN").
# --------------------------------------------------------------------------------------

AFTERSHIP_TAGS: Final = MappingProxyType(
    {
        "Pending": Mapped(S.PENDING),
        "InfoReceived": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "InTransit": Mapped(S.IN_TRANSIT),
        "OutForDelivery": Mapped(S.OUT_FOR_DELIVERY),
        "AttemptFail": Mapped(S.ATTEMPT_FAILED),
        "AvailableForPickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "Delivered": Mapped(S.DELIVERED),
        "Exception": Mapped(S.EXCEPTION),
        "Expired": Mapped(S.EXPIRED, Substatus.NO_SCAN),
    }
)

AFTERSHIP_SUBTAGS: Final = MappingProxyType(
    {
        "Pending_001": Mapped(S.PENDING),  # no information from the carrier yet
        "InfoReceived_001": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "InTransit_001": Mapped(S.IN_TRANSIT),
        "InTransit_002": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # acceptance scan
        "InTransit_003": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrival scan
        "InTransit_004": Mapped(S.IN_TRANSIT, EXTRA_ARRIVED_DESTINATION_COUNTRY),
        "InTransit_005": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_CLEARED),
        "InTransit_006": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_PROCESSING),  # handed to customs
        "InTransit_007": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departure scan
        "InTransit_008": Mapped(S.IN_TRANSIT, EXTRA_PROBLEM_RESOLVED),
        "InTransit_009": Mapped(S.IN_TRANSIT, EXTRA_REDIRECTED),  # forwarded to new address
        "OutForDelivery_001": Mapped(S.OUT_FOR_DELIVERY),
        "OutForDelivery_003": Mapped(S.OUT_FOR_DELIVERY, EXTRA_CUSTOMER_CONTACTED),
        "OutForDelivery_004": Mapped(S.OUT_FOR_DELIVERY, EXTRA_APPOINTMENT_SCHEDULED),
        "AttemptFail_001": Mapped(S.ATTEMPT_FAILED),
        "AttemptFail_002": Mapped(S.ATTEMPT_FAILED, EXTRA_RECIPIENT_UNAVAILABLE),
        "AttemptFail_003": Mapped(S.ATTEMPT_FAILED, EXTRA_BUSINESS_CLOSED),
        "AvailableForPickup_001": Mapped(S.AVAILABLE_FOR_PICKUP),
        "Delivered_001": Mapped(S.DELIVERED),
        "Delivered_002": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),
        "Delivered_003": Mapped(S.DELIVERED, Substatus.SIGNED),
        "Delivered_004": Mapped(S.DELIVERED, EXTRA_CASH_ON_DELIVERY),
        "Delivered_005": Mapped(S.DELIVERED, EXTRA_LEFT_WITH_NEIGHBOUR),
        "Exception_001": Mapped(S.EXCEPTION),  # unspecified shipping exception
        "Exception_002": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # customer moved
        "Exception_003": Mapped(S.EXCEPTION, Substatus.REFUSED),
        "Exception_004": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # customs delay
        "Exception_005": Mapped(S.EXCEPTION, Substatus.DELAYED),  # external factors
        "Exception_006": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # held for payment
        "Exception_007": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # incorrect address
        "Exception_008": Mapped(S.EXCEPTION, EXTRA_UNCLAIMED),  # pickup missed
        "Exception_009": Mapped(S.EXCEPTION, EXTRA_REJECTED_BY_CARRIER),
        "Exception_010": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),  # returning
        "Exception_011": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),  # returned
        "Exception_012": Mapped(S.EXCEPTION, Substatus.DAMAGED),
        "Exception_013": Mapped(S.EXCEPTION, Substatus.LOST),
        "Exception_016": Mapped(S.EXCEPTION, Substatus.DELAYED),  # processing issue
        "Exception_017": Mapped(S.EXCEPTION, Substatus.WEATHER),  # extreme weather
        "Exception_018": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # documents missing
        "Exception_019": Mapped(S.EXCEPTION, Substatus.DELAYED),  # late flight
        "Exception_020": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        "Exception_021": Mapped(S.EXCEPTION, Substatus.LOST),  # disposed: it will not arrive
        "Expired_001": Mapped(S.EXPIRED, Substatus.NO_SCAN),
    }
)


# --------------------------------------------------------------------------------------
# EasyPost: Tracker / TrackingDetail ``status`` and ``status_detail``.
# --------------------------------------------------------------------------------------

EASYPOST_STATUSES: Final = MappingProxyType(
    {
        "pre_transit": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "in_transit": Mapped(S.IN_TRANSIT),
        "out_for_delivery": Mapped(S.OUT_FOR_DELIVERY),
        "delivered": Mapped(S.DELIVERED),
        "available_for_pickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "return_to_sender": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "failure": Mapped(S.EXCEPTION),
        "cancelled": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        # A tracker error is about the tracker, not the parcel: pre-transit, so it never
        # drags a moving parcel back, and a fresh shipment shows the problem.
        "error": Mapped(S.PENDING, EXTRA_TRACKING_ERROR),
        # EasyPost could not classify the carrier's message: count it.
        "unknown": UNRECOGNISED,
    }
)

# status_detail -> (status override or None to keep the status, substatus)
EASYPOST_STATUS_DETAILS: Final = MappingProxyType(
    {
        "address_correction": (None, EXTRA_ADDRESS_CORRECTED),
        "arrived_at_destination": (None, Substatus.HUB_ARRIVAL),
        "arrived_at_facility": (None, Substatus.HUB_ARRIVAL),
        "arrived_at_pickup_location": (S.AVAILABLE_FOR_PICKUP, None),
        "awaiting_information": (None, None),
        "cancelled": (S.EXCEPTION, EXTRA_CANCELLED),
        "damaged": (S.EXCEPTION, Substatus.DAMAGED),
        "delayed": (S.EXCEPTION, Substatus.DELAYED),
        "delivery_exception": (S.ATTEMPT_FAILED, None),
        "departed_facility": (None, Substatus.HUB_DEPARTURE),
        "departed_origin_facility": (None, Substatus.HUB_DEPARTURE),
        "expired": (S.EXPIRED, Substatus.NO_SCAN),
        "failure": (None, None),
        "held": (None, EXTRA_HELD),
        "in_transit": (None, None),
        "label_created": (None, Substatus.LABEL_CREATED),
        "lost": (S.EXCEPTION, Substatus.LOST),
        "missorted": (S.EXCEPTION, Substatus.DELAYED),
        "out_for_delivery": (S.OUT_FOR_DELIVERY, None),
        "received_at_destination_facility": (None, Substatus.HUB_ARRIVAL),
        "received_at_origin_facility": (None, Substatus.PICKED_UP),
        "refused": (S.EXCEPTION, Substatus.REFUSED),
        "return": (S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "status_update": (None, None),
        "transferred_to_destination_carrier": (None, EXTRA_TRANSFERRED),
        "transit_exception": (S.EXCEPTION, Substatus.DELAYED),
        "unknown": (None, None),
        "weather_delay": (S.EXCEPTION, Substatus.WEATHER),
    }
)


# --------------------------------------------------------------------------------------
# Shopify Fulfillment.shipment_status (REST) and FulfillmentEvent / display statuses.
# --------------------------------------------------------------------------------------

SHOPIFY_SHIPMENT_STATUSES: Final = MappingProxyType(
    {
        "label_printed": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "label_purchased": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "confirmed": Mapped(S.INFO_RECEIVED),
        "ready_for_pickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "label_voided": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        "carrier_picked_up": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        # "picked_up" is the shopper collecting it (local pickup), not the carrier
        "picked_up": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),
        "in_transit": Mapped(S.IN_TRANSIT),
        "out_for_delivery": Mapped(S.OUT_FOR_DELIVERY),
        "attempted_delivery": Mapped(S.ATTEMPT_FAILED),
        "delayed": Mapped(S.EXCEPTION, Substatus.DELAYED),
        "delivered": Mapped(S.DELIVERED),
        "failure": Mapped(S.EXCEPTION),
        "not_delivered": Mapped(S.EXCEPTION),
    }
)
