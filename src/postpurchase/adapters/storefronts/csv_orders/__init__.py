"""CSV order import (``postpurchase import orders FILE.csv``).

One row per order line; the rows of one order share its ``external_id`` and must be next to
each other (as store exports write them). The first row is the header. Column names are
matched case-insensitively, surrounding spaces ignored; unknown columns are refused so a
typo cannot silently drop data. The file is UTF-8 (a BOM is accepted), comma-separated,
quoted as RFC 4180.

Amounts ("money" below) are decimals with a dot, in the order's currency: ``1234.50``, never
negative; a comma (decimal or thousands), a currency sign or code is refused with the column
named rather than guessed at. Booleans are ``true``/``false``, ``yes``/``no`` or ``1``/``0``.

===================  ===  =====  ========================================================
column               req  level  meaning
===================  ===  =====  ========================================================
external_id          yes  order  the store's order id; re-importing the same id is a no-op
number                    order  the order number shown to the shopper (default: external_id)
placed_at            yes  order  ISO 8601 with offset, e.g. ``2026-11-17T09:03:55-05:00``
email                     order  shopper e-mail
phone                     order  shopper phone, E.164 preferred
customer_name             order  shopper name
locale                    order  e.g. ``en``, ``fr-CA`` (default ``en``)
currency             yes  order  ISO 4217 code, e.g. ``USD``; every amount is in it
sku                  yes  line   stock keeping unit (one line per sku in an order)
name                 yes  line   product name as the shopper saw it
quantity             yes  line   positive integer
unit_price           yes  line   money: the list price of one unit, before discounts
weight_grams              line   non-negative integer
line_discount             line   money: the discounts allocated to this line, all units
line_tax                  line   money: the tax on this line
line_id                   line   the store's line id (refunds and fulfilments name it)
product_id                line   the store's product id
variant_id                line   the store's variant id
variant_title             line   e.g. ``9 / Moss``
requires_shipping         line   boolean (default true); false for digital goods
gift_card                 line   boolean (default false)
shipping_fee              order  money: paid for shipping, after its discounts (default 0)
ship_country         yes  order  ISO 3166-1 alpha-2, e.g. ``US``
ship_postal_code          order  postal / ZIP code
ship_region               order  state / province code, e.g. ``KY``
ship_city                 order  city
ship_line1                order  street address
ship_name                 order  recipient name
promise_date              order  promised delivery date ``YYYY-MM-DD`` (latest date)
promise_earliest          order  start of a promised window ``YYYY-MM-DD`` (needs promise_date)
discount_code             order  the code the shopper typed
discount                  order  money: the order's discount in total, line discounts
                                 included (default: their sum); the part beyond them comes
                                 off the subtotal
tax                       order  money: the order's tax in total (default 0)
taxes_included            order  boolean (default false): prices include the tax
total                     order  money: what the shopper paid, kept exactly (default:
                                 lines - discount + shipping + tax unless included)
paid                      order  money: received so far (default: total)
shipping_method           order  the method's title, e.g. ``UPS Next Day Air`` (gives the
                                 service level the delivery-date engine uses)
billing_country           order  ISO 3166-1 alpha-2; needed when any billing column is given
billing_postal_code       order  billing postal / ZIP code
billing_region            order  billing state / province code
billing_city              order  billing city
billing_line1             order  billing street address
billing_name              order  billing name
note                      order  the shopper's note
tags                      order  tags separated by commas or semicolons: ``vip; wholesale``
financial_status          order  the store's, e.g. ``paid``, ``partially_refunded``
accepts_marketing         order  boolean: the shopper accepts marketing
===================  ===  =====  ========================================================

Order-level columns may be filled on every row of an order or only on its first row; a
value that differs from an earlier row of the same order is an error. The money is read as
the API reads it (:func:`postpurchase.domain.order_details.stated_totals`), so an order
imported here and the same order posted to ``/api/v1/orders`` show the same totals.

:func:`read_orders` yields one result per order, in file order: ``(line, PlaceOrder)`` for
a valid order (``line`` = its first line) or ``(line, message)`` for a rejected one
(``line`` = the first bad line; the message names the column and the order's lines). One
bad row rejects its whole order; other orders are unaffected. Problems with the file itself
(empty, header missing a required column, unknown column) raise ``InvalidInput`` before
anything is yielded. Memory stays bounded: one order's rows at a time (at most
:data:`MAX_ROWS_PER_ORDER`) plus the set of order ids already seen. :func:`count_rows` gives
the total for a progress bar; the ``progress`` callback reports data rows consumed.
"""

from __future__ import annotations

from postpurchase.adapters.storefronts.csv_orders.build import Result
from postpurchase.adapters.storefronts.csv_orders.columns import (
    COLUMNS,
    MAX_ROWS_PER_ORDER,
    REQUIRED,
    SOURCE,
)
from postpurchase.adapters.storefronts.csv_orders.reader import Source, count_rows, read_orders

__all__ = [
    "COLUMNS",
    "MAX_ROWS_PER_ORDER",
    "REQUIRED",
    "SOURCE",
    "Result",
    "Source",
    "count_rows",
    "read_orders",
]
