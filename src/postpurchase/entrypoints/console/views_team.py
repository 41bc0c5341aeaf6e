"""The team: who has access to the store's console, invitations, roles, removal (owners)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.domain.console import Principal, Role
from postpurchase.domain.errors import DomainError
from postpurchase.entrypoints.console.auth import Owner, accounts_of, platform_of
from postpurchase.entrypoints.console.mail import send_link
from postpurchase.entrypoints.console.rendering import render

router = APIRouter(prefix="/console/team", include_in_schema=False, tags=["console"])

Field = Annotated[str, Form(max_length=320)]


async def _page(request: Request, me: Principal, status_code: int = 200, **extra: Any) -> Response:
    members = await run_in_threadpool(accounts_of(request).team, me)
    return render(
        request, me, "console/team.html", status_code=status_code, nav="team",
        members=members, roles=list(Role), **extra,
    )  # fmt: skip


@router.get("")
async def team(request: Request, me: Owner) -> Response:
    return await _page(request, me)


@router.post("/invite")
async def invite(request: Request, me: Owner, email: Field = "", role: Field = "") -> Response:
    accounts = accounts_of(request)
    try:
        chosen = Role.parse(role)
        link = await run_in_threadpool(accounts.invite, me, email, chosen)
    except DomainError as exc:
        return await _page(request, me, 400, error=exc.message, error_field=exc.field, email=email)
    platform = platform_of(request)
    sent = await run_in_threadpool(send_link, platform, link)  # after the commit
    if sent:
        return RedirectResponse("/console/team?flash=invited", status_code=303)
    return await _page(  # no mail server: the owner passes the link on
        request, me, invite_link=link.url(platform.settings.base_url), invited=link.user.email
    )


@router.post("/{user_id}/role")
async def change_role(request: Request, me: Owner, user_id: str, role: Field = "") -> Response:
    try:
        chosen = Role.parse(role)
        await run_in_threadpool(accounts_of(request).change_role, me, user_id, chosen)
    except DomainError as exc:
        return await _page(request, me, 400, error=exc.message, error_field=exc.field)
    return RedirectResponse("/console/team?flash=role_changed", status_code=303)


@router.post("/{user_id}/remove")
async def remove(request: Request, me: Owner, user_id: str) -> Response:
    try:
        await run_in_threadpool(accounts_of(request).remove, me, user_id)
    except DomainError as exc:
        return await _page(request, me, 400, error=exc.message, error_field=exc.field)
    return RedirectResponse("/console/team?flash=removed", status_code=303)
