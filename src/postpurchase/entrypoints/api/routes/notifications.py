"""Notifications over HTTP.

* ``/api/v1/notifications/...``: every message for a customer, order or shipment with why it
  was or was not sent; the merchant's flow switches, quiet hours and branding; opt-outs.
* ``/api/v1/webhook-endpoints``, ``/api/v1/webhook-deliveries``: outbound webhook endpoints
  (CRUD), their deliveries, and replay.
* ``/notifications/unsubscribe/{token}``: the shopper's unsubscribe link. No login: the
  token in the link is the credential. GET shows a confirmation (mail scanners prefetch GET
  links, so GET never changes anything); POST unsubscribes, which is also what RFC 8058
  one-click (``List-Unsubscribe-Post``) sends.
* ``/notifications/sent``: every message decided, for the demo. Opt-in, never in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.notifications import queries
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.wiring import service_for
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.notifications import FLOWS, Channel
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep, ReadConn, api_actor
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.settings import invalid
from postpurchase.service_layer import settings as merchant_settings
from postpurchase.service_layer.notifications import UnsubscribeInfo
from postpurchase.service_layer.settings.services import SettingsInvalid

router = APIRouter(tags=["notifications"])

# --------------------------------------------------------------------------- schemas


class MessageOut(BaseModel):
    id: str
    flow: str
    channel: str
    status: Literal["queued", "sent", "failed", "suppressed"]
    reason: str = Field(description="Why it was sent, is waiting, failed or was not sent.")
    recipient: str | None
    locale: str
    order_id: str | None
    shipment_id: str | None
    customer_id: str | None
    event_topic: str
    event_at: datetime | None
    urgent: bool
    created_at: datetime
    send_after: datetime
    next_attempt_at: datetime | None
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    subject: str | None
    provider_id: str | None


class MessageDetail(MessageOut):
    body_text: str | None
    body_html: str | None


class MessageList(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class FlowOut(BaseModel):
    name: str
    subject: str
    description: str
    urgent: bool
    default_channels: list[str]
    topics: list[str]


class SettingsIn(BaseModel):
    """Deprecated shape (PATCH /api/v1/settings supersedes it); unknown keys refused."""

    model_config = ConfigDict(extra="forbid")
    notifications: dict[str, Any] | None = Field(
        default=None,
        description='e.g. {"flows": {"shipped": {"sms": true}}, "quiet_hours": '
        '{"start": "21:00", "end": "08:00"}, "collapse_seconds": 300, "remedy": '
        '{"delayed": "We refunded your shipping fee."}, "ops_urls": ["slack://..."]}',
    )
    branding: dict[str, Any] | None = Field(
        default=None,
        description="sender_name, reply_to, from_email, logo_url, primary_color, accent_color",
    )


class SettingsOut(BaseModel):
    notifications: dict[str, Any]
    branding: dict[str, Any]


class OptOutIn(BaseModel):
    channel: Channel
    address: str = Field(min_length=3, max_length=320)


class OptOutOut(BaseModel):
    channel: Channel
    address: str
    opted_out: bool


class EndpointIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000)
    topics: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Event types (shipment.delivered or ShipmentDelivered), or * for all.",
    )
    description: str | None = Field(default=None, max_length=200)


class EndpointPatch(BaseModel):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    topics: list[str] | None = None
    active: bool | None = None
    description: str | None = Field(default=None, max_length=200)
    rotate_secret: bool = False


class EndpointOut(BaseModel):
    id: str
    url: str
    topics: list[str]
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime
    secret_hint: str
    secret: str | None = Field(
        default=None, description="Only when created or rotated: store it, it is not shown again."
    )


class DeliveryOut(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["queued", "sent", "failed", "suppressed"]
    reason: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    replay_of: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryOut):
    body: str


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


def _endpoint_out(row: Any, *, secret: str | None = None) -> EndpointOut:
    data = row if isinstance(row, dict) else {f: getattr(row, f) for f in row.__slots__}
    return EndpointOut(
        id=data["id"],
        url=data["url"],
        topics=list(data["topics"]),
        active=data["active"],
        description=data["description"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        secret_hint=f"{data['secret'][:6]}…{data['secret'][-4:]}",
        secret=secret,
    )


Limit = Annotated[int, Query(ge=1, le=200)]

# --------------------------------------------------------------------------- messages


@router.get("/api/v1/notifications/messages", response_model=MessageList)
def list_messages(
    merchant: MerchantDep,
    conn: ReadConn,
    customer_id: str | None = None,
    order_id: str | None = None,
    shipment_id: str | None = None,
    recipient: Annotated[str | None, Query(description="email or E.164 phone")] = None,
    status: Literal["queued", "sent", "failed", "suppressed"] | None = None,
    flow: str | None = None,
    channel: Channel | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> MessageList:
    """Every message decided for a customer, order or shipment, newest first, with the
    reason it was sent, is waiting, failed, or was not sent."""
    flt = queries.MessageFilter(
        customer_id, order_id, shipment_id, recipient, status, flow,
        channel.value if channel else None,
    )  # fmt: skip
    rows, nxt = queries.list_messages(conn, merchant.id, flt, limit=limit, cursor=cursor)
    return MessageList(items=[MessageOut(**r) for r in rows], next_cursor=nxt)


@router.get("/api/v1/notifications/messages/{message_id}", response_model=MessageDetail)
def get_message(message_id: str, merchant: MerchantDep, conn: ReadConn) -> MessageDetail:
    row = queries.get_message(conn, merchant.id, message_id)
    if row is None:
        raise NotFound("no such message", field="message_id")
    return MessageDetail(**row)


@router.get("/api/v1/notifications/flows", response_model=list[FlowOut])
def list_flows(merchant: MerchantDep) -> list[FlowOut]:
    """The flows this installation knows, with their defaults (switch them in settings)."""
    return [
        FlowOut(
            name=f.name,
            subject=f.subject.value,
            description=f.description,
            urgent=f.urgent,
            default_channels=sorted(c.value for c in f.default_channels),
            topics=sorted(f.topics),
        )
        for f in FLOWS.values()
    ]


@router.get("/api/v1/notifications/settings", response_model=SettingsOut)
def get_settings(merchant: MerchantDep, platform: PlatformDep) -> SettingsOut:
    prefs = service_for(platform).preferences_of(merchant.id)  # fresh: auth caches merchants
    return SettingsOut(notifications=prefs.as_dict(), branding=prefs.branding.as_dict())


@router.put("/api/v1/notifications/settings", response_model=SettingsOut, deprecated=True)
async def put_settings(
    body: SettingsIn, request: Request, merchant: MerchantDep, platform: PlatformDep
) -> SettingsOut:
    """Deprecated: use ``PATCH /api/v1/settings``. Replaces the ``notifications`` and/or
    ``branding`` section through the same schema, so unknown keys at any depth and wrong
    types are refused (422 naming the path) and the change is audited like any other."""
    svc = service_for(platform)
    current = await run_in_threadpool(merchant_settings.get_settings, platform.uow(), merchant.id)
    patch: dict[str, Any] = {}
    if body.notifications is not None:
        value = dict(body.notifications)
        if "quiet_hours" in value and value["quiet_hours"] is None:
            value["quiet_hours"] = {"enabled": False}  # null meant "no quiet hours" here
        patch["notifications"] = replacing(current.notifications, value)
    if body.branding is not None:
        patch["branding"] = replacing(current.branding, dict(body.branding))
    check = getattr(svc.channels.ops, "check_url", None)
    try:
        await run_in_threadpool(
            lambda: merchant_settings.update_settings(
                platform.uow(), merchant.id, patch, api_actor(request), check_url=check
            )
        )
    except SettingsInvalid as exc:
        raise invalid(exc, strip="notifications.", legacy=True) from None
    except InvalidInput as exc:  # an ops URL refused before the schema ran
        raise invalid(SettingsInvalid([{"field": exc.field or "body", "message": exc.message}]),
                      strip="notifications.", legacy=True) from None  # fmt: skip
    svc.forget_merchant(merchant.id)
    prefs = svc.preferences_of(merchant.id)
    return SettingsOut(notifications=prefs.as_dict(), branding=prefs.branding.as_dict())


def replacing(current: BaseModel, value: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch that makes a section exactly ``value``: keys not in it reset."""
    stored = current.model_dump(exclude_none=True, exclude_unset=True)
    return {**dict.fromkeys(stored), **value}


