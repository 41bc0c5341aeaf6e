"""Connected stores in the service layer: the storefront refund port and the repositories'
ports (``ports``), and the refund flow (``refunds.refund_order``, imported from there: the
unit of work imports the ports, so this package imports nothing that needs the unit of
work)."""

from postpurchase.service_layer.storefronts.ports import (
    RefundLedger,
    StoreConnectionRepository,
    StorefrontRefunds,
    StoreRefused,
)

__all__ = ["RefundLedger", "StoreConnectionRepository", "StoreRefused", "StorefrontRefunds"]
