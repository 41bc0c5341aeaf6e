"""Files a merchant or shopper gives us, or a carrier sells us: what they are and whether to
accept them.

Files live in the database or a configured directory (never one process's disk) so every
API process and worker on every host sees the same logo, label or return photo; this module
holds the pure checks done before anything is stored. Image types are recognised by their
magic bytes, never by the name or the declared content type, which a client controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput


class MediaKind(StrEnum):
    LOGO = "logo"
    LABEL = "label"
    RETURN_PHOTO = "return_photo"
    DOCUMENT = "document"


MAX_MEDIA_BYTES = 20 * 1024 * 1024  # a hard ceiling for any stored file
ALLOWED_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "application/pdf",
        "application/zpl",
        "text/plain",
        "text/csv",
    }
)


@dataclass(frozen=True, slots=True)
class MediaRef:
    """What a caller keeps of a stored file: enough to link to it and to check it."""

    id: str
    kind: MediaKind
    content_type: str
    size: int
    sha256: str
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMedia:
    ref: MediaRef
    merchant_id: str
    created_at: datetime
    data: bytes


def sniff_image(data: bytes, max_bytes: int, *, field: str = "file") -> str:
    """The image's content type from its first bytes, or :class:`InvalidInput` naming ``field``.

    PNG, JPEG, WebP and GIF only: the formats every browser and mail client shows. SVG is
    refused on purpose: it can carry script.
    """
    if not data:
        raise InvalidInput("the file is empty", field=field)
    if len(data) > max_bytes:
        raise InvalidInput(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,}", field=field
        )
    kind = image_type(data)
    if kind is None:
        raise InvalidInput("the file is not a PNG, JPEG, WebP or GIF image", field=field)
    return kind


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def check_media(kind: MediaKind, content_type: str, data: bytes, filename: str | None) -> None:
    """The checks every stored file passes whatever its kind (size, type, name)."""
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(f"content type {content_type[:60]!r} is not accepted", field="file")
    if len(data) > MAX_MEDIA_BYTES:
        raise InvalidInput(
            f"the file is {len(data):,} bytes; the limit is {MAX_MEDIA_BYTES:,}", field="file"
        )
    if content_type.startswith("image/") and image_type(data) != content_type:
        raise InvalidInput(f"the file is not a {content_type}", field="file")
    if filename is not None and (
        len(filename) > 200 or any(c in filename for c in "/\\\x00") or filename in (".", "..")
    ):
        raise InvalidInput("the file name is not acceptable", field="filename")
