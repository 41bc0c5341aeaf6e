"""Buying a label so that a retried request never buys twice, and nothing is half-bought.

The order of steps is the point (no network I/O inside a database transaction):

1. One transaction: refuse what no carrier should be asked (a cancelled order, a parcel
   over the carrier's limits, an address our checks reject, an international parcel
   without customs data), then write the ledger row ``pending`` under the caller's
   idempotency key.
2. No transaction: ask the carrier, with the ledger row's id as the carrier's own
   idempotency key where it takes one.
3. One transaction: store the document (PDF or ZPL, and the drop-off QR code) in the media
   store and settle the row ``purchased``. If that fails, the label is voided at the
   carrier (a label bought but not stored would be billed and never used).
4. The shipment is created (so it is on the tracking page and in the outbox's
   ``ShipmentCreated``, which writes the number back to a connected store) and made due for
   polling at once.

A retry with the same key returns the stored label (and finishes step 4 if it was cut
short). A key still ``pending`` is either in flight (a conflict) or, once older than
:data:`STALE`, of unknown outcome: the carrier is asked again under the same key only when
it honours idempotency keys (``CarrierGateway.label_keys_honoured``: the simulated carrier);
otherwise (karrio's connectors, EasyPost) the request is refused with a 409 telling the
operator to look in the carrier account first, so a label is never bought twice. A
refusal (bad credentials, an address the carrier rejects, 5xx) settles the row ``failed``:
nothing was bought, and the same key may be tried again once the cause is fixed. A timeout
leaves it ``pending`` (the carrier may have bought); the operator sees it in ``labels get``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from postpurchase.domain import commands
from postpurchase.domain.carriers import (
    CarrierError,
    CarrierFailure,
    Label,
    LabelFormat,
    LabelRequest,
    Pickup,
    PickupRequest,
    check_address,
    needs_customs,
)
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.labels import (
    LABELLESS_DROP_OFF,
    LabelPurchase,
    LabelRecord,
    LabelStatus,
    check_parcels,
)
from postpurchase.domain.media import MediaKind
from postpurchase.domain.status import OrderStatus
from postpurchase.service_layer.handlers import create_shipment
from postpurchase.service_layer.labels.ports import LabelCarriers
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

STALE = timedelta(minutes=5)  # a pending purchase older than this lost its caller
CONTENT_TYPES = {LabelFormat.PDF: "application/pdf", LabelFormat.ZPL: "application/zpl"}


@dataclass(frozen=True, slots=True)
class LabelOutcome:
    record: LabelRecord
    replayed: bool  # True: an earlier request under this key bought it


def _refuse_early(uow: AbstractUnitOfWork, merchant_id: str, p: LabelPurchase) -> LabelRequest:
    """The checks made before a carrier is asked, inside the first transaction."""
    order = uow.orders.get(merchant_id, p.order_id)
    if order is None:
        raise NotFound("no such order", field="order_id")
    if order.status is OrderStatus.CANCELLED:
        raise Conflict(
            f"order {order.number} is cancelled: no label is bought for it", field="order_id"
        )
    destination = order.shipping_address
    for role, address in (("origin", p.origin), ("destination", destination)):
        verdict = check_address(address, role=role)
        if not verdict.valid:
            first = verdict.problems[0]
            raise InvalidInput(
                "; ".join(x.message for x in verdict.problems)
                + (" (accept the suggestion with `labels validate-address`)"
                   if verdict.suggestion else ""),
                field=first.field,
            )  # fmt: skip
    if needs_customs(p.origin, destination) and p.customs is None:
        raise InvalidInput(
            f"a parcel from {p.origin.country} to {destination.country} needs customs data",
            field="customs",
        )
    if p.drop_off and p.carrier not in LABELLESS_DROP_OFF:
        raise InvalidInput(
            f"{p.carrier} offers no label-less drop-off; carriers that do: "
            + ", ".join(sorted(LABELLESS_DROP_OFF)),
            field="drop_off",
        )
    return LabelRequest(
        origin=p.origin, destination=destination, parcels=p.parcels, service=p.service,
        idempotency_key="", label_format=p.label_format, reference=order.number,
        customs=p.customs, drop_off=p.drop_off,
    )  # fmt: skip


def buy_label(
    uow: AbstractUnitOfWork,
    clock: Clock,
    carriers: LabelCarriers,
    qr_png: Callable[[str], bytes],
    merchant_id: str,
    purchase: LabelPurchase,
) -> LabelOutcome:
    """Buy (or, for a key seen before, return) the label ``purchase`` asks for."""
    check_parcels(purchase.carrier, purchase.parcels)
    key = purchase.idempotency_key
    with uow:
        now = clock.now()
        record = uow.labels.get(merchant_id, key)
        if record is not None:
            if record.fingerprint != purchase.fingerprint():
                raise InvalidInput(
                    "this idempotency key was used for a different label", field="idempotency_key"
                )
            if record.status is LabelStatus.PURCHASED:
                return LabelOutcome(_ensure_shipment(uow, clock, carriers, record), True)
            if record.status is LabelStatus.VOIDED:
                raise Conflict(
                    "the label bought under this key was voided; use a new key",
                    field="idempotency_key",
                )
            if record.status is LabelStatus.PENDING and now - record.updated_at < STALE:
                raise Conflict(
                    "a label under this idempotency key is being bought; retry later",
                    field="idempotency_key",
                )
        request = _refuse_early(uow, merchant_id, purchase)
        if record is not None and record.status is LabelStatus.PENDING:
            gateway, _ = carriers.gateway(merchant_id, purchase.carrier)
            if not gateway.label_keys_honoured:
                raise Conflict(
                    f"an earlier purchase under this key has an unknown outcome and "
                    f"{purchase.carrier} takes no idempotency key, so it is not sent again: "
                    "look for the label in the carrier account (void it there if it was "
                    "bought), then buy under a new key",
                    field="idempotency_key",
                )
        if record is None:
            record = LabelRecord(
                id=new_id(), merchant_id=merchant_id, idempotency_key=key,
                order_id=purchase.order_id, carrier=purchase.carrier, service=purchase.service,
                label_format=purchase.label_format, fingerprint=purchase.fingerprint(),
                status=LabelStatus.PENDING, created_at=now, updated_at=now,
                customs=purchase.customs.as_dict() if purchase.customs else None,
            )  # fmt: skip
            if not uow.labels.begin(record):
                raise Conflict(
                    "a label under this idempotency key is being bought; retry later",
                    field="idempotency_key",
                )
        else:  # failed before, or pending and stale: ask again under the same carrier key
            record = replace(record, status=LabelStatus.PENDING, updated_at=now, error=None)
            uow.labels.update(record)
        uow.commit()

    try:
        gateway, _ = carriers.gateway(merchant_id, purchase.carrier)
        label = gateway.buy_label(replace(request, idempotency_key=record.id))
    except (CarrierError, NotFound) as exc:
        unknown = isinstance(exc, CarrierError) and exc.failure is CarrierFailure.TIMEOUT
        _settle(uow, clock, record, LabelStatus.PENDING if unknown else LabelStatus.FAILED,
                error=exc.message)  # fmt: skip
        raise
    try:
        record = _store(uow, clock, record, label, qr_png)
    except Exception as exc:
        _void_unstored(uow, clock, record, gateway, label, exc)
        raise
    return LabelOutcome(_ensure_shipment(uow, clock, carriers, record), False)


def _settle(
    uow: AbstractUnitOfWork, clock: Clock, record: LabelRecord, status: LabelStatus, *,
    error: str | None = None,
) -> LabelRecord:  # fmt: skip
    with uow:
        record = replace(record, status=status, error=error, updated_at=clock.now())
        uow.labels.update(record)
        uow.commit()
    return record


def _store(
    uow: AbstractUnitOfWork,
    clock: Clock,
    record: LabelRecord,
    label: Label,
    qr_png: Callable[[str], bytes],
) -> LabelRecord:
    suffix = "pdf" if label.label_format is LabelFormat.PDF else "zpl"
    qr = qr_png(label.drop_off_code) if label.drop_off_code else None
    with uow:
        media = uow.media.put(
            record.merchant_id, MediaKind.LABEL, CONTENT_TYPES[label.label_format],
            label.document, filename=f"label-{label.tracking_number}.{suffix}",
        )  # fmt: skip
        qr_ref = (
            uow.media.put(record.merchant_id, MediaKind.LABEL, "image/png", qr,
                          filename=f"drop-off-{label.tracking_number}.png")
            if qr is not None else None
        )  # fmt: skip
        record = replace(
            record, status=LabelStatus.PURCHASED, tracking_number=label.tracking_number,
            carrier_label_id=label.label_id, price=label.price, media_id=media.id,
            qr_media_id=qr_ref.id if qr_ref else None, updated_at=clock.now(), error=None,
        )  # fmt: skip
        uow.labels.update(record)
        uow.commit()
    return record


def _void_unstored(
    uow: AbstractUnitOfWork, clock: Clock, record: LabelRecord, gateway: object, label: Label,
    cause: Exception,
) -> None:  # fmt: skip
    """A label bought but not stored is voided at the carrier; the row says what happened."""
    why = f"bought but not stored ({type(cause).__name__}: {cause})"
    try:
        gateway.void_label(label)  # type: ignore[attr-defined]
    except CarrierError as exc:
        why += f"; voiding failed too, void {label.label_id} at {label.carrier}: {exc.message}"
        status = LabelStatus.FAILED
    else:
        why += "; voided at the carrier"
        status = LabelStatus.VOIDED
    voided = replace(
        record, status=status, tracking_number=label.tracking_number,
        carrier_label_id=label.label_id, price=label.price,
    )  # fmt: skip
    _settle(uow, clock, voided, status, error=why)


def _ensure_shipment(
    uow: AbstractUnitOfWork, clock: Clock, carriers: LabelCarriers, record: LabelRecord
) -> LabelRecord:
    """The label's tracking number as a shipment of its order, polled from now on."""
    if record.shipment_id is not None or record.tracking_number is None:
        return record
    created = create_shipment(
        commands.CreateShipment(
            merchant_id=record.merchant_id, order_id=record.order_id,
            tracking_number=record.tracking_number, carrier=record.carrier,
            service=record.service, external_id=f"label:{record.id}",
        ),
        uow,
        clock,
    )  # fmt: skip
    _, account_id = carriers.gateway(record.merchant_id, record.carrier)
    with uow:
        now = clock.now()
        record = replace(record, shipment_id=created.id, updated_at=now)
        uow.labels.update(record)
        uow.labels.track_now(record.merchant_id, created.id, account_id, now)
        uow.commit()
    return record


