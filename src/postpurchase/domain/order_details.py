"""What an order says beyond its lines: the money as the shopper paid it, and who and how.

Why stored, not recomputed: a store's totals are the result of its own discount, tax and
rounding rules (line-level and order-level discounts, taxes included in prices or not,
shipping discounts, presentment currency). Recomputing them from lines gets them wrong (an
order with a 17.91 discount showed 199.00 where the shopper paid 181.09), so the amounts are
taken as the store reports them and shown exactly so. When a source gives no totals (a bare
API call, a CSV without the columns) they are derived from the lines once, at intake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total


class ServiceLevel(StrEnum):
    """The delivery speed the shopper chose, as the delivery-date engine understands it."""

    PICKUP = "pickup"  # collected in store or at a pickup point
    ECONOMY = "economy"
    STANDARD = "standard"
    EXPRESS = "express"  # 2-3 days, "priority", "expedited"
    NEXT_DAY = "next_day"  # overnight, next day, 1 day
    SAME_DAY = "same_day"


# Words in a shipping method's title or code, most specific first.
_LEVEL_WORDS: tuple[tuple[ServiceLevel, tuple[str, ...]], ...] = (
    (ServiceLevel.SAME_DAY, ("same day", "same-day", "sameday")),
    (ServiceLevel.PICKUP, ("pickup", "pick up", "pick-up", "collect", "click & collect",
                           "in store", "in-store", "retrait", "abholung")),
    (ServiceLevel.NEXT_DAY, ("overnight", "next day", "next-day", "nextday", "1 day", "1-day",
                             "one day", "24h", "priority overnight", "standard overnight")),
    (ServiceLevel.EXPRESS, ("express", "expedited", "priority", "2 day", "2-day", "two day",
                            "2nd day", "second day", "3 day", "3-day", "rush", "fast")),
    (ServiceLevel.ECONOMY, ("economy", "saver", "budget", "slow", "media mail", "ground economy",
                            "smartpost", "surepost", "international economy")),
    (ServiceLevel.STANDARD, ("standard", "ground", "regular", "normal", "free", "shipping",
                             "home delivery", "first class", "parcel")),
)  # fmt: skip


FAST_LEVELS = frozenset({ServiceLevel.EXPRESS, ServiceLevel.NEXT_DAY, ServiceLevel.SAME_DAY})


def estimate_service(shipment_service: str | None, level: ServiceLevel | None) -> str | None:
    """The service name the delivery-date rules look up (their tables know ``express`` and
    the default): from the carrier's service when the parcel has one ("UPS Next Day Air",
    "Priority Mail Express"), else from what the shopper chose at checkout."""
    chosen = service_level_of(shipment_service) if shipment_service else None
    chosen = chosen or level
    return "express" if chosen in FAST_LEVELS else None


def service_level_of(title: str | None, code: str | None = None) -> ServiceLevel | None:
    """Map a store's shipping method ("UPS Next Day Air", "Free shipping", "Local pickup")
    onto a service level; None when nothing in it says how fast."""
    text = " ".join(p for p in (title, code) if p).lower().replace("_", " ")
    if not text.strip():
        return None
    for level, words in _LEVEL_WORDS:
        if any(word in text for word in words):
            return level
    return None


@dataclass(frozen=True, slots=True)
class Discount:
    """One discount the shopper got: a code they typed, an automatic or a manual discount."""

    kind: str  # "code" | "automatic" | "manual" | "script"
    code: str | None  # the code typed, else the discount's title
    amount: Money  # what it took off this order in total
    target: str = "lines"  # "lines" | "shipping"
    value: str | None = None  # as the store states it, e.g. "10.0" with value_type percentage
    value_type: str | None = None  # "percentage" | "fixed_amount"


@dataclass(frozen=True, slots=True)
class ShippingLine:
    title: str
    price: Money  # before shipping discounts
    paid: Money  # after them: what the shopper paid for this line
    code: str | None = None
    source: str | None = None  # who rated it: "shopify", "usps", a carrier-calculated app...
    carrier_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class TaxLine:
    title: str
    rate: Decimal
    amount: Money


@dataclass(frozen=True, slots=True)
class OrderTotals:
    """The order's money as the store computed it (all in the order's currency)."""

    subtotal: Money  # lines after line discounts, before shipping and (unless included) tax
    discounts: Money  # every discount, lines and shipping
    shipping: Money  # paid for shipping, after shipping discounts
    tax: Money
    total: Money  # what the shopper owes for the order
    paid: Money  # what the store has received so far
    taxes_included: bool = False

    def __post_init__(self) -> None:
        currency = self.total.currency
        for name in ("subtotal", "discounts", "shipping", "tax", "paid"):
            amount: Money = getattr(self, name)
            if amount.currency != currency:
                raise InvalidInput(
                    f"{name} is in {amount.currency}, total in {currency}", field=name
                )
            if amount.is_negative():
                raise InvalidInput(f"{name} must not be negative", field=name)

    @classmethod
    def derived(
        cls,
        lines_total: Money,
        line_discounts: Money,
        shipping: Money,
        *,
        tax: Money | None = None,
        taxes_included: bool = False,
        order_discounts: Money | None = None,
        paid: Money | None = None,
    ) -> OrderTotals:
        """Totals from parts, for sources that give no totals of their own."""
        currency = lines_total.currency
        tax = tax if tax is not None else Money.zero(currency)
        extra = order_discounts if order_discounts is not None else Money.zero(currency)
        subtotal = lines_total - line_discounts - extra
        grand = subtotal + shipping + (Money.zero(currency) if taxes_included else tax)
        return cls(
            subtotal=subtotal,
            discounts=total([line_discounts, extra], currency),
            shipping=shipping,
            tax=tax,
            total=grand,
            paid=paid if paid is not None else grand,
            taxes_included=taxes_included,
        )


class _LineDiscount(Protocol):
    @property
    def discount(self) -> Money | None: ...


class PricedLine(Protocol):
    """What the totals need of a line (an ``OrderLineInput`` or an ``OrderLine``)."""

    @property
    def unit_price(self) -> Money: ...
    @property
    def quantity(self) -> int: ...
    @property
    def facts(self) -> _LineDiscount: ...


def stated_totals(
    lines: Sequence[PricedLine],
    shipping: Money,
    discounts: Sequence[Discount] = (),
    *,
    tax: Money | None = None,
    taxes_included: bool = False,
    grand_total: Money | None = None,
    paid: Money | None = None,
) -> OrderTotals:
    """The order's money as a caller states it (an API body, a CSV's rows), the same for all.

    Lines are at list price and carry the discounts allocated to them; ``discounts`` on lines
    (each "what it took off the order in total") that exceed what the lines carry reduce the
    subtotal too; ``shipping`` is what was paid for it. A given ``grand_total`` / ``paid`` is
    kept exactly; what is not given is derived (``paid`` defaults to the total).
    """
    currency = shipping.currency
    zero = Money.zero(currency)
    gross = total([line.unit_price * line.quantity for line in lines], currency)
    line_discounts = total([line.facts.discount or zero for line in lines], currency)
    order_level = total([d.amount for d in discounts if d.target == "lines"], currency)
    extra = order_level - line_discounts if order_level > line_discounts else zero
    derived = OrderTotals.derived(
        gross, line_discounts, shipping,
        tax=tax, taxes_included=taxes_included, order_discounts=extra,
    )  # fmt: skip
    if grand_total is None and paid is None:
        return derived
    grand = grand_total if grand_total is not None else derived.total
    return replace(derived, total=grand, paid=paid if paid is not None else grand)


@dataclass(frozen=True, slots=True)
class OrderDetails:
    """Who bought, how they want it, and what the store says about the order."""

    customer_name: str | None = None
    accepts_marketing: bool | None = None
    billing_address: Address | None = None
    shipping_method: str | None = None  # the title the shopper chose at checkout
    service_level: ServiceLevel | None = None
    note: str | None = None
    note_attributes: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    financial_status: str | None = None  # the store's: paid, partially_refunded, refunded...
    fulfillment_status: str | None = None  # the store's: null, partial, fulfilled...
    presentment_currency: str | None = None  # what the shopper saw, when not the shop's
    presentment_total: Money | None = None
    # The same money in the shopper's currency, row by row, when the store gives it (the
    # order itself is kept in the shop's currency, for the merchant's books): shopper-facing
    # pages and messages show these, as the shopper paid.
    presentment_totals: OrderTotals | None = None
    presentment_items: Money | None = None  # the lines at list price, in that currency
    discounts: tuple[Discount, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # source-specific ids (admin gid...)


def as_the_shopper_paid(
    items: Money, totals: OrderTotals, details: OrderDetails
) -> tuple[Money, OrderTotals, bool]:
    """``(items at list price, totals, converted)`` in the currency the shopper paid in.

    ``items`` and ``totals`` are the order's own (the shop's currency); when the store gave
    the same money in the shopper's currency (Shopify's presentment money), that is what a
    shopper-facing page or message shows, and ``converted`` says the per-line prices (kept
    in the shop's currency only) must not be shown beside it.
    """
    shown, shown_items = details.presentment_totals, details.presentment_items
    if (
        shown is not None
        and shown_items is not None
        and shown.total.currency != totals.total.currency
    ):
        return shown_items, shown, True
    return items, totals, False
