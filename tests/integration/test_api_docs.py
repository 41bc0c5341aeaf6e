"""``/docs`` and ``/redoc`` over ASGI: the pages name only same-origin URLs, and every one of
them answers, so the API's documentation works on an install with no way out to a CDN.

The browser test (tests/browser/test_api_docs_browser.py) shows Swagger UI really renders with
every non-loopback request blocked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The pages read no data: one SQLite database is enough, whatever the backends under test.
    path: Path = tmp_path_factory.mktemp("docs-db") / "docs.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    app = create_app(bootstrap(Settings(), engine=engine, notifications=False))
    with TestClient(app) as c:
        yield c
    engine.dispose()


def referenced(html: str) -> list[str]:
    """Every URL the page loads: scripts, stylesheets, icons."""
    page = BeautifulSoup(html, "html.parser")
    urls = [str(tag["src"]) for tag in page.find_all("script", src=True)]
    urls += [str(tag["href"]) for tag in page.find_all("link", href=True)]
    return urls


def assert_same_origin(html: str) -> None:
    assert not re.search(r"https?://", html), "the page names another host"
    for url in referenced(html):
        assert url.startswith("/") and not url.startswith("//"), url


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_same_origin_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert_same_origin(html)

    urls = referenced(html)
    assert any(u.endswith(".js") for u in urls)
    assert any(u.endswith(".png") for u in urls), "no favicon"
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[Path(url).suffix]), url
        assert len(asset.content) > 1000, url


def test_swagger_ui_page_points_at_our_stylesheet_schema_and_favicon(client: TestClient) -> None:
    html = client.get("/docs").text
    urls = referenced(html)
    assert any(u.endswith(".css") for u in urls)
    assert "url: '/openapi.json'" in html
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/orders" in schema.json()["paths"]


def test_redoc_page_allows_images_from_our_origin_only(client: TestClient) -> None:
    # ReDoc's bundle shows Redocly's logo from their CDN; the policy keeps the browser home.
    policy = client.get("/redoc").headers["content-security-policy"]
    assert policy == "img-src 'self' data:"


def test_favicon_is_served_as_png(client: TestClient) -> None:
    icon = next(u for u in referenced(client.get("/docs").text) if u.endswith(".png"))
    response = client.get(icon)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_oauth2_redirect_page_is_served_without_a_cdn(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert_same_origin(response.text)


def test_docs_pages_stay_out_of_the_schema_and_unknown_assets_are_404(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)
    assert client.get("/docs/assets/nope.js").status_code == 404
    assert client.get("/docs/assets/../core.py").status_code == 404
