"""The console's returns pages in a real chromium: filter the queue, bulk approve, inspect
with a photo, restock into a location and refund; a viewer's read-only view; the policy's
simulation; accessibility (axe-core, serious and critical) and phone and desktop
screenshots (docs/screenshots/console-returns-*.png through ``make screenshots``)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.console import Role
from postpurchase.domain.returns import Grade, Resolution, ReturnMethod, policy_from_dict
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.service_layer import handlers
from postpurchase.service_layer.returns import LineAsk, ReturnAsk
from postpurchase.testing import threaded_server
from tests.browser.conftest import SCREENSHOTS
from tests.factories import T0
from tests.fakes import FakeClock
from tests.integration.console.conftest import PASSWORD, cheap_accounts, team_of_every_role
from tests.integration.returns.conftest import Shop

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# email, sku, reason, resolution, method: two wait for review (damaged, no photo), one is
# kept by the shopper (keep-it), one takes store credit; they come back by drop-off or mail.
ASKS = [
    ("maya.okafor", "TEE-M", "damaged", "refund", "mail"),
    ("omar.haddad", "MUG-1", "too_small", "refund", "drop_off"),
    ("lena.berg", "MUG-1", "quality", "refund", "drop_off"),
    ("kofi.silva", "TEE-M", "damaged", "refund", "mail"),
    ("ines.nakamura", "MUG-1", "quality", "refund", "drop_off"),
    ("ravi.novak", "MUG-1", "too_small", "refund", "mail"),
    ("ada.berg", "TEE-M", "too_large", "store_credit", "drop_off"),
    ("linus.silva", "MUG-1", "changed_mind", "keep_it", None),
    ("zoe.turing", "TEE-M", "damaged", "refund", "drop_off"),
]
POLICY = {
    "resolutions": ["refund", "store_credit"],
    "store_credit_bonus_rate": "0.10",
    "keep_it": {"default": {"label": "6.00", "handling": "4.00", "resale_rate": "0.5"},
                "max_value": {"USD": "15"}},
    "methods": [{"method": "drop_off"}, {"method": "mail", "fee": {"USD": "3.00"}}],
    "return_to": {"country": "US", "postal_code": "10001"},
}  # fmt: skip


def photo_png(size: int = 160) -> bytes:
    """A shopper's photo stand-in: a blue mug with a chip on a light table (a real PNG)."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            dx, dy = x - size * 0.45, y - size * 0.55
            body = abs(dx) < size * 0.22 and abs(dy) < size * 0.25
            handle = (size * 0.12) ** 2 < (x - size * 0.7) ** 2 + dy**2 < (size * 0.16) ** 2
            chip = (x - size * 0.3) ** 2 + (y - size * 0.32) ** 2 < (size * 0.05) ** 2
            if chip:
                row += bytes((235, 228, 214))
            elif body or (handle and x > size * 0.66):
                shade = 120 + int(60 * (1 - abs(dx) / (size * 0.22))) if body else 130
                row += bytes((30, 70, shade))
            else:
                row += bytes((236 - y // 8, 230 - y // 8, 220 - y // 8))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))  # fmt: skip

    header = size.to_bytes(4, "big") * 2 + bytes((8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))  # fmt: skip


PHOTO = photo_png()


@dataclass
class Site:
    url: str
    emails: dict[Role, str]
    returns: dict[str, Any]  # name -> Return
    tmp: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("console-returns")
    engine = make_engine(f"sqlite:///{tmp / 'site.sqlite3'}")
    upgrade(engine)
    clock = FakeClock(T0 + timedelta(days=5))
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, key, _ = handlers.create_merchant(
        platform.uow(), clock, "Northwind Mugs", slug="northwind"
    )
    shop = Shop(platform, clock, merchant.id, key, None)  # type: ignore[arg-type]
    svc = returns_service(platform)
    svc.save_policy(merchant.id, policy_from_dict(POLICY), actor="cli")
    made: dict[str, Any] = {}
    for i, (email, sku, reason, resolution, method) in enumerate(ASKS):
        order = shop.delivered_order(email=f"{email}@example.com", number=f"#{2040 + i}")
        lines = {x.sku: x.id for x in order.lines}
        photos: tuple[str, ...] = ()
        if email == "ines.nakamura":  # the shopper's photos, shown on the detail page
            photos = (svc.add_photo(merchant.id, order.id, PHOTO).id,)
        ask = ReturnAsk(
            (LineAsk(lines[sku], 1, reason, photos),), Resolution(resolution),
            method=ReturnMethod(method) if method else None,
        )  # fmt: skip
        ret, _, _ = svc.request(merchant.id, order.id, ask)
        made[email] = ret
        clock.advance(hours=3)
    # Returns further along, for the detail page and the analytics.
    for email in ("omar.haddad", "lena.berg", "ines.nakamura", "ada.berg"):
        svc.receive(merchant.id, made[email].id, actor="cli")
    for email in ("lena.berg", "ada.berg"):
        line = made[email].lines[0].order_line_id
        clock.advance(hours=20)
        svc.inspect(merchant.id, made[email].id, {line: Grade.RESELLABLE}, actor="cli")
        svc.resolve(merchant.id, made[email].id, actor="system:demo")
    svc.resolve(merchant.id, made["linus.silva"].id, actor="system:demo")  # kept
    accounts = cheap_accounts(platform)
    emails = team_of_every_role(accounts, "northwind")
    app = create_app(platform)
    app.state.console_accounts = accounts
    with threaded_server(app) as url:
        yield Site(url, emails, made, tmp)
    engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    p = context.new_page()
    yield p
    context.close()


def log_in(page: Page, site: Site, role: Role, next_path: str) -> None:
    page.goto(site.url + next_path)
    page.get_by_label("E-mail").fill(site.emails[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(site.url + next_path)


def _axe(page: Page, axe_source: str) -> list[dict[str, object]]:
    page.evaluate(axe_source)
    result: dict[str, list[dict[str, object]]] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_filter_the_queue_then_bulk_approve(page: Page, site: Site) -> None:
    log_in(page, site, Role.AGENT, "/console/returns")
    page.locator("select[name=status]").select_option("requested")
    page.locator("select[name=reason]").select_option("damaged")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.returns-queue tbody tr")
    expect(rows).to_have_count(3)  # maya, kofi and zoe wait for review
    expect(page.locator("table")).not_to_contain_text(site.returns["omar.haddad"].number)
    waiting = [site.returns["maya.okafor"], site.returns["kofi.silva"]]
    for ret in waiting:
        page.get_by_label(f"Pick return {ret.number}").check()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash")).to_have_text("Approved 2; 0 could not be approved.")
    expect(rows).to_have_count(1)  # still filtered on requested: only zoe's is left
    page.locator("select[name=status]").select_option("approved")
    page.get_by_role("button", name="Show").click()
    for ret in waiting:
        expect(page.locator("table")).to_contain_text(ret.number)


def test_inspect_with_a_photo_restock_and_refund(page: Page, site: Site) -> None:
    ret = site.returns["omar.haddad"]
    log_in(page, site, Role.AGENT, f"/console/returns/{ret.id}")
    expect(page.locator("h1")).to_have_text(f"Return {ret.number}")
    photo = site.tmp / "inspection.png"
    photo.write_bytes(PHOTO)
    page.locator("select[name=grade_0]").select_option("refurbish")
    page.get_by_label("Note").fill("Scuffed base; sand and reseal")
    page.get_by_label("Photos (PNG, JPEG, WebP or GIF, up to 5 MB each)").set_input_files(photo)
    page.get_by_label("Restock into location (code)").fill("WH-1")
    page.get_by_role("button", name="Save inspection and put away").click()
    expect(page.locator(".flash")).to_have_text("Inspected and put away.")
    expect(page.locator(".photos img")).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("WH-1")
    page.get_by_role("button", name="Refund $12.15").click()
    expect(page.locator(".flash")).to_contain_text("Done")
    expect(page.locator(".spread .status")).to_have_text("refunded")
    expect(page.locator(".timeline li").first).to_contain_text("user:agent@northwind.example")


def test_a_viewer_reads_but_gets_no_actions(page: Page, site: Site) -> None:
    log_in(page, site, Role.VIEWER, "/console/returns")
    expect(page.locator("table.returns-queue")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.goto(f"{site.url}/console/returns/{site.returns['ravi.novak'].id}")
    expect(page.get_by_role("button", name="Mark received")).to_have_count(0)
    page.goto(f"{site.url}/console/returns/policy")
    expect(page.locator("body")).to_contain_text("Only owners change the policy.")


def test_owner_simulates_a_draft_before_activating_it(page: Page, site: Site) -> None:
    log_in(page, site, Role.OWNER, "/console/returns/policy")
    page.get_by_label("Return window (days from delivery)").fill("1")
    page.get_by_role("button", name="Check and simulate").click()
    expect(page.locator("#simulation")).to_contain_text("requests replayed")
    expect(page.locator("#simulation")).to_contain_text("refused by window")
    expect(page.get_by_role("button", name="Activate this draft")).to_be_visible()


SHOTS = [
    ("queue", "/console/returns"),
    ("detail", "detail"),
    ("analytics", "/console/returns/analytics?from=2026-10-01&to=2026-12-31"),
    ("counter", "/console/returns/counter?number=R-0-0"),  # with its error under the field
    ("policy", "/console/returns/policy"),
]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshots_and_accessibility(
    browser: Browser, site: Site, size: dict[str, int], axe_source: str
) -> None:
    context = browser.new_context(viewport=size, locale="en-US")
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        log_in(page, site, Role.OWNER, "/console/returns")
        for name, path in SHOTS:
            if path == "detail":
                path = f"/console/returns/{site.returns['ines.nakamura'].id}"  # to inspect
            page.goto(site.url + path)
            expect(page.locator("h1")).to_be_visible()
            if name == "policy":  # with a simulation's result, as an owner sees it
                page.get_by_label("Return window (days from delivery)").fill("14")
                page.get_by_role("button", name="Check and simulate").click()
                expect(page.locator("#simulation")).to_be_visible()
            label = "390x844" if size == PHONE else "1280x800"
            page.screenshot(
                path=str(SCREENSHOTS / f"console-returns-{name}-{label}.png"), full_page=True
            )
            assert _axe(page, axe_source) == [], (name, label)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], (name, label, width)  # no sideways scrolling
    finally:
        context.close()
