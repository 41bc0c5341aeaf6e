"""The one settings schema: unknown keys and wrong types named by dotted path, WCAG contrast
and the font allow-list at write, lenient reads of older documents, merge patches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.settings import contrast, drop_path, merge_patch, on_colour, upgrade_layout
from postpurchase.entrypoints.web.i18n import LANGUAGES
from postpurchase.service_layer.settings import read_settings, validate_document
from postpurchase.service_layer.settings.schema import LOCALES
from postpurchase.service_layer.settings.services import SettingsInvalid


def refused(doc: dict[str, Any], touched: frozenset[str] = frozenset()) -> list[dict[str, str]]:
    with pytest.raises(SettingsInvalid) as err:
        validate_document(doc, touched=touched)
    return err.value.errors


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"brandin": {}}, "brandin"),
        ({"branding": {"colour": "#fff"}}, "branding.colour"),
        ({"tracking_page": {"support": {"emial": "a@b.example"}}}, "tracking_page.support.emial"),
        (
            {
                "tracking_page": {
                    "faq": [{"question": "q", "answer": "a"}, {"question": "q", "answr": "a"}]
                }
            },
            "tracking_page.faq[1].answr",
        ),
        (
            {"notifications": {"flows": {"teleported": {"email": True}}}},
            "notifications.flows.teleported",
        ),
        (
            {"notifications": {"flows": {"shipped": {"fax": True}}}},
            "notifications.flows.shipped.fax",
        ),
        (
            {"notifications": {"flows": {"shipped": {"sms": "yes"}}}},
            "notifications.flows.shipped.sms",
        ),
        ({"notifications": {"quiet_hours": {"start": "25:00"}}}, "notifications.quiet_hours.start"),
        ({"notifications": {"collapse_seconds": "300"}}, "notifications.collapse_seconds"),
        ({"notifications": {"collapse_seconds": -1}}, "notifications.collapse_seconds"),
        ({"survey": {"enabled": "true"}}, "survey.enabled"),
        ({"survey": {"enabled": 1}}, "survey.enabled"),
        ({"branding": {"primary_color": "red; x"}}, "branding.primary_color"),
        ({"branding": {"font_family": "Comic Sans; }"}}, "branding.font_family"),
        ({"branding": {"reply_to": "not-an-email"}}, "branding.reply_to"),
        ({"branding": {"logo_url": "javascript:alert(1)"}}, "branding.logo_url"),
        ({"tracking_page": {"returns_url": "data:text/html,x"}}, "tracking_page.returns_url"),
        (
            {"tracking_page": {"custom_domains": ["a.example", "localhost"]}},
            "tracking_page.custom_domains[1]",
        ),
        ({"tracking_page": {"default_locale": "xx"}}, "tracking_page.default_locale"),
        (
            {"tracking_page": {"promo_banner": {"link_url": "https://x.example"}}},
            "tracking_page.promo_banner.text",
        ),
        (
            {"tracking_page": {"promo_banner": {"text": "t", "starts_at": "2026-01-01"}}},
            "tracking_page.promo_banner.starts_at",
        ),
        ({"checkout": {"cutoff": "25:00"}}, "checkout.cutoff"),
        ({"checkout": {"handling_days": 99}}, "checkout.handling_days"),
    ],
)
def test_bad_documents_name_the_dotted_path(doc: dict[str, Any], field: str) -> None:
    errors = refused(doc)
    assert field in [e["field"] for e in errors], errors


def test_unknown_key_says_so_and_every_error_is_listed() -> None:
    errors = refused({"branding": {"x": 1, "primary_color": 5}, "survey": {"y": 2}})
    by_field = {e["field"]: e["message"] for e in errors}
    assert by_field["branding.x"] == "unknown setting" and by_field["survey.y"] == "unknown setting"
    assert "branding.primary_color" in by_field


def test_text_contrast_is_checked_when_written() -> None:
    grey = {"branding": {"text_color": "#999999", "background_color": "#ffffff"}}
    with pytest.raises(SettingsInvalid) as err:
        validate_document(grey, touched=frozenset({"background_color"}))
    assert err.value.field == "branding.text_color"
    assert "4.5:1" in err.value.message and "try #" in err.value.message
    assert validate_document(grey).branding.text_color == "#999999"  # stored earlier: reads
    ok = {"branding": {"text_color": "#1a1a1a", "primary_color": "#ffd500"}}
    s = validate_document(ok, touched=frozenset(ok["branding"]))
    assert contrast(s.branding.text_color or "", "#f5f6f8") >= 4.5


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_black_or_white_on_any_brand_colour_reads(colour: str) -> None:
    assert contrast(on_colour(colour), colour) >= 4.5


def test_values_are_normalised() -> None:
    s = validate_document(
        {
            "branding": {"primary_color": "#ABC", "font_family": "open sans"},
            "tracking_page": {
                "custom_domains": ["Track.Shop.Example.", "track.shop.example"],
                "cors_origins": "*",
                "default_locale": "pt_br",
            },
            "notifications": {"quiet_hours": "22:00-7:30"},
        }
    )
    assert s.branding.primary_color == "#aabbcc" and s.branding.font_family == "Open Sans"
    assert s.tracking_page.custom_domains == ["track.shop.example"]
    assert s.tracking_page.cors_origins == ["*"] and s.tracking_page.default_locale == "pt-BR"
    q = s.notifications.quiet_hours
    assert q is not None and (q.start, q.end, q.enabled) == ("22:00", "07:30", True)


def test_supported_locales_are_the_pages_languages() -> None:
    assert set(LOCALES) == set(LANGUAGES)


def test_a_document_before_issue_14_reads_in_todays_layout() -> None:
    old = {
        "branding": {
            "display_name": "Old",
            "font_family": '"Inter", system-ui',
            "font_url": "https://x",
        },
        "support": {"email": "help@old.example"},
        "returns_url": "https://old.example/returns",
        "checkout": {"cutoff": "15:00"},
    }
    doc = upgrade_layout(old)
    assert doc["tracking_page"] == {
        "support": {"email": "help@old.example"},
        "returns_url": "https://old.example/returns",
    }
    assert doc["branding"] == {"display_name": "Old", "font_family": "Inter"}
    assert upgrade_layout(doc) == doc  # idempotent
    assert "support" in old and "font_url" in old["branding"]  # the input is not modified
    s = read_settings(old)
    assert s.tracking_page.support and s.tracking_page.support.email == "help@old.example"
    assert s.checkout.cutoff == "15:00"


def test_reading_drops_only_what_does_not_pass() -> None:
    s = read_settings(
        {
            "branding": {"display_name": "Shop", "accent_color": "red; x", "bogus": 1},
            "tracking_page": {"custom_domains": ["a.example", "not a host", 3, "b.example"]},
            "notifications": {"flows": {"shipped": {"sms": True}, "nope": {"email": True}}},
            "survey": "nonsense",
        }
    )
    assert s.branding.display_name == "Shop" and s.branding.accent_color is None
    assert s.tracking_page.custom_domains == ["a.example", "b.example"]
    assert s.notifications.flows is not None and s.notifications.flows.shipped.sms is True  # type: ignore[attr-defined]
    assert s.survey.enabled is True
    assert read_settings(None).stored() == {} and read_settings({"branding": "x"}).stored() == {}


def test_stored_keeps_only_what_was_set() -> None:
    s = validate_document({"survey": {"enabled": False}, "branding": {"display_name": "A"}})
    assert s.stored() == {"survey": {"enabled": False}, "branding": {"display_name": "A"}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=10,
)
objects = st.dictionaries(st.text(max_size=2), json_values, max_size=4)


@given(objects, objects)
def test_merge_patch_follows_rfc_7396(target: dict[str, Any], patch: dict[str, Any]) -> None:
    out = merge_patch(target, patch)
    for key, value in patch.items():
        if value is None:
            assert key not in out
        elif not isinstance(value, dict):
            assert out[key] == value
    for key in set(target) - set(patch):
        assert out[key] == target[key]
    assert merge_patch(out, patch) == out  # applying the same patch twice changes nothing


def test_drop_path_removes_the_deepest_existing_step() -> None:
    doc: dict[str, Any] = {"a": {"b": [1, 2, 3]}}
    assert drop_path(doc, ("a", "b", 1)) and doc == {"a": {"b": [1, 3]}}
    assert drop_path(doc, ("a", "missing", 0)) and doc == {}
    assert not drop_path(doc, ("zzz",))