@router.post("/api/v1/notifications/opt-outs", response_model=OptOutOut, status_code=201)
def add_opt_out(body: OptOutIn, merchant: MerchantDep, platform: PlatformDep) -> OptOutOut:
    """Stop a channel for an address (e.g. a shopper asked support)."""
    addr = service_for(platform).set_opt_out(merchant.id, body.channel, body.address, True)
    return OptOutOut(channel=body.channel, address=addr, opted_out=True)


@router.delete("/api/v1/notifications/opt-outs", response_model=OptOutOut)
def remove_opt_out(
    merchant: MerchantDep, platform: PlatformDep, channel: Channel, address: str
) -> OptOutOut:
    addr = service_for(platform).set_opt_out(merchant.id, channel, address, False)
    return OptOutOut(channel=channel, address=addr, opted_out=False)


# --------------------------------------------------------------------------- webhooks


@router.post("/api/v1/webhook-endpoints", response_model=EndpointOut, status_code=201)
def create_endpoint(body: EndpointIn, merchant: MerchantDep, platform: PlatformDep) -> EndpointOut:
    """Register a URL to receive signed events. The secret is returned once."""
    ep = service_for(platform).create_endpoint(merchant.id, body.url, body.topics, body.description)
    return _endpoint_out(ep, secret=ep.secret)


@router.get("/api/v1/webhook-endpoints", response_model=list[EndpointOut])
def list_endpoints(merchant: MerchantDep, conn: ReadConn) -> list[EndpointOut]:
    return [_endpoint_out(r) for r in queries.list_endpoints(conn, merchant.id)]


