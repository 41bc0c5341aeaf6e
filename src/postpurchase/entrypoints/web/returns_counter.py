"""The shopper's code for an in-store return: ``/returns/o/{token}/r/{id}/counter-code``.

A return handed over at one of the merchant's counters needs no label and no carrier; what
the counter needs is to find the return fast. The portal shows the return's number and the
same number as a QR code: a counter's barcode scanner types it into the console's counter
page (``/console/returns/counter``), which opens the return to receive, inspect and refund.
The code carries only the return number, nothing about the shopper, and is drawn on demand
(segno) rather than stored, since it is a function of the number.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from postpurchase.adapters.qr import qr_png
from postpurchase.domain.returns import Return, ReturnMethod, ReturnStatus
from postpurchase.entrypoints.web import rendering
from postpurchase.entrypoints.web.loader import WebPlatform, in_thread
from postpurchase.entrypoints.web.returns_views import _open

router = APIRouter(include_in_schema=False, tags=["returns portal"])


def for_the_counter(ret: Return) -> bool:
    """An approved return the shopper brings to a counter (not kept, not a parcel)."""
    return (
        ret.status is ReturnStatus.APPROVED
        and ret.method is ReturnMethod.IN_STORE
        and not ret.keep_it
    )


@router.get("/returns/o/{token}/r/{return_id}/counter-code")
async def counter_code(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> Response:
    """The return number as a PNG QR code, for the holder of the order's tracking token."""
    opened = await in_thread(_open, platform, token)
    ret = None
    if opened is not None:
        ret = next((r for r in opened.overview.returns if r.id == return_id), None)
    if ret is None or not for_the_counter(ret):
        return rendering.not_found(request)
    png = await in_thread(qr_png, ret.number)
    return Response(
        png, media_type="image/png",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "no-referrer"},
    )  # fmt: skip
