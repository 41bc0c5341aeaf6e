"""The returns portal in a real chromium: the main journey (look up, choose, review the
amount, confirm), accessibility (axe-core), and screenshots at phone and desktop widths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.returns import ReturnPolicy
from postpurchase.domain.returns.policy import DEFAULT_REASONS
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.testing import threaded_server
from tests import tracking_scenarios as sc
from tests.browser.conftest import SCREENSHOTS
from tests.fakes import FakeClock

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Site:
    url: str
    slug: str
    journey: sc.Seeded
    shots: dict[str, sc.Seeded]  # per screen size: each confirms its own return
    parcel: sc.Seeded  # sent back by the shopper with their own tracking number


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db: Path = tmp_path_factory.mktemp("returns-db") / "site.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    platform = bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)
    merchant = sc.merchant(platform, timezone="America/New_York")
    returns_service(platform).save_policy(
        merchant.id,
        ReturnPolicy(
            reasons=DEFAULT_REASONS, return_fee={"USD": Decimal("4.95")},
            store_credit_bonus_rate=Decimal("0.10"),
        ),
        actor="cli",
    )  # fmt: skip
    journey = sc.order(platform, merchant.id, "delivered")
    shots = {
        size: sc.order(platform, merchant.id, "delivered", number=number, seed=seed)
        for size, number, seed in (("390x844", "#NW5001", 900), ("1280x800", "#NW5002", 910))
    }
    parcel = sc.order(platform, merchant.id, "delivered", number="#NW5003", seed=920)
    with threaded_server(create_app(platform)) as url:
        yield Site(url, merchant.slug, journey, shots, parcel)
    engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="en-US")
    p = context.new_page()
    yield p
    context.close()


def _axe(page: Page, axe_source: str) -> list[dict[str, object]]:
    page.evaluate(axe_source)
    result: dict[str, list[dict[str, object]]] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _look_up(page: Page, site: Site, seeded: sc.Seeded) -> None:
    page.goto(f"{site.url}/returns?shop={site.slug}")
    expect(page.locator("h1")).to_have_text("Start a return")
    page.get_by_label("Order number").fill(seeded.number)
    page.get_by_label("Email or postal code").fill(seeded.email)
    page.get_by_role("button", name="Find my order").click()
    expect(page.locator("h1")).to_have_text("Choose what to send back")


def test_main_journey_shows_the_amount_before_confirming(
    page: Page, site: Site, axe_source: str
) -> None:
    _look_up(page, site, site.journey)
    assert _axe(page, axe_source) == []
    socks = page.get_by_role("group", name="Merino hiking socks (3 pairs)")
    socks.get_by_label("Quantity").select_option("2")
    socks.get_by_label("Reason").select_option("too_large")
    page.get_by_label("Store credit, with a 10% bonus").check()
    page.get_by_role("button", name="See my refund").click()
    expect(page.locator("h1")).to_have_text("Check your return")
    # 2 x 24.00 = 48.00 less their 10 % of the order's WELCOME10 code (4.80), plus their
    # share of the order's 13.69 tax (13.69 x 43.20 / 152.10 = 3.88), no fee for store
    # credit, a 10 % bonus (4.71): 51.79.
    expect(page.locator(".rt-amount")).to_have_text("$51.79")
    expect(page.get_by_text("Free return when you choose store credit.")).to_be_visible()
    assert _axe(page, axe_source) == []
    # A double submit: the same form posted once more before the click lands.
    fields = page.eval_on_selector_all(
        "form input[type=hidden]", "els => els.map(e => [e.name, e.value])"
    )
    action = page.get_attribute("form", "action")
    first = page.request.post(f"{site.url}{action}", form=dict(fields), max_redirects=0)
    assert first.status == 303
    page.get_by_role("button", name="Confirm my return").click()
    expect(page.locator("h1")).to_contain_text(f"Return {site.journey.number.lstrip('#')}-R1")
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.locator(".rt-amount")).to_have_text("$51.79")
    assert _axe(page, axe_source) == []
    page.goto(f"{site.url}/returns/o/{site.journey.token}")
    expect(page.locator(".rt-list li")).to_have_count(1)


def test_refused_choices_are_explained_in_place(page: Page, site: Site) -> None:
    _look_up(page, site, site.journey)
    page.get_by_role("button", name="See my refund").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one item")


def test_the_shopper_enters_their_own_tracking_number_without_javascript(
    browser: Browser, site: Site, axe_source: str
) -> None:
    """After approval the status page takes the tracking number of a parcel the shopper sent
    themselves (no JavaScript): a bad number is explained in place, a good one is shown."""
    context = browser.new_context(viewport=PHONE, locale="de-DE", java_script_enabled=False)
    p = context.new_page()
    p.goto(f"{site.url}/returns/o/{site.parcel.token}?lang=en")
    jacket = p.get_by_role("group", name="Packable rain jacket")
    jacket.get_by_label("Quantity").select_option("1")
    jacket.get_by_label("Reason").select_option("too_small")
    p.get_by_role("button", name="See my refund").click()
    p.get_by_role("button", name="Confirm my return").click()
    expect(p.get_by_role("status")).to_contain_text("Approved")
    status_url = p.url.split("?")[0]
    # The same page in German, with JavaScript for axe: translated and accessible.
    german = browser.new_context(viewport=PHONE, locale="de-DE")
    g = german.new_page()
    g.goto(f"{status_url}?lang=de")
    expect(g.get_by_role("form", name="Du verschickst es selbst?")).to_be_visible()
    expect(g.get_by_label("Sendungsnummer")).to_be_visible()
    assert _axe(g, axe_source) == []
    german.close()
    form = p.get_by_role("form", name="Sending it yourself?")
    expect(form).to_be_visible()
    form.get_by_label("Tracking number").fill("1Z\t999")  # a control character: refused
    form.get_by_role("button", name="Save tracking number").click()
    expect(p.get_by_role("alert")).to_contain_text("up to 64 characters")
    expect(p.get_by_label("Tracking number")).to_have_attribute("aria-invalid", "true")
    p.get_by_label("Carrier (optional)").fill("UPS")
    p.get_by_label("Tracking number").fill("1Z999AA10123456784")
    p.get_by_role("button", name="Save tracking number").click()
    expect(p.get_by_role("status")).to_contain_text("Label ready")
    expect(p.locator(".rt-sent")).to_contain_text("1Z999AA10123456784")
    expect(p.get_by_role("form", name="Sending it yourself?")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("size", ["390x844", "1280x800"])
def test_screenshots(browser: Browser, site: Site, size: str) -> None:
    """Current screenshots for docs/ (and a check that nothing overflows at either size)."""
    viewport = PHONE if size == "390x844" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport, locale="en-US", device_scale_factor=1)
    p = context.new_page()

    def shot(name: str) -> None:
        p.wait_for_load_state("load")  # a form post may still be navigating
        assert p.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        target = SCREENSHOTS / f"returns-{name}-{size}.png"
        p.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5_000

    p.goto(f"{site.url}/returns?shop={site.slug}")
    shot("lookup")
    p.goto(f"{site.url}/returns/o/{site.shots[size].token}")
    jacket = p.get_by_role("group", name="Packable rain jacket")
    jacket.get_by_label("Quantity").select_option("1")
    jacket.get_by_label("Reason").select_option("too_small")
    shot("choose")
    p.get_by_role("button", name="See my refund").click()
    shot("review")
    p.get_by_role("button", name="Confirm my return").click()
    expect(p.get_by_role("status")).to_contain_text("Approved")
    shot("done")
    context.close()
