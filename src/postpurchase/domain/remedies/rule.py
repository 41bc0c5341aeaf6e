"""The automatic remedy: "delivered later than the original promise -> refund the shipping
fee (or give store credit) and apologise".

Why domain: whether an order earns a remedy, and how much, is a money rule; it must give the
same answer for the worker that pays it, the message that apologises for it and the KPI
that counts it. The promise compared with is the one shown at purchase (the store's checkout
promise when it sent one, else ours, see ``service_layer.remedies.original_promise``), by
calendar date in the shopper's zone: a parcel delivered at 23:00 on the promised day is on
time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money

MAX_GRACE_DAYS = 14


class RemedyKind(StrEnum):
    REFUND_SHIPPING = "refund_shipping"  # the shipping fee back to the card
    STORE_CREDIT = "store_credit"  # the shipping fee as store credit


@dataclass(frozen=True, slots=True)
class RemedyRule:
    enabled: bool = False
    kind: RemedyKind = RemedyKind.REFUND_SHIPPING
    grace_days: int = 0  # days late that are forgiven (0: any day late earns the remedy)
    apologise: bool = True  # the delivered message says sorry and names the remedy


_KEYS = frozenset({"enabled", "kind", "grace_days", "apologise"})


def rule_from_dict(data: Mapping[str, Any], base: RemedyRule | None = None) -> RemedyRule:
    """The rule from its JSON document; unknown keys and wrong types name the key."""
    if not isinstance(data, Mapping):
        raise InvalidInput("must be an object", field="body")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidInput(f"unknown setting {unknown[0]!r}", field=unknown[0])
    b = base or RemedyRule()
    for key in ("enabled", "apologise"):
        if key in data and not isinstance(data[key], bool):
            raise InvalidInput("must be true or false", field=key)
    kind = b.kind
    if "kind" in data:
        try:
            kind = RemedyKind(data["kind"])
        except ValueError:
            allowed = ", ".join(k.value for k in RemedyKind)
            raise InvalidInput(f"must be one of {allowed}", field="kind") from None
    grace = data.get("grace_days", b.grace_days)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_DAYS:
        raise InvalidInput(f"must be an integer from 0 to {MAX_GRACE_DAYS}", field="grace_days")
    return RemedyRule(
        enabled=data.get("enabled", b.enabled),
        kind=kind,
        grace_days=grace,
        apologise=data.get("apologise", b.apologise),
    )


def rule_from_stored(doc: object) -> RemedyRule:
    """The rule from the stored ``automatic_remedy`` settings section, leniently: unset
    (``null``) keys take the defaults and a key that no longer passes is dropped, so a bad
    stored value never stops deliveries being handled."""
    data = {k: v for k, v in doc.items() if v is not None} if isinstance(doc, Mapping) else {}
    for _ in range(len(_KEYS) + 1):
        try:
            return rule_from_dict(data)
        except InvalidInput as exc:
            if exc.field not in data:
                break
            del data[exc.field]
    return RemedyRule()


def rule_to_dict(rule: RemedyRule) -> dict[str, Any]:
    return {
        "enabled": rule.enabled,
        "kind": rule.kind.value,
        "grace_days": rule.grace_days,
        "apologise": rule.apologise,
    }


def days_late(promised: date | None, delivered_on: date) -> int:
    """Whole calendar days after the promise (0 when on time or nothing was promised)."""
    if promised is None:
        return 0
    return max((delivered_on - promised).days, 0)


@dataclass(frozen=True, slots=True)
class Remedy:
    kind: RemedyKind
    amount: Money
    days_late: int
    promised: date
    reason: str


def decide(
    rule: RemedyRule, promised: date | None, delivered_on: date, shipping_paid: Money
) -> Remedy | None:
    """The remedy an order earns, or None: the rule is off, nothing was promised, the
    delivery was on time (or within the grace days), or the shopper paid no shipping."""
    late = days_late(promised, delivered_on)
    if not rule.enabled or promised is None or late <= rule.grace_days:
        return None
    if shipping_paid.amount <= 0:
        return None
    return Remedy(
        kind=rule.kind,
        amount=shipping_paid,
        days_late=late,
        promised=promised,
        reason=f"delivered {delivered_on.isoformat()}, {late} day(s) after the promised "
        f"{promised.isoformat()}",
    )
