"""A merchant's return policy: declarative data, versioned, read by :func:`decisions.evaluate`.

A policy is a value (frozen dataclasses), stored as a JSON document with its version, so a
decision can always name the exact policy it was made under. Amounts in a policy are per
currency (``{"USD": "5.00", "EUR": "4.50"}``): an order is only ever charged a fee in its own
currency, never a converted one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount, parse_currency
from postpurchase.domain.returns.geo import Place
from postpurchase.domain.returns.methods import MethodTerms, ReturnMethod, default_methods


class Resolution(StrEnum):
    REFUND = "refund"  # to the original payment
    STORE_CREDIT = "store_credit"
    KEEP_IT = "keep_it"  # refund or credit, no parcel comes back
    EXCHANGE = "exchange"  # another variant (or a dearer one, the difference charged)


class RefundTiming(StrEnum):
    """When the money goes back (domain/returns/timing.py)."""

    FIRST_SCAN = "first_scan"  # the return parcel's first carrier scan
    ARRIVAL = "arrival"  # delivered back, or received at the counter
    INSPECTION = "inspection"  # resolved by the merchant once inspected (the default)


class LimitAction(StrEnum):
    REVIEW = "review"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Reason:
    """A node of the reason tree; the shopper picks a leaf."""

    code: str
    label: str
    children: tuple[Reason, ...] = ()
    requires_photo: bool = False  # the return waits for a person to look at it
    review: bool = False  # always reviewed by a person
    merchant_fault: bool = False  # damaged, wrong item: no fees, free label
    window_days: int | None = None  # overrides the policy's window for this reason

    def walk(self) -> Iterator[Reason]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class SkuCosts:
    """What it costs to take one unit of a SKU back, and what it can be sold for again."""

    label: Decimal  # the return label
    handling: Decimal  # receiving, inspecting, repacking
    resale_rate: Decimal  # share of the price recovered when resold (0..1)

    def __post_init__(self) -> None:
        if self.label < 0 or self.handling < 0:
            raise InvalidInput("costs must not be negative", field="keep_it")
        if not Decimal(0) <= self.resale_rate <= Decimal(1):
            raise InvalidInput("a share between 0 and 1", field="keep_it.resale_rate")


@dataclass(frozen=True, slots=True)
class KeepIt:
    """Offer "keep the item" when bringing it back loses money: label + handling − resale
    value > 0 (the cost to serve), for items the shopper paid at most ``max_value`` for."""

    default: SkuCosts
    per_sku: Mapping[str, SkuCosts] = field(default_factory=dict)
    max_value: Mapping[str, Decimal] = field(default_factory=dict)  # per currency

    def costs(self, sku: str) -> SkuCosts:
        return self.per_sku.get(sku, self.default)

    def cost_to_serve(self, sku: str, unit_paid: Money) -> Money:
        c = self.costs(sku)
        resale = unit_paid * c.resale_rate
        return Money(c.label + c.handling, unit_paid.currency) - resale


@dataclass(frozen=True, slots=True)
class CustomerLimit:
    max_returns: int
    period_days: int
    action: LimitAction = LimitAction.REVIEW

    def __post_init__(self) -> None:
        if self.max_returns < 1 or not 1 <= self.period_days <= 3650:
            raise InvalidInput("max_returns ≥ 1 and period_days 1..3650", field="limit")


@dataclass(frozen=True, slots=True)
class InstantExchange:
    """Which customers get their exchange before their parcel arrives (the new item ships at
    approval): at least ``min_orders`` earlier orders with the shop and never a rejected
    return, for an order worth at most ``max_order_value`` in its currency (a currency not
    listed: no limit)."""

    min_orders: int = 1
    max_order_value: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.min_orders <= 1000:
            raise InvalidInput("min_orders 0..1000", field="instant_exchange.min_orders")


CODE = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a carrier account's or service's code


@dataclass(frozen=True, slots=True)
class PortalLabel:
    """The carrier account (``GET /api/v1/carriers``) and service the portal buys a shopper's
    return label from, when the shopper asks for it on their return's page."""

    carrier: str
    service: str = "ground"

    def __post_init__(self) -> None:
        for name in ("carrier", "service"):
            value = getattr(self, name)
            if not isinstance(value, str) or not CODE.fullmatch(value):
                raise InvalidInput(
                    "a code: letters, digits, . _ - (1-64)", field=f"portal_label.{name}"
                )


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    version: int = 1
    window_days: int = 30
    reasons: tuple[Reason, ...] = ()
    final_sale_tags: frozenset[str] = frozenset({"final-sale"})
    non_returnable_tags: frozenset[str] = frozenset()
    non_returnable_skus: frozenset[str] = frozenset()
    sku_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    statutory_exempt_skus: frozenset[str] = frozenset()  # sealed hygiene goods, made to order
    resolutions: frozenset[Resolution] = frozenset({Resolution.REFUND, Resolution.STORE_CREDIT})
    return_fee: Mapping[str, Decimal] = field(default_factory=dict)  # per return, per currency
    fee_waived_for_credit: bool = True
    restocking_fee_rate: Decimal = Decimal(0)  # share of the refund, 0..1
    store_credit_bonus_rate: Decimal = Decimal(0)  # extra credit over the refund, 0..1
    keep_it: KeepIt | None = None
    limit: CustomerLimit | None = None
    gift_returns: bool = True  # the recipient gets store credit; the giver is not told
    statutory_rights: bool = True  # EU/EEA right of withdrawal before the merchant's rules
    methods: tuple[MethodTerms, ...] = field(default_factory=default_methods)
    return_to: Place | None = None  # the returns address, for the CO2e estimate's distance
    refund_timing: RefundTiming = RefundTiming.INSPECTION
    instant_exchange: InstantExchange | None = None  # None: exchanges wait for the parcel
    portal_label: PortalLabel | None = None  # None: the merchant buys or records labels
    _leaves: Mapping[str, Reason] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.version < 1:
            raise InvalidInput("the version starts at 1", field="version")
        if not 0 <= self.window_days <= 3650:
            raise InvalidInput("between 0 and 3650 days", field="window_days")
        for name in ("restocking_fee_rate", "store_credit_bonus_rate"):
            rate: Decimal = getattr(self, name)
            if not Decimal(0) <= rate <= Decimal(1):
                raise InvalidInput("a share between 0 and 1", field=name)
        codes = [r.code for root in self.reasons for r in root.walk()]
        if len(codes) != len(set(codes)):
            raise InvalidInput("reason codes must be unique", field="reasons")
        leaves = {r.code: r for root in self.reasons for r in root.walk() if not r.children}
        object.__setattr__(self, "_leaves", leaves)
        for currency, fee in self.return_fee.items():
            if fee < 0:
                raise InvalidInput("must not be negative", field=f"return_fee.{currency}")
        seen: set[ReturnMethod] = set()
        for i, terms in enumerate(self.methods):
            if terms.method in seen:
                raise InvalidInput("each method once", field=f"methods[{i}].method")
            seen.add(terms.method)
            for currency, fee in terms.fee.items():
                if fee < 0:
                    raise InvalidInput("must not be negative", field=f"methods[{i}].fee.{currency}")

    def method(self, method: ReturnMethod) -> MethodTerms | None:
        return next((t for t in self.methods if t.method is method), None)

    def reason(self, code: str) -> Reason | None:
        """The leaf reason ``code`` (a branch is not a reason one can pick)."""
        return self._leaves.get(code)

    def leaf_reasons(self) -> list[Reason]:
        return [r for root in self.reasons for r in root.walk() if not r.children]

    def tags_of(self, sku: str, order_tags: frozenset[str]) -> frozenset[str]:
        return order_tags | self.sku_tags.get(sku, frozenset())

    def fee(self, currency: str) -> Money:
        return Money(self.return_fee.get(currency, Decimal(0)), currency)


