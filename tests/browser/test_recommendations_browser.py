"""The tracking page's recommendations block in a real chromium: laid out on a phone and a
desktop without overflow, accessible (axe-core), and a tap on a product goes through the
signed redirect to the merchant's store. Screenshots at both sizes go to docs/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Route, expect

from postpurchase.domain.recommendations import RecommendationRules, Strategy
from postpurchase.domain.storefronts.catalogue import Product, Variant
from tests import tracking_scenarios as sc
from tests.browser.conftest import SCREENSHOTS, TrackingSite
from tests.browser.test_tracking_page_browser import DESKTOP, PHONE, _axe

pytestmark = pytest.mark.browser

# What the scenario's order holds, then what the shop would suggest with it.
PRODUCTS = (
    ("11", "JKT-RAIN-M", "Packable rain jacket", ("outdoor",), 4, "89.00"),
    ("12", "SOCK-WOOL-3", "Merino hiking socks (3 pairs)", ("outdoor",), 9, "24.00"),
    ("13", "HAT-SUN", "Wide-brim sun hat", ("outdoor",), 7, "29.00"),
    ("14", "GAITER-XL", "Waterproof trail gaiters", ("outdoor",), 2, "45.00"),
    ("15", "LAMP-HEAD", "Rechargeable head torch", ("outdoor",), 0, "39.00"),  # sold out
    ("16", "MAP-CASE", "Map case with lanyard", ("outdoor",), None, "15.00"),
)


def seeded_shop(site: TrackingSite) -> str:
    """A merchant of its own (the other browser tests' pages stay as they are) with a
    catalogue and the rules on; returns a delivered order's token."""
    platform = site.platform
    merchant = sc.merchant(platform, timezone="America/New_York")
    with platform.uow() as uow:
        for pid, sku, title, cols, stock, price in PRODUCTS:
            variant = Variant(
                f"v{pid}", title, sku=sku, price_amount=Decimal(price), currency="USD",
                inventory_policy="deny", inventory_quantity=stock,
            )  # fmt: skip
            product = Product(
                "shopify", pid, title, (variant,), handle=sku.lower(), status="active",
                collections=cols,
            )  # fmt: skip
            uow.catalogue.upsert(merchant.id, product, platform.clock.now())
        rules = RecommendationRules(
            enabled=True, strategies=(Strategy.SAME_COLLECTION,), max_items=3,
            store_url="https://trail.example",
        )  # fmt: skip
        uow.recommendations.save_rules(merchant.id, rules, platform.clock.now())
        uow.commit()
    return sc.order(platform, merchant.id, "delivered", seed=7).token


@pytest.mark.parametrize("size", ["390x844", "1280x800"])
def test_recommendations_block(
    browser: Browser, tracking_site: TrackingSite, axe_source: str, size: str
) -> None:
    token = seeded_shop(tracking_site)
    viewport = PHONE if size == "390x844" else DESKTOP
    context = browser.new_context(viewport=viewport, locale="en-US", device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{tracking_site.url}/t/{token}")
    block = page.locator("section.recs")
    expect(block.get_by_role("heading", name="You may also like")).to_be_visible()
    cards = block.locator("li.rec")
    expect(cards).to_have_count(3)
    titles = cards.locator(".rec-title").all_inner_texts()
    assert "Rechargeable head torch" not in titles  # sold out
    assert not {"Packable rain jacket", "Merino hiking socks (3 pairs)"} & set(titles)  # bought
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    assert all(b is not None and b["width"] >= 100 for b in boxes)
    if size == "1280x800":  # one row of three on a desktop, two columns on a phone
        assert len({round(b["y"]) for b in boxes if b}) == 1
    else:
        assert boxes[0] and boxes[2] and boxes[2]["y"] > boxes[0]["y"]
    assert _axe(page, axe_source) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    block.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"tracking-recommendations-{size}.png"), full_page=True)

    def store(route: Route) -> None:  # the merchant's shop, offline
        route.fulfill(status=200, content_type="text/html", body="<h1>Product page</h1>")

    page.route("https://trail.example/**", store)
    first = cards.first.locator("a")
    href = first.get_attribute("href") or ""
    assert href.startswith("/r/")
    first.click()
    page.wait_for_url("https://trail.example/products/*")
    assert page.url.startswith("https://trail.example/products/")
    context.close()
