"""Customers: find one by e-mail or name, and their timeline on one page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from postpurchase.adapters.db.console import customer_timeline, find_customers
from postpurchase.domain.console import clean_text, parse_page
from postpurchase.domain.errors import InvalidInput
from postpurchase.entrypoints.console.auth import ConsoleNotFound, Viewer
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render

router = APIRouter(prefix="/console/customers", include_in_schema=False, tags=["console"])


@router.get("")
async def customers(request: Request, me: Viewer) -> Response:
    try:
        text = clean_text(request.query_params.get("q"))
        page = parse_page(request.query_params.get("page"))
    except InvalidInput as exc:
        return render(
            request, me, "console/customers.html", status_code=400, nav="customers", rows=[],
            page=None, q="", error=f"{exc.field}: {exc.message}", error_field=exc.field,
        )  # fmt: skip
    rows, paged = await read(request, find_customers, me.merchant_id, text, page)
    return render(
        request, me, "console/customers.html", nav="customers", rows=rows, page=paged, q=text
    )


@router.get("/{email}")
async def timeline(request: Request, me: Viewer, email: str) -> Response:
    found = await read(request, customer_timeline, me.merchant_id, email[:320])
    if found is None:
        raise ConsoleNotFound(me, "customer")
    return render(request, me, "console/customer.html", nav="customers", timeline=found)
