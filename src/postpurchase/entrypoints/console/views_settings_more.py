"""More settings forms (owners): the FAQ, custom domains, the custom block, per-flow remedy
sentences, ops alert URLs and the merchant's own wording per locale.

Like ``views_settings_forms``, each form becomes a JSON Merge Patch of its part of the one
schema and goes through ``update_settings`` (what ``PATCH /api/v1/settings`` calls): same
validation, same audit entry (``settings.update`` by ``user:<email>``), all or nothing.
What differs: a refused form comes back with what was typed (nothing is stored) and each
problem is shown next to its field under the schema's dotted path
(``tracking_page.faq[1].answer``), so a long form is fixed where it is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.notifications import service_for
from postpurchase.bootstrap import Platform
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError
from postpurchase.domain.notification_flows import FLOWS
from postpurchase.domain.recommendations import Placement, Strategy, rules_from_stored
from postpurchase.domain.remedies import RemedyKind, rule_from_stored
from postpurchase.entrypoints.console.auth import Owner, platform_of
from postpurchase.locale import strings as catalogue_strings
from postpurchase.service_layer.settings import (
    LOCALES,
    MAX_FAQ,
    SettingsInvalid,
    get_settings,
    update_settings,
)

router = APIRouter(prefix="/console/settings", include_in_schema=False, tags=["console"])

MORE_SECTIONS = ("faq", "domains", "block", "remedies", "ops", "strings", "recommendations")
NUMBERS = ("max_items", "min_bought_together", "attribution_days")
BLOCK = ("title", "text", "html", "link_url", "link_label", "image_url", "image_alt")
_LOCALE_KEY = re.compile(r"^([A-Za-z-]+)\.(\S+): (.*)$", re.S)


def _text(value: Any) -> str | None:
    value = str(value or "").strip()
    return value or None


def _lines(value: Any) -> list[str]:
    return [x.strip() for x in str(value or "").splitlines() if x.strip()]


def _locale_of(request: Request) -> str:
    asked = request.query_params.get("locale", "en")
    return asked if asked in LOCALES else "en"


def load_more(platform: Platform, merchant_id: str, section: str, locale: str) -> dict[str, Any]:
    """What one of these forms shows: the stored settings and, per section, its choices."""
    settings = get_settings(platform.uow(), merchant_id)
    data: dict[str, Any] = {"settings": settings, "locales": LOCALES, "max_faq": MAX_FAQ}
    if section == "faq":
        data["faq"] = [e.model_dump() for e in settings.tracking_page.faq or []]
    if section == "remedies":
        stored_rule = settings.automatic_remedy.model_dump(exclude_none=True)
        data.update(rule=rule_from_stored(stored_rule), kinds=[k.value for k in RemedyKind])
        remedy = settings.notifications.remedy
        data["flows"] = [
            (name, flow.description, getattr(remedy, name, None) if remedy else None)
            for name, flow in sorted(FLOWS.items())
        ]
    if section == "recommendations":
        stored = settings.recommendations.model_dump(exclude_none=True)
        data.update(rules=rules_from_stored(stored), strategies=[s.value for s in Strategy],
                    placements=[p.value for p in Placement])  # fmt: skip
    if section == "strings":
        english = catalogue_strings("web", "en")
        mine = (settings.strings or {}).get(locale, {})
        groups: dict[str, list[tuple[str, str, str | None]]] = {}
        for key in sorted(english):
            groups.setdefault(key.split(".", 1)[0], []).append((key, english[key], mine.get(key)))
        data.update(string_locale=locale, string_groups=sorted(groups.items()), overridden=mine)
    return data


def field_errors(exc: DomainError) -> dict[str, str]:
    """Each problem by the dotted path of its field (the key the form's fields look up)."""
    problems = exc.errors if isinstance(exc, SettingsInvalid) else []
    if not problems:
        problems = [{"field": exc.field or "body", "message": exc.message}]
    out: dict[str, str] = {}
    for p in problems:
        field, message = p["field"], p["message"]
        found = _LOCALE_KEY.match(message) if field == "strings" else None
        if found:  # the overrides are checked as one table: name the string itself
            field, message = f"strings.{found.group(1)}.{found.group(2)}", found.group(3)
        out.setdefault(field, message)
    return out


async def _save(
    request: Request,
    me: Principal,
    section: str,
    patch: dict[str, Any],
    typed: Mapping[str, Any],
    *,
    target: str | None = None,
    **extra: Any,
) -> Response:
    """Store the patch or, refused, show the form again as typed with each problem by its
    field; nothing is stored then (``update_settings`` is all or nothing)."""
    platform = platform_of(request)
    check = getattr(service_for(platform).channels.ops, "check_url", None)
    try:
        await run_in_threadpool(
            lambda: update_settings(platform.uow(), me.merchant_id, patch, me.actor,
                                    check_url=check)
        )  # fmt: skip
    except DomainError as exc:
        from postpurchase.entrypoints.console.views_settings import page

        errors = field_errors(exc)
        message = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return await page(request, me, section, 400, error=message, error_field=exc.field,
                          field_errors=errors, typed=dict(typed), **extra)  # fmt: skip
    service_for(platform).forget_merchant(me.merchant_id)
    return RedirectResponse(target or f"/console/settings/{section}?flash=saved", status_code=303)


# ---- the FAQ ----------------------------------------------------------------------------------


def faq_rows(form: Mapping[str, Any]) -> list[dict[str, str | None]]:
    """The entries as typed, in their new order: removed and blank rows left out, then
    sorted by the position typed; on a tie the entry just moved there comes first (moving
    entry 3 to position 1 puts it above entry 1), else the page's order."""
    rows: list[tuple[tuple[int, int, int], dict[str, str | None]]] = []
    for i in range(MAX_FAQ + 1):
        if f"faq-{i}-question" not in form and f"faq-{i}-answer" not in form:
            continue
        question, answer = _text(form.get(f"faq-{i}-question")), _text(form.get(f"faq-{i}-answer"))
        if form.get(f"faq-{i}-remove") == "on" or (question is None and answer is None):
            continue
        raw = str(form.get(f"faq-{i}-position") or "").strip()
        position = int(raw) if raw.isdigit() else i + 1
        moved = 0 if position != i + 1 else 1  # on a tie, the entry moved there goes first
        rows.append(((position, moved, i), {"question": question, "answer": answer}))
    rows.sort(key=lambda r: r[0])
    return [entry for _, entry in rows]


@router.post("/faq")
async def save_faq(request: Request, me: Owner) -> Response:
    form = await request.form()
    entries = faq_rows(form)
    patch = {"tracking_page": {"faq": entries or None}}
    # shown again as sent, so the n-th entry is the n-th row and its errors line up
    return await _save(request, me, "faq", patch, {"faq": entries})


# ---- custom domains and the custom block ------------------------------------------------------


@router.post("/domains")
async def save_domains(request: Request, me: Owner) -> Response:
    form = await request.form()
    hosts = _lines(form.get("custom_domains"))
    patch = {"tracking_page": {"custom_domains": hosts or None}}
    return await _save(request, me, "domains", patch, {"custom_domains": hosts})


@router.post("/block")
async def save_block(request: Request, me: Owner) -> Response:
    form = await request.form()
    block = {k: _text(form.get(k)) for k in BLOCK}
    patch = {"tracking_page": {"custom_block": block if any(block.values()) else None}}
    return await _save(request, me, "block", patch, {"block": block})


# ---- per-flow remedies and ops alerts ---------------------------------------------------------


@router.post("/remedies")
async def save_remedies(request: Request, me: Owner) -> Response:
    form = await request.form()
    remedy = {name: _text(form.get(f"remedy.{name}")) for name in FLOWS}
    patch = {"notifications": {"remedy": remedy if any(remedy.values()) else None}}
    return await _save(request, me, "remedies", patch, {"remedy": remedy})


@router.post("/remedies/automatic")
async def save_automatic_remedy(request: Request, me: Owner) -> Response:
    form = await request.form()
    rule = {
        "enabled": form.get("enabled") == "on",
        "kind": _text(form.get("kind")),
        "grace_days": _number(form.get("grace_days")),
        "apologise": form.get("apologise") == "on",
    }
    return await _save(request, me, "remedies", {"automatic_remedy": rule},
                       {"automatic_remedy": rule})  # fmt: skip


@router.post("/ops")
async def save_ops(request: Request, me: Owner) -> Response:
    form = await request.form()
    urls = _lines(form.get("ops_urls"))
    patch = {"notifications": {"ops_urls": urls or None}}
    return await _save(request, me, "ops", patch, {"ops_urls": urls})


# ---- the merchant's own wording ---------------------------------------------------------------


@router.post("/strings")
async def save_strings(request: Request, me: Owner) -> Response:
    form = await request.form()
    locale = str(form.get("locale") or "en")
    english = catalogue_strings("web", "en")
    table = {key: _text(form.get(f"s:{key}")) for key in english}
    kept = {k: v for k, v in table.items() if v is not None}
    patch = {"strings": {locale: table if kept else None}}
    typed = {"strings": kept}
    return await _save(request, me, "strings", patch, typed,
                       target=f"/console/settings/strings?locale={locale}&flash=saved",
                       string_locale=locale)  # fmt: skip


# ---- product recommendations ------------------------------------------------------------------


def _number(value: Any) -> int | str | None:
    """A number field: empty is the default, digits a number, anything else goes to the
    schema as typed (which names the field and says it wants a whole number)."""
    text = _text(value)
    return int(text) if text is not None and text.isdigit() else text


@router.post("/recommendations")
async def save_recommendations(request: Request, me: Owner) -> Response:
    form = await request.form()
    chosen = [str(form.get(f"strategy-{i}") or "") for i in range(1, 4)]
    section: dict[str, Any] = {
        "enabled": form.get("enabled") == "on",
        "strategies": [s for s in chosen if s] or None,
        "manual_picks": _lines(form.get("manual_picks")) or None,
        "placements": [p.value for p in Placement if form.get(f"placement.{p.value}") == "on"],
        "store_url": _text(form.get("store_url")),
        **{k: _number(form.get(k)) for k in NUMBERS},
    }
    typed = {**section, "strategy_slots": chosen}
    return await _save(request, me, "recommendations", {"recommendations": section},
                       {"recommendations": typed})  # fmt: skip
