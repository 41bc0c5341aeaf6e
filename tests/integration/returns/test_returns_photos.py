"""Return photos, both backends: checked by their bytes and size, stored in the media store,
tied to the order they were uploaded for; a huge or non-image file, or a photo id from
elsewhere, is a clear 4xx and nothing is stored. Through the API and through the portal."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import tables as rt
from tests import tracking_scenarios as sc
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_portal import (
    csrf,
    open_order,
    returns_count,
    site,  # noqa: F401  (a fixture)
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def media_count(shop_or_platform: Any) -> int:
    platform = getattr(shop_or_platform, "platform", shop_or_platform)
    with platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.media_files)).scalar_one())


def upload(shop: Shop, order_id: str, data: bytes, ctype: str = "image/png") -> Any:
    return shop.client.post(
        f"/api/v1/orders/{order_id}/returns/photos", content=data,
        headers={"Content-Type": ctype},
    )  # fmt: skip


def damaged(order: Any, photos: list[str] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"order_line_id": order.lines[0].id, "quantity": 1, "reason": "damaged"}
    if photos is not None:
        line["photos"] = photos
    return {"lines": [line]}


def test_a_photo_lets_a_damaged_item_through_without_review(shop: Shop) -> None:
    order = shop.delivered_order()
    r = upload(shop, order.id, png())
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["content_type"] == "image/png" and photo["size"] == len(png())
    without = shop.client.post(f"/api/v1/orders/{order.id}/returns/quote", json=damaged(order))
    assert without.json()["verdict"] == "review"
    made = shop.client.post(
        f"/api/v1/orders/{order.id}/returns", json=damaged(order, [photo["id"]])
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "approved"
    assert made.json()["lines"][0]["photos"] == [photo["id"]]
    got = shop.client.get(f"/api/v1/returns/photos/{photo['id']}")
    assert got.status_code == 200 and got.content == png()
    assert got.headers["content-type"] == "image/png"


def test_huge_or_non_image_uploads_are_refused_and_nothing_is_stored(shop: Shop) -> None:
    order = shop.delivered_order()
    before = media_count(shop)
    huge = upload(shop, order.id, png() + b"\0" * (5 * 1024 * 1024))
    assert huge.status_code == 422 and huge.json()["field"] == "photo"
    assert "limit" in huge.json()["detail"]
    svg = upload(shop, order.id, b"<svg onload='alert(1)'/>", "image/png")
    assert svg.status_code == 422 and svg.json()["field"] == "photo"
    empty = upload(shop, order.id, b"")
    assert empty.status_code == 422
    assert media_count(shop) == before
    over = upload(shop, order.id, png() + b"\0" * (17 * 1024 * 1024))  # over any upload
    assert over.status_code == 413 and over.json()["field"] == "body"
    assert media_count(shop) == before


def test_photo_ids_from_another_order_or_merchant_are_refused(shop: Shop, other_shop: Shop) -> None:
    order = shop.delivered_order()
    other_order = shop.delivered_order()
    theirs = other_shop.delivered_order()
    elsewhere = upload(shop, other_order.id, png()).json()["id"]
    foreign = upload(other_shop, theirs.id, png()).json()["id"]
    before = returns_total(shop)
    for bad in (elsewhere, foreign, "0" * 32):
        r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=damaged(order, [bad]))
        assert r.status_code == 422 and r.json()["field"] == "lines[0].photos", r.text
    assert returns_total(shop) == before
    assert shop.client.get(f"/api/v1/returns/photos/{foreign}").status_code == 404
    assert upload(other_shop, order.id, png()).status_code == 404  # not their order


def returns_total(shop: Shop) -> int:
    with shop.platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(rt.returns)).scalar_one())


# ---- the portal: multipart, no JavaScript -------------------------------------------------------


def test_the_portal_takes_a_photo_and_refuses_a_bad_one(site: Any) -> None:  # noqa: F811
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf(html), f"qty_{sock}": "1", f"reason_{sock}": "damaged",
            "resolution": "refund"}  # fmt: skip
    before = media_count(platform)

    needed = client.post(f"{url}/review", data=form, files={"unused": ("", b"", "text/plain")})
    assert needed.status_code == 422 and "Add a photo" in needed.text

    not_image = client.post(
        f"{url}/review", data=form, files={f"photo_{sock}": ("x.png", b"GIF? no", "image/png")}
    )
    assert not_image.status_code == 422 and "not a photo" in not_image.text
    huge = client.post(
        f"{url}/review", data=form,
        files={f"photo_{sock}": ("x.png", png() + b"\0" * (5 * 1024 * 1024), "image/png")},
    )  # fmt: skip
    assert huge.status_code == 422 and "too large" in huge.text
    assert media_count(platform) == before and returns_count(platform, seeded.order_id) == 0

    review = client.post(
        f"{url}/review", data=form, files={f"photo_{sock}": ("me.png", png(), "image/png")}
    )
    assert review.status_code == 200, review.text
    assert media_count(platform) == before + 1
    photo = re.search(rf'name="photos_{sock}" value="([0-9a-f]{{32}})"', review.text)
    assert photo is not None
    key = re.search(r'name="key" value="([^"]+)"', review.text).group(1)  # type: ignore[union-attr]
    confirm = {**form, "csrf": csrf(review.text), "key": key, f"photos_{sock}": photo.group(1)}
    done = client.post(f"{url}/confirm", data=confirm, follow_redirects=False)
    assert done.status_code == 303, done.text
    with platform.engine.connect() as conn:
        stored = conn.execute(select(rt.return_lines.c.photos)).scalars().all()
    assert [photo.group(1)] in stored
    status = client.get(done.headers["location"])
    assert "Approved" in status.text  # the photo spared the review


def test_the_inspector_adds_photos_to_a_line(shop: Shop) -> None:
    order = shop.delivered_order()
    c = shop.client
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    c.post(f"/api/v1/returns/{rid}/receive")
    photo = upload(shop, order.id, png()).json()["id"]
    line = {"order_line_id": order.lines[0].id, "grade": "damaged", "note": "dented"}
    bad = c.post(f"/api/v1/returns/{rid}/inspect", json={"lines": [{**line, "photos": ["f" * 32]}]})
    assert bad.status_code == 422 and bad.json()["field"] == "lines[0].photos"
    assert c.get(f"/api/v1/returns/{rid}").json()["status"] == "received"  # nothing changed
    ok = c.post(f"/api/v1/returns/{rid}/inspect", json={"lines": [{**line, "photos": [photo]}]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["lines"][0]["photos"] == [photo] and ok.json()["status"] == "disposed"
