"""The merchant console in a real chromium: log in, search, act on an exception, what a
viewer sees; accessibility (axe-core, serious and critical) and screenshots of every main page
at phone and desktop widths (docs/screenshots/console-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.console import Role
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from postpurchase.testing import threaded_server
from tests.browser.conftest import SCREENSHOTS
from tests.console_seeding import Seeded, seed
from tests.factories import T0
from tests.fakes import FakeClock
from tests.integration.console.conftest import PASSWORD, cheap_accounts, team_of_every_role

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PEOPLE = [
    ("Maya Okafor", "on_time"), ("Omar Haddad", "late"), ("Lena Berg", "failed"),
    ("Kofi Silva", "address"), ("Ines Nakamura", "quiet"), ("Ravi Novak", "delivered"),
    ("Zoe Turing", "returned"), ("Grace Hopper", "invalid"), ("Alan Lovelace", "damaged"),
    ("Ada Berg", "on_time"), ("Linus Silva", "delivered"), ("Maya Haddad", "late"),
]  # fmt: skip


@dataclass
class Site:
    url: str
    emails: dict[Role, str]
    seeded: dict[str, Seeded]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db: Path = tmp_path_factory.mktemp("console-db") / "site.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    clock = FakeClock(T0 + timedelta(days=5))
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, _, _ = handlers.create_merchant(
        platform.uow(), clock, "Northwind Mugs", slug="northwind"
    )
    seeded: dict[str, Seeded] = {}
    for i, (name, kind) in enumerate(PEOPLE):
        first, last = name.lower().split()
        s = seed(platform, merchant.id, kind, name=name, email=f"{first}.{last}@example.com",
                 number=f"#{1040 + i}")  # fmt: skip
        seeded.setdefault(kind, s)
    accounts = cheap_accounts(platform)
    emails = team_of_every_role(accounts, "northwind")
    app = create_app(platform)
    app.state.console_accounts = accounts
    with threaded_server(app) as url:
        yield Site(url, emails, seeded)
    engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    p = context.new_page()
    yield p
    context.close()


def log_in(page: Page, site: Site, role: Role, next_path: str = "/console") -> None:
    page.goto(site.url + next_path)
    expect(page.locator("h1")).to_contain_text("Merchant console")
    page.get_by_label("E-mail").fill(site.emails[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _axe(page: Page, axe_source: str) -> list[dict[str, object]]:
    page.evaluate(axe_source)
    result: dict[str, list[dict[str, object]]] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_log_in_land_where_asked_and_log_out(page: Page, site: Site) -> None:
    log_in(page, site, Role.VIEWER, "/console/exceptions")
    expect(page).to_have_url(f"{site.url}/console/exceptions")
    expect(page.locator(".topbar")).to_contain_text("Northwind Mugs")
    expect(page.locator(".mainnav")).not_to_contain_text("Settings")  # a viewer's menu
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".flash")).to_have_text("You are logged out.")
    page.goto(site.url + "/console/orders")
    expect(page.locator("h1")).to_contain_text("Merchant console")  # back to the log-in


def test_wrong_password_says_so(page: Page, site: Site) -> None:
    page.goto(site.url + "/console/login")
    page.get_by_label("E-mail").fill(site.emails[Role.OWNER])
    page.get_by_label("Password").fill("not the right one at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error")).to_contain_text("not right")


def test_search_by_tracking_number_then_open_the_shipment(page: Page, site: Site) -> None:
    target = site.seeded["failed"]
    log_in(page, site, Role.AGENT)
    page.get_by_placeholder("Order number, e-mail, tracking number or name").fill(
        target.tracking_number.lower()
    )
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table")).to_contain_text(target.number)
    page.get_by_role("link", name=target.tracking_number).click()
    expect(page.locator("h1")).to_have_text(target.tracking_number)
    expect(page.locator(".timeline").first).to_contain_text("attempt failed")
    expect(page.locator(".notice")).to_contain_text("Failed attempt")


def test_agent_resolves_an_exception_and_messages_a_customer(page: Page, site: Site) -> None:
    target = site.seeded["address"]
    log_in(page, site, Role.AGENT, "/console/exceptions?kind=address_problem")
    row = page.locator("tr", has_text=target.tracking_number)
    expect(row).to_contain_text("Address problem")
    row.get_by_role("button", name="Resolved").click()
    expect(page.locator(".flash")).to_have_text("Marked resolved.")
    expect(page.locator("table, .empty").first).not_to_contain_text(target.tracking_number)
    late = site.seeded["late"]
    page.goto(f"{site.url}/console/shipments/{late.shipment_id}")
    page.get_by_text("Message the customer").click()
    page.get_by_label("Message").fill("Your parcel is late; we are on it with the carrier.")
    page.get_by_role("button", name="Send e-mail").click()
    expect(page.locator(".flash")).to_have_text("Message queued for the customer.")
    expect(page.locator("body")).to_contain_text("agent message")


def test_owner_changes_a_setting_and_finds_it_in_the_audit_log(page: Page, site: Site) -> None:
    log_in(page, site, Role.OWNER, "/console/settings/tracking")
    page.get_by_label("Help centre (URL)").fill("not a link")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("tracking_page.support.url")
    page.get_by_label("Help centre (URL)").fill("")
    page.get_by_label("Support e-mail").fill("help@northwind.example")
    page.get_by_label("Text (empty: no banner)").fill("Free mugs this week")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.get_by_label("Support e-mail")).to_have_value("help@northwind.example")
    page.get_by_role("link", name="Audit log").click()
    row = page.locator("tr", has_text="settings.update").first
    expect(row).to_contain_text("user:owner@northwind.example")
    expect(row).to_contain_text("help@northwind.example")


def test_a_viewer_gets_no_action_buttons(page: Page, site: Site) -> None:
    log_in(page, site, Role.VIEWER, "/console/exceptions")
    expect(page.locator("h1")).to_have_text("Exceptions")
    expect(page.get_by_role("button", name="Resolved")).to_have_count(0)
    page.goto(f"{site.url}/console/shipments/{site.seeded['quiet'].shipment_id}")
    expect(page.get_by_text("Mark resolved")).to_have_count(0)


SHOTS = [
    ("login", None, "/console/login"),
    ("overview", Role.OWNER, "/console"),
    ("orders", Role.OWNER, "/console/orders"),
    ("exceptions", Role.OWNER, "/console/exceptions"),
    ("shipment", Role.OWNER, "shipment"),
    ("customer", Role.OWNER, "customer"),
    ("team", Role.OWNER, "/console/team"),
    ("settings", Role.OWNER, "/console/settings/webhooks"),
    ("kpis-delivery", Role.OWNER, "/console/kpis/delivery"),
    ("kpis-messages", Role.OWNER, "/console/kpis/messages"),
]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshots_and_accessibility(
    browser: Browser, site: Site, size: dict[str, int], axe_source: str
) -> None:
    context = browser.new_context(viewport=size, locale="en-US")
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    signed_in = False
    try:
        for name, role, path in SHOTS:
            if role is not None and not signed_in:
                log_in(page, site, role)
                expect(page.locator("h1")).to_have_text("Overview")
                signed_in = True
            if path == "shipment":
                path = f"/console/shipments/{site.seeded['failed'].shipment_id}"
            elif path == "customer":
                path = f"/console/customers/{site.seeded['late'].email}"
            page.goto(site.url + path)
            expect(page.locator("h1")).to_be_visible()
            label = "390x844" if size == PHONE else "1280x800"
            page.screenshot(path=str(SCREENSHOTS / f"console-{name}-{label}.png"), full_page=True)
            assert _axe(page, axe_source) == [], (name, label)
    finally:
        context.close()
