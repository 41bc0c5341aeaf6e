"""Support contacts: /api/v1/support/contacts (record, list, CSV) and the helpdesk webhook
``POST /webhooks/helpdesk/{merchant}`` (Zendesk, Gorgias or your own; docs/support-contacts.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from postpurchase.adapters import signatures
from postpurchase.adapters.db.kpis.contacts import SqlContactStore, list_contacts
from postpurchase.bootstrap import Platform
from postpurchase.domain.ids import new_id
from postpurchase.domain.kpis import KpiQuery, default_range
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notification_timing import zone
from postpurchase.domain.secrets import SecretKind
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.kpis import DayParam
from postpurchase.service_layer.support import ContactIn, ContactRow, record_contact

router = APIRouter(tags=["support contacts"])

EMAIL = r"^[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@\x00-\x1f\x7f-\x9f]+$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
MAX_BODY = 64 * 1024


def _text_time(value: Any) -> Any:
    """An instant written as ISO 8601 text, never a number of seconds."""
    if value is not None and not isinstance(value, str | datetime):
        raise ValueError("an ISO 8601 time with its offset, e.g. 2026-11-03T14:05:00+01:00")
    return value


class ContactBody(BaseModel):
    """A support ticket as a helpdesk knows it. (The helpdesk webhook also takes ``tags``
    as one string separated by spaces or commas, as Zendesk's ``{{ticket.tags}}`` renders,
    and numeric ids.)"""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    ticket_id: str = Field(min_length=1, max_length=128, pattern=NO_CONTROL)
    customer_email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    subject: str | None = Field(default=None, max_length=1000)
    tags: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=50
    )
    intent: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    channel: str | None = Field(default=None, max_length=32, pattern=NO_CONTROL)
    body: str | None = Field(
        default=None, max_length=20000, description="Only its opening is read."
    )
    order_number: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    contacted_at: Annotated[AwareDatetime, BeforeValidator(_text_time)] | None = Field(
        default=None, description="When the shopper wrote (ISO 8601 with offset); default now."
    )


class ApiContactBody(ContactBody):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order_id: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9]+$")


class ContactOut(BaseModel):
    id: str
    source: str
    ticket_id: str
    customer_email: str | None
    subject: str | None
    tags: list[str]
    intent: str | None
    channel: str | None
    order_status_contact: bool = Field(description="About where an order is (WISMO).")
    recognised_by: str | None = Field(description="intent, tag, subject or body")
    order_id: str | None
    shipment_id: str | None
    carrier: str | None
    state_when_made: str | None = Field(
        description="awaiting_shipment, on_time, late, exception or delivered"
    )
    preventable: str | None = Field(description="messaging_gap or after_exception")
    last_flow: str | None = Field(description="The last message sent before the contact")
    contacted_at: datetime
    recorded_at: datetime


def _out(row: ContactRow) -> ContactOut:
    data = asdict(row)
    data.pop("merchant_id")
    data["tags"] = list(row.tags)
    return ContactOut(**data)


def _record(platform: Platform, merchant_id: str, contact: ContactIn) -> tuple[ContactRow, bool]:
    with platform.engine.connect().execution_options(write=True) as conn:
        saved = record_contact(
            SqlContactStore(conn), platform.clock, merchant_id, contact, new_id()
        )
        conn.commit()
    return saved


def _contact_in(body: ContactBody, source: str, order_id: str | None = None) -> ContactIn:
    return ContactIn(
        source=source, ticket_id=body.ticket_id, customer_email=body.customer_email,
        subject=body.subject, tags=tuple(body.tags), intent=body.intent, channel=body.channel,
        body=body.body, order_id=order_id, order_number=body.order_number,
        contacted_at=body.contacted_at,
    )  # fmt: skip


SAME_TICKET: dict[int | str, dict[str, Any]] = {
    200: {"model": ContactOut, "description": "That ticket, as first recorded"}
}


@router.post(
    "/api/v1/support/contacts", response_model=ContactOut, status_code=201, responses=SAME_TICKET
)
async def create_contact(
    body: ApiContactBody, merchant: MerchantDep, platform: PlatformDep
) -> JSONResponse:
    """Record a support contact. It is recognised as an order-status contact or not, linked
    to the order (``order_id``, an order number in the subject, or the shopper's latest
    order), and the shipment's state when it was made is kept. The same ``ticket_id`` again
    answers 200 with the contact as first recorded."""
    row, created = await run_in_threadpool(
        _record, platform, merchant.id, _contact_in(body, "api", body.order_id)
    )
    return JSONResponse(_out(row).model_dump(mode="json"), status_code=201 if created else 200)


def day_range(
    merchant: Merchant, platform: Platform, start: date | None, end: date | None
) -> tuple[datetime, datetime]:
    """The instants that open and close the merchant's calendar days ``start``..``end``
    (the last 90 days by default), checked like a KPI range."""
    today = platform.clock.now().astimezone(zone(merchant.timezone)).date()
    first, last = default_range(today, start, end)
    q = KpiQuery(first, last)
    tz = zone(merchant.timezone)
    lo = datetime.combine(q.start, datetime.min.time(), tz)
    hi = datetime.combine(q.end + timedelta(days=1), datetime.min.time(), tz)
    return lo, hi


From = Annotated[DayParam | None, Query(alias="from", description="First day (YYYY-MM-DD)")]
To = Annotated[DayParam | None, Query(alias="to", description="Last day, inclusive")]
Preventable = Annotated[
    Literal["messaging_gap", "after_exception"] | None, Query(description="Only these")
]


async def _list(
    merchant: Merchant, platform: Platform, start: date | None, end: date | None,
    order_status: bool | None, preventable: str | None, carrier: str | None, limit: int,
) -> list[ContactRow]:  # fmt: skip
    lo, hi = day_range(merchant, platform, start, end)

    def read() -> list[ContactRow]:
        with platform.engine.connect() as conn:
            return list_contacts(
                conn, merchant.id, start=lo, end=hi, order_status=order_status,
                preventable=preventable, carrier=carrier, limit=limit,
            )  # fmt: skip

    return await run_in_threadpool(read)


@router.get("/api/v1/support/contacts", response_model=list[ContactOut])
async def get_contacts(
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    order_status: bool | None = None,
    preventable: Preventable = None,
    carrier: Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_.\-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ContactOut]:
    """Contacts made in the range (the merchant's calendar days), newest first."""
    rows = await _list(merchant, platform, start, end, order_status, preventable, carrier, limit)
    return [_out(r) for r in rows]


@router.get("/api/v1/support/contacts.csv", response_class=Response)
async def get_contacts_csv(
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    order_status: bool | None = None,
    preventable: Preventable = None,
    carrier: Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_.\-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=100000)] = 10000,
) -> Response:
    """The same list as CSV (tags joined by spaces)."""
    rows = await _list(merchant, platform, start, end, order_status, preventable, carrier, limit)
    out = io.StringIO()
    fields = list(ContactOut.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        data = _out(r).model_dump(mode="json")
        data["tags"] = " ".join(data["tags"])
        writer.writerow({k: "" if v is None else v for k, v in data.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


# ---- the helpdesk webhook ---------------------------------------------------------------------


def _verified(platform: Platform, slug: str, request: Request, body: bytes) -> tuple[Merchant, str]:
    """The merchant, when one of its helpdesk secrets verifies the request, and which
    scheme did: ``postpurchase`` (X-Postpurchase-Signature), ``zendesk`` (Zendesk's own
    signature) or ``token`` (X-Postpurchase-Token, for Gorgias). 401 alike otherwise."""
    now = platform.clock.now()
    tolerance = timedelta(seconds=platform.settings.webhook_tolerance_seconds)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
        stored = uow.secrets.get(merchant.id, SecretKind.HELPDESK_WEBHOOK) if merchant else None
    grace = timedelta(hours=platform.settings.secret_grace_hours)
    accepted = stored.accepted(now, grace) if stored is not None else ()
    h = request.headers
    schemes: dict[str, Callable[[str], bool]] = {
        "postpurchase": lambda s: signatures.verify_postpurchase(
            body, h.get(signatures.POSTPURCHASE_HEADER), s, now, tolerance
        ),
        "zendesk": lambda s: signatures.verify_zendesk(
            body,
            h.get(signatures.ZENDESK_HEADER),
            h.get(signatures.ZENDESK_TIMESTAMP_HEADER),
            s,
            now,
            tolerance,
        ),
        "token": lambda s: signatures.verify_token(h.get(signatures.TOKEN_HEADER), s),
    }
    hits = [name for name, check in schemes.items() for secret in accepted if check(secret)]
    if merchant is None or not hits:
        raise Problem(401, "Unauthorized", "signature does not match", field="signature")
    return merchant, hits[0]


@router.post(
    "/webhooks/helpdesk/{merchant}",
    response_model=ContactOut,
    status_code=201,
    responses=SAME_TICKET,
)
async def helpdesk_webhook(
    merchant: str,
    request: Request,
    platform: PlatformDep,
    source: Annotated[
        str, Query(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="zendesk, gorgias, ...")
    ] = "helpdesk",
) -> JSONResponse:
    """A helpdesk tells us of a ticket. Sign it with the merchant's helpdesk secret
    (`merchant secrets SLUG --rotate-helpdesk-secret`): `X-Postpurchase-Signature`, or
    Zendesk's own `X-Zendesk-Webhook-Signature` (set Zendesk's signing secret with
    `--helpdesk-secret`), or send the secret as `X-Postpurchase-Token` (Gorgias cannot
    sign). Body: `ticket_id`, `customer_email`, `subject`, `tags`, `intent` (and optionally
    `channel`, `body`, `order_number`, `contacted_at`); other keys are ignored, so a
    helpdesk's own payload can be sent whole. Mappings: docs/support-contacts.md."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise Problem(413, "Payload too large", f"body over {MAX_BODY} bytes", field="body")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Problem(413, "Payload too large", f"body over {MAX_BODY} bytes", field="body")
    found, _scheme = await run_in_threadpool(_verified, platform, merchant, request, raw)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "Bad request", "body is not JSON", field="body") from None
    if not isinstance(data, dict):
        raise Problem(422, "Invalid request", "body must be a JSON object", field="body")
    for key in ("ticket_id", "order_number"):  # helpdesks send their ids as numbers too
        if isinstance(data.get(key), int) and not isinstance(data.get(key), bool):
            data[key] = str(data[key])
    for key in ("customer_email", "subject", "intent", "channel", "body", "order_number"):
        if isinstance(data.get(key), str) and not data[key].strip():  # an empty placeholder
            data[key] = None
    if isinstance(data.get("tags"), str):  # Zendesk's {{ticket.tags}}: "wismo vip"
        data["tags"] = [t for t in data["tags"].replace(",", " ").split() if t]
    try:
        body = ContactBody.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "body"
        raise Problem(422, "Invalid request", f"{name}: {first['msg']}", field=name) from None
    row, created = await run_in_threadpool(_record, platform, found.id, _contact_in(body, source))
    return JSONResponse(_out(row).model_dump(mode="json"), status_code=201 if created else 200)
