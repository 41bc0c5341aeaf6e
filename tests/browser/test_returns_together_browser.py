"""Consolidated returns in the shopper's portal, in a real chromium without JavaScript: the
status page offers to send the customer's other open returns in one parcel, the shopper gets
one label for all of them; accessible (axe-core), translated, and screenshots at phone and
desktop widths (SCREENSHOTS/returns-together-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from postpurchase.adapters.carriers.simulated.api import Faults, SimulatorState
from postpurchase.adapters.carriers.simulated.server import start_in_thread
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.returns import Place, PortalLabel, ReturnPolicy
from postpurchase.domain.returns.policy import DEFAULT_REASONS
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.service_layer.returns import LineAsk, ReturnAsk
from postpurchase.testing import threaded_server
from tests import tracking_scenarios as sc
from tests.browser.conftest import SCREENSHOTS
from tests.fakes import FakeClock
from tests.integration.carriers.conftest import SIM_KEY, simulated_account

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Parcel:
    url: str  # the first return's status page
    returns: list[str]


@dataclass
class Site:
    url: str
    journey: Parcel
    shots: dict[str, Parcel]


def _returns(platform: Any, merchant_id: str, email: str, number: str, seed: int) -> Parcel:
    """Two delivered orders of one customer, three approved returns."""
    svc = returns_service(platform)
    first = sc.order(platform, merchant_id, "delivered", number=number, seed=seed, email=email)
    second = sc.order(platform, merchant_id, "delivered", seed=seed + 3, email=email)
    ids = []
    for seeded, sku in ((first, "JKT-RAIN-M"), (first, "BTL-STEEL"), (second, "SOCK-WOOL-3")):
        with platform.uow() as uow:
            order = uow.orders.get(merchant_id, seeded.order_id)
        line = next(x.id for x in order.lines if x.sku == sku)
        ret, _, _ = svc.request(
            merchant_id, seeded.order_id, ReturnAsk((LineAsk(line, 1, "too_small"),))
        )
        assert ret.status.value == "approved"
        ids.append(ret.id)
    return Parcel(f"/returns/o/{first.token}/r/{ids[0]}", ids)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db: Path = tmp_path_factory.mktemp("together-db") / "site.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    clock = FakeClock(sc.NOW)
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant = sc.merchant(platform, timezone="America/New_York")
    state = SimulatorState(
        seed=5, api_keys=frozenset({SIM_KEY}),
        faults=Faults(latency_ms=1, latency_sigma=0.1, throttle_rate=0, error_rate=0),
        clock=clock.now,
    )  # fmt: skip
    carrier = start_in_thread(state)
    simulated_account(platform, merchant.id, "ups", carrier.url)
    returns_service(platform).save_policy(
        merchant.id,
        ReturnPolicy(
            reasons=DEFAULT_REASONS, return_fee={"USD": Decimal("0")},
            portal_label=PortalLabel("ups"), return_to=Place("US", "60601", "IL"),
        ),
        actor="cli",
    )  # fmt: skip
    journey = _returns(platform, merchant.id, "robin@example.com", "#NW6001", 600)
    shots = {
        size: _returns(
            platform, merchant.id, f"shot{n}@example.com", f"#NW600{n + 2}", 610 + 10 * n
        )
        for n, size in enumerate(("390x844", "1280x800"))
    }
    with threaded_server(create_app(platform)) as url:
        yield Site(url, journey, shots)
    carrier.stop()
    engine.dispose()


def _axe(page: Page, axe_source: str) -> list[dict[str, object]]:
    page.evaluate(axe_source)
    result: dict[str, list[dict[str, object]]] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_the_shopper_sends_three_returns_in_one_parcel_without_javascript(
    browser: Browser, site: Site, axe_source: str
) -> None:
    second = site.journey.returns[1]  # the same order's other return
    # With JavaScript only for axe, and in German: translated and accessible.
    german = browser.new_context(viewport=PHONE, locale="de-DE")
    g = german.new_page()
    g.goto(f"{site.url}{site.journey.url}?lang=de")
    expect(g.get_by_role("form", name="Zusammen in einem Paket senden")).to_be_visible()
    assert _axe(g, axe_source) == []
    german.close()

    context = browser.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
    p = context.new_page()
    p.goto(f"{site.url}{site.journey.url}?lang=en")
    form = p.get_by_role("form", name="Send these together in one parcel")
    expect(form).to_be_visible()
    group = form.get_by_role("group", name="Returns in this parcel")
    boxes = group.get_by_role("checkbox")
    expect(boxes).to_have_count(3)  # this return (fixed) and the two others, ticked
    expect(boxes.nth(0)).to_be_disabled()
    for i in (1, 2):
        expect(boxes.nth(i)).to_be_checked()
    expect(group).to_contain_text("Insulated steel bottle")
    expect(group).to_contain_text("Merino hiking socks")
    form.get_by_role("button", name="Get one label for the parcel").click()
    expect(p.get_by_role("status")).to_contain_text("Label ready")
    expect(p.get_by_role("form", name="Send these together in one parcel")).to_have_count(0)
    qr = p.locator(".rt-qr img")
    expect(qr).to_be_visible()
    expect(p.get_by_role("link", name="Print the return label (PDF)")).to_be_visible()
    expect(p.locator(".rt-in-parcel")).to_contain_text("Merino hiking socks")
    caption = p.locator(".rt-qr figcaption").inner_text()
    context.close()
    # The other returns' pages show the same label (one tracking number for the parcel).
    api = browser.new_context(viewport=PHONE, java_script_enabled=False)
    q = api.new_page()
    q.goto(f"{site.url}{site.journey.url.rsplit('/', 1)[0]}/{second}?lang=en")
    expect(q.locator(".rt-qr figcaption")).to_have_text(caption)
    api.close()


@pytest.mark.parametrize("size", ["390x844", "1280x800"])
def test_screenshots(browser: Browser, site: Site, size: str) -> None:
    """The offer and the label it gives, at phone and desktop widths (no overflow)."""
    viewport = PHONE if size == "390x844" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport, locale="en-US", device_scale_factor=1)
    p = context.new_page()

    def shot(name: str) -> None:
        p.wait_for_load_state("load")
        assert p.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        target = SCREENSHOTS / f"returns-together-{name}-{size}.png"
        p.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5_000

    p.goto(f"{site.url}{site.shots[size].url}?lang=en")
    form = p.get_by_role("form", name="Send these together in one parcel")
    form.scroll_into_view_if_needed()
    shot("offer")
    form.get_by_role("button", name="Get one label for the parcel").click()
    expect(p.get_by_role("status")).to_contain_text("Label ready")
    shot("label")
    context.close()
