"""Template versions: each save is a new immutable version, checked on sample data first.

A save names the locales it changes; the others are carried over from the current version
(``null`` drops a locale back to the built-in text). Every save, reset and split change is
audited. Checking renders each locale's template on sample data for the flow, so a template
that cannot render is refused at save with its line and Jinja's message, never at send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.notifications import (
    FLOWS,
    SUPPORTED_LOCALES,
    Branding,
    Channel,
    pick_locale,
)
from postpurchase.domain.templates import (
    DEFAULT_VERSION,
    LocaleTemplate,
    Split,
    TemplateVersion,
    check_locale_template,
)
from postpurchase.service_layer.audit import record_change
from postpurchase.service_layer.notification_ports import Rendered
from postpurchase.service_layer.settings import read_settings
from postpurchase.service_layer.templates.ports import TemplateRenderer
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

MAX_NOTE = 200


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    flow: str
    channel: str
    current_version: int  # 0: the built-in template
    split: Split | None


def check_target(flow: str, channel: str) -> Channel:
    if flow not in FLOWS:
        raise NotFound(f"no flow {flow!r}", field="flow")
    try:
        return Channel(channel)
    except ValueError:
        raise NotFound(f"no channel {channel!r}", field="channel") from None


def _merchant(uow: AbstractUnitOfWork, merchant_id: str) -> Any:
    merchant = uow.merchants.get(merchant_id)
    if merchant is None:
        raise NotFound("no such merchant", field="merchant")
    return merchant


def _now(uow: AbstractUnitOfWork) -> datetime:
    clock = getattr(uow, "now", None)
    return clock() if callable(clock) else datetime.now(UTC)


def branding_of(merchant: Any) -> tuple[str, Branding]:
    """The merchant's name and message branding (validated settings), for samples."""
    s = read_settings(merchant.settings)
    b = s.branding
    return b.display_name or merchant.name, Branding(
        sender_name=b.sender_name,
        reply_to=b.reply_to,
        from_email=b.from_email,
        logo_url=b.logo_url,
        primary_color=b.primary_color or "#1f2937",
        accent_color=b.accent_color or "#2563eb",
    )


def overview(uow: AbstractUnitOfWork, merchant_id: str) -> list[TemplateSummary]:
    """Every flow and channel with its current version and split."""
    with uow:
        _merchant(uow, merchant_id)
        numbers = uow.templates.latest_numbers(merchant_id)
        splits = uow.templates.splits(merchant_id)
    return [
        TemplateSummary(
            flow,
            ch.value,
            numbers.get((flow, ch.value), DEFAULT_VERSION),
            splits.get((flow, ch.value)),
        )
        for flow in FLOWS
        for ch in Channel
    ]


def history(
    uow: AbstractUnitOfWork, merchant_id: str, flow: str, channel: str
) -> tuple[list[TemplateVersion], Split | None]:
    """Every version, newest first, and the split."""
    check_target(flow, channel)
    with uow:
        _merchant(uow, merchant_id)
        return (
            uow.templates.versions(merchant_id, flow, channel),
            uow.templates.split(merchant_id, flow, channel),
        )


def check_locales(
    renderer: TemplateRenderer,
    flow: str,
    channel: Channel,
    locales: Mapping[str, LocaleTemplate],
    merchant_name: str,
    branding: Branding,
) -> None:
    """Each locale's template rendered on sample data, or InvalidInput naming it."""
    for locale, tpl in locales.items():
        ctx = renderer.sample(flow, locale, channel, merchant_name, branding)
        renderer.check_custom(ctx, tpl, f"locales.{locale}")


def _parse_locales(
    channel: Channel, raw: Any, base: Mapping[str, LocaleTemplate]
) -> dict[str, LocaleTemplate]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput("locales must map a locale to its templates", field="locales")
    out = dict(base)
    for locale, parts in raw.items():
        if locale not in SUPPORTED_LOCALES:
            raise InvalidInput(
                f"unsupported locale; one of {', '.join(SUPPORTED_LOCALES)}",
                field=f"locales.{locale}",
            )
        if parts is None:
            out.pop(locale, None)
            continue
        if not isinstance(parts, Mapping):
            raise InvalidInput("expected {subject, text, html}", field=f"locales.{locale}")
        out[locale] = check_locale_template(channel.value, locale, parts)
    return out


