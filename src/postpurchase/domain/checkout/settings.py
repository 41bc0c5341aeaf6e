"""A merchant's checkout-promise settings: when the day's orders stop leaving the same day
(cut-off, a local time of day in the merchant's zone), how many business days packing takes
(handling days), where parcels leave from, which storefront origins may ask, and the
promise confidence (the share of promises the merchant wants kept: a higher one pads the
promise date, a lower one breaks more promises).

Stored in ``Merchant.settings["checkout"]``; the fulfilment work later overrides cut-off and
handling per location, so everything here is the merchant-wide default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import time
from typing import Any
from urllib.parse import urlsplit

from postpurchase.domain.checkout.countries import check_country, check_postal_code
from postpurchase.domain.edd.types import (
    DEFAULT_CONFIDENCE,
    DEFAULT_CUTOFF,
    MAX_CONFIDENCE,
    MIN_CONFIDENCE,
)
from postpurchase.domain.errors import InvalidInput

SETTINGS_KEY = "checkout"
MAX_HANDLING_DAYS = 30
MAX_ORIGINS = 20
# http is allowed only for a developer's own machine; a shop's storefront is https.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)
_CUTOFF = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_cutoff(raw: str) -> time:
    """``HH:MM`` (24 h) in the merchant's zone."""
    m = _CUTOFF.fullmatch(raw.strip())
    if m is None:
        raise InvalidInput(f"{raw!r} is not a time of day HH:MM (24 h)", field="cutoff")
    return time(int(m.group(1)), int(m.group(2)))


def check_handling_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("handling_days must be a whole number", field="handling_days")
    if not 0 <= value <= MAX_HANDLING_DAYS:
        raise InvalidInput(
            f"handling_days must be 0 to {MAX_HANDLING_DAYS} business days", field="handling_days"
        )
    return value


