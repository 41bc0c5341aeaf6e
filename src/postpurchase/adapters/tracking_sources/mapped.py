"""What every status table maps onto: :class:`Mapped` (our ``ShipmentStatus`` plus a
substatus), :data:`UNRECOGNISED`, and the finer substatuses the domain has no constant for.

Substatus strings come from ``domain.status.Substatus`` where one fits. The few finer ones
below (``EXTRA_*``) are open strings the domain allows ("carriers keep inventing detail").

Kept apart so the source and carrier tables and the mapping functions in ``status_maps``
share one vocabulary without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from postpurchase.domain.status import ShipmentStatus, Substatus

S = ShipmentStatus


@dataclass(frozen=True, slots=True)
class Mapped:
    status: ShipmentStatus
    substatus: str | None = None
    recognised: bool = True


UNRECOGNISED: Final = Mapped(S.IN_TRANSIT, Substatus.UNRECOGNISED, recognised=False)

# Finer substatuses that have no constant in the domain (yet). Open strings by design.
EXTRA_CUSTOMS_CLEARED: Final = "customs_cleared"
EXTRA_CUSTOMS_PROCESSING: Final = "customs_processing"
EXTRA_ARRIVED_DESTINATION_COUNTRY: Final = "arrived_destination_country"
EXTRA_REDIRECTED: Final = "redirected"
EXTRA_PROBLEM_RESOLVED: Final = "problem_resolved"
EXTRA_CUSTOMER_CONTACTED: Final = "customer_contacted"
EXTRA_APPOINTMENT_SCHEDULED: Final = "appointment_scheduled"
EXTRA_RECIPIENT_UNAVAILABLE: Final = "recipient_unavailable"
EXTRA_BUSINESS_CLOSED: Final = "business_closed"
EXTRA_CASH_ON_DELIVERY: Final = "cash_on_delivery_collected"
EXTRA_LEFT_WITH_NEIGHBOUR: Final = "left_with_neighbour"
EXTRA_UNCLAIMED: Final = "unclaimed"
EXTRA_REJECTED_BY_CARRIER: Final = "rejected_by_carrier"
EXTRA_CANCELLED: Final = "cancelled"
EXTRA_ADDRESS_CORRECTED: Final = "address_corrected"
EXTRA_HELD: Final = "held"
EXTRA_TRANSFERRED: Final = "transferred"
EXTRA_TRACKING_ERROR: Final = "tracking_error"
