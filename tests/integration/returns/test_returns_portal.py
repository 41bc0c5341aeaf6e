"""The shopper's portal without JavaScript (plain form posts): look up, choose, see the
amount, confirm once, see the status; tampering, CSRF and rate limits leave nothing behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postpurchase.adapters.db.returns import tables as rt
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from tests import tracking_scenarios as sc
from tests.fakes import FakeClock


@pytest.fixture
def site(engine: Any) -> Iterator[tuple[Platform, Any, TestClient]]:
    platform = bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)
    merchant = sc.merchant(platform)
    with TestClient(create_app(platform), base_url="http://shop.test") as client:
        yield platform, merchant, client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def returns_count(platform: Platform, order_id: str) -> int:
    with platform.engine.connect() as conn:
        q = select(func.count()).where(rt.returns.c.order_id == order_id)
        return int(conn.execute(q).scalar_one())


def open_order(client: TestClient, merchant: Any, seeded: sc.Seeded) -> tuple[str, str]:
    page = client.get(f"/returns?shop={merchant.slug}")
    assert page.status_code == 200 and "Start a return" in page.text
    found = client.post(
        "/returns",
        data={"csrf": csrf(page.text), "shop": merchant.slug, "number": seeded.number,
              "contact": seeded.email.upper()},
        follow_redirects=False,
    )  # fmt: skip
    assert found.status_code == 303, found.text
    url = found.headers["location"]
    assert url == f"/returns/o/{seeded.token}"
    return url, client.get(url).text


def test_the_whole_journey_without_javascript(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    assert "Packable rain jacket" in html and "2 of 2 can be returned" in html
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf(html), f"qty_{sock}": "1", f"reason_{sock}": "too_small",
            "resolution": "refund"}  # fmt: skip
    review = client.post(f"{url}/review", data=form)
    assert review.status_code == 200, review.text
    assert "Check your return" in review.text
    assert "Within the 30-day return window" in review.text
    assert returns_count(platform, seeded.order_id) == 0  # nothing stored before confirming
    key = re.search(r'name="key" value="([^"]+)"', review.text).group(1)  # type: ignore[union-attr]
    confirm = {**form, "csrf": csrf(review.text), "key": key}
    done = client.post(f"{url}/confirm", data=confirm, follow_redirects=False)
    assert done.status_code == 303
    again = client.post(f"{url}/confirm", data=confirm, follow_redirects=False)  # double click
    assert again.headers["location"] == done.headers["location"]
    assert returns_count(platform, seeded.order_id) == 1
    status = client.get(done.headers["location"])
    assert status.status_code == 200 and "Approved" in status.text
    assert "1 of 2 can be returned" in client.get(url).text


def test_tampered_ids_and_quantities_are_refused_and_nothing_is_stored(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    token = csrf(html)
    bad = client.post(
        f"{url}/confirm",
        data={
            "csrf": token,
            "qty_" + "f" * 32: "1",
            "reason_" + "f" * 32: "too_small",
            "key": "k" * 20,
        },
    )
    assert bad.status_code == 422 and "not an item of this order" in bad.text
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    over = client.post(
        f"{url}/review", data={"csrf": token, f"qty_{sock}": "9", f"reason_{sock}": "too_small"}
    )
    assert over.status_code == 422 and "only 2 of SOCK-WOOL-3 can be returned" in over.text
    no_reason = client.post(f"{url}/review", data={"csrf": token, f"qty_{sock}": "1"})
    assert no_reason.status_code == 422 and "Choose a reason" in no_reason.text
    assert returns_count(platform, seeded.order_id) == 0


def test_a_post_without_the_form_token_changes_nothing(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    form = {f"qty_{sock}": "1", f"reason_{sock}": "too_small", "key": "x" * 24}
    assert client.post(f"{url}/confirm", data={**form, "csrf": "forged" * 5}).status_code == 403
    cross = client.post(
        f"{url}/confirm", data={**form, "csrf": csrf(html)},
        headers={"Origin": "https://evil.example"},
    )  # fmt: skip
    assert cross.status_code == 403
    assert returns_count(platform, seeded.order_id) == 0


def test_lookup_is_rate_limited_with_the_tracking_pages_limiter(site: Any) -> None:
    _, merchant, client = site
    page = client.get(f"/returns?shop={merchant.slug}")
    token = csrf(page.text)
    statuses = [
        client.post("/returns", data={"csrf": token, "shop": merchant.slug, "number": "#NW9",
                                      "contact": f"guess{i}@example.com"}).status_code
        for i in range(7)
    ]  # fmt: skip
    assert statuses[:5] == [404] * 5 and statuses[-1] == 429
    # /track spends from the same bucket for the same order number.
    assert (
        client.post(
            "/track", data={"shop": merchant.slug, "number": "#NW9", "contact": "x@example.com"}
        ).status_code
        == 429
    )


def test_the_portal_speaks_the_orders_language(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered", locale="de")
    page = client.get(f"/returns/o/{seeded.token}")
    assert page.status_code == 200 and 'lang="de"' in page.text
    assert "Was möchtest du zurücksenden?" in page.text
    assert "Northwind Outfitters" in page.text  # the merchant's branding


def test_an_undelivered_order_offers_nothing_and_unknown_tokens_404(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "in_transit")
    page = client.get(f"/returns/o/{seeded.token}")
    assert "Nothing on this order can be returned yet" in page.text
    assert client.get("/returns/o/not-a-real-token-000000").status_code == 404


def test_every_language_has_every_portal_key() -> None:
    from postpurchase.entrypoints.web.returns_catalogue import EN, RETURNS_CATALOGUE

    for lang, table in RETURNS_CATALOGUE.items():
        assert set(table) == set(EN), lang


def test_the_language_switch_links_to_pages_one_can_open(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf(html), f"qty_{sock}": "1", f"reason_{sock}": "too_small"}
    review = client.post(f"{url}/review", data=form).text
    link = re.search(r'href="([^"]+lang=fr)"', review).group(1)  # type: ignore[union-attr]
    assert link == f"{url}?lang=fr"
    assert "Que souhaitez-vous renvoyer" in client.get(link).text
