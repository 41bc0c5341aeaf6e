"""WooCommerce: orders from REST API v3 and webhooks, into the same domain commands as
Shopify's and the CSV import's.

Layout: ``topics`` (topics and headers), ``read`` (JSON readers naming the JSON path of a
bad field; ids, ``*_gmt`` times, amounts), ``money`` (totals, discounts, shipping and tax
lines), ``orders`` (the ``PlaceOrder`` snapshot), ``refunds``, ``tracking`` (tracking
numbers from shipment-tracking plugins), ``webhook`` (the dispatch and the ping).

Choices worth knowing:

* Ids are WooCommerce's integers, as text. A webhook and a REST page give the same JSON, so
  backfill and webhooks converge on one order (the store's order id is ``external_id``).
* Times are the ``*_gmt`` fields (UTC; WooCommerce gives them without an offset). An order
  snapshot is stamped with ``date_modified_gmt``: a known order is revised only by a newer
  one, so deliveries in any order end in the newest state.
* Money: amounts are decimal strings in ``currency``; a JSON float is refused. Lines are at
  list price (``subtotal`` / quantity) with their discount (``subtotal - total``) and tax
  (``total_tax``); with ``prices_include_tax`` the shopper saw prices with tax, and list
  prices, discounts, shipping and the subtotal include it (``taxes_included``). A list price
  that does not divide by the quantity is rounded up to the minor unit, the difference
  booked as discount, so the line still adds up to what the store charged. The total, tax
  and discount totals are WooCommerce's own. Paid: the total once WooCommerce has the money
  (``date_paid_gmt``, or status processing, completed, refunded), else 0.
* Coupons (``coupon_lines``) are discounts of kind ``code``; negative fees are manual
  discounts; positive fees (gift wrap, a surcharge) are lines that need no shipping.
* Lines without a SKU get ``variation-<id>``, ``product-<id>`` or ``line-<id>``; every
  line is kept whether or not our catalogue knows its SKU. Line meta shown to shoppers
  (keys without a leading ``_``) are the line's properties, the variation's values its
  variant title; the order's such meta are note attributes.
* Status: ``cancelled`` and ``trash`` cancel the order (kept, with its history);
  ``order.deleted`` (a body of just ``{"id"}``) cancels it too. ``failed``, ``pending`` and
  ``on-hold`` are orders not paid yet; ``completed`` is fulfilled as far as the store goes.
* Refunds come inside ``order.updated`` (``refunds: [{id, reason, total}]``), recorded once
  each by id (``refunds``).
* Tracking numbers come from the meta of shipment-tracking plugins (``tracking``).
* The locale is WPML's or Polylang's language meta when present, else ``en``.
"""

from postpurchase.adapters.storefronts.woocommerce.orders import parse_order
from postpurchase.adapters.storefronts.woocommerce.refunds import order_refunds, parse_refund
from postpurchase.adapters.storefronts.woocommerce.topics import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE,
    SUBSCRIBED,
    TOPIC_HEADER,
    TOPICS,
    WEBHOOK_ID_HEADER,
)
from postpurchase.adapters.storefronts.woocommerce.tracking import fulfillments
from postpurchase.adapters.storefronts.woocommerce.webhook import (
    is_ping,
    order_commands,
    parse_webhook,
)

__all__ = [
    "DELIVERY_ID_HEADER",
    "SIGNATURE_HEADER",
    "SOURCE",
    "SUBSCRIBED",
    "TOPICS",
    "TOPIC_HEADER",
    "WEBHOOK_ID_HEADER",
    "fulfillments",
    "is_ping",
    "order_commands",
    "order_refunds",
    "parse_order",
    "parse_refund",
    "parse_webhook",
]
