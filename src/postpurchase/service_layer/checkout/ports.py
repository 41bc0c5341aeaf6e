"""What checkout needs from the outside: an engine that dates an order, business calendars,
and somewhere to keep publishable keys.

:class:`CheckoutEngine` is the one seam between checkout and the delivery-date engine. The
default is the rules layer (``adapters/checkout/rules_engine.py``); the learned engine
(``adapters/edd/engine.py`` ``EddEngine``) already satisfies it, so serving the active model
per merchant is ``app.state.checkout_engine_for = <merchant_id -> CheckoutEngine>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.edd.types import Estimate, EstimateRequest


class CheckoutEngine(Protocol):
    """Dates for an order about to be placed. The ``Estimate`` says which layer and model
    produced it; checkout reports ``rules`` or ``model:<model>`` from it."""

    def estimate(self, request: EstimateRequest) -> Estimate: ...


# merchant id -> the engine serving that merchant now (its active model, or the rules). It
# is called on every request, on the event loop: it must be cheap, and return the same
# object while the active model is unchanged (answers are cached per engine object; a new
# object after an activation is what makes every cached answer of the old model unused).
CheckoutEngineFor = Callable[[str], CheckoutEngine]

# (country, region) -> the business calendar of that place (weekends and public holidays)
CalendarFor = Callable[[str | None, str | None], BusinessCalendar]


@dataclass(frozen=True, slots=True)
class PublishableKeyRow:
    """A stored key: its hash, never the key; ``hint`` is its first characters, for lists."""

    id: str
    merchant_id: str
    key_hash: str
    hint: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class PublishableKeyRepository(Protocol):
    def add(self, row: PublishableKeyRow) -> None: ...
    def list(self, merchant_id: str) -> list[PublishableKeyRow]: ...
    def revoke(self, merchant_id: str, key_id: str, at: datetime) -> bool: ...
    def revoke_all(self, merchant_id: str, at: datetime, *, keep: str | None = None) -> int: ...
    def merchant_of(self, key_hash: str) -> str | None:
        """The merchant a live (unrevoked) key belongs to."""
        ...
