"""A WooCommerce store as our tests see it: its webhooks signed the way WooCommerce signs
them, with a secret the merchant set through our own API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import ref

PAYLOADS = Path(__file__).parent.parent.parent / "fixtures" / "payloads" / "woocommerce"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / name).read_bytes()))


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Store:
    """One merchant's WooCommerce store posting to us, and the merchant's API key."""

    def __init__(self, client: TestClient, slug: str, api_key: str, secret: str) -> None:
        self.client, self.slug, self.secret = client, slug, secret
        self.auth = {"Authorization": f"Bearer {api_key}"}

    def post(self, topic: str, body: bytes, delivery_id: str | None = None, **headers: str) -> Any:
        resource, _, event = topic.partition(".")
        sent = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": "https://mugs.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(body, self.secret),
            "X-WC-Webhook-ID": "31",
            "X-WC-Webhook-Delivery-ID": delivery_id or ref(),
            **headers,
        }
        return self.client.post(f"/webhooks/woocommerce/{self.slug}", content=body, headers=sent)

    def deliver(self, topic: str, payload: dict[str, Any], delivery_id: str | None = None) -> Any:
        delivery_id = delivery_id or ref()
        r = self.post(topic, json.dumps(payload).encode(), delivery_id)
        assert r.status_code == 200, r.text
        return self.outcome(delivery_id)

    def outcome(self, delivery_id: str) -> Any:
        r = self.client.get(
            f"/api/v1/merchant/webhook-deliveries/woocommerce/{delivery_id}", headers=self.auth
        )
        assert r.status_code == 200, r.text
        return r.json()["outcome"]

    def order(self, order_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/orders/{order_id}", headers=self.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def order_by_external(self, external_id: str) -> dict[str, Any] | None:
        r = self.client.get("/api/v1/orders?limit=100", headers=self.auth)
        assert r.status_code == 200, r.text
        for row in r.json()["data"]:
            if row["external_id"] == external_id:
                return self.order(row["id"])
        return None
