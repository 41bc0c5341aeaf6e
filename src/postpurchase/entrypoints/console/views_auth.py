"""Signing in and out, setting a password from a one-time link, and "forgot my password".

The signed-out forms (log-in, set password, forgot) carry a double-submit CSRF token: a
random cookie (SameSite=Strict, HttpOnly, path /console) and the same value in a hidden
field. Log-in attempts are rate-limited per e-mail and per client address, shared by every
API process; so are reset mails.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.domain.errors import DomainError
from postpurchase.entrypoints.console.auth import (
    COOKIE_PATH,
    FORM_COOKIE,
    SESSION_COOKIE,
    Viewer,
    accounts_of,
    clear_session_cookie,
    current_principal,
    limits_of,
    login_buckets,
    platform_of,
    reset_buckets,
    safe_next,
    same_origin,
    secure_cookies,
    set_session_cookie,
    tokens_match,
)
from postpurchase.entrypoints.console.mail import send_link
from postpurchase.entrypoints.console.rendering import render
from postpurchase.service_layer.console import InvalidCredentials, StoreNeeded

router = APIRouter(prefix="/console", include_in_schema=False, tags=["console"])

Text = Annotated[str, Form(max_length=512)]
OptText = Annotated[str, Form(max_length=512)]


def _form_token(request: Request) -> str:
    existing = request.cookies.get(FORM_COOKIE, "")
    if 20 <= len(existing) <= 64 and existing.isascii() and existing.isprintable():
        return existing
    return secrets.token_urlsafe(24)


def _signed_out(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> Response:
    token = _form_token(request)
    response = render(request, None, template, status_code=status_code, csrf=token, **context)
    response.set_cookie(
        FORM_COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="strict",
        secure=secure_cookies(request),
    )  # fmt: skip
    return response


def _form_ok(request: Request, sent: str) -> bool:
    return tokens_match(request.cookies.get(FORM_COOKIE, ""), sent) and same_origin(request)


@router.get("/login")
async def login_page(request: Request, next: str = "") -> Response:
    if await current_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _signed_out(request, "console/login.html", next=safe_next(next), email="")


@router.post("/login")
async def login(
    request: Request,
    email: Text = "",
    password: Text = "",
    store: OptText = "",
    csrf: OptText = "",
    next: OptText = "",
) -> Response:
    target = safe_next(next)

    def again(status: int, error: str, field: str, **extra: str) -> Response:
        return _signed_out(
            request, "console/login.html", status, next=target, email=email, store=store,
            error=error, error_field=field, headers=extra,
        )  # fmt: skip

    if not _form_ok(request, csrf):
        return again(403, "The form expired. Please try again.", "csrf")
    wait = await run_in_threadpool(limits_of(request).take, *login_buckets(request, email))
    if wait is not None:
        return again(
            429, f"Too many attempts. Try again in {wait} seconds.", "email",
            **{"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        signed = await run_in_threadpool(accounts_of(request).login, email, password, store)
    except StoreNeeded as exc:
        return again(400, exc.message, "store", show_store="1")
    except InvalidCredentials as exc:
        return again(401, exc.message, "password")
    response = RedirectResponse(target, status_code=303)
    lifetime = int((signed.expires_at - platform_of(request).clock.now()).total_seconds())
    set_session_cookie(request, response, signed.session_token, lifetime)
    response.delete_cookie(FORM_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
async def logout(request: Request, me: Viewer) -> Response:
    await run_in_threadpool(accounts_of(request).logout, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login?flash=logged_out", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/password/{token}")
async def password_page(request: Request, token: str) -> Response:
    found = await run_in_threadpool(accounts_of(request).link_user, token)
    if found is None:
        return _signed_out(request, "console/password.html", 404, user=None, token="")
    user, stored = found
    return _signed_out(
        request, "console/password.html", user=user, token=token, purpose=stored.purpose.value
    )


@router.post("/password/{token}")
async def set_password(
    request: Request,
    token: str,
    password: Text = "",
    confirm: Text = "",
    csrf: OptText = "",
) -> Response:
    found = await run_in_threadpool(accounts_of(request).link_user, token)
    if found is None:
        return _signed_out(request, "console/password.html", 404, user=None, token="")
    user, stored = found

    def again(status: int, error: str, field: str) -> Response:
        return _signed_out(
            request, "console/password.html", status, user=user, token=token,
            purpose=stored.purpose.value, error=error, error_field=field,
        )  # fmt: skip

    if not _form_ok(request, csrf):
        return again(403, "The form expired. Please try again.", "csrf")
    if password != confirm:
        return again(400, "The two passwords are not the same.", "confirm")
    try:
        await run_in_threadpool(accounts_of(request).set_password, token, password)
    except DomainError as exc:
        return again(400, exc.message, exc.field or "password")
    return RedirectResponse("/console/login?flash=password_set", status_code=303)


@router.get("/forgot")
async def forgot_page(request: Request) -> Response:
    return _signed_out(request, "console/forgot.html", email="")


@router.post("/forgot")
async def forgot(request: Request, email: Text = "", csrf: OptText = "") -> Response:
    if not _form_ok(request, csrf):
        return _signed_out(
            request, "console/forgot.html", 403, email=email,
            error="The form expired. Please try again.", error_field="csrf",
        )  # fmt: skip
    wait = await run_in_threadpool(limits_of(request).take, *reset_buckets(request, email))
    if wait is None:
        links = await run_in_threadpool(accounts_of(request).request_reset, email)
        platform = platform_of(request)
        for link in links:  # after the commit: no network I/O inside the transaction
            await run_in_threadpool(send_link, platform, link)
    # The same answer whether the address has an account, was limited, or not.
    return RedirectResponse("/console/login?flash=reset_sent", status_code=303)
