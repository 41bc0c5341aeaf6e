"""Settings pages (owners): brand, tracking page, notifications, checkout (forms over the one
settings service, in ``views_settings_forms``), API keys and publishable keys, outbound
webhooks, carrier accounts, store integrations, the audit log.

Each page calls the same service the API route calls, so a value refused by the API is
refused here with the same message, and each change is audited (``console.settings.*``):
the page hands the service an ``AuditEntry`` that the service writes in the change's own
transaction (ADR 0017).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
from postpurchase.adapters.notifications import service_for
from postpurchase.bootstrap import Platform
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError, InvalidInput
from postpurchase.entrypoints.console.auth import ConsoleNotFound, Owner, platform_of
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.views_settings_forms import FORM_SECTIONS
from postpurchase.entrypoints.console.views_settings_forms import load as load_form
from postpurchase.entrypoints.console.views_settings_more import MORE_SECTIONS, load_more

router = APIRouter(prefix="/console/settings", include_in_schema=False, tags=["console"])

Json = Annotated[str, Form(max_length=65536)]
Short = Annotated[str, Form(max_length=2000)]

SECTIONS = [
    ("brand", "Brand"),
    ("tracking", "Tracking page"),
    ("faq", "FAQ"),
    ("domains", "Custom domains"),
    ("block", "Custom block"),
    ("notifications", "Notifications"),
    ("remedies", "Remedies"),
    ("ops", "Ops alerts"),
    ("strings", "Wording"),
    ("recommendations", "Recommendations"),
    ("checkout", "Checkout"),
    ("templates", "Templates"),
    ("keys", "API keys"),
    ("webhooks", "Webhooks"),
    ("carriers", "Carriers"),
    ("integrations", "Integrations"),
    ("audit", "Audit log"),
]


def _entry(
    platform: Platform,
    me: Principal,
    action: str,
    subject: str,
    changes: dict[str, list[Any]] | None = None,
) -> AuditEntry:
    """The entry a service completes (changes, subject) and writes with the change."""
    return AuditEntry(
        me.merchant_id, me.actor, f"console.settings.{action}", subject, platform.clock.now(),
        changes or {},
    )  # fmt: skip


def _json(raw: str, field: str) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc.msg} (line {exc.lineno})", field=field) from None


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


# ---- what each section shows ----------------------------------------------------------------


def _load(platform: Platform, me: Principal, section: str, locale: str) -> dict[str, Any]:
    merchant_id = me.merchant_id
    if section in FORM_SECTIONS:
        return load_form(platform, merchant_id, section)
    if section in MORE_SECTIONS:
        return load_more(platform, merchant_id, section, locale)
    if section == "keys":
        from postpurchase.service_layer.checkout import keys

        k = t.api_keys.c
        with platform.engine.connect() as conn:
            api_keys = list(
                conn.execute(
                    select(k.label, k.created_at, k.revoked_at)
                    .where(k.merchant_id == merchant_id)
                    .order_by(k.created_at.desc())
                )
            )
        return {"api_keys": api_keys, "publishable": keys.list_keys(platform.uow(), merchant_id)}
    if section == "webhooks":
        from postpurchase.adapters.notifications.queries import list_endpoints

        with platform.engine.connect() as conn:
            return {"endpoints": list_endpoints(conn, merchant_id)}
    if section == "carriers":
        from postpurchase.adapters.carriers import accounts

        return {
            "accounts": accounts.list_accounts(platform.engine, platform.keyring, merchant_id),
            "kinds": accounts.account_kinds(),
        }
    if section == "integrations":
        from postpurchase.domain.storefronts import StorePlatform

        with platform.uow() as uow:
            found = [uow.connections.get(merchant_id, p) for p in StorePlatform]
        return {"connections": [c for c in found if c is not None]}
    if section == "audit":
        with SqlConsoleUnitOfWork(platform.engine) as uow:
            return {"entries": uow.audit.list(merchant_id, limit=AUDIT_PAGE)}
    raise ConsoleNotFound(me, "settings page")


AUDIT_PAGE = 100


async def page(
    request: Request, me: Principal, section: str, status_code: int = 200, **extra: Any
) -> Response:
    platform = platform_of(request)
    locale = str(extra.get("string_locale") or request.query_params.get("locale") or "en")
    data = await run_in_threadpool(_load, platform, me, section, locale[:8])
    data.update(extra)
    return render(
        request, me, "console/settings.html", status_code=status_code, nav="settings",
        section=section, sections=SECTIONS, **data,
    )  # fmt: skip


async def _change(
    request: Request,
    me: Principal,
    section: str,
    change: Callable[[], Any],
    *,
    flash: str = "saved",
    **on_error: Any,
) -> Response:
    try:
        await run_in_threadpool(change)
    except DomainError as exc:
        return await page(
            request, me, section, 400, error=f"{exc.field}: {exc.message}" if exc.field
            else exc.message, error_field=exc.field, **on_error,
        )  # fmt: skip
    return RedirectResponse(f"/console/settings/{section}?flash={flash}", status_code=303)


@router.get("")
async def settings_home(me: Owner) -> Response:
    return RedirectResponse("/console/settings/brand", status_code=303)


@router.get("/{section}")
async def settings_page(request: Request, me: Owner, section: str) -> Response:
    if section not in dict(SECTIONS):
        raise ConsoleNotFound(me, "settings page")
    return await page(request, me, section)


# ---- publishable keys -----------------------------------------------------------------------


@router.post("/keys/publishable")
async def new_publishable_key(request: Request, me: Owner, label: Short = "") -> Response:
    from postpurchase.service_layer.checkout import keys

    platform = platform_of(request)
    entry = _entry(platform, me, "publishable_key.created", "publishable_key")
    try:
        key, _ = await run_in_threadpool(
            lambda: keys.issue(platform.uow(), platform.clock, me.merchant_id,
                               label=label.strip() or "console", audit=entry)
        )  # fmt: skip
    except DomainError as exc:
        return await page(request, me, "keys", 400, error=exc.message, error_field=exc.field)
    return await page(request, me, "keys", new_key=key)


@router.post("/keys/publishable/{key_id}/revoke")
async def revoke_publishable_key(request: Request, me: Owner, key_id: str) -> Response:
    from postpurchase.service_layer.checkout import keys

    platform = platform_of(request)

    def change() -> None:
        entry = _entry(platform, me, "publishable_key.revoked", f"publishable_key:{key_id[:32]}",
                       {"revoked": [False, True]})  # fmt: skip
        keys.revoke(platform.uow(), platform.clock, me.merchant_id, key_id[:32], audit=entry)

    return await _change(request, me, "keys", change, flash="revoked")


# ---- outbound webhooks ----------------------------------------------------------------------


@router.post("/webhooks")
async def new_webhook(
    request: Request, me: Owner, url: Short = "", topics: Short = "", description: Short = ""
) -> Response:
    platform = platform_of(request)
    chosen = [x.strip() for x in topics.replace("\n", ",").split(",") if x.strip()] or ["*"]
    entry = _entry(platform, me, "webhook.created", "webhook")
    try:
        ep = await run_in_threadpool(
            lambda: service_for(platform).create_endpoint(
                me.merchant_id, url.strip(), chosen, description.strip() or None, audit=entry
            )
        )
    except DomainError as exc:
        return await page(
            request, me, "webhooks", 400, error=f"{exc.field}: {exc.message}" if exc.field
            else exc.message, error_field=exc.field, url=url, topics=topics,
        )  # fmt: skip
    return await page(request, me, "webhooks", new_secret=ep.secret, new_url=ep.url)


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_webhook(request: Request, me: Owner, endpoint_id: str) -> Response:
    platform = platform_of(request)

    def change() -> None:
        entry = _entry(platform, me, "webhook.deleted", f"webhook:{endpoint_id[:32]}",
                       {"deleted": [False, True]})  # fmt: skip
        service_for(platform).delete_endpoint(me.merchant_id, endpoint_id[:32], audit=entry)

    return await _change(request, me, "webhooks", change, flash="deleted")


# ---- carrier accounts -----------------------------------------------------------------------


@router.post("/carriers/{carrier}/delete")
async def delete_carrier_account(request: Request, me: Owner, carrier: str) -> Response:
    from postpurchase.adapters.carriers import accounts

    platform = platform_of(request)

    def change() -> None:
        entry = _entry(platform, me, "carrier_account.deleted",
                       f"carrier_account:{carrier[:48]}", {"deleted": [False, True]})  # fmt: skip
        accounts.remove_account(
            platform.engine, platform.keyring, me.merchant_id, carrier[:48], audit=entry
        )

    return await _change(request, me, "carriers", change, flash="deleted")


@router.post("/carriers/{carrier}/test")
async def test_carrier_account(request: Request, me: Owner, carrier: str) -> Response:
    """Call the carrier with the stored credentials (no transaction open while it does);
    a failure is shown naming its cause and kept on the account as its last error."""
    from postpurchase.adapters.carriers import accounts
    from postpurchase.domain.carriers import CarrierError

    platform = platform_of(request)
    s = platform.settings
    try:
        await run_in_threadpool(
            lambda: accounts.test_account(
                platform.engine, platform.keyring, platform.clock.now, me.merchant_id,
                carrier[:48], api_urls=s.carrier_api_urls, timeout=s.carrier_timeout_seconds,
            )
        )  # fmt: skip
    except CarrierError as exc:
        return await page(request, me, "carriers", 400,
                          error=f"{carrier[:48]}: {exc.failure.value}: {exc.message}")  # fmt: skip
    except DomainError as exc:
        return await page(request, me, "carriers", 400, error=exc.message, error_field=exc.field)
    return RedirectResponse("/console/settings/carriers?flash=carrier_ok", status_code=303)


def _kind(platform: Platform, me: Principal, tag: str) -> dict[str, Any]:
    """The add form's second step: the fields of one ``connector:carrier``."""
    from postpurchase.adapters.carriers import accounts

    carrier, connector, spec = accounts.kind_spec(tag)
    return {"kind": tag, "kind_carrier": carrier, "kind_connector": connector.value,
            "kind_secrets": spec.secrets, "kind_options": spec.options,
            "kind_required": spec.required, "kind_name": spec.name}  # fmt: skip


