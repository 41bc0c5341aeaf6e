"""A label purchase as we keep it: its ledger row, the request behind it, customs data and
the limits a parcel must meet before a carrier is asked.

Why a ledger row written before the carrier is called: buying a label spends the merchant's
money at the carrier, and the call can fail *after* the carrier bought (a timeout on the
answer). The row, keyed by the caller's idempotency key, is what makes a retry return the
first label instead of buying a second, and what tells an operator which purchases ended
in an unknown state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers.customs import Customs
from postpurchase.domain.carriers.model import LabelFormat, Parcel
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


class LabelStatus(StrEnum):
    PENDING = "pending"  # written before the carrier call; not settled yet
    PURCHASED = "purchased"  # bought and stored: the document can be fetched
    FAILED = "failed"  # the carrier refused or failed: nothing was bought
    VOIDED = "voided"  # bought, then voided at the carrier (asked, or not stored)


@dataclass(frozen=True, slots=True)
class ParcelLimit:
    """What one carrier takes in one parcel: weight, longest side, length plus girth."""

    max_weight_grams: int
    max_length_cm: Decimal
    max_length_girth_cm: Decimal | None = None


# The carriers' published maxima for their standard parcel services.
PARCEL_LIMITS: dict[str, ParcelLimit] = {
    "ups": ParcelLimit(70_000, Decimal(274), Decimal(400)),
    "fedex": ParcelLimit(68_000, Decimal(274), Decimal(419)),
    "usps": ParcelLimit(31_751, Decimal(274), Decimal(330)),  # 70 lb, 108 in, 130 in
    "dhl": ParcelLimit(70_000, Decimal(300)),
    "canada_post": ParcelLimit(30_000, Decimal(200), Decimal(300)),
    "royal_mail": ParcelLimit(20_000, Decimal(61)),  # Tracked 24/48 parcels
    "dpd": ParcelLimit(31_500, Decimal(175), Decimal(300)),
    "gls": ParcelLimit(40_000, Decimal(200), Decimal(300)),
    "purolator": ParcelLimit(68_000, Decimal(270), Decimal(419)),
}


def check_parcels(carrier: str, parcels: tuple[Parcel, ...]) -> None:
    """Refuse a parcel over the carrier's limits before the carrier is asked (it would
    refuse too, or surcharge it as oversize), naming the parcel and the limit."""
    limit = PARCEL_LIMITS.get(carrier)
    if limit is None:
        return
    for n, p in enumerate(parcels):
        where = f"parcels[{n}]"
        if p.weight_grams > limit.max_weight_grams:
            raise InvalidInput(
                f"{p.weight_grams} g is over {carrier}'s limit of {limit.max_weight_grams} g",
                field=f"{where}.weight_grams",
            )
        dims = [d for d in (p.length_cm, p.width_cm, p.height_cm) if d is not None]
        if len(dims) != 3:
            continue
        dims.sort(reverse=True)
        if dims[0] > limit.max_length_cm:
            raise InvalidInput(
                f"the longest side, {dims[0]} cm, is over {carrier}'s {limit.max_length_cm} cm",
                field=f"{where}.length_cm",
            )
        girth = dims[0] + 2 * (dims[1] + dims[2])
        if limit.max_length_girth_cm is not None and girth > limit.max_length_girth_cm:
            raise InvalidInput(
                f"length plus girth, {girth} cm, is over {carrier}'s "
                f"{limit.max_length_girth_cm} cm",
                field=f"{where}.length_cm",
            )


# Carriers whose counters print the label from a code on the shopper's phone (USPS Label
# Broker, Royal Mail's print-in-store, UPS Access Point, Canada Post's FlexDelivery and
# returns QR, DHL Express's paperless drop-off).
LABELLESS_DROP_OFF: frozenset[str] = frozenset({"usps", "royal_mail", "ups", "canada_post", "dhl"})


@dataclass(frozen=True, slots=True)
class LabelPurchase:
    """What the caller asked to buy, in our terms (the order gives the destination)."""

    order_id: str
    carrier: str
    service: str
    origin: Address
    parcels: tuple[Parcel, ...]
    idempotency_key: str
    label_format: LabelFormat = LabelFormat.PDF
    customs: Customs | None = None
    drop_off: bool = False  # a QR code for label-less drop-off instead of a printed label

    def __post_init__(self) -> None:
        key = self.idempotency_key
        if not key or len(key) > 128 or any(ch.isspace() for ch in key) or not key.isascii():
            raise InvalidInput(
                "an idempotency key is 1 to 128 printable ASCII characters",
                field="idempotency_key",
            )
        if not self.parcels:
            raise InvalidInput("at least one parcel", field="parcels")

    def fingerprint(self) -> str:
        """Same key, same purchase: a key reused for another purchase is refused."""
        doc = {
            "order": self.order_id, "carrier": self.carrier, "service": self.service,
            "origin": self.origin.as_dict(), "format": self.label_format.value,
            "parcels": [
                [p.weight_grams, str(p.length_cm), str(p.width_cm), str(p.height_cm)]
                for p in self.parcels
            ],
            "customs": self.customs.as_dict() if self.customs else None,
            "drop_off": self.drop_off,
        }  # fmt: skip
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """One row of the label ledger."""

    id: str
    merchant_id: str
    idempotency_key: str
    order_id: str
    carrier: str
    service: str
    label_format: LabelFormat
    fingerprint: str
    status: LabelStatus
    created_at: datetime
    updated_at: datetime
    tracking_number: str | None = None
    carrier_label_id: str | None = None
    price: Money | None = None
    media_id: str | None = None  # the label document in the media store
    qr_media_id: str | None = None  # the drop-off QR code (PNG) when asked for
    shipment_id: str | None = None
    customs: dict[str, object] | None = field(default=None, compare=False)
    error: str | None = None
