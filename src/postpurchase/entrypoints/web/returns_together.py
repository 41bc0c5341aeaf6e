"""The portal's "send these together in one parcel" (consolidated returns, issue 15).

On a return's status page, when the portal buys labels (``portal_label``) and the shopper
has other approved mail-back returns with the same shop, under the same e-mail address,
not yet sent, the page offers to put them in one box with one label (a plain form, no
JavaScript; each other return a checkbox, ticked). ``POST .../together`` buys that label
once (service_layer.returns.parcel_label: weights summed, one tracking number for every
return of the parcel, one PDF and QR code) and goes back to the status page, which then
shows the label and QR code like a single return's.

Who may group: the holder of this order's tracking token, for returns of the same customer
e-mail (the rule ``POST /api/v1/returns/consolidate`` applies). The list shows each other
return's number and items, nothing else of those orders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from postpurchase.adapters.db.returns import line_names, open_return_ids
from postpurchase.domain.errors import DomainError
from postpurchase.domain.returns import Return
from postpurchase.entrypoints.api.routes.returns_labels import _gateway
from postpurchase.entrypoints.api.routes.returns_parcel_label import parcel_desk
from postpurchase.entrypoints.web.loader import WebPlatform, in_thread
from postpurchase.entrypoints.web.returns_parcel import ACTOR, _back, _posted, done_page
from postpurchase.entrypoints.web.returns_views import _open, _Opened

router = APIRouter(include_in_schema=False, tags=["returns portal"])


def parcel_mates(platform: Any, opened: _Opened, ret: Return) -> list[dict[str, str]]:
    """The other returns that may travel with ``ret``: id, number and items, for the page."""
    policy = opened.overview.policy
    if policy.portal_label is None or policy.return_to is None or not ret.customer_email:
        return []
    with platform.engine.connect() as conn:
        ids = open_return_ids(conn, opened.merchant_id, ret.customer_email, exclude=ret.id)
    mates = parcel_desk(platform).mates(opened.merchant_id, ret, ids) if ids else []
    return _described(platform, opened.merchant_id, mates) if mates else []


def _described(platform: Any, merchant_id: str, others: list[Return]) -> list[dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    out = []
    with platform.engine.connect() as conn:
        for other in others:
            if other.order_id not in names:
                names[other.order_id] = line_names(conn, merchant_id, other.order_id)
            items = ", ".join(
                f"{x.quantity} × {names[other.order_id].get(x.order_line_id, x.sku)}"
                for x in other.lines
            )
            out.append({"id": other.id, "number": other.number, "items": items})
    return out


def parcel_companions(platform: Any, opened: _Opened, ret: Return) -> list[dict[str, str]]:
    """The customer's other returns already in ``ret``'s parcel (to pack in the same box)."""
    if not ret.tracking_number:
        return []
    others = parcel_desk(platform).companions(opened.merchant_id, ret)
    return _described(platform, opened.merchant_id, others) if others else []


@router.post("/returns/o/{token}/r/{return_id}/together")
async def portal_parcel_label(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> Response:
    """Buy one label for this return and the other returns ticked on the page."""
    got = await _posted(token, return_id, request, platform)
    if isinstance(got, Response):
        return got
    opened, ret, form = got
    mates = await in_thread(parcel_mates, platform, opened, ret)
    offered = {m["id"] for m in mates}
    chosen = [key[5:] for key, value in form.items() if key.startswith("with_") and value]
    if ret.label_media_id and not chosen:
        return _back(token, return_id)  # sent again after the label was bought
    terms = opened.overview.policy.portal_label
    if terms is None:
        return done_page(request, opened, ret, token, 409, parcel_error="parcel.err.no_label")
    if not chosen:
        return done_page(
            request, opened, ret, token, 422, parcel_error="together.err.none", together=mates
        )
    if any(rid not in offered for rid in chosen):
        return done_page(
            request, opened, ret, token, 409, parcel_error="together.err.changed", together=mates
        )

    def buy() -> list[Return]:
        gateway = _gateway(platform, opened.merchant_id, terms.carrier)
        return parcel_desk(platform).buy(
            opened.merchant_id, [ret.id, *chosen], gateway, terms.service, actor=ACTOR
        )

    try:
        await in_thread(buy)
    except DomainError:  # no account, no returns address, a return moved on, carrier down
        fresh = await in_thread(_open, platform, token)
        again = next((r for r in fresh.overview.returns if r.id == ret.id), ret) if fresh else ret
        left = await in_thread(parcel_mates, platform, fresh or opened, again)
        return done_page(
            request, fresh or opened, again, token, 503,
            parcel_error="parcel.err.label_failed", together=left,
        )  # fmt: skip
    return _back(token, return_id)
