"""``/console/returns/analytics`` and ``/console/returns/policy``.

Analytics: the returns API's figures for a period, drawn with the console's server-side SVG
charts (return rate by SKU, units by reason, refund cycle time, methods) beside tiles for
keep-it savings, the exchange share and the revenue kept, each chart with its table, and the
keep-it advice per SKU (``GET /api/v1/returns/keep-it/advice`` for the same period): what a
merchant needs in front of them when deciding which SKUs to stop bringing back.

Policy: the active policy and its versions for everyone; for owners, a draft (the form
fields most merchants change, and the whole document as JSON for the rest) checked by the
same schema as ``PUT /api/v1/returns/policy`` with errors naming the field, the simulator's
replay of the last N months under it, and activation (a new version, audited). The draft
lives in the form itself, so nothing half-edited is ever stored or in force.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.db.returns import policy_versions
from postpurchase.domain.console import Principal
from postpurchase.domain.console.queries import parse_day
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    ReturnPolicy,
    ReturnsAnalytics,
    Tally,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.entrypoints.api.problems import field_of
from postpurchase.entrypoints.api.returns_schemas import PolicyIn
from postpurchase.entrypoints.console.auth import Owner, Viewer, platform_of
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.returns.common import service, translator, words
from postpurchase.entrypoints.web.i18n import Translator
from postpurchase.entrypoints.web.svg_charts import bar_chart

router = APIRouter(prefix="/console/returns", include_in_schema=False, tags=["console"])

MAX_MONTHS = 24
ADVICE_ROWS = 20  # the SKUs where returning loses most; the API lists up to 1,000
RESOLUTIONS = ("refund", "store_credit", "exchange")


def _chart(ident: str, svg: str) -> Markup:
    """A chart whose title and description ids are its own (several share a page)."""
    return Markup(
        svg.replace("chart-title", f"{ident}-title").replace("chart-desc", f"{ident}-desc")
    )


def _money(t: Translator) -> Callable[[dict[str, Decimal]], list[str]]:
    """Amounts per currency as the reader's locale writes them ("$4.95", "4,95 €")."""

    def each(amounts: dict[str, Decimal]) -> list[str]:
        return [t.money(Money(v, k).rounded().amount, k) for k, v in sorted(amounts.items())]

    return each


def titles(t: Any) -> dict[str, str]:
    return {
        "sku": t("console.returns.analytics.by_sku"),
        "reason": t("console.returns.analytics.by_reason"),
        "cycle": t("console.returns.analytics.cycle"),
        "method": t("console.returns.analytics.by_method"),
    }


def charts(a: ReturnsAnalytics, t: Any) -> dict[str, Markup]:
    top = [x for x in a.by_sku if x.rate is not None][:10]
    reasons = a.by_reason.most_common(10)
    cycle = [
        (t("console.returns.analytics.median"), float(a.refund_hours_median)
         if a.refund_hours_median is not None else None),
        (t("console.returns.analytics.p90"), float(a.refund_hours_p90)
         if a.refund_hours_p90 is not None else None),
    ]  # fmt: skip
    methods = a.by_method.most_common()
    return {
        "sku": _chart("sku", bar_chart(t("console.returns.analytics.by_sku"),
                                       [(x.sku, float(x.rate or 0)) for x in top], percent=True)),
        "reason": _chart("reason", bar_chart(t("console.returns.analytics.by_reason"),
                                             [(k, float(v)) for k, v in reasons])),
        "cycle": _chart("cycle", bar_chart(t("console.returns.analytics.cycle"), cycle)),
        "method": _chart("method", bar_chart(t("console.returns.analytics.by_method"),
                                             [(k, float(v)) for k, v in methods])),
    }  # fmt: skip


@router.get("/analytics")
async def analytics(request: Request, me: Viewer) -> Response:
    platform = platform_of(request)
    today = platform.clock.now().astimezone(UTC).date()
    params = {k: request.query_params.get(k, "") for k in ("from", "to")}
    context: dict[str, Any] = {"nav": "returns", "params": params, **words(request)}
    try:
        end = parse_day(params["to"] or None, "to") or today
        start = parse_day(params["from"] or None, "from") or end - timedelta(days=29)
        if start > end:
            raise InvalidInput("must not be after to", field="from")
    except InvalidInput as exc:
        return render(request, me, "console/returns/analytics.html", status_code=400,
                      a=None, error=f"{exc.field}: {exc.message}", error_field=exc.field,
                      **context)  # fmt: skip
    since = datetime.combine(start, time(0), UTC)
    until = datetime.combine(end, time(0), UTC) + timedelta(days=1)
    a = await run_in_threadpool(service(request).analytics, me.merchant_id, since, until)
    advice = await run_in_threadpool(service(request).keep_it_advice, me.merchant_id, since, until)
    return render(
        request, me, "console/returns/analytics.html", a=a, charts=charts(a, context["t"]),
        advice=advice[:ADVICE_ROWS],
        titles=titles(context["t"]),
        start=start, end=end, money=_money(context["t"]), **{**context, "params": {
            "from": start.isoformat(), "to": end.isoformat()}},
    )  # fmt: skip


