"""What a carrier is asked and what it answers, in our own types.

Why our own types and not a connector's: the service layer and the tracking fold must not
care whether an answer came from karrio's UPS connector, the simulated carrier or a future
aggregator. Money is :class:`~postpurchase.domain.money.Money` (Decimal with a currency),
times are timezone-aware UTC, weights are grams and lengths centimetres (converted at the
adapter, once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers.customs import Customs
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.tracking import Location, require_aware


@dataclass(frozen=True, slots=True)
class Parcel:
    """One box: weight in grams, outer dimensions in centimetres (when known)."""

    weight_grams: int
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None
    declared_value: Money | None = None

    def __post_init__(self) -> None:
        if self.weight_grams <= 0:
            raise InvalidInput("a parcel weighs more than 0 g", field="weight_grams")
        for name in ("length_cm", "width_cm", "height_cm"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InvalidInput("a dimension is more than 0 cm", field=name)


@dataclass(frozen=True, slots=True)
class CarrierScan:
    """One event as the carrier reported it, before our status mapping.

    ``code`` is the carrier's event code and ``kind`` the carrier's own coarser class of it
    when it has one (UPS activity *type* ``I``/``D``/``X``…, the simulated carrier's status
    family); the status table of the carrier reads both (``status_maps``).
    """

    occurred_at: datetime
    code: str | None
    description: str | None = None
    kind: str | None = None
    location: Location | None = None
    event_id: str | None = None
    signed_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "occurred_at", require_aware(self.occurred_at, field="occurred_at")
        )


@dataclass(frozen=True, slots=True)
class TrackResult:
    """What the carrier knows about one tracking number."""

    tracking_number: str
    scans: tuple[CarrierScan, ...]
    estimated_delivery: date | None = None
    service: str | None = None
    tracking_url: str | None = None


@dataclass(frozen=True, slots=True)
class NumberProblem:
    """A number the carrier answered for but could not track (unknown, not yet scanned)."""

    tracking_number: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class TrackBatch:
    """One tracking call: the numbers it found and the ones it could not."""

    results: tuple[TrackResult, ...] = ()
    problems: tuple[NumberProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class RateRequest:
    origin: Address
    destination: Address
    parcels: tuple[Parcel, ...]
    services: tuple[str, ...] = ()  # empty: every service the account offers

    def __post_init__(self) -> None:
        if not self.parcels:
            raise InvalidInput("at least one parcel", field="parcels")


@dataclass(frozen=True, slots=True)
class RateQuote:
    """A price for a service; ``delivery_date`` is the carrier's, or ours from its transit
    days (``date_estimated``) when it gave none."""

    carrier: str
    service: str
    price: Money
    delivery_date: date | None = None
    transit_days: int | None = None
    date_estimated: bool = False


class LabelFormat(StrEnum):
    PDF = "PDF"
    ZPL = "ZPL"


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """A label to buy; ``idempotency_key`` makes a retried purchase return the same label."""

    origin: Address
    destination: Address
    parcels: tuple[Parcel, ...]
    service: str
    idempotency_key: str
    label_format: LabelFormat = LabelFormat.PDF
    reference: str | None = None
    customs: Customs | None = None  # required when the parcel crosses a customs border
    drop_off: bool = False  # ask for a label-less drop-off code where the carrier has one


@dataclass(frozen=True, slots=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    label_id: str
    label_format: LabelFormat
    document: bytes = field(repr=False)
    price: Money | None = None
    drop_off_code: str | None = None  # what the counter scans instead of a printed label


@dataclass(frozen=True, slots=True)
class AddressCheck:
    """The carrier's verdict on an address, with its correction when it offers one."""

    valid: bool
    suggestion: Address | None = None
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PickupRequest:
    address: Address
    ready_at: datetime
    closes_at: datetime
    parcel_count: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "ready_at", require_aware(self.ready_at, field="ready_at"))
        object.__setattr__(self, "closes_at", require_aware(self.closes_at, field="closes_at"))
        if self.closes_at <= self.ready_at:
            raise InvalidInput("closes_at is after ready_at", field="closes_at")


@dataclass(frozen=True, slots=True)
class Pickup:
    confirmation: str
    pickup_date: date
