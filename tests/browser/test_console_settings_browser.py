"""The settings forms added for issue 14 in a real chromium, without any script of ours: the
FAQ (add, a refused entry shown by its field, reorder, remove), the recommendation rules,
a template's holdout, a carrier account; accessibility (axe-core, serious and critical) and
phone and desktop screenshots of each new page (docs/screenshots/console-settings-*.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from postpurchase.domain.console import Role
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_console_browser import DESKTOP, PHONE, Site, _axe, log_in
from tests.browser.test_console_browser import site as site  # the module-scoped fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US", java_script_enabled=False)
    p = context.new_page()
    yield p
    context.close()


def test_faq_add_refuse_reorder_remove(page: Page, site: Site) -> None:
    log_in(page, site, Role.OWNER, "/console/settings/faq")
    expect(page.locator("h1")).to_have_text("Settings")
    new = page.locator("fieldset", has_text="Add a question")
    new.get_by_label("Question").fill("Where is my mug?")
    new.get_by_label("Answer").fill("On its way: the timeline above says where.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    new = page.locator("fieldset", has_text="Add a question")
    new.get_by_label("Question").fill("Can I change the address?")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#err-tracking_page-faq-1-answer")
    expect(error).to_contain_text("tracking_page.faq[1].answer")
    second = page.locator("fieldset", has_text="Entry 2")
    expect(second.get_by_label("Question")).to_have_value("Can I change the address?")
    expect(second.get_by_label("Answer")).to_have_attribute("aria-invalid", "true")
    second.get_by_label("Answer").fill("Reply to your shipping e-mail before it ships.")
    second.get_by_label("Position").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    first = page.locator("fieldset", has_text="Entry 1")
    expect(first.get_by_label("Question")).to_have_value("Can I change the address?")
    page.locator("fieldset", has_text="Entry 2").get_by_label("Remove").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("fieldset", has_text="Entry 2")).to_have_count(0)


def test_recommendation_rules_and_a_template_holdout(page: Page, site: Site) -> None:
    log_in(page, site, Role.OWNER, "/console/settings/recommendations")
    page.get_by_label("Recommend products").check()
    page.get_by_label("1.").select_option("manual")
    page.get_by_label("Your picks").fill("mug-blue\nmug-red")
    page.get_by_label("Store address").fill("http://northwind.example")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#err-recommendations-store_url")).to_contain_text("https")
    page.get_by_label("Store address").fill("https://northwind.example")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.get_by_label("1.")).to_have_value("manual")
    page.goto(site.url + "/console/settings/templates/delivered/email")
    page.get_by_role("spinbutton", name="Holdout").fill("10")
    page.get_by_label("Weight of version 0").fill("100")
    with page.expect_navigation(url="**flash=saved", timeout=30_000):
        page.get_by_label("Weight of version 0").press("Enter")  # the form's first button
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.get_by_role("spinbutton", name="Holdout")).to_have_value("10")


def test_add_a_carrier_account(page: Page, site: Site) -> None:
    log_in(page, site, Role.OWNER, "/console/settings/carriers")
    page.get_by_label("Carrier and connection").select_option("simulated:usps")
    page.get_by_role("button", name="Choose").click()
    page.get_by_label("api key").fill("sk_sim_browser_9876")
    page.get_by_label("base url").fill("http://127.0.0.1:9/")
    page.get_by_role("button", name="Save account").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.locator("table").first).to_contain_text("usps")
    expect(page.locator("body")).not_to_contain_text("sk_sim_browser_9876")


SHOTS = [
    ("faq", "/console/settings/faq"),
    ("block", "/console/settings/block"),
    ("remedies", "/console/settings/remedies"),
    ("tracking", "/console/settings/tracking"),
    ("strings", "/console/settings/strings?locale=de"),
    ("recommendations", "/console/settings/recommendations"),
    ("carriers", "/console/settings/carriers/add?kind=karrio:ups"),
    ("template", "/console/settings/templates/shipped/email"),
]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_settings_screenshots_and_accessibility(
    browser: Browser, site: Site, size: dict[str, int], axe_source: str
) -> None:
    context = browser.new_context(viewport=size, locale="en-US")
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    label = "390x844" if size == PHONE else "1280x800"
    try:
        log_in(page, site, Role.OWNER)
        expect(page.locator("h1")).to_have_text("Overview")
        for name, path in SHOTS:
            page.goto(site.url + path)
            expect(page.locator("h1")).to_be_visible()
            if name == "template":  # the HTML preview frame paints after the page's load
                expect(page.frame_locator("iframe").locator("body")).to_contain_text("#1001")
                page.wait_for_timeout(300)
            shot = SCREENSHOTS / f"console-settings-{name}-{label}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert _axe(page, axe_source) == [], (name, label)
        # a refused form, as the owner sees it
        page.goto(site.url + "/console/settings/domains")
        page.get_by_label("Custom domains").fill("track.northwind.example\nnot a host")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#err-tracking_page-custom_domains-1")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"console-settings-refused-{label}.png"),
                        full_page=True)  # fmt: skip
        assert _axe(page, axe_source) == [], ("refused", label)
    finally:
        context.close()