DEFAULT_REASONS: tuple[Reason, ...] = (
    Reason("fit", "Size or fit", children=(
        Reason("too_small", "Too small"), Reason("too_large", "Too large"),
    )),
    Reason("not_as_expected", "Not as expected", children=(
        Reason("looks_different", "Looks different from the pictures"),
        Reason("quality", "Quality not as expected"),
    )),
    Reason("damaged", "Arrived damaged", requires_photo=True, merchant_fault=True),
    Reason("wrong_item", "Wrong item sent", merchant_fault=True),
    Reason("changed_mind", "Changed my mind"),
)  # fmt: skip


def default_policy() -> ReturnPolicy:
    """The policy a merchant starts with: 30 days, refund or credit, the common reasons."""
    return ReturnPolicy(reasons=DEFAULT_REASONS)


# ---- JSON document --------------------------------------------------------------------------


def _reason_to_dict(r: Reason) -> dict[str, Any]:
    out: dict[str, Any] = {"code": r.code, "label": r.label}
    if r.children:
        out["children"] = [_reason_to_dict(c) for c in r.children]
    for flag in ("requires_photo", "review", "merchant_fault"):
        if getattr(r, flag):
            out[flag] = True
    if r.window_days is not None:
        out["window_days"] = r.window_days
    return out


def _costs_to_dict(c: SkuCosts) -> dict[str, str]:
    return {"label": str(c.label), "handling": str(c.handling), "resale_rate": str(c.resale_rate)}


