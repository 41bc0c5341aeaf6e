"""One order's rows -> a ``PlaceOrder`` with the same money and details the API would give it,
or the first problem found, naming its line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from postpurchase.adapters.storefronts.csv_orders.cells import Bad, Row
from postpurchase.adapters.storefronts.csv_orders.columns import (
    BILLING,
    MAX_ROWS_PER_ORDER,
    ORDER_LEVEL,
    SOURCE,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_currency, total
from postpurchase.domain.order_details import (
    Discount,
    OrderDetails,
    OrderTotals,
    service_level_of,
    stated_totals,
)
from postpurchase.domain.orders import LineFacts, OrderLineInput, Promise

Result = tuple[int, PlaceOrder | str]

_LOCALE: Final = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_TAG_SEPARATORS: Final = re.compile(r"[,;]")
MAX_ID: Final = 128  # the API's limits, so a CSV order is one the API would take too
MAX_TITLE: Final = 200
MAX_CODE: Final = 100
MAX_STATUS: Final = 40
MAX_TAG: Final = 100
MAX_TAGS: Final = 100


@dataclass(slots=True)
class Group:
    """The rows of one order as read: contiguous, sharing an ``external_id``."""

    external_id: str
    first_line: int
    last_line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    overflow: bool = False

    def add(self, line: int, row: list[str]) -> None:
        self.last_line = line
        if len(self.rows) >= MAX_ROWS_PER_ORDER:
            self.overflow = True
        else:
            self.rows.append((line, row))

    def lines(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


class _Order:
    """An order's rows and its order-level values, each read from the row that first gave it
    (so an error names that line); a later row giving a different value is an error."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.given: dict[str, Row] = {}
        for row in rows:
            for column in ORDER_LEVEL:
                value = row.raw(column)
                if not value:
                    continue
                first = self.given.get(column)
                if first is None:
                    self.given[column] = row
                elif first.raw(column) != value:
                    raise row.bad(
                        column,
                        f"{value!r} differs from {first.raw(column)!r} "
                        f"on line {first.line} of this order",
                    )

    def row(self, column: str) -> Row:
        return self.given.get(column, self.rows[0])

    def opt(self, column: str, *, max_length: int | None = None) -> str | None:
        return self.row(column).opt(column, max_length=max_length)

    def money(self, column: str, currency: str) -> Money | None:
        amount = self.row(column).amount(column)
        return None if amount is None else Money(amount, currency)

    def boolean(self, column: str) -> bool | None:
        return self.row(column).boolean(column)


def build(group: Group, index: dict[str, int], merchant_id: str, default_locale: str) -> Result:
    label = f"order {group.external_id!r}" if group.external_id else "row"
    try:
        return group.first_line, _command(group, index, merchant_id, default_locale)
    except Bad as bad:
        return bad.line, f"{label} ({group.lines()}) rejected: {bad.describe()}"
    except InvalidInput as bad:  # a domain rule we did not pre-check
        column = f", column {bad.field}" if bad.field else ""
        return group.first_line, (
            f"{label} ({group.lines()}) rejected: line {group.first_line}{column}: {bad.message}"
        )


def _command(
    group: Group, index: dict[str, int], merchant_id: str, default_locale: str
) -> PlaceOrder:
    if group.overflow:
        raise Bad(
            group.first_line, "external_id", f"more than {MAX_ROWS_PER_ORDER} rows in one order"
        )
    rows = [Row(line, cells, index) for line, cells in group.rows]
    for row in rows:
        if len(row.cells) > len(index):
            raise Bad(row.line, None, f"{len(row.cells)} fields, the header has {len(index)}")
    order = _Order(rows)

    currency_row = order.row("currency")
    try:
        currency = parse_currency(currency_row.req("currency"))
    except InvalidInput:
        raise currency_row.bad(
            "currency", f"{currency_row.raw('currency')!r} is not an ISO 4217 code"
        ) from None
    placed_at = order.row("placed_at").instant("placed_at")
    lines = _lines(rows, currency)
    shipping = order.money("shipping_fee", currency) or Money.zero(currency)
    discounts = _discounts(order, lines, currency)
    totals = _totals(order, lines, shipping, discounts)

    email_row = order.row("email")
    email = email_row.opt("email")
    if email is not None and ("@" not in email or " " in email):
        raise email_row.bad("email", f"{email!r} is not an e-mail address")

    locale_row = order.row("locale")
    locale = locale_row.opt("locale") or default_locale
    if not _LOCALE.match(locale):
        raise locale_row.bad("locale", f"{locale!r} is not a locale such as en or fr-CA")

    country_row = order.row("ship_country")
    try:
        address = Address(
            country=country_row.req("ship_country"),
            postal_code=order.opt("ship_postal_code"),
            region=order.opt("ship_region"),
            city=order.opt("ship_city"),
            line1=order.opt("ship_line1"),
            name=order.opt("ship_name"),
        )
    except InvalidInput as bad:
        raise country_row.bad("ship_country", bad.message) from None

    customer_name = order.opt("customer_name")
    return PlaceOrder(
        merchant_id=merchant_id,
        external_id=group.external_id,
        number=order.opt("number") or group.external_id,
        email=email,
        phone=order.opt("phone"),
        customer_name=customer_name,
        locale=locale,
        currency=currency,
        lines=lines,
        shipping_address=address,
        shipping_fee=shipping,
        placed_at=placed_at,
        promise=_promise(order),
        source=SOURCE,
        totals=totals,
        details=_details(order, customer_name, discounts),
    )


