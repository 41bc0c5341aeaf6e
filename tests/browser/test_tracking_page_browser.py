"""The tracking page and lookup in a real chromium: every status, the lookup flow, the
language switch, the rating tap, accessibility (axe-core) and screenshots at both sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests import tracking_scenarios as sc
from tests.browser.conftest import SCREENSHOTS, TrackingSite

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

HEADLINES = {
    "unfulfilled": "We're preparing your order",
    "info_received": "Shipping label created",
    "in_transit": "On its way",
    "out_for_delivery": "Out for delivery",
    "attempt_failed": "Delivery attempt failed",
    "available_for_pickup": "Ready for pickup",
    "delivered": "Delivered",
    "delayed": "Delayed by weather",
    "lost": "Lost in transit",
    "address_issue": "Problem with the address",
    "expired": "No recent tracking updates",
    "split": "Part of your order has arrived",
    "cancelled": "This order was cancelled",
}

SHOTS = ("in_transit", "delivered", "available_for_pickup", "split", "delayed")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="en-US")
    p = context.new_page()
    yield p
    context.close()


def _axe(page: Page, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated over the DevTools protocol: the page's CSP (rightly) blocks injected <script>.
    page.evaluate(axe_source)
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("kind", sc.KINDS)
def test_each_status_renders_in_plain_words_and_passes_axe(
    kind: str, page: Page, tracking_site: TrackingSite, axe_source: str
) -> None:
    seeded = tracking_site.seeded[kind]
    response = page.goto(f"{tracking_site.url}/t/{seeded.token}")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(HEADLINES[kind])
    expect(page.locator(".eyebrow").first).to_contain_text(seeded.number)
    assert page.title().startswith(f"Track order {seeded.number}")
    violations = _axe(page, axe_source)
    assert violations == [], [(v["id"], v["help"], len(v["nodes"])) for v in violations]
    # Nothing overflows the phone's width (no sideways scrolling).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


def test_progress_bar_marks_the_current_milestone(page: Page, tracking_site: TrackingSite) -> None:
    page.goto(f"{tracking_site.url}/t/{tracking_site.seeded['out_for_delivery'].token}")
    current = page.locator(".progress [aria-current=step]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Out for delivery")
    expect(page.locator(".progress .step.done")).to_have_count(3)
    expect(page.locator(".eta-value")).to_have_text("Today")


def test_timeline_is_in_the_shoppers_local_time(page: Page, tracking_site: TrackingSite) -> None:
    # The delivered scan is at 18:18 UTC: 1:18 PM in Brooklyn (America/New_York, EST).
    page.goto(f"{tracking_site.url}/t/{tracking_site.seeded['delivered'].token}")
    latest = page.locator(".event.latest")
    expect(latest.locator("time")).to_have_text("1:18\u202fPM")
    expect(latest.locator("time")).to_have_attribute("datetime", "2026-11-19T13:18:00-05:00")
    expect(page.locator(".tz-note")).to_contain_text("Eastern Time")


def test_full_history_opens_without_javascript(
    browser: Browser, tracking_site: TrackingSite
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    p = context.new_page()
    p.goto(f"{tracking_site.url}/t/{tracking_site.seeded['delivered'].token}")
    older = p.locator("details.older")
    expect(older.locator(".event").first).to_be_hidden()
    older.locator("summary").click()
    expect(older.locator(".event").first).to_be_visible()
    context.close()


def test_language_switch_changes_text_and_dates_and_sticks(
    page: Page, tracking_site: TrackingSite
) -> None:
    token = tracking_site.seeded["in_transit"].token
    page.goto(f"{tracking_site.url}/t/{token}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Unterwegs")
    expect(page.locator(".day-label").first).to_have_text("Donnerstag, 19. November")
    # The choice is remembered: the plain URL stays German.
    page.goto(f"{tracking_site.url}/t/{token}")
    expect(page.locator("h1")).to_have_text("Unterwegs")
    page.get_by_role("link", name="Español").click()
    expect(page.locator("h1")).to_have_text("En camino")


def test_order_locale_is_the_default_language(page: Page, tracking_site: TrackingSite) -> None:
    page.goto(f"{tracking_site.url}/t/{tracking_site.portuguese.token}")
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("h1")).to_have_text("A caminho")
    expect(page.locator(".progress [aria-current=step]")).to_contain_text("Em trânsito")


def test_one_tap_rating_with_and_without_javascript(
    browser: Browser, tracking_site: TrackingSite
) -> None:
    token = tracking_site.seeded["delivered"].token
    for js in (False, True):
        context = browser.new_context(viewport=PHONE, java_script_enabled=js)
        p = context.new_page()
        p.goto(f"{tracking_site.url}/t/{token}")
        score = 4 if js else 5
        p.locator(f".stars button[value='{score}']").click()
        expect(p.locator(".rating-status")).to_contain_text("Thanks for your feedback")
        expect(p.locator(".stars [aria-pressed=true]")).to_have_attribute("value", str(score))
        p.reload()
        expect(p.locator(".stars [aria-pressed=true]")).to_have_attribute("value", str(score))
        context.close()


def test_lookup_flow_finds_the_order_and_fails_identically(
    page: Page, tracking_site: TrackingSite, axe_source: str
) -> None:
    seeded = tracking_site.seeded["in_transit"]
    page.goto(f"{tracking_site.url}/track")
    assert _axe(page, axe_source) == []
    page.get_by_label("Order number").fill(seeded.number.lstrip("#"))
    page.get_by_label("Email or postal code").fill("nobody@example.com")
    page.get_by_role("button", name="Find my order").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "We couldn't find an order with those details. Please check them and try again."
    )
    wrong_email = page.content()
    page.get_by_label("Order number").fill("NO-SUCH-ORDER")
    page.get_by_label("Email or postal code").fill("nobody@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(alert).to_be_visible()
    assert alert.inner_text() in wrong_email
    # Postal code, typed loosely, finds it.
    page.get_by_label("Order number").fill(seeded.number)
    page.get_by_label("Email or postal code").fill(" 11201 ")
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_url(f"**/t/{seeded.token}")
    expect(page.locator("h1")).to_have_text("On its way")


def test_lookup_names_the_missing_field(page: Page, tracking_site: TrackingSite) -> None:
    page.goto(f"{tracking_site.url}/track")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_label("Order number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Enter your order number.")


def test_unknown_token_gets_the_friendly_404(
    page: Page, tracking_site: TrackingSite, axe_source: str
) -> None:
    response = page.goto(f"{tracking_site.url}/t/this-token-does-not-exist")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("We can't find that page")
    assert _axe(page, axe_source) == []
    page.get_by_role("link", name="Look up my order").click()
    expect(page.locator("h1")).to_have_text("Track your order")


def _screenshot(p: Page, target: Path, tries: int = 3) -> None:
    """A full-page screenshot; chromium's capture sometimes fails outright on a loaded
    machine ("Unable to capture screenshot", the page itself fine), so it is asked again."""
    for attempt in range(tries):
        try:
            p.screenshot(path=str(target), full_page=True)
            return
        except PlaywrightError as exc:
            if "Unable to capture screenshot" not in str(exc) or attempt == tries - 1:
                raise
            p.wait_for_timeout(500)


@pytest.mark.parametrize("size", ["390x844", "1280x800"])
def test_screenshots(browser: Browser, tracking_site: TrackingSite, size: str) -> None:
    """Current screenshots for docs/ (and a check that nothing overflows at either size)."""
    viewport = PHONE if size == "390x844" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport, locale="en-US", device_scale_factor=1)
    p = context.new_page()
    pages = {f"tracking-{k}": f"/t/{tracking_site.shots[k].token}" for k in SHOTS}
    pages["lookup"] = "/track"
    pages["not-found"] = "/t/unknown-token-0000000"
    # last: ?lang= sets the language cookie for the rest of the context
    pages["tracking-attempt_failed-pt-BR"] = (
        f"/t/{tracking_site.shots['attempt_failed'].token}?lang=pt-BR"
    )
    for name, path in pages.items():
        p.goto(tracking_site.url + path)
        assert p.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        target = SCREENSHOTS / f"{name}-{size}.png"
        _screenshot(p, target)
        assert target.stat().st_size > 5_000
    context.close()
