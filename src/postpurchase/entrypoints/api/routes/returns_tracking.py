"""The return parcel as a shipment (a *return leg*): under the tag ``returns``.

The leg is created from the outbox when the return gets a tracking number (a bought label
or ``POST /api/v1/returns/{id}/label`` with the number of a parcel sent another way); its
scans come in through the ordinary tracking ingest (``/webhooks/tracking/{source}``,
aggregators, carrier polling) and move the return (service_layer.returns.tracking).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from postpurchase.adapters.db import read_models
from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import early_refunds
from postpurchase.domain.errors import NotFound
from postpurchase.entrypoints.api import presenters, schemas
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep, ReadConn
from postpurchase.entrypoints.api.returns_out import return_out
from postpurchase.entrypoints.api.routes.returns import RETURN, ReturnId, returns_service

router = APIRouter(prefix="/api/v1", tags=["returns"])


class ConsolidateIn(s.LabelIn):
    ids: list[Annotated[str, StringConstraints(pattern=s.RETURN_ID_PATTERN)]] = Field(
        min_length=2,
        max_length=50,
        description="Approved returns of one customer, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    tracking_number: s.TrackingNumber = Field(description="The parcel they travel in.")


@router.post("/returns/consolidate", response_model=list[s.ReturnOut])
def consolidate(
    body: ConsolidateIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> list[s.ReturnOut]:
    """Several approved returns of one customer sent back in one parcel (a consolidated
    return): each gets the parcel's carrier and tracking number, all or none. The parcel is
    tracked once; its first scan and its delivery move every return in it. 409 naming
    `ids[i]` for a return that is not approved or is another customer's; nothing changes."""
    done = returns_service(platform).consolidate(
        merchant.id, body.ids, body.carrier, body.tracking_number, actor=actor
    )
    return [return_out(r) for r in done]


class ReturnShipmentOut(BaseModel):
    return_id: str
    return_status: str = Field(description="The return's status, moved by the leg's scans.")
    shipment: schemas.ShipmentOut = Field(
        description="The return leg: the same shipment model and scan timeline as an "
        "outbound parcel (newest first)."
    )


@router.get(RETURN + "/shipment", response_model=ReturnShipmentOut)
def return_shipment(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, conn: ReadConn
) -> ReturnShipmentOut:
    """The return's parcel tracked like an outbound one: carrier, status, scans. Its first
    carrier scan moves the return to `in_transit`, its delivery to `received`. 404 naming
    `shipment` while the return has no tracking number yet (or the leg is being created)."""
    ret = returns_service(platform).get(merchant.id, return_id)
    c = t.shipments.c
    sid = conn.execute(
        select(c.id)
        .where(c.merchant_id == merchant.id, c.return_id == return_id)
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    row = read_models.get_shipment(conn, merchant.id, sid) if sid is not None else None
    if row is None:
        raise NotFound("this return's parcel is not tracked yet", field="shipment")
    return ReturnShipmentOut(
        return_id=ret.id, return_status=ret.status.value, shipment=presenters.shipment(row)
    )


@router.post(RETURN + "/receive-without-refund", response_model=s.ReturnOut)
def receive_without_refund(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.ReturnOut:
    """The goods arrived, but the refund that the policy's `refund_timing` (`arrival`) would
    pay now is held: it waits for inspection and `POST /api/v1/returns/{id}/resolve`."""
    svc = returns_service(platform)
    ret = svc.receive(merchant.id, return_id, actor=actor)
    return return_out(ret, ledger=svc.ledger(merchant.id, return_id))


class RefundTermsOut(BaseModel):
    return_id: str
    refund_timing: str = Field(description="The policy's: first_scan, arrival or inspection.")
    paid: bool = Field(
        description="The refund or credit is in the ledger (paid early or resolved)."
    )
    paid_reference: str | None = None
    statutory_due_by: datetime | None = Field(
        default=None, description="The law's last moment for the refund (EU/EEA), when known."
    )
    rule: str
    explanation: str = Field(description="One line, for the shopper or the merchant.")


@router.get(RETURN + "/refund-terms", response_model=RefundTermsOut)
def refund_terms(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep
) -> RefundTermsOut:
    """When this return's money goes back: the policy's timing, whether it is paid, and the
    statutory deadline (EU/EEA: 14 days from the request, which the shop may hold until the
    parcel is sent back, i.e. its first carrier scan, or received)."""
    early = early_refunds(platform)
    ret, deadline = early.deadline(merchant.id, return_id)
    service = returns_service(platform)
    entries = service.ledger(merchant.id, return_id)
    paid = next((e for e in entries if e.get("kind") in ("refund", "store_credit")), None)
    return RefundTermsOut(
        return_id=ret.id,
        refund_timing=service.policy(merchant.id).refund_timing.value,
        paid=paid is not None,
        paid_reference=str(paid.get("reference") or paid.get("id")) if paid else None,
        statutory_due_by=deadline.due_by,
        rule=deadline.rule,
        explanation=deadline.explanation,
    )
