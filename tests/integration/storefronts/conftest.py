"""A deployment with the Shopify app configured the way a self-hoster configures it (the
POSTPURCHASE_SHOPIFY_* environment settings), Shopify replayed by a local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from tests.factories import ref
from tests.fakes import FakeClock
from tests.integration.storefronts.shopify_replay import ShopifyReplay

CLIENT_ID = "1f0a3c8e5b7d9f2a4c6e8b0d2f4a6c8e"  # a Dev Dashboard client ID's shape
CLIENT_SECRET = "shpss_" + "8d2b4f6a0c1e3a5c7e9b1d3f5a7c9e0b"  # and a client secret's


def shopify_hmac(body: bytes, secret: str = CLIENT_SECRET) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def sign_callback(params: dict[str, str], secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Shopify's signature of a redirect: hex HMAC-SHA256 of the other parameters sorted and
    joined as name=value&..."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), "sha256").hexdigest()}


@dataclass
class World:
    platform: Platform
    clock: FakeClock
    client: TestClient
    shopify: ShopifyReplay

    def install(self, shop: str | None = None, **tamper: Any) -> Any:
        """Install the app on ``shop`` as a merchant's browser does: /shopify/install, then
        Shopify's signed redirect to /shopify/callback (``tamper`` changes it)."""
        shop = shop or f"{ref('shop-')}.myshopify.com"
        start = self.client.get("/shopify/install", params={"shop": shop},
                                follow_redirects=False)  # fmt: skip
        assert start.status_code == 302, start.text
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        params = {
            "code": "0907a61c0c8d55e99db179b68161bc00",
            "host": base64.b64encode(f"{shop}/admin".encode()).decode().rstrip("="),
            "shop": shop,
            "state": tamper.pop("state", state),
            "timestamp": str(tamper.pop("timestamp", int(self.clock.now().timestamp()))),
        }
        signed = sign_callback(params, tamper.pop("secret", CLIENT_SECRET))
        if tamper.pop("drop_cookie", False):
            self.client.cookies.clear()
        return self.client.get("/shopify/callback?" + urlencode(signed))


@pytest.fixture
def world(engine, httpserver, monkeypatch) -> Iterator[World]:  # type: ignore[no-untyped-def]
    shopify = ShopifyReplay(httpserver)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_ADMIN_BASE_URL", shopify.base)
    clock = FakeClock()
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    with TestClient(create_app(platform)) as client:
        yield World(platform, clock, client, shopify)