@router.get("/api/v1/webhook-endpoints/{endpoint_id}", response_model=EndpointOut)
def get_endpoint(endpoint_id: str, merchant: MerchantDep, conn: ReadConn) -> EndpointOut:
    row = queries.get_endpoint(conn, merchant.id, endpoint_id)
    if row is None:
        raise NotFound("no such webhook endpoint", field="endpoint_id")
    return _endpoint_out(row)


@router.patch("/api/v1/webhook-endpoints/{endpoint_id}", response_model=EndpointOut)
def update_endpoint(
    endpoint_id: str, body: EndpointPatch, merchant: MerchantDep, platform: PlatformDep
) -> EndpointOut:
    ep = service_for(platform).update_endpoint(
        merchant.id, endpoint_id, url=body.url, topics=body.topics, active=body.active,
        description=body.description, rotate_secret=body.rotate_secret,
    )  # fmt: skip
    return _endpoint_out(ep, secret=ep.secret if body.rotate_secret else None)


@router.delete("/api/v1/webhook-endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """Stop sending to this endpoint; its delivery history stays listable."""
    service_for(platform).delete_endpoint(merchant.id, endpoint_id)
    return Response(status_code=204)


@router.get("/api/v1/webhook-endpoints/{endpoint_id}/deliveries", response_model=DeliveryList)
def list_deliveries(
    endpoint_id: str,
    merchant: MerchantDep,
    conn: ReadConn,
    status: Literal["queued", "sent", "failed", "suppressed"] | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> DeliveryList:
    rows, nxt = queries.list_deliveries(
        conn, merchant.id, endpoint_id, status=status, limit=limit, cursor=cursor
    )
    if not rows and not queries.endpoint_exists(conn, merchant.id, endpoint_id):
        raise NotFound("no such webhook endpoint", field="endpoint_id")
    return DeliveryList(items=[DeliveryOut(**r) for r in rows], next_cursor=nxt)


@router.get("/api/v1/webhook-deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(delivery_id: str, merchant: MerchantDep, conn: ReadConn) -> DeliveryDetail:
    row = queries.get_delivery(conn, merchant.id, delivery_id)
    if row is None:
        raise NotFound("no such delivery", field="delivery_id")
    return DeliveryDetail(**row)


@router.post(
    "/api/v1/webhook-deliveries/{delivery_id}/replay", response_model=DeliveryOut, status_code=202
)
def replay_delivery(delivery_id: str, merchant: MerchantDep, platform: PlatformDep) -> DeliveryOut:
    """Send the same event again (same event id, fresh signature) as a new delivery."""
    d = service_for(platform).replay_delivery(merchant.id, delivery_id)
    return DeliveryOut(**{k: getattr(d, k) for k in DeliveryOut.model_fields})


# --------------------------------------------------------------------------- shopper pages


_PAGES = JinjaRenderer()


def _unsubscribe_page(token: str, info: UnsubscribeInfo) -> HTMLResponse:
    html = _PAGES.page(
        "unsubscribe.html",
        locale=info.locale,
        info=info,
        action=f"/notifications/unsubscribe/{token}",
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@router.get("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, platform: PlatformDep) -> HTMLResponse:
    """Confirmation page; changes nothing (link scanners fetch GET URLs)."""
    info = service_for(platform).unsubscribe_info(token)
    return _unsubscribe_page(token, info)


@router.post("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, platform: PlatformDep) -> HTMLResponse:
    """Unsubscribe (RFC 8058 one-click or the page's button), or ``subscribe=1`` to undo."""
    form = await request.form() if _is_form(request) else {}
    resubscribe = str(form.get("subscribe", "")) == "1"
    info = service_for(platform).set_subscription(token, subscribed=resubscribe)
    return _unsubscribe_page(token, info)


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _demo_only(platform: Any) -> None:
    """The page shows every tenant's messages without login: only when switched on
    (``POSTPURCHASE_NOTIFY_SENT_PAGE``, the demo does) and never in production."""
    if platform.settings.environment == "production" or not service_for(platform).config.sent_page:
        raise Problem(404, "Not found", "the sent-messages page is not enabled")


@router.get("/notifications/sent", response_class=HTMLResponse, include_in_schema=False)
def sent_page(
    platform: PlatformDep,
    conn: ReadConn,
    status: Literal["queued", "sent", "failed", "suppressed", ""] = "",
) -> HTMLResponse:
    """Every message decided, newest first (demo and development only)."""
    _demo_only(platform)
    rows = queries.recent_messages(conn, status=status or None)
    html = _PAGES.page(
        "sent.html", messages=rows, status=status, base="/notifications/sent", smtp_note=None
    )
    return HTMLResponse(html)


@router.get(
    "/notifications/sent/{message_id}", response_class=HTMLResponse, include_in_schema=False
)
def sent_message(message_id: str, platform: PlatformDep, conn: ReadConn) -> HTMLResponse:
    _demo_only(platform)
    row = queries.get_message(conn, None, message_id)
    if row is None:
        raise NotFound("no such message", field="message_id")
    html = _PAGES.page("message.html", m=row, back="/notifications/sent")
    return HTMLResponse(html)