def save_version(
    uow: AbstractUnitOfWork,
    renderer: TemplateRenderer,
    merchant_id: str,
    flow: str,
    channel: str,
    locales: Any,
    actor: str,
    *,
    note: str | None = None,
) -> TemplateVersion:
    """A new version: the current one with ``locales`` changed (null: back to built-in)."""
    ch = check_target(flow, channel)
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise InvalidInput(f"a note is text of at most {MAX_NOTE} characters", field="note")
    with uow:
        merchant = _merchant(uow, merchant_id)
        current = uow.templates.latest(merchant_id, flow, channel)
        base = dict(current.locales) if current else {}
        merged = _parse_locales(ch, locales, base)
        name, branding = branding_of(merchant)
        check_locales(
            renderer, flow, ch, {k: v for k, v in merged.items() if k in locales}, name, branding
        )
        return _add(uow, merchant_id, flow, ch, merged, actor, note, current, "templates.save")


def reset(
    uow: AbstractUnitOfWork, merchant_id: str, flow: str, channel: str, actor: str
) -> TemplateVersion:
    """A new version with no locales: the built-in template again (history is kept)."""
    ch = check_target(flow, channel)
    with uow:
        _merchant(uow, merchant_id)
        current = uow.templates.latest(merchant_id, flow, channel)
        return _add(
            uow, merchant_id, flow, ch, {}, actor, "reset to default", current, "templates.reset"
        )


def _add(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    flow: str,
    ch: Channel,
    locales: Mapping[str, LocaleTemplate],
    actor: str,
    note: str | None,
    current: TemplateVersion | None,
    action: str,
) -> TemplateVersion:
    version = TemplateVersion(
        merchant_id=merchant_id,
        flow=flow,
        channel=ch.value,
        version=uow.templates.next_version(merchant_id, flow, ch.value),
        locales=dict(locales),
        created_at=_now(uow),
        created_by=actor,
        note=note,
    )
    uow.templates.add(version)
    old = current.locales if current else {}
    before: dict[str, Any] = {"version": current.version if current else DEFAULT_VERSION}
    before |= {loc: t.as_dict() for loc, t in old.items()}
    after: dict[str, Any] = {"version": version.version}
    after |= {loc: t.as_dict() for loc, t in locales.items()}
    record_change(
        uow, merchant_id, actor=actor, action=action, subject=f"template:{flow}/{ch.value}",
        before=before, after=after,
    )  # fmt: skip
    uow.commit()
    return version


def preview(
    uow: AbstractUnitOfWork,
    renderer: TemplateRenderer,
    merchant_id: str,
    flow: str,
    channel: str,
    locale: str,
    *,
    draft: Any = None,
    version: int | None = None,
) -> tuple[int | None, Rendered]:
    """The message on sample data, in the merchant's branding: a draft (``{subject, text,
    html}``, not saved), a stored version, or (neither) the current one. Returns the version
    shown (None for a draft; 0 for the built-in template) and the rendered message."""
    ch = check_target(flow, channel)
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput(
            f"unsupported locale; one of {', '.join(SUPPORTED_LOCALES)}", field="locale"
        )
    with uow:
        merchant = _merchant(uow, merchant_id)
        if draft is None:
            stored = (
                uow.templates.latest(merchant_id, flow, channel)
                if version is None
                else uow.templates.get(merchant_id, flow, channel, version)
            )
            if version not in (None, DEFAULT_VERSION) and stored is None:
                raise NotFound(f"no version {version}", field="version")
    name, branding = branding_of(merchant)
    ctx = renderer.sample(flow, pick_locale(locale), ch, name, branding)
    if draft is not None:
        if not isinstance(draft, Mapping):
            raise InvalidInput("expected {subject, text, html}", field="draft")
        tpl = check_locale_template(ch.value, locale, draft)
        return None, renderer.check_custom(ctx, tpl, "draft")
    if version == DEFAULT_VERSION or stored is None or stored.for_locale(locale) is None:
        shown = DEFAULT_VERSION if stored is None or version == DEFAULT_VERSION else stored.version
        return shown, renderer.render(ctx)
    tpl_stored = stored.for_locale(locale)
    assert tpl_stored is not None
    return stored.version, renderer.check_custom(ctx, tpl_stored, f"locales.{locale}")


def set_split(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    flow: str,
    channel: str,
    split: Split | None,
    actor: str,
) -> Split | None:
    """Hold out a share of orders and/or split them between versions (None: no split).
    Each version named must exist (0, the built-in template, always does)."""
    check_target(flow, channel)
    with uow:
        _merchant(uow, merchant_id)
        if split is not None:
            for number in split.variants:
                if (
                    number != DEFAULT_VERSION
                    and uow.templates.get(merchant_id, flow, channel, number) is None
                ):
                    raise InvalidInput(f"no version {number}", field=f"variants.{number}")
        before = uow.templates.split(merchant_id, flow, channel)
        uow.templates.set_split(merchant_id, flow, channel, split, _now(uow))
        record_change(
            uow, merchant_id, actor=actor, action="templates.split",
            subject=f"template:{flow}/{channel}",
            before=before.as_dict() if before else {}, after=split.as_dict() if split else {},
        )  # fmt: skip
        uow.commit()
        return split
