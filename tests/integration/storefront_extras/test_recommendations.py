"""Recommendations end to end on SQLite and PostgreSQL: the rules through the API (validated,
audited, per merchant), the products chosen from the merchant's own catalogue and order
history, the block on the tracking page, the signed click redirect, and the KPI."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.integration.storefront_extras.conftest import Shop, at

RULES = {
    "enabled": True,
    "strategies": ["bought_together", "same_collection"],
    "max_items": 3,
    "min_bought_together": 2,
    "store_url": "https://boots.example",
}


def history(shop: Shop) -> None:
    """Shoppers who bought boots bought socks (3 orders) and a beanie (once)."""
    for _ in range(3):
        shop.order("BOOT-42", "SOCK-W", placed_at=at(-20))
    shop.order("BOOT-42", "HAT-1", placed_at=at(-10))


def test_rules_are_validated_audited_and_per_merchant(shop: Shop, other_shop: Shop) -> None:
    assert shop.client.get("/api/v1/recommendations/settings").json()["enabled"] is False
    r = shop.client.put("/api/v1/recommendations/settings", json=RULES)
    assert r.status_code == 200, r.text
    assert r.json()["store_url"] == "https://boots.example"
    for bad, field in (
        ({"colour": "red"}, "colour"),
        ({"max_items": 99}, "max_items"),
        ({"strategies": ["telepathy"]}, "strategies"),
        ({"store_url": "javascript:alert(1)"}, "store_url"),
    ):
        r = shop.client.put("/api/v1/recommendations/settings", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
    entries = shop.client.get("/api/v1/audit").json()
    items = entries.get("items", entries.get("data", entries))
    changed = [e for e in items if e["action"] == "recommendations.update"]
    assert len(changed) == 1
    assert changed[0]["changes"]["enabled"] == [False, True]
    assert changed[0]["actor"].startswith("api:")
    assert other_shop.client.get("/api/v1/recommendations/settings").json()["enabled"] is False


def test_chosen_from_the_merchants_own_catalogue_and_history(shop: Shop, other_shop: Shop) -> None:
    shop.sync_catalogue()
    history(shop)
    # The other merchant sells the same SKUs and bought laces with boots a lot: not ours.
    other_shop.sync_catalogue()
    for _ in range(5):
        other_shop.order("BOOT-42", "WAX-1", "HAT-1", placed_at=at(-3))
    shop.client.put("/api/v1/recommendations/settings", json=RULES)
    order = shop.order("BOOT-42")
    r = shop.client.get(f"/api/v1/orders/{order.id}/recommendations", params={"placement": "page"})
    assert r.status_code == 200, r.text
    got = [(x["title"], x["strategy"], x["reason"]) for x in r.json()]
    assert got == [
        ("Wool socks", "bought_together", "bought together in 3 orders"),
        ("Waxed laces", "same_collection", "in the collection 'shoes'"),
    ]  # never the boot just bought, never the wax (out of stock), the beanie only once
    # The other merchant cannot see our order's recommendations.
    r = other_shop.client.get(
        f"/api/v1/orders/{order.id}/recommendations", params={"placement": "page"}
    )
    assert r.status_code == 404


def _links(html: str) -> list[str]:
    return re.findall(r'href="(/r/[^"]+)"', html)


def test_page_links_redirect_count_and_attribute_orders(shop: Shop, other_shop: Shop) -> None:
    shop.sync_catalogue()
    history(shop)
    shop.client.put("/api/v1/recommendations/settings", json=RULES)
    email = "returning@example.com"
    order = shop.order("BOOT-42", email=email)
    with shop.platform.uow() as uow:
        token = uow.orders.get(shop.merchant_id, order.id).tracking_token
    page = shop.client.get(f"/t/{token}")
    assert page.status_code == 200
    assert "Wool socks" in page.text and "Trail boot" in page.text  # recommended; bought
    links = _links(page.text)
    assert len(links) == 2
    twin = shop.client.get(f"/api/v1/public/track/{token}").json()["recommendations"]
    assert [x["title"] for x in twin] == ["Wool socks", "Waxed laces"]
    assert twin[0]["url"].endswith(links[0]) and twin[0]["price"]
    r = shop.client.get(links[0], follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "https://boots.example/products/wool-socks"
    # Tampered or foreign links are refused, never redirected anywhere.
    payload, mac = links[0][3:].split(".")
    for bad in (f"/r/{payload}.{mac[:-2]}xx", f"/r/{payload}", "/r/https:%2F%2Fevil.example"):
        assert shop.client.get(bad, follow_redirects=False).status_code == 404
    # The same customer buys the socks 2 days later: attributed, with its revenue.
    shop.clock.advance(days=2)
    shop.order("SOCK-W", "HAT-1", email=email.upper(), placed_at=shop.clock.now())
    shop.order("SOCK-W", placed_at=shop.clock.now())  # someone else: not attributed
    kpi = shop.client.get("/api/v1/kpis/recommendations").json()
    assert kpi["clicks"] == 1 and kpi["orders"] == 1
    assert kpi["revenue"] == {"EUR": "10.00"} and kpi["conversion"] == 1.0
    csv = shop.client.get("/api/v1/kpis/recommendations", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "day,clicks,orders,currency,revenue"
    assert "EUR,10.00" in csv.text
    page_only = shop.client.get("/api/v1/kpis/recommendations", params={"placement": "page"})
    assert page_only.json()["orders"] == 1
    email_only = shop.client.get("/api/v1/kpis/recommendations", params={"placement": "email"})
    assert email_only.json()["clicks"] == 0 and email_only.json()["orders"] == 0
    assert other_shop.client.get("/api/v1/kpis/recommendations").json()["clicks"] == 0
    bad = shop.client.get("/api/v1/kpis/recommendations", params={"since": "2026-13-01"})
    assert bad.status_code == 422 and "since" in bad.text


def test_without_store_url_the_connected_shop_domain_is_used(shop: Shop) -> None:
    shop.sync_catalogue(platform="woocommerce")
    shop.client.put(
        "/api/v1/recommendations/settings",
        json={"enabled": True, "strategies": ["manual"], "manual_picks": ["1005"]},
    )
    order = shop.order("BOOT-42")
    with shop.platform.uow() as uow:
        token = uow.orders.get(shop.merchant_id, order.id).tracking_token
    [link] = _links(shop.client.get(f"/t/{token}").text)
    r = shop.client.get(link, follow_redirects=False)
    # No store connected and no store_url: back to the tracking page, never elsewhere.
    assert r.status_code == 302 and urlsplit(r.headers["location"]).path == f"/t/{token}"
