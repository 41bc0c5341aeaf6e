"""The console's use cases and ports. Others import this package, not its modules."""

from __future__ import annotations

from postpurchase.service_layer.console.accounts import (
    Accounts,
    InvalidCredentials,
    Link,
    NotAllowed,
    SignedIn,
    StoreNeeded,
    digest,
)
from postpurchase.service_layer.console.actions import (
    Reshipper,
    ShipmentActions,
    ShippingRefunder,
)
from postpurchase.service_layer.console.ports import (
    AbstractConsoleUnitOfWork,
    AgentMessage,
    MerchantRef,
    OneTimeToken,
    ParcelOfOrder,
    PasswordHasher,
    StoredSession,
)

__all__ = [
    "AbstractConsoleUnitOfWork",
    "Accounts",
    "AgentMessage",
    "InvalidCredentials",
    "Link",
    "MerchantRef",
    "NotAllowed",
    "OneTimeToken",
    "ParcelOfOrder",
    "PasswordHasher",
    "Reshipper",
    "ShipmentActions",
    "ShippingRefunder",
    "SignedIn",
    "StoreNeeded",
    "StoredSession",
    "digest",
]
