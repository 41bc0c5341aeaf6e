"""The satisfaction link in delivered emails: ``/t/{token}/survey?rating=N``.

A GET never records anything: mail scanners and link previews fetch every URL in a message,
and would rate on the shopper's behalf. The link takes the shopper to the tracking page's
rating form (which records with one tap, a POST), carrying the score they clicked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False, tags=["tracking page"])


@router.get("/t/{token}/survey")
def survey_link(
    token: str, rating: Annotated[int | None, Query(ge=1, le=5)] = None
) -> RedirectResponse:
    suffix = f"?rate={rating}" if rating else ""
    return RedirectResponse(f"/t/{token}{suffix}#rating", status_code=303)
