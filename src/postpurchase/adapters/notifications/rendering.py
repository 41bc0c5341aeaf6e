"""Jinja2 + Babel rendering of messages, in the shopper's language and time zone.

Layout: ``templates/flows/<flow>/{email.html,email.txt,sms.txt}``; the sentences are in the
gettext catalogues (``postpurchase/locale/<lang>/LC_MESSAGES/messages.po``), a flow's with
the flow as ``msgctxt`` and the shared ones without. Sentences are looked up with
``t("key", name=value)``; a key missing in the shopper's locale is an error, not a silent
fall-back to English (a test checks every locale has every key).

Dates, times and money are formatted by Babel for the locale (``24 de novembro de 2026``,
``R$ 45,10``); times are shown in the shopper's zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from postpurchase.domain.money import Money
from postpurchase.domain.notifications import (
    FLOWS,
    SUPPORTED_LOCALES,
    Branding,
    Channel,
    MessageContext,
)
from postpurchase.domain.templates import LocaleTemplate
from postpurchase.locale import strings as catalogue_strings
from postpurchase.service_layer.notification_ports import Rendered, RenderError

TEMPLATES = Path(__file__).parent / "templates"

CARRIER_NAMES: dict[str, str] = {
    "ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl_express": "DHL Express",
    "dhl_ecommerce": "DHL eCommerce", "dhl": "DHL", "amazon": "Amazon", "ontrac": "OnTrac",
    "lasership": "LaserShip", "canada_post": "Canada Post", "purolator": "Purolator",
    "dpd": "DPD", "royal_mail": "Royal Mail", "correios": "Correios", "gls": "GLS",
    "colissimo": "Colissimo", "la_poste": "La Poste", "correos": "Correos",
    "deutsche_post": "Deutsche Post", "hermes": "Hermes", "evri": "Evri",
}  # fmt: skip

SMS_MAX = 480  # three concatenated GSM segments: longer texts are cut, never split oddly


@lru_cache(maxsize=64)
def babel_locale(locale: str) -> Locale:
    """Parsed once per tag: ``Locale.parse`` was a tenth of a message's rendering."""
    return Locale.parse(locale.replace("-", "_"))


# Babel's formatting is most of what a message's dates and sums cost, and a batch of
# messages shows the same few dates (estimates, the pickup deadline) and often the same
# sums again and again. The results depend on nothing but the arguments (the amount's
# text, not its value: Decimal("5.1") == Decimal("5.10")), so they are kept, bounded.
@lru_cache(maxsize=4096)
def _money(amount: str, currency: str, locale: str) -> str:
    return str(format_currency(Decimal(amount), currency, locale=babel_locale(locale)))


@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return str(format_date(value, format="full", locale=babel_locale(locale)))


@lru_cache(maxsize=4096)
def _moment(value: datetime, zone: str, locale: str) -> str:
    tz = ZoneInfo(zone)
    return str(format_datetime(value, format="medium", tzinfo=tz, locale=babel_locale(locale)))


def carrier_name(code: str | None, fallback: str) -> str:
    if not code:
        return fallback
    return CARRIER_NAMES.get(code, code.replace("_", " ").title())


