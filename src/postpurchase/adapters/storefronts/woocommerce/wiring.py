"""How the entrypoints open a client on a store: the outbound guard's policy from
``POSTPURCHASE_OUTBOUND_ALLOW`` (the same allow-list outbound webhooks use)."""

from __future__ import annotations

from collections.abc import Callable

from postpurchase.adapters.net_guard import OutboundPolicy
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.storefronts.woocommerce.client import MAX_ATTEMPTS, WooClient
from postpurchase.adapters.storefronts.woocommerce.connect import Credentials
from postpurchase.adapters.storefronts.woocommerce.refund_port import WooRefunds
from postpurchase.domain.storefronts import StoreConnection


def outbound_policy() -> OutboundPolicy:
    return NotifySettings().outbound_policy


def client_for_credentials(
    policy: OutboundPolicy | None = None, *, max_attempts: int = MAX_ATTEMPTS
) -> Callable[[Credentials], WooClient]:
    """``max_attempts``: an API request waiting on a store that does not answer gives up
    sooner than a backfill does."""
    chosen = policy or outbound_policy()

    def open_client(c: Credentials) -> WooClient:
        return WooClient(c.url, c.consumer_key, c.consumer_secret, policy=chosen,
                         max_attempts=max_attempts)  # fmt: skip

    return open_client


def client_for_connection(
    policy: OutboundPolicy | None = None,
) -> Callable[[StoreConnection], WooClient]:
    chosen = policy or outbound_policy()

    def open_client(connection: StoreConnection) -> WooClient:
        return WooClient(
            connection.shop,
            connection.credential("consumer_key"),
            connection.credential("consumer_secret"),
            policy=chosen,
        )

    return open_client


def refunds(policy: OutboundPolicy | None = None) -> WooRefunds:
    """The refund port's WooCommerce adapter, on the deployment's outbound policy."""
    return WooRefunds(client_for_connection(policy))
