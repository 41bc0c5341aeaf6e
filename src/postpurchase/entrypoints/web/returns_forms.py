"""The returns portal's forms: a small urlencoded body, or the choose step's multipart body
with photos, read with hard limits, and the shopper's choices turned into a ``ReturnAsk``.

Nothing here stores anything: photos are checked (type by their bytes, size) and handed
back as bytes; the page stores them only once the policy accepted the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import UploadFile

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.media import sniff_image
from postpurchase.domain.notification_vocabulary import valid_email
from postpurchase.domain.returns import Resolution, ReturnMethod
from postpurchase.service_layer.returns import (
    MAX_PHOTO_BYTES,
    ExchangeAsk,
    LineAsk,
    Overview,
    ReturnAsk,
)

MAX_FORM_BYTES = 32_768
MAX_FIELDS = 420  # two per line (quantity, reason) for up to 200 lines, and a few more
MAX_PHOTOS = 3  # per submission: with the form, within max_upload_body_bytes (16 MiB)
MAX_UPLOAD_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + MAX_FORM_BYTES


class TooLarge(Exception):
    """The body is bigger than any honest form (a photo over the limit is caught per file)."""


async def read_form(
    request: Request,
) -> tuple[dict[str, str], dict[str, bytes]] | None:
    """(fields, photos by line id) of a POSTed form; None when it cannot be read. Raises
    :class:`TooLarge` for a multipart body over ``MAX_UPLOAD_BYTES`` (or of unknown size)."""
    ctype = request.headers.get("content-type", "")
    length = request.headers.get("content-length")
    if ctype.startswith("multipart/form-data"):
        if length is None or not length.isdigit() or int(length) > MAX_UPLOAD_BYTES:
            raise TooLarge
        try:
            form = await request.form(max_files=MAX_PHOTOS, max_fields=MAX_FIELDS)
        except Exception:  # a malformed body: the multipart parser's own errors
            return None
        fields: dict[str, str] = {}
        photos: dict[str, bytes] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(MAX_PHOTO_BYTES + 1)
                if data and key.startswith("photo_"):
                    photos[key[6:70]] = data
            else:
                fields[key] = value
        return fields, photos
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs), {}


def check_photos(photos: Mapping[str, bytes]) -> dict[str, str]:
    """Per line id: an error key for a photo that is too big or not an image (else empty)."""
    errors: dict[str, str] = {}
    for line_id, data in photos.items():
        try:
            sniff_image(data, MAX_PHOTO_BYTES, field=f"photo_{line_id}")
        except InvalidInput as exc:
            errors[line_id] = "err.photo_size" if "limit" in exc.message else "err.photo_type"
    return errors


def ask_from(
    form: Mapping[str, str], overview: Overview, photos: Mapping[str, tuple[str, ...]]
) -> tuple[ReturnAsk | None, list[str]]:
    """The shopper's choices; line ids and quantities are checked again by the service.

    ``photos``: media ids already stored for each line (``photos_<id>`` fields of the review
    form carry them to the confirm step)."""
    lines: list[LineAsk] = []
    swaps: list[ExchangeAsk] = []
    errors: list[str] = []
    for key, value in form.items():
        if not key.startswith("qty_") or value in ("", "0"):
            continue
        line_id = key[4:]
        if not value.isdigit() or len(value) > 6:
            errors.append("err.nothing")
            continue
        reason = form.get(f"reason_{line_id}", "")
        if not reason:
            errors.append("err.reason")
            continue
        picked = overview.policy.reason(reason[:64])
        mine = photos.get(line_id, ()) or tuple(
            x for x in form.get(f"photos_{line_id}", "").split(",") if x
        )
        if picked is not None and picked.requires_photo and not mine:
            errors.append("err.photo_needed")
            continue
        lines.append(LineAsk(line_id[:64], int(value), reason[:64], tuple(mine)[:5]))
        variant = form.get(f"exchange_{line_id}", "")
        if variant:
            swaps.append(ExchangeAsk(line_id[:64], variant[:64]))
    if not lines and not errors:
        errors.append("err.nothing")
    raw = form.get("resolution", "refund")
    resolution = Resolution(raw) if raw in {r.value for r in Resolution} else Resolution.REFUND
    if resolution is Resolution.EXCHANGE and len(swaps) != len(lines):
        errors.append("err.exchange")
    gift = form.get("gift") == "1" and overview.policy.gift_returns
    gift_email = form.get("gift_email", "").strip()[:254] if gift else ""
    if gift:
        resolution = Resolution.STORE_CREDIT
        if gift_email and not valid_email(gift_email):
            errors.append("err.gift_email")
    method_raw = form.get("method", "")
    method = (
        ReturnMethod(method_raw)
        if method_raw in {m.value for m in ReturnMethod} and resolution is not Resolution.KEEP_IT
        else None
    )
    if errors:
        return None, sorted(set(errors))
    exchange = tuple(swaps) if resolution is Resolution.EXCHANGE else ()
    return ReturnAsk(tuple(lines), resolution, gift, method, exchange, gift_email or None), []
