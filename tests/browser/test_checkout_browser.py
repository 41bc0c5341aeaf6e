"""The README's storefront snippet in Debian's chromium: a page on another origin fetches
the checkout estimate with the merchant's publishable key and shows the countdown; the same
page on an origin the merchant did not list cannot read the answer (CORS)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer.checkout import keys
from postpurchase.service_layer.checkout import settings as checkout_settings
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import free_port, threaded_server
from tests.fakes import FakeClock

pytestmark = pytest.mark.browser

# The snippet of README.md ("Delivery dates at checkout"), with the API's address and the
# key filled in. It uses only fetch and textContent: no library, no innerHTML.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cart</title></head>
<body><p id="delivery-promise">…</p>
<script>
const API = "%(api)s", KEY = "%(key)s";
const params = new URLSearchParams({country: "US", postal_code: "94103", method: "express",
                                    locale: navigator.language, key: KEY});
fetch(`${API}/api/v1/estimates/checkout?${params}`)
  .then(r => r.ok ? r.json() : Promise.reject(r.status))
  .then(e => { document.getElementById("delivery-promise").textContent = e.text.countdown; })
  .catch(err => { document.getElementById("delivery-promise").textContent = "failed: " + err; });
</script></body></html>"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('checkout-db') / 'db.sqlite3'}")
    upgrade(engine)
    clock = FakeClock(datetime(2026, 12, 8, 15, 0, 30, tzinfo=UTC))  # 09:00:30 in Chicago
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, *_ = create_merchant(platform.uow(), platform.clock, "Browser Mugs")
    shop_port = free_port()
    checkout_settings.update(
        platform.uow(), merchant.id,
        {"cutoff": "13:00", "ship_from_country": "US",
         "storefront_origins": [f"http://127.0.0.1:{shop_port}"]},
        timezone="America/Chicago",
    )  # fmt: skip
    key, _ = keys.issue(platform.uow(), platform.clock, merchant.id)
    with threaded_server(create_app(platform)) as url:
        yield url, key, shop_port
    engine.dispose()


@pytest.fixture(scope="module")
def storefront(api: tuple[str, str, int]) -> Iterator[int]:
    """A static page server: the merchant's storefront, on another origin than the API."""
    url, key, shop_port = api
    html = (PAGE % {"api": url, "key": key}).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", shop_port), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield shop_port
    httpd.shutdown()


def test_the_snippet_shows_the_countdown_on_the_storefront(
    browser: Browser, storefront: int
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{storefront}/cart")
    # 09:00:30 in Chicago, a 13:00 cut-off: counted from the end of the minute, 3 h 59 min.
    expect(page.locator("#delivery-promise")).to_have_text(
        re.compile(r"^Order within 3 hr, 59 min to get it by \w{3}, \w{3} \d{1,2}$"),
        timeout=15_000,
    )
    context.close()


def test_an_origin_the_merchant_did_not_list_cannot_read_it(
    browser: Browser, storefront: int
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    # Same page, other origin: localhost is not 127.0.0.1 to a browser.
    page.goto(f"http://localhost:{storefront}/cart")
    expect(page.locator("#delivery-promise")).to_have_text("failed: TypeError: Failed to fetch",
                                                           timeout=15_000)  # fmt: skip
    context.close()
