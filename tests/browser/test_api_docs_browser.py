"""``/docs`` (Swagger UI) and ``/redoc`` in a real chromium with every request that leaves
loopback blocked: the API's documentation renders from what the server itself serves."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.testing import threaded_server

pytestmark = pytest.mark.browser

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API on loopback over an empty SQLite database: the docs read no data."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('docs-db') / 'docs.sqlite3'}")
    upgrade(engine)
    app = create_app(bootstrap(Settings(), engine=engine, notifications=False))
    with threaded_server(app) as url:
        yield url
    engine.dispose()


class OfflinePage:
    """A page whose requests to any host but loopback are aborted, and remembered."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.failed: list[tuple[str, str | None]] = []  # (url, why)
        page.route("**/*", self._only_loopback)
        page.on("requestfailed", lambda r: self.failed.append((r.url, r.failure)))

    def _only_loopback(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflinePage]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    yield OfflinePage(context.new_page())
    context.close()


def test_swagger_ui_renders_the_operations_with_no_cdn(offline: OfflinePage, site: str) -> None:
    page = offline.page
    response = page.goto(f"{site}/docs")
    assert response is not None and response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("postpurchase", timeout=60_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 10  # the orders, shipments, webhooks... calls
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/orders").first).to_be_visible()
    # The favicon is asked for by the browser on its own; wait for it before judging.
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/postpurchase-docs-offline.png", full_page=False)
    assert offline.blocked == [], offline.blocked
    assert offline.failed == [], offline.failed
    icon = page.evaluate("document.querySelector('link[rel~=icon]').href")
    assert urlsplit(icon).hostname in LOOPBACK


def test_redoc_renders_the_operations_with_no_cdn(offline: OfflinePage, site: str) -> None:
    page = offline.page
    response = page.goto(f"{site}/redoc")
    assert response is not None and response.status == 200
    # ReDoc lays out the whole spec (hundreds of operations) in the page's main thread; with
    # other tests sharing the cores that takes longer than expect()'s default 5 s.
    expect(page.locator(".api-info h1")).to_contain_text("postpurchase", timeout=60_000)
    expect(page.locator("[data-section-id^='operation/']").first).to_be_attached(timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/postpurchase-redoc-offline.png", full_page=False)
    assert offline.blocked == [], offline.blocked
    # Redocly's logo is refused by the page's own policy: the request never leaves the browser.
    assert [f for f in offline.failed if f[1] != "csp"] == [], offline.failed
