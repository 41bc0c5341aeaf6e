"""Who is signed in, what they may do, and the forms' CSRF check: the console's dependencies.

Every console route takes ``require_role(Role.X)`` (or the ``Viewer``/``Agent``/``Owner``
aliases), which returns the :class:`Principal` (user, merchant, role, CSRF token) and:

* sends a browser without a live session to ``/console/login?next=<this page>``;
* on every POST (any unsafe method) checks the form's ``csrf`` field against the session's
  token (constant time) and that a browser-sent ``Origin`` names this site; refuses with 403;
* refuses with 403 a role below ``X``.

Sessions live in the database (``console_sessions``), so a log-out, a password reset or a
removal from the team ends them in every API process at once. The cookie is HttpOnly,
SameSite=Lax (a link from an e-mail still opens the console signed in; no cross-site POST
carries it) and Secure in production or behind an https base URL.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.console import Argon2Hasher
from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
from postpurchase.adapters.shared_limits import Bucket, SharedBuckets, shared_buckets
from postpurchase.bootstrap import Platform
from postpurchase.domain.console import Principal, Role
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.web.ratelimit import TokenBucketLimiter
from postpurchase.service_layer.console import Accounts

logger = logging.getLogger(__name__)

SESSION_COOKIE = "pp_console"
FORM_COOKIE = "pp_console_form"  # double-submit CSRF token of the signed-out forms
COOKIE_PATH = "/console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Log-in attempts: per client address and per e-mail address; both must have a token.
LOGIN_PER_IP = (20.0, 20.0 / 900)  # 20 at once, then one per 45 s
LOGIN_PER_EMAIL = (6.0, 6.0 / 900)  # 6 at once, then one per 2.5 min
RESET_PER_IP = (5.0, 5.0 / 3600)  # reset mails: 5 at once, then 5 an hour


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class ConsoleForbidden(Exception):
    def __init__(self, principal: Principal | None, reason: str) -> None:
        self.principal = principal
        self.reason = reason


class ConsoleNotFound(Exception):
    def __init__(self, principal: Principal | None, what: str = "page") -> None:
        self.principal = principal
        self.what = what


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def accounts_for(platform: Platform) -> Accounts:
    """The account service over the platform's database (the CLI and the demo use it too)."""
    return Accounts(
        lambda: SqlConsoleUnitOfWork(platform.engine),
        Argon2Hasher(),
        platform.clock.now,
        session_lifetime=timedelta(hours=platform.settings.console_session_hours),
    )


def accounts_of(request: Request) -> Accounts:
    """The app's account service (one per process)."""
    state = request.app.state
    found: Accounts | None = getattr(state, "console_accounts", None)
    if found is None:
        found = state.console_accounts = accounts_for(platform_of(request))
    return found


def secure_cookies(request: Request) -> bool:
    settings = platform_of(request).settings
    return settings.environment == "production" or settings.base_url.startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path=COOKIE_PATH, httponly=True,
        samesite="lax", secure=secure_cookies(request),
    )  # fmt: skip


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax",
        secure=secure_cookies(request),
    )  # fmt: skip


