"""Return labels bought from a connected carrier account, and their documents: under the tag
``returns`` with the other returns operations."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.db.carrier_store import SqlCarrierAccounts
from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork
from postpurchase.adapters.qr import qr_png
from postpurchase.bootstrap import Platform
from postpurchase.domain.carriers import CarrierGateway
from postpurchase.domain.errors import NotFound
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep
from postpurchase.entrypoints.api.edge_types import Strict
from postpurchase.entrypoints.api.returns_out import return_out
from postpurchase.entrypoints.api.routes.returns import RETURN, ReturnId, returns_service
from postpurchase.service_layer.returns import ReturnLabelDesk

router = APIRouter(prefix="/api/v1", tags=["returns"])


class BuyLabelIn(Strict):
    carrier: s.Code = Field(description="A carrier account of yours (GET /api/v1/carriers).")
    service: s.Code = Field(default="ground", description="The carrier's service code.")


def _gateway(platform: Platform, merchant_id: str, carrier: str) -> CarrierGateway:
    with platform.engine.connect() as conn:
        account = SqlCarrierAccounts(conn, platform.keyring).get(merchant_id, carrier.lower())
    if account is None:
        raise NotFound(f"no {carrier} account", field="carrier")
    st = platform.settings
    return gateway_for(account, api_urls=st.carrier_api_urls, timeout=st.carrier_timeout_seconds)


def label_desk(platform: Platform) -> ReturnLabelDesk:
    return ReturnLabelDesk(
        lambda: SqlReturnsUnitOfWork(
            platform.engine, platform.clock.now, platform.settings.media_dir
        ),
        platform.clock.now,
        qr_png,
        after_commit=platform.queue.nudge_outbox,
    )


@router.post(RETURN + "/label/buy", response_model=s.ReturnOut)
def buy_label(
    return_id: ReturnId, body: BuyLabelIn, merchant: MerchantDep, platform: PlatformDep,
    actor: ApiActorDep,
) -> s.ReturnOut:  # fmt: skip
    """Buy the return label from one of your carrier accounts (shopper's address to the
    policy's `return_to`), keep its document and a QR code for box-free drop-off, and mark
    the return `label_issued`. Idempotent: buying again answers the same label."""
    gateway = _gateway(platform, merchant.id, body.carrier)
    desk = label_desk(platform)
    return return_out(desk.buy(merchant.id, return_id, gateway, body.service, actor=actor))


def _media(platform: Platform, merchant_id: str, return_id: str, which: str) -> Response:
    svc = returns_service(platform)
    ret = svc.get(merchant_id, return_id)
    media_id = ret.label_media_id if which == "label" else ret.qr_media_id
    found = svc.media(merchant_id, media_id) if media_id else None
    if found is None:
        raise NotFound("this return has no bought label", field="return_id")
    return Response(
        found.data, media_type=found.ref.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )  # fmt: skip


@router.get(
    RETURN + "/label/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The label"}},
)
def label_document(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """The bought label (PDF, or ZPL for a thermal printer)."""
    return _media(platform, merchant.id, return_id, "label")


@router.get(
    RETURN + "/label/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The QR code"}},
)
def label_qr(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """The label's QR code (PNG): shown at a drop-off point instead of a printed label."""
    return _media(platform, merchant.id, return_id, "qr")
