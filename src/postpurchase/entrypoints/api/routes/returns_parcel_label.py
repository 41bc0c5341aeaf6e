"""One return label for a consolidated parcel (several returns of one customer), under the
tag ``returns`` (service_layer.returns.parcel_label)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, StringConstraints

from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork
from postpurchase.adapters.qr import qr_png
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep
from postpurchase.entrypoints.api.edge_types import Strict
from postpurchase.entrypoints.api.returns_out import return_out
from postpurchase.entrypoints.api.routes.returns_labels import _gateway
from postpurchase.service_layer.returns import ParcelLabelDesk

router = APIRouter(prefix="/api/v1", tags=["returns"])


class ParcelLabelIn(Strict):
    ids: list[Annotated[str, StringConstraints(pattern=s.RETURN_ID_PATTERN)]] = Field(
        min_length=2,
        max_length=50,
        description="Approved returns of one customer, not yet sent, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    carrier: s.Code = Field(description="A carrier account of yours (GET /api/v1/carriers).")
    service: s.Code = Field(default="ground", description="The carrier's service code.")


def parcel_desk(platform: Platform) -> ParcelLabelDesk:
    return ParcelLabelDesk(
        lambda: SqlReturnsUnitOfWork(
            platform.engine, platform.clock.now, platform.settings.media_dir
        ),
        platform.clock.now,
        qr_png,
        after_commit=platform.queue.nudge_outbox,
    )


@router.post("/returns/consolidate/label", response_model=list[s.ReturnOut])
def buy_parcel_label(
    body: ParcelLabelIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> list[s.ReturnOut]:
    """Buy ONE return label for several returns sent back in one parcel: the weights are
    summed, the label's tracking number becomes every return's leg (its scans move them
    all), and the label document and its QR code are shared by the returns
    (`GET /api/v1/returns/{id}/label/document`, `.../label/qr`). All or none: 409 naming
    `ids[i]` for a return that is not approved, already on its way, kept, returned in store
    or another customer's; 404 for an unknown carrier account. Idempotent: the same returns
    again answer the same label, bought once."""
    gateway = _gateway(platform, merchant.id, body.carrier)
    done = parcel_desk(platform).buy(merchant.id, body.ids, gateway, body.service, actor=actor)
    return [return_out(r) for r in done]