def _lines(rows: list[Row], currency: str) -> tuple[OrderLineInput, ...]:
    lines: list[OrderLineInput] = []
    skus: dict[str, int] = {}
    line_ids: dict[str, int] = {}
    for row in rows:
        sku = row.req("sku")
        if sku in skus:
            raise row.bad("sku", f"{sku!r} is also on line {skus[sku]} of this order")
        skus[sku] = row.line
        name = row.req("name")
        quantity = row.integer("quantity", minimum=1, required=True)
        price = row.amount("unit_price", required=True)
        assert quantity is not None and price is not None
        discount = row.amount("line_discount")
        if discount is not None and discount > price * quantity:
            raise row.bad(
                "line_discount",
                f"{discount} is more than the line's {price * quantity} ({quantity} x {price})",
            )
        tax = row.amount("line_tax")
        line_id = row.opt("line_id", max_length=MAX_ID)
        if line_id is not None:
            if line_id in line_ids:
                raise row.bad(
                    "line_id", f"{line_id!r} is also on line {line_ids[line_id]} of this order"
                )
            line_ids[line_id] = row.line
        requires_shipping = row.boolean("requires_shipping")
        facts = LineFacts(
            external_id=line_id,
            product_id=row.opt("product_id", max_length=MAX_ID),
            variant_id=row.opt("variant_id", max_length=MAX_ID),
            variant_title=row.opt("variant_title", max_length=MAX_TITLE),
            discount=None if discount is None else Money(discount, currency),
            tax=None if tax is None else Money(tax, currency),
            requires_shipping=True if requires_shipping is None else requires_shipping,
            gift_card=row.boolean("gift_card") or False,
        )
        lines.append(
            OrderLineInput(
                sku=sku,
                name=name,
                quantity=quantity,
                unit_price=Money(price, currency),
                weight_grams=row.integer("weight_grams", minimum=0),
                facts=facts,
            )
        )
    return tuple(lines)


def _discounts(
    order: _Order, lines: tuple[OrderLineInput, ...], currency: str
) -> tuple[Discount, ...]:
    """``discount`` is what the order's discount took off in total, line discounts included
    (as the API's ``discounts[].amount``); more than the lines carry comes off the subtotal.
    A code without an amount is credited with the line discounts."""
    code = order.opt("discount_code", max_length=MAX_CODE)
    amount_row = order.row("discount")
    amount = amount_row.amount("discount")
    if code is None and amount is None:
        return ()
    zero = Money.zero(currency)
    on_lines = total([li.facts.discount or zero for li in lines], currency).amount
    if amount is None:
        amount = on_lines
    elif amount < on_lines:
        raise amount_row.bad(
            "discount",
            f"{amount} is less than the line discounts ({on_lines}); it is the order's "
            "discount in total, line discounts included",
        )
    gross = total([li.unit_price * li.quantity for li in lines], currency).amount
    if amount > gross:
        raise amount_row.bad("discount", f"{amount} is more than the lines' total ({gross})")
    kind = "code" if code is not None else "manual"
    return (Discount(kind=kind, code=code, amount=Money(amount, currency)),)


def _totals(
    order: _Order,
    lines: tuple[OrderLineInput, ...],
    shipping: Money,
    discounts: tuple[Discount, ...],
) -> OrderTotals:
    currency = shipping.currency
    return stated_totals(
        lines, shipping, discounts,
        tax=order.money("tax", currency),
        taxes_included=order.boolean("taxes_included") or False,
        grand_total=order.money("total", currency),
        paid=order.money("paid", currency),
    )  # fmt: skip


def _promise(order: _Order) -> Promise | None:
    latest = order.row("promise_date").day("promise_date")
    earliest_row = order.row("promise_earliest")
    earliest = earliest_row.day("promise_earliest")
    if earliest is not None and latest is None:
        raise earliest_row.bad("promise_earliest", "needs promise_date (the end of the window)")
    if latest is None:
        return None
    try:
        return Promise(latest=latest, earliest=earliest)
    except InvalidInput as bad:
        raise earliest_row.bad("promise_earliest", bad.message) from None


def _details(
    order: _Order, customer_name: str | None, discounts: tuple[Discount, ...]
) -> OrderDetails:
    method = order.opt("shipping_method", max_length=MAX_TITLE)
    return OrderDetails(
        customer_name=customer_name,
        accepts_marketing=order.boolean("accepts_marketing"),
        billing_address=_billing(order),
        shipping_method=method,
        service_level=service_level_of(method),
        note=order.opt("note"),
        tags=_tags(order.row("tags")),
        financial_status=order.opt("financial_status", max_length=MAX_STATUS),
        discounts=discounts,
    )


def _billing(order: _Order) -> Address | None:
    given = [column for column in BILLING if order.opt(column)]
    if not given:
        return None
    country_row = order.row("billing_country")
    if not country_row.raw("billing_country"):
        raise order.row(given[0]).bad(
            "billing_country", f"required when {given[0]} is given (ISO 3166-1 alpha-2)"
        )
    try:
        return Address(
            country=country_row.raw("billing_country"),
            postal_code=order.opt("billing_postal_code"),
            region=order.opt("billing_region"),
            city=order.opt("billing_city"),
            line1=order.opt("billing_line1"),
            name=order.opt("billing_name"),
        )
    except InvalidInput as bad:
        raise country_row.bad("billing_country", bad.message) from None


def _tags(row: Row) -> tuple[str, ...]:
    """Comma- or semicolon-separated; blanks dropped, repeats kept once, order kept."""
    tags: dict[str, None] = {}
    for part in _TAG_SEPARATORS.split(row.raw("tags")):
        tag = part.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise row.bad("tags", f"tag {tag[:20]!r}... is longer than {MAX_TAG} characters")
        tags[tag] = None
    if len(tags) > MAX_TAGS:
        raise row.bad("tags", f"more than {MAX_TAGS} tags")
    return tuple(tags)
