"""Message templates a merchant edits (issue 14): versions, and who gets which.

Every change to a flow's template on a channel is a new, immutable version; version 0 is
the built-in template, and a version without a locale's text falls back to the built-in one
for that locale (so a reset is a version with no locales). A merchant may hold out a share of
shoppers (they get no message of that flow) or split them between versions, to measure what
a message does to "where is my order?" contacts, survey scores and repeat purchases: the
assignment is a hash of the order and the flow, so the same order always lands in the same
arm, on every channel, in every process, with nothing stored to look it up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from postpurchase.domain.errors import InvalidInput

DEFAULT_VERSION = 0
MAX_HOLDOUT_PERCENT = 50
MAX_VARIANTS = 5
MAX_SOURCE = 20_000  # characters per template part
# The parts a version holds per locale, by channel.
PARTS: Mapping[str, tuple[str, ...]] = {"email": ("subject", "text", "html"), "sms": ("text",)}
REQUIRED: Mapping[str, tuple[str, ...]] = {"email": ("subject", "text"), "sms": ("text",)}


@dataclass(frozen=True, slots=True)
class LocaleTemplate:
    """One locale's sources: a subject line, a text body and (email) an HTML body."""

    subject: str | None = None
    text: str | None = None
    html: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("subject", self.subject), ("text", self.text), ("html", self.html))
            if v is not None
        }


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    merchant_id: str
    flow: str
    channel: str
    version: int
    locales: Mapping[str, LocaleTemplate]
    created_at: datetime
    created_by: str
    note: str | None = None

    def for_locale(self, locale: str) -> LocaleTemplate | None:
        return self.locales.get(locale)


def check_locale_template(channel: str, locale: str, raw: Mapping[str, object]) -> LocaleTemplate:
    """The parts a channel takes, each a string within :data:`MAX_SOURCE`; the path of a
    bad part is named (``locales.de.html``). Syntax is the renderer's to check."""
    parts = PARTS.get(channel)
    if parts is None:
        raise InvalidInput(f"unknown channel {channel!r}", field="channel")
    unknown = sorted(set(raw) - set(parts))
    if unknown:
        raise InvalidInput(
            f"{channel} templates have {', '.join(parts)}", field=f"locales.{locale}.{unknown[0]}"
        )
    values: dict[str, str] = {}
    for part in parts:
        value = raw.get(part)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("must be non-empty text", field=f"locales.{locale}.{part}")
        if len(value) > MAX_SOURCE:
            raise InvalidInput(f"at most {MAX_SOURCE} characters", field=f"locales.{locale}.{part}")
        values[part] = value
    for part in REQUIRED[channel]:
        if part not in values:
            raise InvalidInput(f"{part} is required", field=f"locales.{locale}.{part}")
    if "subject" in values and "\n" in values["subject"].strip():
        raise InvalidInput("a subject is one line", field=f"locales.{locale}.subject")
    return LocaleTemplate(**values)


@dataclass(frozen=True, slots=True)
class Split:
    """Who gets which version of a flow's message: ``holdout_percent`` of orders get none
    (the control group); the rest are shared between ``variants`` (version -> weight)."""

    holdout_percent: int = 0
    variants: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.holdout_percent, bool) or not isinstance(self.holdout_percent, int):
            raise InvalidInput("holdout_percent must be a whole number", field="holdout_percent")
        if not 0 <= self.holdout_percent <= MAX_HOLDOUT_PERCENT:
            raise InvalidInput(
                f"holdout_percent must be 0 to {MAX_HOLDOUT_PERCENT}", field="holdout_percent"
            )
        if len(self.variants) > MAX_VARIANTS:
            raise InvalidInput(f"at most {MAX_VARIANTS} variants", field="variants")
        for version, weight in self.variants.items():
            if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
                raise InvalidInput("a weight is 1 to 100", field=f"variants.{version}")
            if version < 0:
                raise InvalidInput("no such version", field=f"variants.{version}")
        if not self.variants and not self.holdout_percent:
            raise InvalidInput("a split needs a holdout or variants", field="variants")

    def as_dict(self) -> dict[str, object]:
        return {
            "holdout_percent": self.holdout_percent,
            "variants": {str(v): w for v, w in sorted(self.variants.items())},
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    """The version an order gets for a flow (None when held out) and its bucket 0-9999."""

    version: int | None
    bucket: int

    @property
    def held_out(self) -> bool:
        return self.version is None


def bucket_of(order_id: str, flow: str) -> int:
    """A stable number 0-9999 for an order and a flow (SHA-256, not Python's salted hash)."""
    digest = hashlib.sha256(f"{order_id}:{flow}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def assign(order_id: str, flow: str, split: Split | None, current: int) -> Assignment:
    """Held out, one of the split's variants, or (no split) the current version."""
    b = bucket_of(order_id, flow)
    if split is None:
        return Assignment(current, b)
    cut = split.holdout_percent * 100
    if b < cut:
        return Assignment(None, b)
    if not split.variants:
        return Assignment(current, b)
    total = sum(split.variants.values())
    position = (b - cut) * total // (10_000 - cut)
    for version, weight in sorted(split.variants.items()):
        if position < weight:
            return Assignment(version, b)
        position -= weight
    return Assignment(max(split.variants), b)  # unreachable: position < total
