"""The pure halves of the audit log (what changed) and the media store (what we accept)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.audit import AuditEntry, changes_between
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.media import MediaKind, check_media, image_type, sniff_image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32

leaf = st.one_of(st.none(), st.booleans(), st.integers(0, 3), st.sampled_from(["x", "y"]))
key = st.sampled_from(["a", "b", "c"])
docs = st.recursive(
    st.dictionaries(key, leaf, max_size=3),
    lambda inner: st.dictionaries(key, st.one_of(leaf, inner), max_size=3),
    max_leaves=8,
)


def apply(doc: dict[str, Any], changes: dict[str, list[Any]]) -> dict[str, Any]:
    """Replay a diff onto ``doc``: new leaves set, leaves that went to None dropped."""
    out: dict[str, Any] = _copy(doc)
    for path, (_, new) in changes.items():
        keys = path.split(".")
        node = out
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = new
    return _prune(out)


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in doc.items()}


def _prune(doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in doc.items():
        v = _prune(v) if isinstance(v, dict) else v
        if v is not None and v != {}:
            out[k] = v
    return out


@given(docs, docs)
def test_a_diff_replayed_on_the_old_document_gives_the_new_one(a: dict, b: dict) -> None:
    assert apply(a, changes_between(a, b)) == _prune(b)


@given(docs)
def test_nothing_changed_is_an_empty_diff(a: dict) -> None:
    assert changes_between(a, _copy(a)) == {}


def test_nested_changes_name_the_leaf() -> None:
    before = {"brand": {"colors": {"primary": "#111111", "accent": "#222222"}}, "survey": True}
    after = {"brand": {"colors": {"primary": "#0b5394", "accent": "#222222"}}, "survey": True}
    assert changes_between(before, after) == {"brand.colors.primary": ["#111111", "#0b5394"]}
    assert changes_between({"a": 1}, {"a": 1.0}) == {}
    assert changes_between({"a": 1}, {"a": True}) == {"a": [1, True]}
    assert changes_between({}, {"faq": [1, 2]}) == {"faq": [None, [1, 2]]}


def test_entries_name_a_known_kind_of_actor_and_an_aware_time() -> None:
    now = datetime.now(UTC)
    AuditEntry("m", "user:a@example.com", "settings.update", "settings", now)
    with pytest.raises(InvalidInput) as bad:
        AuditEntry("m", "somebody", "settings.update", "settings", now)
    assert bad.value.field == "actor"
    with pytest.raises(InvalidInput) as bad:
        AuditEntry("m", "cli", "", "settings", now)
    assert bad.value.field == "action"
    with pytest.raises(InvalidInput) as bad:
        AuditEntry("m", "cli", "x", "settings", datetime(2026, 1, 1))
    assert bad.value.field == "at"


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (GIF, "image/gif")],
)
def test_images_are_recognised_by_their_bytes(data: bytes, kind: str) -> None:
    assert sniff_image(data, 1000) == kind


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "not a PNG"),
        (b"%PDF-1.7", "not a PNG"),
        (PNG + b"\x00" * 2000, "limit is 1,000"),
    ],
)
def test_anything_else_is_refused_naming_the_field(data: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        sniff_image(data, 1000, field="brand.logo")
    assert bad.value.field == "brand.logo"
    assert why in bad.value.message


@given(st.binary(max_size=64))
def test_random_bytes_are_an_image_only_when_they_start_like_one(data: bytes) -> None:
    kind = image_type(data)
    assert kind is None or data[:3] in (b"\x89PN", b"\xff\xd8\xff", b"RIF", b"GIF")


def test_stored_files_are_checked_whatever_their_kind() -> None:
    check_media(MediaKind.LABEL, "application/pdf", b"%PDF-1.7", "label.pdf")
    for content_type, data, name, field in [
        ("image/svg+xml", b"<svg/>", None, "file"),
        ("image/png", JPEG, None, "file"),  # the declared type must match the bytes
        ("application/pdf", b"%PDF", "../../etc/passwd", "filename"),
        ("application/pdf", b"%PDF", "a\x00b", "filename"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            check_media(MediaKind.DOCUMENT, content_type, data, name)
        assert bad.value.field == field
