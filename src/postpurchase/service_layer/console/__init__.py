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
from postpurchase.service_layer.console.ports import (
    AbstractConsoleUnitOfWork,
    MerchantRef,
    OneTimeToken,
    PasswordHasher,
    StoredSession,
)

__all__ = [
    "AbstractConsoleUnitOfWork",
    "Accounts",
    "InvalidCredentials",
    "Link",
    "MerchantRef",
    "NotAllowed",
    "OneTimeToken",
    "PasswordHasher",
    "SignedIn",
    "StoreNeeded",
    "StoredSession",
    "digest",
]
