"""The console's overview page and its static files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.db.console import overview_counts
from postpurchase.entrypoints.console.auth import Viewer, platform_of
from postpurchase.entrypoints.console.rendering import STATIC_DIR, render

router = APIRouter(prefix="/console", include_in_schema=False, tags=["console"])

_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_STATIC = {
    p.name: (p.read_bytes(), _TYPES[p.suffix])
    for p in sorted(STATIC_DIR.iterdir())
    if p.suffix in _TYPES
}


@router.get("")
async def home(request: Request, me: Viewer) -> Response:
    platform = platform_of(request)

    def load() -> dict[str, int]:
        with platform.engine.connect() as conn:
            return overview_counts(
                conn, me.merchant_id, platform.clock.now(), platform.settings.no_scan_days
            )

    counts = await run_in_threadpool(load)
    return render(request, me, "console/home.html", nav="home", counts=counts)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    found = _STATIC.get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, media_type = found
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