@router.get("/carriers/add")
async def carrier_account_form(request: Request, me: Owner, kind: str = "") -> Response:
    """Step two of adding an account (works without JavaScript): the chosen carrier and
    connector's own credentials and options."""
    platform = platform_of(request)
    try:
        fields = _kind(platform, me, kind[:80])
    except DomainError as exc:
        return await page(request, me, "carriers", 400, error=f"{exc.field}: {exc.message}",
                          error_field=exc.field)  # fmt: skip
    return await page(request, me, "carriers", **fields)


@router.post("/carriers")
async def add_carrier_account(request: Request, me: Owner) -> Response:
    """Add (or replace) an account; credentials are sealed by the keyring and never shown
    again (only their last four characters)."""
    from postpurchase.adapters.carriers import accounts
    from postpurchase.domain.carriers import Connector

    platform = platform_of(request)
    form = await request.form()
    tag = str(form.get("kind") or "")[:80]
    mode = str(form.get("mode") or "test")[:16]
    fields: dict[str, str] = {}
    for key in form:
        if key.startswith("f.") and str(form.get(key) or "").strip():
            fields[key[2:50]] = str(form.get(key))[:4096].strip()
    typed = dict(fields)

    def change() -> None:
        carrier, connector, spec = accounts.kind_spec(tag)
        for name in spec.secrets:
            typed.pop(name, None)  # never echoed back into the page
        entry = _entry(platform, me, "carrier_account.saved", f"carrier_account:{carrier}",
                       {"connector": [None, connector.value], "mode": [None, mode]})  # fmt: skip
        accounts.add_account(
            platform.engine, platform.keyring, platform.clock.now(), me.merchant_id, carrier,
            connector=Connector(connector), mode=accounts.parse_mode(mode), fields=fields,
            production=platform.settings.environment == "production", audit=entry,
        )  # fmt: skip

    try:
        await run_in_threadpool(change)
    except DomainError as exc:
        try:
            extra = _kind(platform, me, tag)
        except DomainError:
            extra = {}
        return await page(
            request, me, "carriers", 400, error=f"{exc.field}: {exc.message}" if exc.field
            else exc.message, error_field=exc.field, typed_fields=typed, typed_mode=mode,
            **extra,
        )  # fmt: skip
    return RedirectResponse("/console/settings/carriers?flash=saved", status_code=303)
