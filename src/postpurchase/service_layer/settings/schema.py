"""The one schema of a merchant's settings (issue 14): every key, its type and its rules.

Pydantic models with ``extra="forbid"`` at every depth, so an unknown key anywhere is a 422
naming its dotted path (``tracking_page.faq[2].answr``) instead of being stored and ignored.
Strings, numbers and switches are strict: ``"true"`` is not a switch and ``"5"`` not a
number. What a rule needs beyond a type (contrast, fonts, host names) is in
``domain.settings``; checks that need the whole document (contrast against the chosen
background) run only when a merchant writes (``context={"writing": True}``), so a stored
document written under older rules still reads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from postpurchase.domain.checkout.countries import check_postal_code
from postpurchase.domain.checkout.settings import (
    MAX_HANDLING_DAYS,
    check_country_field,
    check_handling_days,
    normalise_origin,
    normalise_origins,
    parse_cutoff,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notification_flows import FLOWS
from postpurchase.domain.notification_vocabulary import Channel, valid_email
from postpurchase.domain.settings import (
    DEFAULT_BACKGROUND,
    FONTS,
    MIN_TEXT_CONTRAST,
    contrast,
    is_host,
    normalise_colour,
    normalise_host,
    readable_on,
)
from postpurchase.locale import strings as catalogue_strings
from postpurchase.service_layer.settings.base import Section
from postpurchase.service_layer.settings.recommendations import AutomaticRemedy, Recommendations

LOCALES = ("en", "es", "pt-BR", "fr", "de")
MAX_FAQ = 30
MAX_DOMAINS = 10
MAX_OPS_URLS = 20
_PHONE = re.compile(r"[0-9+()./ -]{3,40}")
_MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _url(value: str, *, relative: bool = True) -> str:
    """https (http only for localhost), or a site-relative path; never javascript:/data:."""
    if len(value) > 2000 or any(ord(c) < 32 for c in value):
        raise ValueError("not a URL")
    if relative and value.startswith("/") and not value.startswith("//"):
        return value
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.netloc:
        return value
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
        return value
    raise ValueError("must be an https:// URL" + (" or a path starting with /" if relative else ""))


def _absolute_url(value: str) -> str:
    return _url(value, relative=False)


def _colour(value: str) -> str:
    out = normalise_colour(value)
    if out is None:
        raise ValueError("must be a colour #rgb or #rrggbb")
    return out


def _email(value: str) -> str:
    if not valid_email(value):
        raise ValueError("not an email address")
    return value


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise ValueError("a phone number: digits, spaces and + ( ) . / - only")
    return value


def _font(value: str) -> str:
    for name in FONTS:
        if name.lower() == value.lower():
            return name
    raise ValueError(f"not an allowed font; choose one of: {', '.join(FONTS)}")


def _locale(value: str) -> str:
    for tag in LOCALES:
        if tag.lower() == value.replace("_", "-").lower():
            return tag
    raise ValueError(f"not a supported locale; one of: {', '.join(LOCALES)}")


Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Url = Annotated[StrictStr, AfterValidator(_url)]
AbsoluteUrl = Annotated[StrictStr, AfterValidator(_absolute_url)]
Colour = Annotated[StrictStr, AfterValidator(_colour), Field(examples=["#0b5cad"])]
Email = Annotated[StrictStr, Field(max_length=254), AfterValidator(_email)]
FontName = Annotated[
    StrictStr, AfterValidator(_font), Field(json_schema_extra={"enum": list(FONTS)})
]
Locale = Annotated[StrictStr, AfterValidator(_locale), Field(json_schema_extra={"enum": LOCALES})]


def _contrast_problem(name: str, colour: str, background: str, minimum: float) -> str | None:
    ratio = contrast(colour, background)
    if ratio >= minimum:
        return None
    hint = readable_on(colour, background, minimum)
    return (
        f"{colour} has contrast {ratio:.1f}:1 against the background {background}; "
        f"WCAG 2 asks for {minimum:g}:1 (try {hint})"
    )


class Brand(Section):
    """How the merchant looks and signs, on the tracking page and in every message."""

    display_name: Annotated[StrictStr, Field(min_length=1, max_length=80)] | None = None
    logo_media_id: Annotated[StrictStr, Field(pattern=_MEDIA_ID.pattern)] | None = Field(
        default=None, description="Set by POST /api/v1/settings/logo (an uploaded image)."
    )
    logo_url: Url | None = Field(default=None, description="Or a logo hosted elsewhere.")
    primary_color: Colour | None = None
    accent_color: Colour | None = None
    background_color: Colour | None = None
    text_color: Colour | None = Field(
        default=None, description="Body text; must reach 4.5:1 against the background."
    )
    font_family: FontName | None = None
    sender_name: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None
    from_email: Email | None = None
    reply_to: Email | None = None

    @model_validator(mode="after")
    def _readable(self, info: ValidationInfo) -> Self:
        """WCAG 2 contrast (SC 1.4.3) of body text against the background, checked when a
        merchant writes either. Brand and accent colours need no check of their own: text
        on them is black or white, whichever contrasts more (always 4.5:1 or better), and
        links in them are darkened on the page until they reach 4.5:1."""
        touched = (info.context or {}).get("writing") or ()
        if not self.text_color or not ({"text_color", "background_color"} & set(touched)):
            return self
        background = self.background_color or DEFAULT_BACKGROUND
        problem = _contrast_problem("text_color", self.text_color, background, MIN_TEXT_CONTRAST)
        if problem:
            raise InvalidInput(problem, field="branding.text_color")
        return self


class Support(Section):
    email: Email | None = None
    phone: Annotated[StrictStr, AfterValidator(_phone)] | None = None
    url: Url | None = Field(default=None, description="A help-centre page.")
    chat_url: AbsoluteUrl | None = Field(default=None, description="Live chat, opened in a tab.")


class PromoBanner(Section):
    """A banner across the tracking page, shown between ``starts_at`` and ``ends_at``."""

    text: Text
    link_url: Url | None = None
    link_label: Annotated[StrictStr, Field(min_length=1, max_length=60)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def shown_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


class FaqEntry(Section):
    question: Text
    answer: Annotated[StrictStr, Field(min_length=1, max_length=2000)]


class CustomBlock(Section):
    """A merchant's block on the page: text (escaped) or a small allowlisted HTML subset."""

    title: Annotated[StrictStr, Field(max_length=120)] | None = None
    text: Annotated[StrictStr, Field(max_length=4000)] | None = None
    html: Annotated[StrictStr, Field(max_length=4000)] | None = None
    link_url: Url | None = None
    link_label: Annotated[StrictStr, Field(max_length=60)] | None = None
    image_url: Url | None = None
    image_alt: Annotated[StrictStr, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if self.text is not None and self.html is not None:
            raise ValueError("give text or html, not both")
        return self


def _host(raw: str) -> str:
    host = normalise_host(raw)
    if not is_host(host):
        raise ValueError(f"{raw!r} is not a host name such as track.shop.example")
    return host


def _unique(value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))