def check_promise_confidence(value: object) -> float:
    """A share of promises to keep, ``MIN_CONFIDENCE``-``MAX_CONFIDENCE`` (0.93 = 93%):
    below 80% a promise is a coin toss, above 99% it is all padding."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("promise_confidence must be a number", field="promise_confidence")
    if not MIN_CONFIDENCE <= value <= MAX_CONFIDENCE:  # NaN fails this too
        raise InvalidInput(
            f"promise_confidence must be {MIN_CONFIDENCE} to {MAX_CONFIDENCE} (0.93 = 93% of "
            "promises kept)",
            field="promise_confidence",
        )
    return float(value)


def normalise_origin(raw: str) -> str:
    """A web origin as browsers send it in ``Origin``: scheme://host[:port], lower case, no
    path, no default port. https only, except http on localhost for development."""
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{raw!r} is not an origin", field="storefront_origins") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInput(
            f"{raw!r} is not an origin like https://shop.example.com", field="storefront_origins"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidInput(
            f"{raw!r}: an origin has no user, query or fragment", field="storefront_origins"
        )
    if parts.path not in ("", "/"):
        raise InvalidInput(f"{raw!r}: an origin has no path", field="storefront_origins")
    shown_host = f"[{host}]" if ":" in host else host
    if parts.scheme == "http" and shown_host not in LOCAL_HOSTS:
        raise InvalidInput(
            f"{raw!r}: storefront origins must be https (http only on localhost)",
            field="storefront_origins",
        )
    if ":" not in host and not _HOST.fullmatch(host):
        raise InvalidInput(f"{raw!r}: not a valid host name", field="storefront_origins")
    default = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{shown_host}{suffix}"


def normalise_origins(raw: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in raw:
        origin = normalise_origin(item)
        if origin not in out:
            out.append(origin)
    if len(out) > MAX_ORIGINS:
        raise InvalidInput(f"at most {MAX_ORIGINS} storefront origins", field="storefront_origins")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CheckoutSettings:
    """Validated; hashable, so an answer computed under one version of them is never served
    under another."""

    cutoff: time = DEFAULT_CUTOFF
    handling_days: int = 1
    storefront_origins: tuple[str, ...] = ()
    ship_from_country: str | None = None
    ship_from_postal_code: str | None = None
    promise_confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        check_handling_days(self.handling_days)
        check_promise_confidence(self.promise_confidence)
        if self.ship_from_postal_code and not self.ship_from_country:
            raise InvalidInput(
                "a ship-from postal code needs its country", field="ship_from_country"
            )

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.storefront_origins

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.strftime("%H:%M"),
            "handling_days": self.handling_days,
            "storefront_origins": list(self.storefront_origins),
            "ship_from_country": self.ship_from_country,
            "ship_from_postal_code": self.ship_from_postal_code,
            "promise_confidence": self.promise_confidence,
        }

    def updated(self, changes: Mapping[str, Any]) -> CheckoutSettings:
        """These settings with ``changes`` applied (raw values, validated; None clears the
        ship-from fields and resets the others to their defaults)."""
        kw: dict[str, Any] = {}
        unknown = set(changes) - set(self.as_dict())
        if unknown:
            raise InvalidInput(f"unknown setting {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
        base = CheckoutSettings()
        if "cutoff" in changes:
            v = changes["cutoff"]
            kw["cutoff"] = base.cutoff if v is None else parse_cutoff(str(v))
        if "handling_days" in changes:
            v = changes["handling_days"]
            kw["handling_days"] = base.handling_days if v is None else check_handling_days(v)
        if "storefront_origins" in changes:
            v = changes["storefront_origins"]
            if v is not None and (isinstance(v, str) or not isinstance(v, list | tuple)):
                raise InvalidInput(
                    "storefront_origins must be a list of origins", field="storefront_origins"
                )
            kw["storefront_origins"] = normalise_origins(v or ())
        if "promise_confidence" in changes:
            v = changes["promise_confidence"]
            kw["promise_confidence"] = (
                base.promise_confidence if v is None else check_promise_confidence(v)
            )
        country = changes.get("ship_from_country", self.ship_from_country)
        if "ship_from_country" in changes:
            kw["ship_from_country"] = check_country_field(country)
            country = kw["ship_from_country"]
        if "ship_from_postal_code" in changes or "ship_from_country" in changes:
            code = changes.get("ship_from_postal_code", self.ship_from_postal_code)
            if country is None and "ship_from_postal_code" not in changes:
                code = None  # clearing the country clears its postal code
            if code is not None and country is None:
                raise InvalidInput(
                    "a ship-from postal code needs its country", field="ship_from_country"
                )
            try:
                kw["ship_from_postal_code"] = (
                    check_postal_code(country, code)[0] if country and code else None
                )
            except InvalidInput as exc:
                raise InvalidInput(exc.message, field="ship_from_postal_code") from None
        return replace(self, **kw)


def check_country_field(value: object) -> str | None:
    if value is None:
        return None
    try:
        return check_country(str(value))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="ship_from_country") from None


def settings_of(merchant_settings: Mapping[str, object]) -> CheckoutSettings:
    """Read what is stored (written by :meth:`CheckoutSettings.as_dict`); anything unreadable
    falls back to the default for that field rather than breaking checkout."""
    raw = merchant_settings.get(SETTINGS_KEY)
    if not isinstance(raw, Mapping):
        return CheckoutSettings()
    out = CheckoutSettings()
    for name in (
        "cutoff",
        "handling_days",
        "storefront_origins",
        "ship_from_country",
        "ship_from_postal_code",
        "promise_confidence",
    ):
        if name in raw:
            try:
                out = out.updated({name: raw[name]})
            except InvalidInput:
                continue
    return out


def promise_confidence_of(merchant_settings: Mapping[str, object]) -> float:
    """The merchant's promise confidence (the default when unset or unreadable)."""
    raw = merchant_settings.get(SETTINGS_KEY)
    value = raw.get("promise_confidence") if isinstance(raw, Mapping) else None
    try:
        return DEFAULT_CONFIDENCE if value is None else check_promise_confidence(value)
    except InvalidInput:
        return DEFAULT_CONFIDENCE