def policy_to_dict(p: ReturnPolicy) -> dict[str, Any]:
    """The policy as the JSON document stored and shown by the API."""
    return {
        "version": p.version,
        "window_days": p.window_days,
        "reasons": [_reason_to_dict(r) for r in p.reasons],
        "final_sale_tags": sorted(p.final_sale_tags),
        "non_returnable_tags": sorted(p.non_returnable_tags),
        "non_returnable_skus": sorted(p.non_returnable_skus),
        "sku_tags": {k: sorted(v) for k, v in sorted(p.sku_tags.items())},
        "statutory_exempt_skus": sorted(p.statutory_exempt_skus),
        "resolutions": sorted(r.value for r in p.resolutions),
        "return_fee": {k: str(v) for k, v in sorted(p.return_fee.items())},
        "fee_waived_for_credit": p.fee_waived_for_credit,
        "restocking_fee_rate": str(p.restocking_fee_rate),
        "store_credit_bonus_rate": str(p.store_credit_bonus_rate),
        "keep_it": None if p.keep_it is None else {
            "default": _costs_to_dict(p.keep_it.default),
            "per_sku": {k: _costs_to_dict(v) for k, v in sorted(p.keep_it.per_sku.items())},
            "max_value": {k: str(v) for k, v in sorted(p.keep_it.max_value.items())},
        },
        "limit": None if p.limit is None else {
            "max_returns": p.limit.max_returns,
            "period_days": p.limit.period_days,
            "action": p.limit.action.value,
        },
        "gift_returns": p.gift_returns,
        "statutory_rights": p.statutory_rights,
        "refund_timing": p.refund_timing.value,
        "instant_exchange": None if p.instant_exchange is None else {
            "min_orders": p.instant_exchange.min_orders,
            "max_order_value": {
                k: str(v) for k, v in sorted(p.instant_exchange.max_order_value.items())
            },
        },
        "portal_label": None if p.portal_label is None else {
            "carrier": p.portal_label.carrier, "service": p.portal_label.service,
        },
        "methods": [
            {"method": t.method.value, "fee": {k: str(v) for k, v in sorted(t.fee.items())},
             "merchant_fault_free": t.merchant_fault_free}
            for t in p.methods
        ],
        "return_to": None if p.return_to is None else {
            "country": p.return_to.country, "postal_code": p.return_to.postal_code,
            "region": p.return_to.region,
        },
    }  # fmt: skip


_REASON_KEYS = frozenset(
    {"code", "label", "children", "requires_photo", "review", "merchant_fault", "window_days"}
)
_COST_KEYS = frozenset({"label", "handling", "resale_rate"})
_KEEP_KEYS = frozenset({"default", "per_sku", "max_value"})
_LIMIT_KEYS = frozenset({"max_returns", "period_days", "action"})
_METHOD_KEYS = frozenset({"method", "fee", "merchant_fault_free"})
_PLACE_KEYS = frozenset({"country", "postal_code", "region"})
_INSTANT_KEYS = frozenset({"min_orders", "max_order_value"})
_LABEL_KEYS = frozenset({"carrier", "service"})


def _method_from(raw: object, at: str) -> MethodTerms:
    d = _only(raw, _METHOD_KEYS, at)
    try:
        method = ReturnMethod(str(d.get("method")))
    except ValueError:
        options = ", ".join(m.value for m in ReturnMethod)
        raise InvalidInput(f"one of: {options}", field=f"{at}.method") from None
    return MethodTerms(
        method,
        _per_currency(d.get("fee"), f"{at}.fee"),
        merchant_fault_free=bool(d.get("merchant_fault_free", True)),
    )


def _place_from(raw: object, at: str) -> Place:
    d = _only(raw, _PLACE_KEYS, at)
    country = d.get("country")
    if not isinstance(country, str) or len(country.strip()) != 2:
        raise InvalidInput("an ISO 3166 two-letter country code", field=f"{at}.country")
    code, region = d.get("postal_code"), d.get("region")
    return Place(
        country.strip().upper(),
        str(code).strip()[:16] if code else None,
        str(region).strip()[:64] if region else None,
    )


def _instant(raw: object) -> InstantExchange | None:
    if not raw:
        return None
    d = _only(raw, _INSTANT_KEYS, "instant_exchange")
    return InstantExchange(
        min_orders=int(d.get("min_orders", 1)),
        max_order_value=_per_currency(d.get("max_order_value"), "instant_exchange.max_order_value"),
    )


def _portal_label(raw: object) -> PortalLabel | None:
    if not raw:
        return None
    d = _only(raw, _LABEL_KEYS, "portal_label")
    return PortalLabel(str(d.get("carrier") or ""), str(d.get("service") or "ground"))


def _timing(value: object) -> RefundTiming:
    if value is None:
        return RefundTiming.INSPECTION
    try:
        return RefundTiming(str(value))
    except ValueError:
        choices = ", ".join(t.value for t in RefundTiming)
        raise InvalidInput(f"one of: {choices}", field="refund_timing") from None


