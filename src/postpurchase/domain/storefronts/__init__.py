"""Connected stores (Shopify as an installed app, WooCommerce with REST keys) and the
refunds we ask them to make. See ``connections`` and ``refunds``."""

from postpurchase.domain.storefronts.connections import (
    BackfillState,
    BackfillStatus,
    ConnectionSettings,
    ConnectionStatus,
    StoreConnection,
    StorePlatform,
    normalise_shop,
)
from postpurchase.domain.storefronts.refunds import (
    AttemptStatus,
    Refundable,
    RefundAttempt,
    RefundedLine,
    RefundRequest,
    RefundRequestLine,
    RefundResult,
    check_refund,
    less_fee,
    refundable,
)

__all__ = [
    "AttemptStatus",
    "BackfillState",
    "BackfillStatus",
    "ConnectionSettings",
    "ConnectionStatus",
    "RefundAttempt",
    "RefundRequest",
    "RefundRequestLine",
    "RefundResult",
    "Refundable",
    "RefundedLine",
    "StoreConnection",
    "StorePlatform",
    "check_refund",
    "less_fee",
    "normalise_shop",
    "refundable",
]
