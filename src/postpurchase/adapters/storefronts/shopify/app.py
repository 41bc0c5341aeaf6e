"""The deployment's Shopify app: its credentials and how to reach a shop's Admin API.

One app per deployment (``POSTPURCHASE_SHOPIFY_CLIENT_ID`` / ``_CLIENT_SECRET``); every
shop that installs it gets its own offline access token, kept sealed on its connection.
``POSTPURCHASE_SHOPIFY_ADMIN_BASE_URL`` replaces ``https://{shop}`` for every call (the
tests point it at a local server replaying Shopify's answers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi
from postpurchase.config import Settings
from postpurchase.domain.errors import Conflict
from postpurchase.domain.storefronts import StoreConnection


@dataclass(frozen=True, slots=True)
class ShopifyApp:
    client_id: str
    client_secret: str
    api_version: str
    base: str = ""
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyApp:
        return cls(
            settings.shopify_client_id.strip(),
            settings.shopify_client_secret.strip(),
            settings.shopify_api_version,
            settings.shopify_admin_base_url.rstrip("/"),
            settings.shopify_timeout_seconds,
        )

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, follow_redirects=False)

    def api(
        self,
        connection: StoreConnection,
        client: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> AdminApi:
        if not connection.active:
            raise Conflict(f"{connection.shop} uninstalled the app; install it again", field="shop")
        return AdminApi(
            client,
            connection.shop,
            connection.credential("access_token"),
            version=self.api_version,
            base=self.base,
            sleep=sleep,
        )
