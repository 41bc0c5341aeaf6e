"""A merchant's notification settings: quiet hours, branding, and the flow switches and
limits of :class:`Preferences`, parsed (and refused when invalid) from stored settings.

Split out of ``notifications`` so settings and their validation read on their own;
``notifications`` re-exports every name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notification_flows import FLOWS, Flow
from postpurchase.domain.notification_vocabulary import _CHANNEL_NAMES, Channel, valid_email
from postpurchase.domain.settings import normalise_colour, on_colour


@lru_cache(maxsize=1024)
def _on(colour: str, fallback: str) -> str:
    """Black or white text on ``colour``: a template asks up to seven times per e-mail, and
    a merchant has two colours."""
    return on_colour(normalise_colour(colour) or fallback)


# --------------------------------------------------------------------------- preferences


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Wall-clock window ``[start, end)`` in the shopper's zone; it may wrap midnight.
    ``start == end`` means no quiet hours."""

    start: time
    end: time

    def contains(self, wall: time) -> bool:
        wall = wall.replace(tzinfo=None, fold=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    @classmethod
    def parse(cls, value: Any) -> QuietHours | None:
        """``{"start": "21:00", "end": "08:00"}``, ``"21:00-08:00"``, or null/"off" for none."""
        if value in (None, False, "", "off", "none"):
            return None
        if isinstance(value, str) and "-" in value:
            start_s, _, end_s = value.partition("-")
            value = {"start": start_s, "end": end_s}
        if not isinstance(value, Mapping):
            raise InvalidInput("quiet_hours must be {start, end} or null", field="quiet_hours")
        if value.get("enabled") is False:
            return None
        return cls(_parse_hhmm(value.get("start"), "start"), _parse_hhmm(value.get("end"), "end"))

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


def _parse_hhmm(value: Any, name: str) -> time:
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hh, mm = (int(x) for x in value.strip().split(":"))
        if hh < 24 and mm < 60:
            return time(hh, mm)
    raise InvalidInput(f"quiet_hours.{name} must be HH:MM (24h)", field=f"quiet_hours.{name}")


DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(8, 0))
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


@dataclass(frozen=True, slots=True)
class Branding:
    """How the merchant's messages look. Colours are validated: they go into CSS."""

    sender_name: str | None = None
    reply_to: str | None = None
    from_email: str | None = None
    logo_url: str | None = None
    primary_color: str = "#1f2937"
    accent_color: str = "#2563eb"

    @classmethod
    def parse(cls, raw: Any) -> Branding:
        data = raw if isinstance(raw, Mapping) else {}
        out: dict[str, str | None] = {}
        for key in ("sender_name", "reply_to", "from_email", "logo_url"):
            v = data.get(key)
            out[key] = v.strip() if isinstance(v, str) and v.strip() else None
        for key in ("reply_to", "from_email"):
            if out[key] is not None and not valid_email(out[key] or ""):
                raise InvalidInput(
                    f"branding.{key} is not an email address", field=f"branding.{key}"
                )
        logo = out["logo_url"]
        if logo is not None and not re.match(r"https?://", logo):
            raise InvalidInput(
                "branding.logo_url must be an http(s) URL", field="branding.logo_url"
            )
        colours: dict[str, str] = {}
        for key in ("primary_color", "accent_color"):
            v = data.get(key)
            if v is None:
                continue
            if not isinstance(v, str) or not _COLOUR.fullmatch(v.strip()):
                raise InvalidInput(
                    f"branding.{key} must be a #rgb or #rrggbb colour", field=f"branding.{key}"
                )
            colours[key] = v.strip()
        return cls(
            sender_name=out["sender_name"], reply_to=out["reply_to"],
            from_email=out["from_email"], logo_url=logo, **colours,
        )  # fmt: skip

    @property
    def on_primary(self) -> str:
        """Text on the primary colour: black or white, whichever reads (WCAG AA)."""
        return _on(self.primary_color, "#1f2937")

    @property
    def on_accent(self) -> str:
        return _on(self.accent_color, "#2563eb")

    def as_dict(self) -> dict[str, str | None]:
        return {
            "sender_name": self.sender_name,
            "reply_to": self.reply_to,
            "from_email": self.from_email,
            "logo_url": self.logo_url,
            "primary_color": self.primary_color,
            "accent_color": self.accent_color,
        }