def _origins(value: Any) -> Any:
    return ["*"] if value == "*" else value


def _origin(value: str) -> str:
    if value == "*":
        return value
    try:
        return normalise_origin(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


Host = Annotated[StrictStr, AfterValidator(_host)]
Origin = Annotated[StrictStr, AfterValidator(_origin)]


class TrackingPage(Section):
    support: Support | None = None
    returns_url: Url | None = Field(
        default=None,
        description="Start a return: may hold {order_number}, {token}, {tracking_number}.",
    )
    promo_banner: PromoBanner | None = None
    faq: Annotated[list[FaqEntry], Field(max_length=MAX_FAQ)] | None = None
    custom_domains: (
        Annotated[list[Host], Field(max_length=MAX_DOMAINS), AfterValidator(_unique)] | None
    ) = Field(
        default=None,
        description="Host names (CNAME to this server) that open your tracking page: "
        "the merchant is found by the request's Host header.",
    )
    cors_origins: (
        Annotated[
            list[Origin], BeforeValidator(_origins), Field(max_length=20), AfterValidator(_unique)
        ]
        | None
    ) = Field(default=None, description='Origins that may read the page JSON, or "*".')
    default_locale: Locale | None = Field(
        default=None, description="When neither the order nor the browser names a language."
    )
    reschedule_url: Url | None = None
    pickup_hours: Annotated[StrictStr, Field(max_length=200)] | None = None
    custom_block: CustomBlock | None = None


def _hhmm(value: str) -> str:
    m = _HHMM.fullmatch(value)
    if m is None:
        raise ValueError("must be HH:MM (24 h)")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


HHMM = Annotated[StrictStr, AfterValidator(_hhmm)]


class QuietHoursIn(Section):
    """No non-urgent message between ``start`` and ``end`` in the shopper's zone."""

    enabled: StrictBool = True
    start: HHMM = "21:00"
    end: HHMM = "08:00"


def _quiet_legacy(value: Any) -> Any:
    """``"21:00-08:00"`` and ``"off"`` (the older forms) as the object."""
    if value == "off":
        return {"enabled": False}
    if isinstance(value, str) and "-" in value:
        start, _, end = value.partition("-")
        return {"start": start.strip(), "end": end.strip()}
    return value


class FlowSwitch(Section):
    email: StrictBool | None = None
    sms: StrictBool | None = None


# One optional field per known flow, so an unknown flow is an unknown key (named).
_SWITCHES: dict[str, Any] = dict.fromkeys(FLOWS, (FlowSwitch | None, None))
_REMEDIES: dict[str, Any] = dict.fromkeys(
    FLOWS, (Annotated[StrictStr, Field(max_length=500)] | None, None)
)
FlowSwitches: type[Section] = create_model("FlowSwitches", __base__=Section, **_SWITCHES)
Remedies: type[Section] = create_model("Remedies", __base__=Section, **_REMEDIES)
assert {c.value for c in Channel} == set(FlowSwitch.model_fields)


class Notifications(Section):
    flows: FlowSwitches | None = Field(
        default=None, description="Per flow and channel on (true) or off (false)."
    )
    quiet_hours: Annotated[QuietHoursIn, BeforeValidator(_quiet_legacy)] | None = None
    collapse_seconds: Annotated[StrictInt, Field(ge=0, le=3600)] | None = Field(
        default=None, description="Hold non-urgent messages so a burst of scans gives one."
    )
    max_event_age_hours: Annotated[StrictInt, Field(ge=1, le=24 * 365)] | None = None
    estimate_change_min_days: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    pickup_hold_days: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    remedy: Remedies | None = Field(
        default=None, description="A sentence added to a flow's message, per flow."
    )
    ops_urls: (
        Annotated[list[Annotated[StrictStr, Field(pattern=r"://")]], Field(max_length=MAX_OPS_URLS)]
        | None
    ) = Field(default=None, description="Apprise URLs for your exception digest.")


class Survey(Section):
    enabled: StrictBool = Field(
        default=True, description="Ask for a 1-5 rating after delivery (message and page)."
    )


def check_country(value: str) -> str:
    code: str = _domain_check(check_country_field, value)
    return code


def _domain_check(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


class Checkout(Section):
    """Checkout promise defaults (also at /api/v1/merchant/checkout-settings)."""

    cutoff: StrictStr | None = None
    handling_days: Annotated[StrictInt, Field(ge=0, le=MAX_HANDLING_DAYS)] | None = None
    storefront_origins: list[StrictStr] | None = None
    ship_from_country: StrictStr | None = None
    ship_from_postal_code: StrictStr | None = None

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, v: str | None) -> str | None:
        return None if v is None else _domain_check(parse_cutoff, v).strftime("%H:%M")

    @field_validator("handling_days")
    @classmethod
    def _handling(cls, v: int | None) -> int | None:
        return None if v is None else _domain_check(check_handling_days, v)

    @field_validator("storefront_origins")
    @classmethod
    def _origins(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else list(_domain_check(normalise_origins, v))

    @field_validator("ship_from_country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return check_country(v) if v is not None else None

    @model_validator(mode="after")
    def _postal(self) -> Self:
        if self.ship_from_postal_code is None:
            return self
        if self.ship_from_country is None:
            raise ValueError("a ship-from postal code needs its country")
        code = _domain_check(
            lambda c: check_postal_code(self.ship_from_country or "", c)[0],
            self.ship_from_postal_code,
        )
        self.ship_from_postal_code = code
        return self


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_OVERRIDES = 200


def _overrides(value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Per locale, keys of the tracking page's catalogue with the merchant's own text; each
    must be a key English has, and keep exactly its ``{placeholders}``."""
    english = catalogue_strings("web", "en")
    out: dict[str, dict[str, str]] = {}
    for locale, table in value.items():
        tag = _locale(locale)
        if len(table) > MAX_OVERRIDES:
            raise ValueError(f"{locale}: at most {MAX_OVERRIDES} strings")
        for key, text in table.items():
            if key not in english:
                raise ValueError(f"{locale}.{key}: not a key of the tracking page's catalogue")
            want = set(_PLACEHOLDER.findall(english[key]))
            if set(_PLACEHOLDER.findall(text)) != want or not text.strip():
                names = ", ".join(f"{{{n}}}" for n in sorted(want)) or "none"
                raise ValueError(f"{locale}.{key}: placeholders must be exactly: {names}")
        out[tag] = dict(table)
    return out


StringOverrides = Annotated[
    dict[StrictStr, dict[StrictStr, Annotated[StrictStr, Field(max_length=500)]]],
    AfterValidator(_overrides),
]


class MerchantSettings(Section):
    """Everything a merchant configures (carrier accounts, API keys and outbound webhooks
    have endpoints of their own: /api/v1/carriers/accounts, /api/v1/merchant,
    /api/v1/webhook-endpoints). Unset values take the platform defaults."""

    branding: Brand = Field(default_factory=Brand)
    tracking_page: TrackingPage = Field(default_factory=TrackingPage)
    notifications: Notifications = Field(default_factory=Notifications)
    survey: Survey = Field(default_factory=Survey)
    checkout: Checkout = Field(default_factory=Checkout)
    recommendations: Recommendations = Field(default_factory=Recommendations)
    automatic_remedy: AutomaticRemedy = Field(default_factory=AutomaticRemedy)
    strings: StringOverrides | None = Field(
        default=None,
        description="Your own wording of tracking-page texts, per locale and catalogue key "
        '(e.g. {"en": {"help.title": "Questions? We are here"}}); placeholders must match.',
    )

    def stored(self) -> dict[str, Any]:
        """The JSON stored in ``merchants.settings``: only what the merchant set."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True, exclude_unset=True)
        return {k: v for k, v in out.items() if v != {}}
