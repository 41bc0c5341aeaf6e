"""Shopify webhooks (``POST /webhooks/shopify/{merchant}``) into domain commands.

Topics and what they translate to (``parse_webhook`` dispatches on ``X-Shopify-Topic``):

* ``orders/create``, ``orders/updated``, ``orders/cancelled`` -> :class:`PlaceOrder`, a
  complete snapshot of the REST Admin API Order: ``source_updated_at`` (``updated_at``)
  makes the handler revise an order it holds when the snapshot is newer; ``cancelled_at``
  and ``cancel_reason`` cancel it (or create it cancelled). ``parse_cancellation`` still
  gives a bare :class:`CancelByExternalId`.
* ``refunds/create`` -> :class:`RecordRefund` (see ``refunds``).
* ``fulfillments/create``, ``fulfillments/update`` -> :class:`ShopifyFulfillment`, keyed by
  Shopify's order id (the caller finds the order and creates or updates its shipments).

Layout: ``topics`` (topic and header names), ``read`` (JSON readers that name the JSON path
of any bad field, ids, currencies, money), ``orders`` (lines, details), ``order_money``
(totals, paid, discounts, shipping and tax lines), ``refunds``, ``fulfillments``,
``webhook`` (the dispatch).

Choices worth knowing:

* Ids: a REST id (``450789469``) and a GraphQL id (``gid://shopify/Order/450789469``) are
  the same id, for orders, line items, refunds, fulfilments, products and variants, so a
  backfill over GraphQL never duplicates an order a webhook created. A gid of another
  resource type is refused.
* Money is the shop currency (``currency``, plain amounts such as ``price``) unless
  ``use_presentment_currency`` is set: then every amount is ``*_set.presentment_money``
  and the currency is ``presentment_currency``. Amounts are Decimal strings; a JSON number
  is refused (floats are inexact). A currency no ISO 4217 list has is refused, with its
  field. The other currency is kept in ``details.presentment_currency`` and
  ``presentment_total`` when the two differ.
* Totals are the order as placed and edited, before refunds: ``subtotal_price``,
  ``total_discounts``, ``total_tax``, ``taxes_included``, ``total_price``, and shipping as
  the sum of the ``shipping_lines[].discounted_price`` (lines Shopify marks ``is_removed``
  left out; ``total_shipping_price_set`` when a payload has no ``shipping_lines``). The
  ``current_*`` amounts are not stored: they subtract refunds, which arrive as
  ``refunds/create`` and are recorded apart, so storing them would count refunds twice.
  A payload without ``total_price`` leaves ``totals`` None (derived from the lines).
* Paid is what the store received, refunds not taken off: Shopify's ``total_outstanding``
  is owed on the *current* total, so paid = ``current_total_price - total_outstanding`` +
  what the order's ``refunds[]`` gave back (``total_price - total_outstanding`` when there
  is no ``current_total_price``), never below 0. The reference order (181.09, a 50.00 sale
  transaction, 131.09 outstanding) has paid 50.00. Without ``total_outstanding``: the whole
  total when ``financial_status`` is ``paid``, ``partially_refunded`` or ``refunded``, else
  0 (``partially_paid`` alone says not how much). In presentment mode Shopify gives
  ``total_outstanding`` in shop money only: it is converted in proportion to the two
  ``total_price`` amounts (exact at 0 and at the whole total).
* Lines: all of them, gift cards and lines that need no shipping included (their facts say
  ``gift_card`` / ``requires_shipping: false``; no shipment waits for them). ``unit_price``
  is the list price (``price``), the line's discount the sum of its ``discount_allocations``
  and its tax the sum of its ``tax_lines``. Order edits: Shopify keeps ``quantity`` as
  ordered and lowers ``current_quantity``; a line carries ``current_quantity`` while it is
  above 0, and one edited down to 0 is kept with its ordered quantity and ``removed`` set.
  Only a line with ``quantity`` 0 is dropped. An order with no line that requires shipping
  is refused (``line_items``).
* A line without a SKU gets ``variant-<variant_id>`` (or ``line-<id>``); fulfilment and
  refund lines use the same rule, and carry Shopify's line id to match on first.
* Discounts: one per ``discount_applications`` entry (kind ``code`` / ``automatic`` /
  ``manual`` / ``script``; the code, else the title; the amount is the sum of its
  allocations over lines and shipping lines; target lines or shipping; value and
  value_type as stated). An application a ``discount_codes`` entry names is of kind
  ``code`` (Shopify files codes applied through the API as manual); codes no application
  names are added with ``discount_codes[].amount``.
* Details: the customer's name (``customer`` first and last name, else the billing name),
  marketing consent (``customer.email_marketing_consent.state == "subscribed"``, else
  ``buyer_accepts_marketing``), billing address, the shipping method (the first shipping
  line's title, and its service level), note, note attributes, tags (the comma-separated
  string split), financial and fulfilment status, shipping and tax lines, and
  ``extra["admin_graphql_api_id"]``.
* The destination is ``shipping_address``; pickup orders without one fall back to the billing
  address, then the customer's default address.
* Fulfilments: tracking numbers are normalised (upper case, no spaces or dashes); the
  carrier is our slug for ``tracking_company``, else the carrier a tracking URL's host
  names (``tracking_company: null`` with a ups.com link is UPS), else None (the shipment's
  creation detects it from the number). Every tracking URL is kept (``tracking_urls[n]``
  is number n's when Shopify pairs them), with ``location_id``, ``name`` and ``service``;
  ``lines`` keep Shopify's line id, SKU, quantity and title (``line_items`` keeps the older
  (sku, quantity) pairs), and lines with SKUs the order does not know are parsed.
"""

from postpurchase.adapters.storefronts.shopify.fulfillments import (
    FulfillmentLine,
    ShopifyFulfillment,
    parse_fulfillment,
)
from postpurchase.adapters.storefronts.shopify.orders import (
    CancelByExternalId,
    parse_cancellation,
    parse_order,
)
from postpurchase.adapters.storefronts.shopify.read import line_sku, shopify_id
from postpurchase.adapters.storefronts.shopify.refunds import parse_refund
from postpurchase.adapters.storefronts.shopify.topics import (
    FULFILLMENTS_CREATE,
    FULFILLMENTS_UPDATE,
    ORDERS_CANCELLED,
    ORDERS_CREATE,
    ORDERS_UPDATED,
    REFUNDS_CREATE,
    SHOP_DOMAIN_HEADER,
    SOURCE,
    TOPIC_HEADER,
    TOPICS,
    WEBHOOK_ID_HEADER,
)
from postpurchase.adapters.storefronts.shopify.webhook import parse_webhook

__all__ = [
    "FULFILLMENTS_CREATE",
    "FULFILLMENTS_UPDATE",
    "ORDERS_CANCELLED",
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "REFUNDS_CREATE",
    "SHOP_DOMAIN_HEADER",
    "SOURCE",
    "TOPICS",
    "TOPIC_HEADER",
    "WEBHOOK_ID_HEADER",
    "CancelByExternalId",
    "FulfillmentLine",
    "ShopifyFulfillment",
    "line_sku",
    "parse_cancellation",
    "parse_fulfillment",
    "parse_order",
    "parse_refund",
    "parse_webhook",
    "shopify_id",
]
