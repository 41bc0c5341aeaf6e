"""The console's pages: one Jinja environment, the navigation, and ``render``.

Other contexts add pages to the console (the KPI charts do) with three hooks:

* ``add_template_dir(path)``: their templates, which ``{% extends "console/base.html" %}``
  and fill ``{% block content %}`` (and ``title``, ``head`` for a stylesheet or script of
  their own, served from our origin: the pages' CSP allows no other);
* ``register_nav(NavItem(...))``: a link in the navigation, shown to roles that may open it;
* ``render(request, principal, "their/page.html", **context)``: the response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from postpurchase.domain.console import Principal, Role

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class NavItem:
    """A navigation link: ``key`` marks it current when a page passes ``nav=key``."""

    key: str
    label: str
    href: str
    role: Role = Role.VIEWER
    order: int = 50


_NAV: dict[str, NavItem] = {}
_loaders: list[FileSystemLoader] = [FileSystemLoader(HERE / "templates")]

env = Environment(
    loader=ChoiceLoader(_loaders),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def add_template_dir(path: Path | str) -> None:
    """Templates of another context, found after the console's own (``console/...``)."""
    loader = FileSystemLoader(str(path))
    if all(loader.searchpath != known.searchpath for known in _loaders):
        _loaders.append(loader)
        env.cache = {} if env.cache is not None else None


def register_nav(item: NavItem) -> None:
    """Add (or replace, by ``key``) a navigation link."""
    _NAV[item.key] = item


def nav_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return sorted(
        (n for n in _NAV.values() if principal.may(n.role)), key=lambda n: (n.order, n.label)
    )


for _item in (
    NavItem("home", "Overview", "/console", order=0),
    NavItem("orders", "Orders", "/console/orders", order=10),
    NavItem("exceptions", "Exceptions", "/console/exceptions", order=20),
    NavItem("customers", "Customers", "/console/customers", order=30),
    NavItem("team", "Team", "/console/team", Role.OWNER, order=80),
    NavItem("settings", "Settings", "/console/settings", Role.OWNER, order=90),
):
    register_nav(_item)


def _static_versions() -> dict[str, str]:
    out = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return out


STATIC_VERSIONS = _static_versions()


def static_url(name: str) -> str:
    return f"/console/static/{name}?v={STATIC_VERSIONS.get(name, '0')}"


def _query(request: Request, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key): paging links."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


FLASH = {
    "logged_out": "You are logged out.",
    "password_set": "Your password is set. Log in with it.",
    "reset_sent": "If that address has an account, a link to reset the password is on its way.",
    "invited": "Invitation sent.",
    "role_changed": "Role changed.",
    "removed": "Member removed.",
    "resolved": "Marked resolved.",
    "messaged": "Message queued for the customer.",
    "reshipped": "Reshipment recorded.",
    "refunded": "Shipping fee refunded.",
    "saved": "Saved.",
    "created": "Created.",
    "revoked": "Revoked.",
    "deleted": "Deleted.",
    "test_sent": "Test message sent.",
    "carrier_ok": "The carrier accepted the credentials and answered.",
}


def render(
    request: Request,
    principal: Principal | None,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A console page. ``context`` reaches the template next to ``me`` (the principal),
    ``nav`` (links for the role), ``csrf`` (for forms), ``static`` and ``query``."""
    flash = FLASH.get(request.query_params.get("flash", ""))
    body = env.get_template(template).render(
        request=request,
        me=principal,
        nav_items=nav_for(principal),
        csrf=context.pop("csrf", principal.csrf if principal else ""),
        static=static_url,
        query=lambda **changes: _query(request, **changes),
        flash=flash,
        Role=Role,
        **context,
    )
    response = HTMLResponse(body, status_code=status_code, media_type=HTML)
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