def same_origin(request: Request) -> bool:
    """A browser that names where a form came from must name us; no Origin (or ``null``,
    which our ``Referrer-Policy: no-referrer`` makes browsers send) leaves it to the token."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def form_token(request: Request) -> str:
    form = await request.form()
    value = form.get("csrf", "")
    return value if isinstance(value, str) else ""


def tokens_match(expected: str, sent: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def safe_next(raw: str | None) -> str:
    """Where to go after log-in: a console path of ours, never another site."""
    if not raw or not raw.startswith("/console") or raw.startswith("//") or "\\" in raw:
        return "/console"
    if any(ord(c) < 32 for c in raw):
        return "/console"
    return raw


async def current_principal(request: Request) -> Principal | None:
    """The signed-in principal of this request, or None (no cookie, expired, removed)."""
    cached = request.scope.get("console.principal", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE, "")
    principal = await run_in_threadpool(accounts_of(request).principal, token) if token else None
    request.scope["console.principal"] = principal
    return principal


def require_role(needed: Role) -> Callable[[Request], Awaitable[Principal]]:
    """The dependency of every console route: the signed-in principal of at least ``needed``
    role, with the CSRF token checked on POST. See the module docstring."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(here if request.method in SAFE_METHODS else "/console")
        if request.method not in SAFE_METHODS and not (
            tokens_match(principal.csrf, await form_token(request)) and same_origin(request)
        ):
            raise ConsoleForbidden(
                principal, "This form has expired or did not come from the console. Reload "
                "the page and try again.",
            )  # fmt: skip
        if not principal.may(needed):
            raise ConsoleForbidden(
                principal, f"This needs the {needed.value} role; you are {principal.role.value}."
            )
        return principal

    dependency.__name__ = f"require_{needed.value}"
    return dependency


Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Agent = Annotated[Principal, Depends(require_role(Role.AGENT))]
Owner = Annotated[Principal, Depends(require_role(Role.OWNER))]


# ---- rate limits ------------------------------------------------------------------------------


class ConsoleLimits:
    """Log-in and reset-mail budgets shared by every API process (Redis or the database, as
    the tracking page's lookup); when the shared store is down, this process's own buckets
    hold (each process then allows its quota; logged)."""

    def __init__(self, shared: SharedBuckets) -> None:
        self.shared = shared
        self._local: dict[tuple[float, float], TokenBucketLimiter] = {}

    def take(self, *buckets: Bucket) -> int | None:
        """Spend one attempt from every bucket: None when allowed, else seconds to wait."""
        try:
            return self.shared.take(list(buckets))
        except Exception:
            logger.warning("shared console limit unreachable; this process's holds", exc_info=True)
        for b in buckets:
            local = self._local.setdefault(
                (b.capacity, b.per_second), TokenBucketLimiter(b.capacity, b.per_second)
            )
            if not local.peek(b.key):
                return local.retry_after(b.key)
        for b in buckets:
            self._local[(b.capacity, b.per_second)].spend(b.key)
        return None


def limits_of(request: Request) -> ConsoleLimits:
    state = request.app.state
    found: ConsoleLimits | None = getattr(state, "console_limits", None)
    if found is None:
        platform = platform_of(request)
        found = ConsoleLimits(shared_buckets(platform.engine, platform.settings.redis_url))
        state.console_limits = found
    return found


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_buckets(request: Request, email: str) -> list[Bucket]:
    ip = client_ip(request)
    return [
        Bucket(f"console:login:email:{email.strip().lower()}", *LOGIN_PER_EMAIL),
        Bucket(f"console:login:ip:{ip}", *LOGIN_PER_IP),
    ]


def reset_buckets(request: Request, email: str) -> list[Bucket]:
    return [
        Bucket(f"console:reset:email:{email.strip().lower()}", *RESET_PER_IP),
        Bucket(f"console:reset:ip:{client_ip(request)}", *RESET_PER_IP),
    ]


# ---- what the app does with the console's exceptions -----------------------------------------


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> Response:
        target = "/console/login"
        if exc.next_url and exc.next_url != "/console":
            target += "?next=" + quote(exc.next_url, safe="")
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    @app.exception_handler(ConsoleForbidden)
    async def _forbidden(request: Request, exc: ConsoleForbidden) -> Response:
        return render(
            request, exc.principal, "console/error.html", status_code=403,
            heading="Not allowed", message=exc.reason,
        )  # fmt: skip

    @app.exception_handler(ConsoleNotFound)
    async def _not_found(request: Request, exc: ConsoleNotFound) -> Response:
        return render(
            request, exc.principal, "console/error.html", status_code=404,
            heading="Not found", message=f"There is no such {exc.what} in this store.",
        )  # fmt: skip
