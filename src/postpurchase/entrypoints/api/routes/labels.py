"""Shipping labels (/api/v1/labels), address checks (/api/v1/addresses/validate) and
pickups (/api/v1/carriers/pickups), through the merchant's carrier accounts.

A purchase needs an ``Idempotency-Key``: a retry under the same key returns the label
bought the first time (200) and never buys twice. A carrier's failure answers 502 naming
the cause (``failure``: auth, rate_limited, unavailable, timeout); a carrier refusing the
request itself (an address it cannot deliver to, a parcel over its limits) answers 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from postpurchase.adapters.carriers.accounts import AccountGateways, qr_png
from postpurchase.bootstrap import Platform
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    CarrierError,
    CarrierFailure,
    ContentType,
    Customs,
    CustomsItem,
    LabelFormat,
    Parcel,
    PickupRequest,
)
from postpurchase.domain.errors import NotFound
from postpurchase.domain.labels import LabelPurchase, LabelRecord
from postpurchase.domain.money import Money
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import PROBLEM_CONTENT, Problem
from postpurchase.service_layer import labels as service

router = APIRouter(prefix="/api/v1", tags=["labels"])

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_TEXT = r"^[^\x00-\x1f\x7f]*$"
CARRIER_FAILED: dict[int | str, dict[str, Any]] = {
    502: {
        "description": "The carrier failed (wrong credentials, 5xx, 429, no answer in time); "
        "`failure` names the cause. Nothing was bought.",
        "content": PROBLEM_CONTENT,
    }
}
T = TypeVar("T")


def carriers_of(platform: Platform) -> AccountGateways:
    s = platform.settings
    return AccountGateways(
        platform.engine, platform.keyring, api_urls=s.carrier_api_urls,
        timeout=s.carrier_timeout_seconds,
    )  # fmt: skip


async def _carrier_call(fn: Callable[[], T]) -> T:
    """Run ``fn`` off the event loop; a carrier's failure becomes a problem naming it."""
    try:
        return await run_in_threadpool(fn)
    except CarrierError as exc:
        if exc.failure in (CarrierFailure.REJECTED, CarrierFailure.UNSUPPORTED):
            raise Problem(422, "Carrier refused", exc.message, field=exc.field or "carrier",
                          failure=exc.failure.value, carrier=exc.carrier) from None  # fmt: skip
        headers = {"Retry-After": str(int(exc.retry_after or 5))} if exc.transient else None
        raise Problem(502, "Carrier failed", exc.message, field="carrier", headers=headers,
                      failure=exc.failure.value, carrier=exc.carrier) from None  # fmt: skip


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2.")
    postal_code: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9 -]*$")
    region: str | None = Field(default=None, max_length=64, pattern=_TEXT)
    city: str | None = Field(default=None, max_length=100, pattern=_TEXT)
    line1: str | None = Field(default=None, max_length=200, pattern=_TEXT)
    line2: str | None = Field(default=None, max_length=200, pattern=_TEXT)
    name: str | None = Field(default=None, max_length=200, pattern=_TEXT)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9 +().-]*$")

    def domain(self) -> Address:
        return Address(**self.model_dump())


class AddressOut(BaseModel):
    country: str
    postal_code: str | None
    region: str | None
    city: str | None
    line1: str | None
    line2: str | None
    name: str | None
    phone: str | None


class ParcelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(ge=1, le=1_000_000)
    length_cm: float | None = Field(default=None, gt=0, le=1000)
    width_cm: float | None = Field(default=None, gt=0, le=1000)
    height_cm: float | None = Field(default=None, gt=0, le=1000)


class CustomsItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*\S")
    quantity: int = Field(ge=1, le=10_000)
    value: str = Field(pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$", description="Per unit, e.g. 12.50.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    weight_grams: int = Field(ge=1, le=1_000_000, description="Per unit.")
    hs_code: str | None = Field(default=None, pattern=r"^\d{4}\.?\d{2}(\.?\d{2}){0,2}$")
    origin_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class CustomsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contents: Literal["merchandise", "gift", "documents", "sample", "return_merchandise"]
    items: list[CustomsItemIn] = Field(min_length=1, max_length=100)
    incoterm: Literal["DDU", "DDP"] = "DDU"
    invoice_number: str | None = Field(default=None, max_length=64, pattern=_TEXT)

    def domain(self) -> Customs:
        return Customs(
            ContentType(self.contents),
            tuple(
                CustomsItem(i.description, i.quantity, Money(Decimal(i.value), i.currency),
                            i.weight_grams, i.hs_code, i.origin_country)
                for i in self.items
            ),
            self.incoterm, self.invoice_number,
        )  # fmt: skip


class LabelIn(BaseModel):
    """A label to buy for one of your orders (its shipping address is the destination)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "order_id": "0f3a...", "carrier": "ups", "service": "ground",
                    "origin": {"country": "US", "postal_code": "43215", "region": "OH",
                               "city": "Columbus", "line1": "1 Warehouse Way", "name": "Acme"},
                    "parcels": [{"weight_grams": 1200, "length_cm": 30, "width_cm": 20,
                                 "height_cm": 10}],
                    "label_format": "ZPL",
                }
            ]
        },
    )  # fmt: skip

    order_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    carrier: str = Field(min_length=2, max_length=48, pattern=r"^[a-z][a-z0-9_]*$")
    service: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    origin: AddressIn
    parcels: list[ParcelIn] = Field(min_length=1, max_length=50)
    label_format: Literal["PDF", "ZPL"] = Field(default="PDF", description="4×6 inch either way.")
    customs: CustomsIn | None = Field(
        default=None, description="Required when the parcel crosses a customs border."
    )
    drop_off: bool = Field(
        default=False,
        description="Ask for a QR code for label-less drop-off (carriers that offer it).",
    )


class LabelOut(BaseModel):
    id: str
    order_id: str
    carrier: str
    service: str
    status: Literal["pending", "purchased", "failed", "voided"]
    label_format: str
    tracking_number: str | None
    price: Decimal | None
    currency: str | None
    shipment_id: str | None = Field(description="The shipment its tracking number became.")
    document_url: str | None = Field(description="The label (PDF or ZPL) once purchased.")
    qr_code_url: str | None = Field(description="The drop-off QR code (PNG) when asked for.")
    error: str | None = Field(description="Why it failed or was voided, naming the cause.")
    created_at: datetime
    updated_at: datetime


def label_out(r: LabelRecord) -> LabelOut:
    base = f"/api/v1/labels/{r.id}"
    return LabelOut(
        id=r.id, order_id=r.order_id, carrier=r.carrier, service=r.service,
        status=r.status.value, label_format=r.label_format.value,
        tracking_number=r.tracking_number, price=r.price.amount if r.price else None,
        currency=r.price.currency if r.price else None, shipment_id=r.shipment_id,
        document_url=f"{base}/document" if r.media_id else None,
        qr_code_url=f"{base}/qr" if r.qr_media_id else None, error=r.error,
        created_at=r.created_at, updated_at=r.updated_at,
    )  # fmt: skip


def _parcel(p: ParcelIn) -> Parcel:
    def cm(v: float | None) -> Decimal | None:
        return Decimal(str(v)) if v is not None else None

    return Parcel(p.weight_grams, cm(p.length_cm), cm(p.width_cm), cm(p.height_cm))


@router.post(
    "/labels",
    response_model=LabelOut,
    status_code=201,
    responses={200: {"model": LabelOut, "description": "Bought before under this key."},
               **CARRIER_FAILED},
)  # fmt: skip
async def buy_label(
    body: LabelIn,
    merchant: MerchantDep,
    platform: PlatformDep,
    response: Response,
    idempotency_key: Annotated[str, Header(pattern=KEY_PATTERN)],
) -> LabelOut:
    """Buy a label through your account at `carrier`. Refused before the carrier is asked:
    a cancelled order, a parcel over the carrier's limits, an address our checks reject, an
    international parcel without `customs`. The tracking number becomes a shipment of the
    order at once (polled, and written back to your connected store)."""
    purchase = LabelPurchase(
        order_id=body.order_id, carrier=body.carrier, service=body.service,
        origin=body.origin.domain(), parcels=tuple(_parcel(p) for p in body.parcels),
        idempotency_key=idempotency_key, label_format=LabelFormat(body.label_format),
        customs=body.customs.domain() if body.customs else None, drop_off=body.drop_off,
    )  # fmt: skip
    outcome = await _carrier_call(
        lambda: service.buy_label(
            platform.uow(), platform.clock, carriers_of(platform), qr_png, merchant.id, purchase
        )
    )
    if outcome.replayed:
        response.status_code = 200
    return label_out(outcome.record)


def _get(platform: Platform, merchant_id: str, label_id: str) -> LabelRecord:
    with platform.uow() as uow:
        record = uow.labels.by_id(merchant_id, label_id)
    if record is None:
        raise NotFound("no such label", field="label_id")
    return record


@router.get("/labels/{label_id}", response_model=LabelOut)
async def get_label(label_id: str, merchant: MerchantDep, platform: PlatformDep) -> LabelOut:
    """One label: its status, tracking number, price and where its document is."""
    return label_out(await run_in_threadpool(_get, platform, merchant.id, label_id))


@router.get("/orders/{order_id}/labels", response_model=list[LabelOut])
async def order_labels(order_id: str, merchant: MerchantDep, platform: PlatformDep) -> list[Any]:
    """Every label bought (or tried) for one of your orders, oldest first."""

    def read() -> list[LabelRecord]:
        with platform.uow() as uow:
            return uow.labels.for_order(merchant.id, order_id)

    return [label_out(r) for r in await run_in_threadpool(read)]


def _media(platform: Platform, merchant_id: str, media_id: str | None, what: str) -> Any:
    if media_id is None:
        raise NotFound(f"this label has no {what}", field="label_id")
    with platform.uow() as uow:
        stored = uow.media.get(merchant_id, media_id)
    if stored is None:
        raise NotFound(f"the {what} is gone from the media store", field="label_id")
    return stored


@router.get(
    "/labels/{label_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "application/zpl": {}},
                     "description": "The 4×6 label as bought."}},
)  # fmt: skip
async def label_document(label_id: str, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """The label document (PDF, or ZPL for a thermal printer)."""

    def read() -> Any:
        return _media(platform, merchant.id, _get(platform, merchant.id, label_id).media_id,
                      "document")  # fmt: skip

    stored = await run_in_threadpool(read)
    return Response(stored.data, media_type=stored.ref.content_type)


@router.get(
    "/labels/{label_id}/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The drop-off QR code."}},
)
async def label_qr(label_id: str, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """The QR code the carrier's counter scans instead of a printed label."""

    def read() -> Any:
        return _media(platform, merchant.id, _get(platform, merchant.id, label_id).qr_media_id,
                      "drop-off QR code")  # fmt: skip

    stored = await run_in_threadpool(read)
    return Response(stored.data, media_type="image/png")


@router.post("/labels/{label_id}/void", response_model=LabelOut, responses=CARRIER_FAILED)
async def void_label(label_id: str, merchant: MerchantDep, platform: PlatformDep) -> LabelOut:
    """Void a purchased label at the carrier and stop polling its shipment. When the
    carrier refuses, the label stays purchased (and the problem says why)."""
    record = await _carrier_call(
        lambda: service.void_label(
            platform.uow(), platform.clock, carriers_of(platform), merchant.id, label_id
        )
    )
    return label_out(record)


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: AddressIn
    carrier: str | None = Field(
        default=None, max_length=48, pattern=r"^[a-z][a-z0-9_]*$",
        description="Also ask this carrier (your account there), where its API checks "
        "addresses.",
    )  # fmt: skip


class ProblemOut(BaseModel):
    field: str
    message: str


class ValidateOut(BaseModel):
    valid: bool
    problems: list[ProblemOut] = Field(description="Our own checks' findings.")
    suggestion: AddressOut | None = Field(
        description="The address as it should be written; accept it by sending it back."
    )
    carrier: str | None
    carrier_valid: bool | None = Field(description="The carrier's verdict, when asked.")
    carrier_note: str | None


@router.post("/addresses/validate", response_model=ValidateOut, responses=CARRIER_FAILED)
async def validate_address(
    body: ValidateIn, merchant: MerchantDep, platform: PlatformDep
) -> ValidateOut:
    """Check an address before buying a label: required fields, the country's postal-code
    format, the region; then the carrier's own check where it has one. A `suggestion` is
    the same address written as the post prints it."""
    address = body.address.domain()
    report = await _carrier_call(
        lambda: service.validate_address(carriers_of(platform), merchant.id, address, body.carrier)
    )
    s = report.suggestion
    return ValidateOut(
        valid=report.valid,
        problems=[ProblemOut(field=p.field, message=p.message) for p in report.ours.problems],
        suggestion=AddressOut(**s.as_dict()) if s else None,
        carrier=report.carrier,
        carrier_valid=report.carrier_check.valid if report.carrier_check else None,
        carrier_note=report.carrier_note,
    )


class PickupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(min_length=2, max_length=48, pattern=r"^[a-z][a-z0-9_]*$")
    address: AddressIn
    ready_at: AwareDatetime
    closes_at: AwareDatetime
    parcel_count: int = Field(default=1, ge=1, le=500)


class PickupOut(BaseModel):
    carrier: str
    confirmation: str
    pickup_date: str


@router.post("/carriers/pickups", response_model=PickupOut, status_code=201,
             responses=CARRIER_FAILED)  # fmt: skip
async def schedule_pickup(
    body: PickupIn, merchant: MerchantDep, platform: PlatformDep
) -> PickupOut:
    """Ask the carrier to collect parcels from `address` between `ready_at` and `closes_at`."""
    request = PickupRequest(body.address.domain(), body.ready_at, body.closes_at, body.parcel_count)
    pickup = await _carrier_call(
        lambda: service.schedule_pickup(carriers_of(platform), merchant.id, body.carrier, request)
    )
    return PickupOut(
        carrier=body.carrier, confirmation=pickup.confirmation,
        pickup_date=pickup.pickup_date.isoformat(),
    )  # fmt: skip