def void_label(
    uow: AbstractUnitOfWork, clock: Clock, carriers: LabelCarriers, merchant_id: str,
    label_id: str,
) -> LabelRecord:  # fmt: skip
    """Void a purchased label at the carrier (a refund of its price there), then record it
    and stop polling its shipment. A carrier's refusal leaves the label purchased."""
    with uow:
        record = uow.labels.by_id(merchant_id, label_id)
    if record is None:
        raise NotFound("no such label", field="label_id")
    if record.status is LabelStatus.VOIDED:
        return record
    if record.status is not LabelStatus.PURCHASED:
        raise Conflict(f"the label is {record.status.value}, not purchased", field="label_id")
    gateway, _ = carriers.gateway(merchant_id, record.carrier)
    gateway.void_label(
        Label(
            carrier=record.carrier, service=record.service,
            tracking_number=record.tracking_number or "", label_id=record.carrier_label_id or "",
            label_format=record.label_format, document=b"",
        )
    )  # fmt: skip
    with uow:
        now = clock.now()
        record = replace(record, status=LabelStatus.VOIDED, updated_at=now)
        uow.labels.update(record)
        if record.shipment_id:
            uow.labels.stop_tracking(record.shipment_id, now, "voided")
        uow.commit()
    return record


def schedule_pickup(
    carriers: LabelCarriers, merchant_id: str, carrier: str, request: PickupRequest
) -> Pickup:
    """Ask the carrier to collect parcels (no ledger: a pickup is free and idempotent by
    its window at every carrier we speak to)."""
    gateway, _ = carriers.gateway(merchant_id, carrier)
    return gateway.schedule_pickup(request)
