"""Registering the app's webhook subscriptions on a shop (Admin GraphQL
``webhookSubscriptionCreate``), pointed at ``/webhooks/shopify/{merchant_slug}``.

Deliveries of app subscriptions are signed with the app's client secret. The mandatory
privacy topics cannot be subscribed through the API: they are set in the app's
configuration (see the README) and arrive at ``/shopify/webhooks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi, user_errors
from postpurchase.adapters.storefronts.shopify.topics import APP_SUBSCRIPTIONS

CREATE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""


def topic_enum(topic: str) -> str:
    """``orders/create`` -> ``ORDERS_CREATE`` (the GraphQL enum)."""
    return topic.replace("/", "_").upper()


@dataclass(frozen=True, slots=True)
class Subscribed:
    topic: str
    id: str | None  # None when it was not created
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.id is not None or (self.error or "").lower().find("already been taken") >= 0


def register(api: AdminApi, callback_url: str) -> list[Subscribed]:
    """Subscribe every topic the app handles; one that exists already (a reinstall) is
    reported with Shopify's "already been taken" and counts as done."""
    done: list[Subscribed] = []
    for topic in APP_SUBSCRIPTIONS:
        data = api.query(
            CREATE,
            {"topic": topic_enum(topic), "sub": {"callbackUrl": callback_url, "format": "JSON"}},
        )
        payload = data.get("webhookSubscriptionCreate") or {}
        errors = user_errors(payload)
        sub = payload.get("webhookSubscription") or {}
        if errors:
            done.append(Subscribed(topic, None, "; ".join(m for _, m in errors)))
        else:
            done.append(Subscribed(topic, sub.get("id")))
    return done
