"""Message templates, the pure part and the sandbox: deterministic assignment to holdout and
versions, the split's rules, templates refused at save with line and error, and a sandbox
that reaches nothing beyond the documented context."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.notifications import custom_templates as ct
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notifications import Channel
from postpurchase.domain.templates import (
    LocaleTemplate,
    Split,
    assign,
    bucket_of,
    check_locale_template,
)

R = JinjaRenderer()


@given(st.text(min_size=1, max_size=40), st.sampled_from(["shipped", "delivered"]))
def test_assignment_is_a_pure_function_of_order_and_flow(order_id: str, flow: str) -> None:
    split = Split(10, {0: 50, 3: 50})
    assert assign(order_id, flow, split, 3) == assign(order_id, flow, split, 3)
    b = bucket_of(order_id, flow)
    assert 0 <= b < 10_000
    chosen = assign(order_id, flow, split, 3)
    assert chosen.held_out == (b < 1000)
    assert chosen.held_out or chosen.version in (0, 3)
    assert assign(order_id, flow, None, 7).version == 7


def test_shares_follow_the_split() -> None:
    split = Split(20, {1: 1, 2: 3})
    got = Counter(assign(f"order-{i}", "shipped", split, 2).version for i in range(20_000))
    assert abs(got[None] / 20_000 - 0.20) < 0.02
    assert abs(got[1] / 20_000 - 0.20) < 0.02 and abs(got[2] / 20_000 - 0.60) < 0.02


@pytest.mark.parametrize(
    ("holdout", "variants", "field"),
    [(60, {}, "holdout_percent"), (0, {}, "variants"), (0, {1: 0}, "variants.1"),
     (0, dict.fromkeys(range(6), 10), "variants"), (True, {1: 1}, "holdout_percent")],
)  # fmt: skip
def test_bad_splits_name_the_field(holdout: int, variants: dict[int, int], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Split(holdout, variants)
    assert err.value.field == field


def test_parts_per_channel() -> None:
    assert check_locale_template("sms", "de", {"text": "Hallo"}) == LocaleTemplate(text="Hallo")
    for raw, field in (
        ({"text": "x", "html": "<p>"}, "locales.de.html"),
        ({}, "locales.de.text"),
    ):
        with pytest.raises(InvalidInput) as err:
            check_locale_template("sms", "de", raw)
        assert err.value.field == field
    with pytest.raises(InvalidInput) as err:
        check_locale_template("email", "en", {"text": "x"})
    assert err.value.field == "locales.en.subject"


def email(**parts: str) -> LocaleTemplate:
    return LocaleTemplate(**{"subject": "{{ order }}", "text": "Hi", **parts})


def check(tpl: LocaleTemplate, flow: str = "shipped", channel: Channel = Channel.EMAIL) -> object:
    return ct.check(R, sample_context(flow, "en", channel), tpl, "locales.en")


@pytest.mark.parametrize(
    ("tpl", "field", "says"),
    [
        (email(text="Hi\n{% if name %}\nno end"), "locales.en.text", "line 3"),
        (email(html="<p>{{ order }</p>"), "locales.en.html", "line 1"),
        (email(text="ok\n\n{{ parcel_count }}"), "locales.en.text", "'parcel_count' is undefined"),
        (email(subject="{{ order | nosuchfilter }}"), "locales.en.subject", "nosuchfilter"),
        (email(text="{{ ''.__class__.__mro__ }}"), "locales.en.text", "unsafe"),
        (email(text="{{ brand.items() }}"), "locales.en.text", "unsafe"),
        (email(text="{{ items[0].name.upper() }}"), "locales.en.text", "unsafe"),
        (email(text="{% for x in range(10**9) %}{% endfor %}"), "locales.en.text", "range"),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_with_its_line(
    tpl: LocaleTemplate, field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        check(tpl)
    assert err.value.field == field
    assert says in err.value.message, err.value.message


def test_the_documented_context_renders_in_the_branded_layout() -> None:
    tpl = email(
        subject="{{ merchant }}: {{ order }} ships with {{ carrier }}",
        text="Hi {{ name }},\n\n{% for i in items %}{{ i.quantity }} x {{ i.name }}\n{% endfor %}",
        html="<p>Expected {{ estimate }} — <a href='{{ tracking_url }}'>track</a></p>"
        "<p>{{ '<script>' }}</p>",
    )
    out = check(tpl)
    assert out.subject == "Acme Goods: #1001 ships with UPS"  # type: ignore[attr-defined]
    assert "2 x Ceramic mug" in out.text and "unsubscribe" in out.text.lower()  # type: ignore[attr-defined]
    html = out.html  # type: ignore[attr-defined]
    assert (
        "Friday, November 27, 2026" in html and "&lt;script&gt;" in html and "<script>" not in html
    )
    assert "<!doctype html>" in html  # the branded shell
    sms = ct.check(
        R,
        sample_context("shipped", "de", Channel.SMS),
        LocaleTemplate(text="{{ order }} " * 200),
        "x",
    )
    assert len(sms.text) <= 480


def test_every_documented_variable_exists() -> None:
    values = ct.variables(R, sample_context("delivered", "fr", Channel.EMAIL))
    assert set(values) == set(ct.VARIABLES)
    assert all(isinstance(v, str | list | dict) for v in values.values())
