"""``/console/returns/counter``: the counter of a shop where shoppers bring returns in person.

One field, focused on load, for the return number: typed, or scanned from the code the
portal shows the shopper (a barcode scanner types what it reads and presses Enter). An exact
match opens the return's page, where the counter receives it, inspects it and pays it as the
return says (each step audited as the signed-in person); the counter receipt moves it
``approved → received`` like a parcel's delivery scan would. A number that names no return
of this store is a 404 with the error under the field; nothing else is searched, so a
mistyped number never opens a stranger's return.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from postpurchase.adapters.db.returns import QueueFilter, returns_queue
from postpurchase.entrypoints.console.auth import Viewer
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.returns.common import words

router = APIRouter(prefix="/console/returns", include_in_schema=False, tags=["console"])

NUMBER = re.compile(r"[A-Za-z0-9#._-]{1,80}")  # a return number as the portal shows it


@router.get("/counter")
async def counter(request: Request, me: Viewer) -> Response:
    typed = request.query_params.get("number", "").strip()
    context = {"nav": "returns", "number": typed, **words(request)}
    if not typed:
        return render(request, me, "console/returns/counter.html", **context)
    if not NUMBER.fullmatch(typed):
        return render(request, me, "console/returns/counter.html", status_code=400,
                      error="console.returns.counter.malformed", **context)  # fmt: skip
    rows = await read(request, returns_queue, me.merchant_id, QueueFilter(search=typed),
                      limit=50, offset=0)  # fmt: skip
    found = [r for r in rows if r.number.upper() == typed.lstrip("#").upper()]
    if len(found) != 1:
        return render(request, me, "console/returns/counter.html", status_code=404,
                      error="console.returns.counter.unknown", **context)  # fmt: skip
    return RedirectResponse(f"/console/returns/{found[0].id}", status_code=303)