def _only(d: object, allowed: frozenset[str], at: str) -> Mapping[str, Any]:
    """``d`` as a mapping with no key outside ``allowed`` (a typo is refused, not dropped)."""
    if not isinstance(d, Mapping):
        raise InvalidInput("must be an object", field=at)
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise InvalidInput(f"unknown key; one of {sorted(allowed)}", field=f"{at}.{unknown[0]}")
    return d


def _dec(value: object, name: str) -> Decimal:
    return parse_amount(value, field=name)


def _reason_from(raw: Mapping[str, Any], at: str) -> Reason:
    d = _only(raw, _REASON_KEYS, at)
    code = d.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise InvalidInput("a reason needs a code (1-64 characters)", field=f"{at}.code")
    window = d.get("window_days")
    return Reason(
        code=code.strip(),
        label=str(d.get("label") or code)[:200],
        children=tuple(
            _reason_from(c, f"{at}.children[{i}]") for i, c in enumerate(d.get("children") or ())
        ),
        requires_photo=bool(d.get("requires_photo", False)),
        review=bool(d.get("review", False)),
        merchant_fault=bool(d.get("merchant_fault", False)),
        window_days=int(window) if window is not None else None,
    )


def _costs_from(raw: Mapping[str, Any], at: str) -> SkuCosts:
    d = _only(raw, _COST_KEYS, at)
    return SkuCosts(
        label=_dec(d.get("label", "0"), f"{at}.label"),
        handling=_dec(d.get("handling", "0"), f"{at}.handling"),
        resale_rate=_dec(d.get("resale_rate", "0"), f"{at}.resale_rate"),
    )


def _per_currency(d: Mapping[str, Any] | None, at: str) -> dict[str, Decimal]:
    return {parse_currency(k, field=at): _dec(v, f"{at}.{k}") for k, v in (d or {}).items()}


def policy_from_dict(d: Mapping[str, Any]) -> ReturnPolicy:
    """A policy from its JSON document; bad values raise ``InvalidInput`` naming the key."""
    base = default_policy()
    try:
        keep = _only(d["keep_it"], _KEEP_KEYS, "keep_it") if d.get("keep_it") else None
        limit = _only(d["limit"], _LIMIT_KEYS, "limit") if d.get("limit") else None
        reasons = d.get("reasons")
        return ReturnPolicy(
            version=int(d.get("version", 1)),
            window_days=int(d.get("window_days", base.window_days)),
            reasons=base.reasons if reasons is None else tuple(
                _reason_from(r, f"reasons[{i}]") for i, r in enumerate(reasons)
            ),
            final_sale_tags=frozenset(d.get("final_sale_tags", base.final_sale_tags)),
            non_returnable_tags=frozenset(d.get("non_returnable_tags", ())),
            non_returnable_skus=frozenset(d.get("non_returnable_skus", ())),
            sku_tags={k: frozenset(v) for k, v in (d.get("sku_tags") or {}).items()},
            statutory_exempt_skus=frozenset(d.get("statutory_exempt_skus", ())),
            resolutions=frozenset(
                Resolution(r) for r in d.get("resolutions", [r.value for r in base.resolutions])
            ),
            return_fee=_per_currency(d.get("return_fee"), "return_fee"),
            fee_waived_for_credit=bool(d.get("fee_waived_for_credit", True)),
            restocking_fee_rate=_dec(d.get("restocking_fee_rate", "0"), "restocking_fee_rate"),
            store_credit_bonus_rate=_dec(
                d.get("store_credit_bonus_rate", "0"), "store_credit_bonus_rate"
            ),
            keep_it=None if not keep else KeepIt(
                default=_costs_from(keep.get("default") or {}, "keep_it.default"),
                per_sku={
                    k: _costs_from(v, f"keep_it.per_sku.{k}")
                    for k, v in (keep.get("per_sku") or {}).items()
                },
                max_value=_per_currency(keep.get("max_value"), "keep_it.max_value"),
            ),
            limit=None if not limit else CustomerLimit(
                max_returns=int(limit["max_returns"]),
                period_days=int(limit["period_days"]),
                action=LimitAction(limit.get("action", "review")),
            ),
            gift_returns=bool(d.get("gift_returns", True)),
            statutory_rights=bool(d.get("statutory_rights", True)),
            methods=base.methods if d.get("methods") is None else tuple(
                _method_from(m, f"methods[{i}]") for i, m in enumerate(d["methods"])
            ),
            return_to=_place_from(d["return_to"], "return_to") if d.get("return_to") else None,
            refund_timing=_timing(d.get("refund_timing")),
            instant_exchange=_instant(d.get("instant_exchange")),
            portal_label=_portal_label(d.get("portal_label")),
        )  # fmt: skip
    except InvalidInput:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"not a valid return policy: {exc}", field="policy") from None
