"""A merchant's own message templates: Jinja in a sandbox, checked when saved.

The templates run in :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` with *no*
attribute access at all (``{{ "".__class__ }}`` and ``{{ brand.items() }}`` are security
errors) and a context of plain values only — strings, numbers, lists and mappings — so the
documented variables below are everything a template can reach:

``order`` ``merchant`` ``name`` ``carrier`` ``tracking_number`` ``tracking_url`` ``estimate``
``previous_estimate`` ``status`` ``location`` ``pickup_until`` ``event_time`` ``remedy``
``reason`` ``total`` ``shipping`` ``survey_url`` ``unsubscribe_url`` ``locale``,
``items`` (a list of ``{name, quantity, price}``) and ``brand`` (``{name, primary_color,
accent_color, on_primary, on_accent, logo_url}``). Dates and money arrive formatted for the
shopper's locale and zone. An undefined name is an error, not an empty string.

A template is refused at save when it does not parse (the line and Jinja's message) or when
it fails on sample data for its flow and locale (an unknown variable, a filter misused), so
nothing a merchant saves can fail at send time for a reason the sample could show.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from postpurchase.adapters.notifications.rendering import sms_text
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notifications import Channel, MessageContext
from postpurchase.domain.templates import LocaleTemplate
from postpurchase.service_layer.notification_ports import Rendered, RenderError

VARIABLES = (
    "order", "merchant", "name", "carrier", "tracking_number", "tracking_url", "estimate",
    "previous_estimate", "status", "location", "pickup_until", "event_time", "remedy",
    "reason", "total", "shipping", "survey_url", "unsubscribe_url", "locale", "items", "brand",
)  # fmt: skip


class _Sandbox(ImmutableSandboxedEnvironment):
    """No attribute of any object is reachable; mappings are read by key only."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False


def _env(autoescape: bool) -> _Sandbox:
    return _Sandbox(
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


_HTML = _env(True)
_TEXT = _env(False)


def _line_of(exc: BaseException) -> int | None:
    """The template line a runtime error happened on (Jinja rewrites tracebacks to it)."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if isinstance(line, int) else None


def _problem(exc: BaseException) -> str:
    line = _line_of(exc)
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    return f"line {line}: {text}" if line else text


def compile_part(source: str, *, html: bool, field: str) -> Any:
    """The compiled template, or :class:`InvalidInput` naming the field, line and error."""
    try:
        return (_HTML if html else _TEXT).from_string(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"line {exc.lineno}: {exc.message}", field=field) from None


def variables(renderer: Any, ctx: MessageContext) -> dict[str, Any]:
    """The documented context, as plain values formatted for the shopper."""
    v = renderer.variables(ctx)
    money, day, moment = v["money"], v["day"], v["moment"]
    brand = ctx.branding
    return {
        "order": ctx.order_number,
        "merchant": ctx.merchant_name,
        "name": ctx.customer_name or "",
        "carrier": v["carrier"],
        "tracking_number": ctx.tracking_number or "",
        "tracking_url": ctx.tracking_url,
        "estimate": day(ctx.estimate),
        "previous_estimate": day(ctx.previous_estimate),
        "status": ctx.status or "",
        "location": ctx.location or "",
        "pickup_until": day(ctx.pickup_until),
        "event_time": moment(ctx.event_at),
        "remedy": ctx.remedy or "",
        "reason": v["reason"],
        "total": money(ctx.order_total),
        "shipping": money(ctx.shipping_fee),
        "survey_url": ctx.survey_url or "",
        "unsubscribe_url": ctx.unsubscribe_url or "",
        "locale": ctx.locale,
        "items": [
            {
                "name": li.name,
                "quantity": li.quantity,
                "price": money(li.subtotal) if li.subtotal else "",
            }
            for li in ctx.lines
        ],
        "brand": {
            "name": ctx.merchant_name,
            "primary_color": brand.primary_color,
            "accent_color": brand.accent_color,
            "on_primary": brand.on_primary,
            "on_accent": brand.on_accent,
            "logo_url": brand.logo_url or "",
        },
    }


def _render(source: str, values: dict[str, Any], *, html: bool, field: str) -> str:
    template = compile_part(source, html=html, field=field)
    try:
        return str(template.render(values))
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise InvalidInput(_problem(exc), field=field) from None


def render_custom(renderer: Any, ctx: MessageContext, tpl: LocaleTemplate) -> Rendered:
    """The message from a merchant's template (raises :class:`RenderError`)."""
    try:
        return _render_custom(renderer, ctx, tpl, prefix="")
    except InvalidInput as exc:
        raise RenderError(f"{exc.field}: {exc.message}") from None


def check(renderer: Any, ctx: MessageContext, tpl: LocaleTemplate, prefix: str) -> Rendered:
    """Render on sample data; :class:`InvalidInput` names ``<prefix>.<part>`` and the line."""
    return _render_custom(renderer, ctx, tpl, prefix=prefix)


def _render_custom(
    renderer: Any, ctx: MessageContext, tpl: LocaleTemplate, *, prefix: str
) -> Rendered:
    values = variables(renderer, ctx)

    def name(part: str) -> str:
        return f"{prefix}.{part}" if prefix else part

    text = _render(tpl.text or "", values, html=False, field=name("text"))
    if ctx.channel is Channel.SMS:
        return Rendered(subject="", text=sms_text(text))
    subject = _render(tpl.subject or "", values, html=False, field=name("subject"))
    subject = re.sub(r"\s+", " ", subject).strip()
    if not subject:
        raise InvalidInput("the subject renders empty", field=name("subject"))
    if tpl.html is not None:
        body = Markup(_render(tpl.html, values, html=True, field=name("html")))
    else:
        paras = [p.strip() for p in text.split("\n\n") if p.strip()]
        body = Markup("").join(Markup("<p>{}</p>").format(p) for p in paras)
    shell = renderer.variables(ctx)
    html = renderer.html_env.get_template("flows/_custom.html").render(
        {**shell, "custom_heading": subject, "custom_html": body}
    )
    t = shell["t"]
    footer = f"\n\n--\n{t('footer_why', merchant=ctx.merchant_name)}"
    if ctx.unsubscribe_url:
        footer += f"\n{t('unsubscribe')}: {ctx.unsubscribe_url}"
    return Rendered(subject=subject, text=text.strip() + footer + "\n", html=html)