# ---- policy ---------------------------------------------------------------------------------


def _document(policy: ReturnPolicy) -> dict[str, Any]:
    doc = policy_to_dict(policy)
    doc.pop("version", None)
    return doc


def draft_from_form(form: Any) -> tuple[dict[str, Any], ReturnPolicy]:
    """The draft: the JSON document with the simple fields on top, checked like the API's
    ``PUT`` (an unknown key or a bad value raises naming it, e.g. ``keep_it.default.lable``)."""
    raw = str(form.get("document", "")).strip() or "{}"
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc.msg} (line {exc.lineno})", field="document") from None
    if not isinstance(doc, dict):
        raise InvalidInput("a JSON object", field="document")
    for name in ("window_days",):
        value = str(form.get(name, "")).strip()
        if value:
            if not value.isdigit():
                raise InvalidInput("a whole number of days", field=name)
            doc[name] = int(value)
    for name in ("restocking_fee_rate", "store_credit_bonus_rate"):
        value = str(form.get(name, "")).strip()
        if value:
            try:
                doc[name] = str(Decimal(value.rstrip("%")) / 100)
            except InvalidOperation:
                raise InvalidInput("a percentage, e.g. 10", field=name) from None
    if form.get("resolutions_shown"):
        doc["resolutions"] = [r for r in RESOLUTIONS if form.get(f"resolution_{r}")]
        if not doc["resolutions"]:
            raise InvalidInput("offer at least one resolution", field="resolutions")
    try:
        checked = PolicyIn.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(first["msg"], field=field_of(tuple(first["loc"]))) from None
    policy = policy_from_dict(checked.model_dump(mode="json", exclude_none=True))
    return _document(policy), policy


def percent(rate: Decimal | str) -> str:
    """A rate as the percentage people type: 0.1 -> "10", 0.125 -> "12.5", 0 -> "0"."""
    text = f"{Decimal(str(rate)) * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _months(form: Any) -> int:
    raw = str(form.get("months", "12")).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_MONTHS:
        raise InvalidInput(f"a whole number from 1 to {MAX_MONTHS}", field="months")
    return int(raw)


def _days(months: int) -> int:
    return round(months * 365 / 12)


async def policy_page(
    request: Request, me: Principal, *, status_code: int = 200, draft: dict[str, Any] | None = None,
    **extra: Any,
) -> Response:  # fmt: skip
    svc = service(request)
    active = await run_in_threadpool(svc.policy, me.merchant_id)
    versions = await read(request, policy_versions, me.merchant_id)
    shown = draft if draft is not None else _document(active)
    typed = shown.get("_unparsed")
    draft_json = typed if isinstance(typed, str) else json.dumps(shown, indent=2)
    return render(
        request, me, "console/returns/policy.html", status_code=status_code, nav="returns",
        active=active, active_json=json.dumps(_document(active), indent=2),
        versions=versions, draft=shown, draft_json=draft_json,
        resolutions=RESOLUTIONS, pct=percent,
        months=extra.pop("months", 12), **{**words(request), **extra},
        money=_money(translator(request)),
    )  # fmt: skip


@router.get("/policy")
async def policy(request: Request, me: Viewer) -> Response:
    return await policy_page(request, me)


@router.post("/policy/simulate")
async def simulate(request: Request, me: Owner) -> Response:
    """Check the draft, replay the last N months under it, and show both (nothing saved)."""
    form = await request.form()
    try:
        months = _months(form)
        doc, draft = draft_from_form(form)
    except InvalidInput as exc:
        return await policy_page(
            request, me, status_code=400, draft=_raw(form), error_field=exc.field,
            error=f"{exc.field}: {exc.message}", months=str(form.get("months", "12")),
        )  # fmt: skip
    tally: Tally = await run_in_threadpool(
        service(request).simulate, me.merchant_id, draft, _days(months)
    )
    return await policy_page(request, me, draft=doc, tally=tally, months=months, simulated=True)


@router.post("/policy/activate")
async def activate(request: Request, me: Owner) -> Response:
    """Save the draft as the new active version (audited ``returns.policy.activate``)."""
    form = await request.form()
    try:
        _, draft = draft_from_form(form)
    except InvalidInput as exc:
        return await policy_page(
            request, me, status_code=400, draft=_raw(form), error_field=exc.field,
            error=f"{exc.field}: {exc.message}",
        )  # fmt: skip
    await run_in_threadpool(service(request).save_policy, me.merchant_id, draft, actor=me.actor)
    return RedirectResponse("/console/returns/policy?done=activated", status_code=303)


def _raw(form: Any) -> dict[str, Any]:
    """What was typed, shown again beside the error (a broken document as it was)."""
    try:
        doc = json.loads(str(form.get("document", "")) or "{}")
    except json.JSONDecodeError:
        return {"_unparsed": str(form.get("document", ""))}
    return doc if isinstance(doc, dict) else {"_unparsed": str(form.get("document", ""))}
