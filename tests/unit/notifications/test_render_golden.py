"""Rendering stays byte-identical while it is made cheaper (issue 17).

Every flow in every locale on both channels, with the default branding and with a
merchant's own colours and logo, plus variants that switch on the optional parts (discount,
tax, remedy, late delivery, recommendations' absence, no customer name): the SHA-256 of each
rendered subject, text and HTML must match the digests recorded from the renderer before
the caching of issue 17 (``tests/fixtures/notifications/render_golden.json``).

A deliberate change to a template or a sentence changes digests: regenerate the file with
``PYTHONPATH=src python tests/unit/notifications/test_render_golden.py --write`` and say
why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import (
    FLOWS,
    SUPPORTED_LOCALES,
    Branding,
    Channel,
    MessageContext,
)

GOLDEN = Path(__file__).parents[2] / "fixtures" / "notifications" / "render_golden.json"

BRANDINGS = {
    "default": Branding(sender_name="Acme Goods", reply_to="help@acme.example"),
    "pale": Branding(
        sender_name="Acme Goods",
        logo_url="https://cdn.example/logo.png",
        primary_color="#fde68a",
        accent_color="#777",
    ),
    "dark": Branding(primary_color="#111111", accent_color="#0f766e"),
}


def _variants(ctx: MessageContext) -> Iterator[tuple[str, MessageContext]]:
    yield "plain", ctx
    cur = ctx.order_total.currency
    yield (
        "extras",
        replace(
            ctx,
            discount=Money(Decimal("4.00"), cur),
            discount_codes=("WELCOME10",),
            tax=Money(Decimal("3.21"), cur),
            taxes_included=True,
            remedy="We have refunded your shipping fee.",
            promised=date(2026, 11, 22),
            days_late=2,
            remedy_kind="refund_shipping",
            remedy_amount=Money(Decimal("5.10"), cur),
            customer_name=None,
            substatus="customs_hold",
        ),
    )


def digests() -> dict[str, str]:
    renderer = JinjaRenderer()
    out: dict[str, str] = {}
    for flow in FLOWS:
        for locale in SUPPORTED_LOCALES:
            for channel in (Channel.EMAIL, Channel.SMS):
                base = sample_context(flow, locale, channel)
                for bname, branding in BRANDINGS.items():
                    for vname, ctx in _variants(replace(base, branding=branding)):
                        r = renderer.render(ctx)
                        blob = "\x00".join((r.subject, r.text, r.html or "")).encode()
                        key = f"{flow}/{locale}/{channel.value}/{bname}/{vname}"
                        out[key] = hashlib.sha256(blob).hexdigest()
    return out


def test_rendering_is_byte_identical_to_the_recorded_digests() -> None:
    expected = json.loads(GOLDEN.read_text())
    got = digests()
    assert sorted(got) == sorted(expected)
    changed = [k for k in expected if got[k] != expected[k]]
    assert changed == [], f"{len(changed)} renderings differ, e.g. {changed[:5]}"


def test_a_second_render_of_the_same_context_is_identical() -> None:
    """Whatever is cached between renders must not leak from one message into the next."""
    renderer = JinjaRenderer()
    a = sample_context("delivered", "pt-BR", Channel.EMAIL)
    b = replace(sample_context("delivered", "de", Channel.EMAIL), branding=BRANDINGS["pale"])
    first = renderer.render(a), renderer.render(b)
    assert (renderer.render(a), renderer.render(b)) == first
    assert first[0] != first[1]


if __name__ == "__main__" and "--write" in sys.argv:
    GOLDEN.write_text(json.dumps(digests(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
