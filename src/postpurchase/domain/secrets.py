"""Integration secrets a merchant holds with us: which ones exist, and how rotation works.

Why this is domain: the rule "the previous secret stays valid for a grace period after a
rotation" decides whether a webhook is accepted, and it must be the same rule for every
platform. The secrets themselves are sealed (encrypted) by an adapter before they are
stored; this module only ever sees them in the clear, in memory, for as long as a
verification or a rotation takes.

Who issues which secret:

* ``shopify_webhook``: Shopify issues it (the app's client secret, or the shop-specific key
  under Settings -> Notifications -> Webhooks); the merchant sets it with us.
* ``easypost_webhook``: chosen by the merchant when creating the EasyPost webhook.
* ``aftership_webhook``: AfterShip issues it (Settings -> Webhooks).
* ``woocommerce_webhook``: the "Secret" field of a WooCommerce webhook.
* ``tracking_webhook``: ours; we generate it for our own batch tracking webhook and show it
  once.
* ``helpdesk_webhook``: signs ``POST /webhooks/helpdesk/{merchant}`` (support contacts). We
  generate one (shown once), or the merchant sets the signing secret Zendesk issued for its
  webhook.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput


class SecretKind(StrEnum):
    SHOPIFY_WEBHOOK = "shopify_webhook"
    EASYPOST_WEBHOOK = "easypost_webhook"
    AFTERSHIP_WEBHOOK = "aftership_webhook"
    WOOCOMMERCE_WEBHOOK = "woocommerce_webhook"
    TRACKING_WEBHOOK = "tracking_webhook"
    HELPDESK_WEBHOOK = "helpdesk_webhook"

    @property
    def field(self) -> str:
        """The name the API and the CLI use for it (``shopify_webhook_secret``)."""
        return f"{self.value}_secret"


# Secrets the merchant copies from a platform into postpurchase (ours is generated).
PLATFORM_ISSUED: tuple[SecretKind, ...] = (
    SecretKind.SHOPIFY_WEBHOOK,
    SecretKind.EASYPOST_WEBHOOK,
    SecretKind.AFTERSHIP_WEBHOOK,
    SecretKind.WOOCOMMERCE_WEBHOOK,
)

MIN_LENGTH = 6  # EasyPost's own documented example secret is "A1B2C3"
MAX_LENGTH = 512
# The same rule as a JSON Schema pattern, for the API's documentation: no whitespace, no
# control character (``validate_secret`` also strips what surrounds a paste).
PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f]+$"


def validate_secret(value: str, *, field: str) -> str:
    """A secret as pasted, with surrounding whitespace removed; refuses what cannot be one.

    Inner whitespace and control characters are refused rather than stripped: a secret with
    a line break in it is a bad paste, and a silently "fixed" one would never verify.
    """
    if not isinstance(value, str):
        raise InvalidInput("must be a string", field=field)
    secret = value.strip()
    if len(secret) < MIN_LENGTH:
        raise InvalidInput(f"a secret has at least {MIN_LENGTH} characters", field=field)
    if len(secret) > MAX_LENGTH:
        raise InvalidInput(f"a secret has at most {MAX_LENGTH} characters", field=field)
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in secret):
        raise InvalidInput("a secret has no spaces or control characters", field=field)
    return secret


def last4(secret: str) -> str:
    """What we show of a secret: enough to tell two apart, too little to use."""
    return secret[-4:]


@dataclass(frozen=True, slots=True)
class MerchantSecret:
    """One secret of one merchant, with the one it replaced while that is still honoured."""

    merchant_id: str
    kind: SecretKind
    current: str
    updated_at: datetime
    previous: str | None = None
    rotated_at: datetime | None = None

    @property
    def last4(self) -> str:
        return last4(self.current)

    def accepted(self, now: datetime, grace: timedelta) -> tuple[str, ...]:
        """The values a signature may be made with at ``now``: the current one, and the
        previous one until ``grace`` has passed since the rotation (so deliveries signed
        while the merchant was switching the platform over are not lost)."""
        rotated = self.rotated_at
        if self.previous is not None and rotated is not None and now < rotated + grace:
            return (self.current, self.previous)
        return (self.current,)

    def rotate(self, new: str, at: datetime) -> MerchantSecret:
        """Replace the secret; setting the same value again changes nothing."""
        if new == self.current:
            return self
        return MerchantSecret(self.merchant_id, self.kind, new, at, self.current, at)