class JinjaRenderer:
    """Renders a :class:`MessageContext` into subject + text (+ HTML for email)."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.templates = templates
        loader = FileSystemLoader(str(templates))
        # auto_reload off: the templates ship with the package and never change under a
        # running process; on, every get_template stat()ed the file and its parents.
        self.html_env = Environment(
            loader=loader,
            autoescape=select_autoescape(["html"], default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.text_env = Environment(
            loader=loader,
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        # (flow, locale) -> the sentences a message of that flow reads: its own over the
        # shared ones, merged once instead of looked up in two per-locale tables per call.
        self._texts: dict[tuple[str, str], Mapping[str, str]] = {}

    # ---------------------------------------------------------------- strings

    def strings(self, flow: str) -> dict[str, Mapping[str, str]]:
        """A flow's own sentences, per locale (gettext ``messages``, msgctxt = the flow)."""
        return {loc: catalogue_strings("messages", loc, flow) for loc in SUPPORTED_LOCALES}

    def common(self) -> dict[str, Mapping[str, str]]:
        """The sentences every flow shares, per locale."""
        return {loc: catalogue_strings("messages", loc) for loc in SUPPORTED_LOCALES}

    def _sentences(self, flow: str, locale: str) -> Mapping[str, str]:
        key = (flow, locale)
        found = self._texts.get(key)
        if found is None:
            shared = catalogue_strings("messages", locale) if locale in SUPPORTED_LOCALES else {}
            own = catalogue_strings("messages", locale, flow) if locale in SUPPORTED_LOCALES else {}
            found = self._texts[key] = {**shared, **own}
        return found

    def _translator(self, flow: str, locale: str) -> Any:
        texts = self._sentences(flow, locale)

        def t(key: str, **values: Any) -> str:
            text = texts.get(key)
            if text is None:
                raise RenderError(f"no {locale!r} text for {key!r} (flow {flow})")
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError) as exc:
                raise RenderError(f"text {key!r} ({locale}) needs {exc}") from None

        return t

    # ---------------------------------------------------------------- render

    def variables(self, ctx: MessageContext) -> dict[str, Any]:
        lang = ctx.locale
        babel_locale(lang)  # an unknown locale fails here, as it always did
        tz = ZoneInfo(ctx.timezone)
        t = self._translator(ctx.flow, lang)

        def money(value: Money) -> str:
            return _money(str(value.amount), value.currency, lang)

        def day(value: date | None) -> str:
            return "" if value is None else _day(value, lang)

        def local_date(value: datetime | None) -> date | None:
            return None if value is None else value.astimezone(tz).date()

        def moment(value: datetime | None) -> str:
            return "" if value is None else _moment(value, ctx.timezone, lang)

        reason_key = f"reason_{ctx.substatus}" if ctx.substatus else "reason_other"
        shared = catalogue_strings("messages", lang) if lang in SUPPORTED_LOCALES else {}
        has_reason = reason_key in shared
        return {
            "ctx": ctx,
            "brand": ctx.branding,
            "t": t,
            "money": money,
            "day": day,
            "moment": moment,
            "local_date": local_date,
            "carrier": carrier_name(ctx.carrier, t("carrier_unknown")),
            "reason": t(reason_key if has_reason else "reason_other"),
            "name": ctx.customer_name,
            "order": ctx.order_number,
            "merchant": ctx.merchant_name,
            "lang": ctx.locale,
        }

    def render(self, ctx: MessageContext) -> Rendered:
        if ctx.flow not in FLOWS:
            raise RenderError(f"unknown flow {ctx.flow!r}")
        if ctx.locale not in SUPPORTED_LOCALES:
            raise RenderError(f"unsupported locale {ctx.locale!r}")
        try:
            v = self.variables(ctx)
            subject = _one_line(
                v["t"]("subject", order=ctx.order_number, merchant=ctx.merchant_name)
            )
            folder = f"flows/{ctx.flow}"
            if ctx.channel is Channel.SMS:
                body = self.text_env.get_template(f"{folder}/sms.txt").render(v)
                return Rendered(subject=subject, text=_sms(body))
            text = self.text_env.get_template(f"{folder}/email.txt").render(v)
            html = self.html_env.get_template(f"{folder}/email.html").render(v)
            return Rendered(subject=subject, text=_tidy(text), html=html)
        except RenderError:
            raise
        except (TemplateError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc

    def render_custom(self, ctx: MessageContext, template: LocaleTemplate) -> Rendered:
        """The message from a merchant's own template (sandboxed: custom_templates)."""
        from postpurchase.adapters.notifications.custom_templates import render_custom

        return render_custom(self, ctx, template)

    def check_custom(self, ctx: MessageContext, template: LocaleTemplate, prefix: str) -> Rendered:
        """Render a merchant's template, or InvalidInput naming ``<prefix>.<part>``, the
        template line and Jinja's message (what a save is refused with)."""
        from postpurchase.adapters.notifications.custom_templates import check

        return check(self, ctx, template, prefix)

    def sample(
        self, flow: str, locale: str, channel: Channel, merchant_name: str, branding: Branding
    ) -> MessageContext:
        """Sample data for ``flow`` in ``locale``, in the merchant's name and branding."""
        from postpurchase.adapters.notifications.samples import sample_context

        ctx = sample_context(flow, locale, channel)
        return replace(ctx, merchant_name=merchant_name, branding=branding)

    def page(self, name: str, *, locale: str = "en", **values: Any) -> str:
        """Server-rendered pages of the notification engine (unsubscribe, sent list), with
        the shared sentences of ``locale`` available as ``t``."""
        shared = self.common().get(locale) or self.common()["en"]

        def t(key: str, **kw: Any) -> str:
            return shared[key].format(**kw)

        return self.html_env.get_template(f"pages/{name}").render(t=t, lang=locale, **values)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def _sms(text: str) -> str:
    body = re.sub(r"[ \t]+", " ", re.sub(r"\n{2,}", "\n", text.strip()))
    return body if len(body) <= SMS_MAX else body[: SMS_MAX - 1].rstrip() + "…"


sms_text = _sms  # the same trimming for a merchant's own SMS templates


def missing_strings() -> Mapping[str, list[str]]:
    """Per ``flow/locale``, the keys English has and that locale lacks (for tests and CI)."""
    out: dict[str, list[str]] = {}
    for name in ("common", *FLOWS):
        context = None if name == "common" else name
        english = set(catalogue_strings("messages", "en", context))
        for locale in SUPPORTED_LOCALES:
            lacking = sorted(english - set(catalogue_strings("messages", locale, context)))
            if lacking:
                out[f"{name}/{locale}"] = lacking
    return out
