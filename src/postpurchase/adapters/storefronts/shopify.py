"""Shopify webhooks (``POST /webhooks/shopify/{merchant}``) into domain commands.

Topics and what they translate to:

* ``orders/create`` -> :class:`PlaceOrder` (from the REST Admin API Order resource)
* ``orders/cancelled`` -> :class:`CancelByExternalId` (the caller resolves our order id)
* ``fulfillments/create``, ``fulfillments/update`` -> :class:`ShopifyFulfillment`, keyed by
  Shopify's order id (the caller finds the order and creates or updates its shipments)

Choices worth knowing:

* Money is the shop currency (``currency``, ``line_items[].price``) unless
  ``use_presentment_currency`` is set, in which case the ``*_set.presentment_money`` amounts
  and ``presentment_currency`` are used. Amounts are Decimal strings; a float is refused.
* ``unit_price`` is the line's list price (``price``), before line discounts.
* The shipping fee is what was paid: the sum of ``shipping_lines[].discounted_price``
  (``price`` when absent), skipping lines Shopify marks ``is_removed``.
* Lines that do not require shipping (gift cards, digital goods) are left out: no shipment
  will ever carry them. An order with nothing to ship is refused (``line_items``).
* A line without a SKU gets ``variant-<variant_id>`` (or ``line-<id>``), and fulfillment
  lines use the same rule, so shipments match order lines either way.
* The destination is ``shipping_address``; pickup orders without one fall back to the billing
  address, then the customer's default address.
* Tracking numbers are normalised (upper case, no spaces or dashes) and the carrier name
  (``tracking_company``) is mapped to our slug when we know it (else ``carrier=None`` and
  the raw name is kept in ``tracking_company``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from postpurchase.adapters.tracking_sources.normalised import load_json, normalise_tracking_number
from postpurchase.adapters.tracking_sources.status_maps import (
    map_shopify_shipment_status,
    normalise_carrier,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount, parse_currency
from postpurchase.domain.orders import OrderLineInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent

SOURCE: Final = "shopify"
ORDERS_CREATE: Final = "orders/create"
ORDERS_CANCELLED: Final = "orders/cancelled"
FULFILLMENTS_CREATE: Final = "fulfillments/create"
FULFILLMENTS_UPDATE: Final = "fulfillments/update"
TOPICS: Final = frozenset(
    {ORDERS_CREATE, ORDERS_CANCELLED, FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE}
)

TOPIC_HEADER: Final = "X-Shopify-Topic"
WEBHOOK_ID_HEADER: Final = "X-Shopify-Webhook-Id"
SHOP_DOMAIN_HEADER: Final = "X-Shopify-Shop-Domain"


@dataclass(frozen=True, slots=True)
class CancelByExternalId:
    """Cancel the order the store knows as ``external_id`` (our id is resolved by the caller)."""

    external_id: str
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ShopifyFulfillment:
    """A Shopify fulfillment: one or more parcels of one order, with their tracking numbers."""

    order_external_id: str
    fulfillment_id: str
    tracking_numbers: tuple[str, ...]
    tracking_company: str | None  # as the merchant typed or chose it in Shopify
    line_items: tuple[tuple[str, int], ...]  # (sku, quantity)
    shipment_status: ShipmentStatus | None  # mapped; None when Shopify has none yet
    created_at: datetime
    updated_at: datetime
    carrier: str | None = None  # our slug for tracking_company, when known
    substatus: str | None = None
    recognised: bool = True
    raw_shipment_status: str | None = None
    status: str | None = None  # Shopify's fulfillment status: pending/open/success/cancelled...
    service: str | None = None
    tracking_urls: tuple[str, ...] = ()
    name: str | None = None  # "#1001.1"

    @property
    def cancelled(self) -> bool:
        return self.status in ("cancelled", "error", "failure")

    def tracking_events(self) -> tuple[TrackingEvent, ...]:
        """The shipment status Shopify reports, as one event at ``updated_at``.

        Its id is (fulfillment, status): the same status sent again is the same event, a new
        status is a new one.
        """
        if self.shipment_status is None:
            return ()
        return (
            TrackingEvent(
                occurred_at=self.updated_at,
                status=self.shipment_status,
                substatus=self.substatus,
                carrier_code=self.raw_shipment_status,
                source=SOURCE,
                source_event_id=f"{self.fulfillment_id}:{self.raw_shipment_status}",
                recognised=self.recognised,
            ),
        )


# ------------------------------------------------------------------------------------------
# small readers; each error names the JSON path of the offending field
# ------------------------------------------------------------------------------------------


def _unwrap(payload: bytes | str | Mapping[str, Any], key: str) -> Mapping[str, Any]:
    data = load_json(payload)
    if not isinstance(data, Mapping):
        raise InvalidInput("body must be a JSON object", field="body")
    inner = data.get(key)
    if len(data) == 1 and isinstance(inner, Mapping):  # {"order": {...}} from the REST API
        return inner
    return data


def _id(value: object, field: str) -> str:
    if type(value) is int and value > 0:
        return str(value)
    if type(value) is str and value.strip():
        return value.strip()
    raise InvalidInput("required id is missing", field=field)


def _str(data: Mapping[str, Any], key: str, field: str | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise InvalidInput("must be a string", field=field or key)
    return value.strip() or None


def _time(data: Mapping[str, Any], key: str, field: str) -> datetime | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise InvalidInput("must be an ISO 8601 timestamp", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value[:40]!r} is not an ISO 8601 timestamp", field=field) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput("timestamp must include a time zone offset", field=field)
    return parsed.astimezone(UTC)


def _quantity(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidInput("quantity must be a non-negative integer", field=field)
    return value


def line_sku(item: Mapping[str, Any]) -> str:
    """The SKU, or a stable stand-in for lines without one (same rule for order and
    fulfillment lines, so they match)."""
    sku = item.get("sku")
    if type(sku) is str and sku.strip():
        return sku.strip()
    variant = item.get("variant_id")
    if variant not in (None, ""):
        return f"variant-{variant}"
    return f"line-{item.get('id')}"


def _amount(
    item: Mapping[str, Any], key: str, *, presentment: bool, field: str, fallback: str | None = None
) -> Decimal:
    if presentment:
        money_set = item.get(f"{key}_set")
        if fallback is not None and not isinstance(money_set, Mapping):
            money_set = item.get(f"{fallback}_set")
        if isinstance(money_set, Mapping) and isinstance(
            money_set.get("presentment_money"), Mapping
        ):
            return parse_amount(money_set["presentment_money"].get("amount"), field=field)
        raise InvalidInput("presentment amount is missing", field=f"{field}_set")
    value = item.get(key)
    if value is None and fallback is not None:
        value = item.get(fallback)
    if value is None:
        raise InvalidInput("amount is required", field=field)
    return parse_amount(value, field=field)


def _address(data: Mapping[str, Any], field: str) -> Address:
    def part(key: str) -> str | None:
        return _str(data, key, f"{field}.{key}")

    name = part("name")
    if name is None:
        joined = " ".join(p for p in (part("first_name"), part("last_name")) if p)
        name = joined or None
    try:
        return Address(
            country=part("country_code") or "",
            postal_code=part("zip"),
            region=part("province_code") or part("province"),
            city=part("city"),
            line1=part("address1"),
            line2=part("address2"),
            name=name,
            phone=part("phone"),
        )
    except InvalidInput as bad:
        key = {"country": "country_code"}.get(bad.field or "", bad.field)
        raise InvalidInput(bad.message, field=f"{field}.{key}") from None


def _destination(order: Mapping[str, Any]) -> Address:
    for key in ("shipping_address", "billing_address"):
        candidate = order.get(key)
        if isinstance(candidate, Mapping) and candidate.get("country_code"):
            return _address(candidate, key)
    customer = order.get("customer")
    if isinstance(customer, Mapping):
        default = customer.get("default_address")
        if isinstance(default, Mapping) and default.get("country_code"):
            return _address(default, "customer.default_address")
    shipping = order.get("shipping_address")
    if isinstance(shipping, Mapping):
        return _address(shipping, "shipping_address")  # raises on its missing country
    raise InvalidInput("the order has no shipping address", field="shipping_address")


def _customer_name(order: Mapping[str, Any], address: Address) -> str | None:
    if address.name:
        return address.name
    customer = order.get("customer")
    if isinstance(customer, Mapping):
        first = _str(customer, "first_name", "customer.first_name")
        last = _str(customer, "last_name", "customer.last_name")
        joined = " ".join(p for p in (first, last) if p)
        if joined:
            return joined
    return None


# ------------------------------------------------------------------------------------------
# orders
# ------------------------------------------------------------------------------------------


def parse_order(
    payload: bytes | str | Mapping[str, Any],
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> PlaceOrder:
    """A Shopify Order (``orders/create`` body) as a ``PlaceOrder``."""
    order = _unwrap(payload, "order")
    presentment = use_presentment_currency
    external_id = _id(order.get("id"), "id")
    currency_key = "presentment_currency" if presentment else "currency"
    raw_currency = order.get(currency_key)
    if type(raw_currency) is not str:
        raise InvalidInput("currency is required", field=currency_key)
    currency = parse_currency(raw_currency, field=currency_key)

    items = order.get("line_items")
    if type(items) is not list or not items:
        raise InvalidInput("an order needs at least one line item", field="line_items")
    lines: list[OrderLineInput] = []
    for i, item in enumerate(items):
        where = f"line_items[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput("must be an object", field=where)
        if item.get("requires_shipping") is False or item.get("gift_card") is True:
            continue
        quantity = _quantity(item.get("quantity"), f"{where}.quantity")
        if quantity == 0:
            continue  # removed by an order edit
        price = _amount(item, "price", presentment=presentment, field=f"{where}.price")
        grams = item.get("grams")
        title = _str(item, "name", f"{where}.name") or _str(item, "title", f"{where}.title")
        try:
            lines.append(
                OrderLineInput(
                    sku=line_sku(item),
                    name=title or line_sku(item),
                    quantity=quantity,
                    unit_price=Money(price, currency),
                    weight_grams=grams if type(grams) is int and grams >= 0 else None,
                )
            )
        except InvalidInput as bad:
            raise InvalidInput(bad.message, field=f"{where}.{bad.field}") from None
    if not lines:
        raise InvalidInput("no line item requires shipping", field="line_items")

    fee = Decimal(0)
    shipping_lines = order.get("shipping_lines") or []
    if type(shipping_lines) is not list:
        raise InvalidInput("must be an array", field="shipping_lines")
    for i, shipping in enumerate(shipping_lines):
        where = f"shipping_lines[{i}]"
        if not isinstance(shipping, Mapping):
            raise InvalidInput("must be an object", field=where)
        if shipping.get("is_removed") is True:
            continue
        fee += _amount(
            shipping,
            "discounted_price",
            presentment=presentment,
            field=f"{where}.discounted_price",
            fallback="price",
        )

    placed_at = _time(order, "created_at", "created_at") or _time(
        order, "processed_at", "processed_at"
    )
    if placed_at is None:
        raise InvalidInput("created_at is required", field="created_at")

    address = _destination(order)
    raw_customer = order.get("customer")
    customer: Mapping[str, Any] = raw_customer if isinstance(raw_customer, Mapping) else {}
    email = (
        _str(order, "email")
        or _str(order, "contact_email")
        or _str(customer, "email", "customer.email")
    )
    phone = _str(order, "phone") or address.phone or _str(customer, "phone", "customer.phone")
    number = _str(order, "name")
    if number is None and order.get("order_number") is not None:
        number = f"#{order['order_number']}"
    return PlaceOrder(
        merchant_id=merchant_id,
        external_id=external_id,
        number=number or external_id,
        email=email,
        phone=phone,
        customer_name=_customer_name(order, address),
        locale=_str(order, "customer_locale") or "en",
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        shipping_fee=Money(fee, currency),
        placed_at=placed_at,
        source=SOURCE,
    )


def parse_cancellation(payload: bytes | str | Mapping[str, Any]) -> CancelByExternalId:
    """An ``orders/cancelled`` body (a full Order with ``cancelled_at`` set)."""
    order = _unwrap(payload, "order")
    at = _time(order, "cancelled_at", "cancelled_at") or _time(order, "updated_at", "updated_at")
    if at is None:
        raise InvalidInput("cancelled_at is required", field="cancelled_at")
    return CancelByExternalId(
        external_id=_id(order.get("id"), "id"),
        reason=_str(order, "cancel_reason"),
        at=at,
    )


# ------------------------------------------------------------------------------------------
# fulfillments
# ------------------------------------------------------------------------------------------


def parse_fulfillment(payload: bytes | str | Mapping[str, Any]) -> ShopifyFulfillment:
    """A Shopify Fulfillment (``fulfillments/create`` and ``/update`` body)."""
    f = _unwrap(payload, "fulfillment")
    fulfillment_id = _id(f.get("id"), "id")
    order_id = _id(f.get("order_id"), "order_id")

    raw_numbers = f.get("tracking_numbers")
    if raw_numbers is None:
        single = f.get("tracking_number")
        raw_numbers = [single] if single else []
    if type(raw_numbers) is not list:
        raise InvalidInput("must be an array", field="tracking_numbers")
    numbers: list[str] = []
    for i, raw in enumerate(raw_numbers):
        if type(raw) is not str:
            raise InvalidInput("must be a string", field=f"tracking_numbers[{i}]")
        number = normalise_tracking_number(raw)
        if number and number not in numbers:
            numbers.append(number)

    raw_urls = f.get("tracking_urls")
    if raw_urls is None:
        single_url = f.get("tracking_url")
        raw_urls = [single_url] if single_url else []
    urls = tuple(u for u in raw_urls if type(u) is str and u) if type(raw_urls) is list else ()

    items = f.get("line_items") or []
    if type(items) is not list:
        raise InvalidInput("must be an array", field="line_items")
    lines: list[tuple[str, int]] = []
    for i, item in enumerate(items):
        where = f"line_items[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput("must be an object", field=where)
        quantity = _quantity(item.get("quantity"), f"{where}.quantity")
        if quantity:
            lines.append((line_sku(item), quantity))

    created_at = _time(f, "created_at", "created_at")
    if created_at is None:
        raise InvalidInput("created_at is required", field="created_at")
    updated_at = _time(f, "updated_at", "updated_at") or created_at

    company = _str(f, "tracking_company")
    raw_status = _str(f, "shipment_status")
    mapped = map_shopify_shipment_status(raw_status)
    return ShopifyFulfillment(
        order_external_id=order_id,
        fulfillment_id=fulfillment_id,
        tracking_numbers=tuple(numbers),
        tracking_company=company,
        line_items=tuple(lines),
        shipment_status=mapped.status if mapped else None,
        created_at=created_at,
        updated_at=updated_at,
        carrier=normalise_carrier(company),
        substatus=mapped.substatus if mapped else None,
        recognised=mapped.recognised if mapped else True,
        raw_shipment_status=raw_status.lower() if raw_status else None,
        status=_str(f, "status"),
        service=_str(f, "service"),
        tracking_urls=urls,
        name=_str(f, "name"),
    )


def parse_webhook(
    topic: str | None,
    payload: bytes | str | Mapping[str, Any],
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> PlaceOrder | CancelByExternalId | ShopifyFulfillment:
    """Dispatch on the ``X-Shopify-Topic`` header (verify the HMAC first)."""
    if topic == ORDERS_CREATE:
        return parse_order(
            payload, merchant_id=merchant_id, use_presentment_currency=use_presentment_currency
        )
    if topic == ORDERS_CANCELLED:
        return parse_cancellation(payload)
    if topic in (FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE):
        return parse_fulfillment(payload)
    supported = ", ".join(sorted(TOPICS))
    raise InvalidInput(f"unsupported topic {topic!r}; supported: {supported}", field=TOPIC_HEADER)
