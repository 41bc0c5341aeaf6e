"""The merchant console at ``/console``: server-rendered pages for a store's team.

Public hooks for other contexts (the KPI pages use them):

* ``require_role(Role.VIEWER | AGENT | OWNER)`` — the FastAPI dependency of every page; it
  returns the signed-in :class:`Principal` (``merchant_id``, ``role``, ``email``, ``csrf``,
  ``actor``), redirects to the log-in page, checks CSRF on POST and refuses lower roles with
  403. ``Viewer``/``Agent``/``Owner`` are the ``Annotated`` aliases.
* ``render(request, principal, "ctx/page.html", nav="key", **context)`` and templates that
  ``{% extends "console/base.html" %}`` with ``{% block content %}``; ``add_template_dir`` adds
  a context's own template folder; ``register_nav(NavItem(...))`` adds a navigation link.
* ``install(app)`` once, and ``app.include_router(router)``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from postpurchase.domain.console import Principal, Role
from postpurchase.entrypoints.console import (
    returns,
    views_auth,
    views_customers,
    views_exceptions,
    views_home,
    views_orders,
    views_settings,
    views_settings_forms,
    views_settings_more,
    views_team,
    views_templates,
)
from postpurchase.entrypoints.console.auth import (
    Agent,
    Owner,
    Viewer,
    accounts_for,
    current_principal,
    require_role,
)
from postpurchase.entrypoints.console.auth import install as _install_handlers
from postpurchase.entrypoints.console.rendering import (
    NavItem,
    add_template_dir,
    env,
    register_nav,
    render,
)

router = APIRouter()
router.include_router(views_auth.router)
router.include_router(views_home.router)
router.include_router(views_team.router)
router.include_router(views_orders.router)
router.include_router(views_exceptions.router)
router.include_router(views_customers.router)
router.include_router(views_settings_forms.router)
router.include_router(views_settings_more.router)
router.include_router(views_templates.router)
router.include_router(views_settings.router)
router.include_router(returns.router)


def install(app: FastAPI) -> None:
    """Mount the console on ``app``: its error pages and its routes."""
    _install_handlers(app)
    app.include_router(router)


__all__ = [
    "Agent",
    "NavItem",
    "Owner",
    "Principal",
    "Role",
    "Viewer",
    "accounts_for",
    "add_template_dir",
    "current_principal",
    "env",
    "install",
    "register_nav",
    "render",
    "require_role",
    "router",
]