@dataclass(frozen=True, slots=True)
class Preferences:
    """A merchant's notification settings (``merchant.settings["notifications"]``) with the
    platform defaults filled in. Parsed strictly when the merchant writes them."""

    switches: Mapping[str, Mapping[Channel, bool]] = field(default_factory=dict)
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS
    collapse_seconds: int = 300
    max_event_age_hours: int = 72
    estimate_change_min_days: int = 1
    pickup_hold_days: int = 7
    remedy: Mapping[str, str] = field(default_factory=dict)
    ops_urls: tuple[str, ...] = ()
    branding: Branding = field(default_factory=Branding)
    survey: bool = True  # the delivered message asks for a rating

    def enabled(self, flow: Flow, channel: Channel) -> bool:
        chosen = self.switches.get(flow.name, {}).get(channel)
        return (channel in flow.default_channels) if chosen is None else chosen

    @classmethod
    def parse(
        cls,
        raw: Any,
        *,
        branding: Any = None,
        defaults: Preferences | None = None,
        survey: bool | None = None,
    ) -> Preferences:
        base = defaults or cls()
        data = raw if isinstance(raw, Mapping) else {}
        switches: dict[str, dict[Channel, bool]] = {}
        flows = data.get("flows", {})
        if not isinstance(flows, Mapping):
            raise InvalidInput("flows must map a flow to {channel: bool}", field="flows")
        for name, chans in flows.items():
            if name not in FLOWS:
                raise InvalidInput(f"unknown flow {name!r}", field=f"flows.{name}")
            if not isinstance(chans, Mapping):
                raise InvalidInput("expected {channel: bool}", field=f"flows.{name}")
            switches[name] = {}
            for ch, on in chans.items():
                if ch not in _CHANNEL_NAMES or not isinstance(on, bool):
                    raise InvalidInput(
                        f"expected email/sms: true|false, got {ch!r}", field=f"flows.{name}"
                    )
                switches[name][Channel(ch)] = on
        quiet = QuietHours.parse(data["quiet_hours"]) if "quiet_hours" in data else base.quiet_hours
        remedy = data.get("remedy", base.remedy)
        if not isinstance(remedy, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in remedy.items()
        ):
            raise InvalidInput("remedy must map a flow to a sentence", field="remedy")
        urls = data.get("ops_urls", list(base.ops_urls))
        if not isinstance(urls, list | tuple) or not all(
            isinstance(u, str) and "://" in u for u in urls
        ):
            raise InvalidInput("ops_urls must be a list of Apprise URLs", field="ops_urls")
        return cls(
            switches=switches,
            quiet_hours=quiet,
            collapse_seconds=_int(data, base, "collapse_seconds", 0, 3600),
            max_event_age_hours=_int(data, base, "max_event_age_hours", 1, 24 * 365),
            estimate_change_min_days=_int(data, base, "estimate_change_min_days", 1, 60),
            pickup_hold_days=_int(data, base, "pickup_hold_days", 1, 60),
            remedy=dict(remedy),
            ops_urls=tuple(urls),
            branding=Branding.parse(branding) if branding is not None else base.branding,
            survey=base.survey if survey is None else survey,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "flows": {
                name: {ch.value: self.enabled(flow, ch) for ch in Channel}
                for name, flow in FLOWS.items()
            },
            "quiet_hours": self.quiet_hours.as_dict() if self.quiet_hours else None,
            "collapse_seconds": self.collapse_seconds,
            "max_event_age_hours": self.max_event_age_hours,
            "estimate_change_min_days": self.estimate_change_min_days,
            "pickup_hold_days": self.pickup_hold_days,
            "remedy": dict(self.remedy),
            "ops_urls": list(self.ops_urls),
        }


def _int(data: Mapping[str, Any], base: Preferences, key: str, lo: int, hi: int) -> int:
    v = data.get(key, getattr(base, key))
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InvalidInput(f"{key} must be an integer from {lo} to {hi}", field=key)
    return v
