"""The columns a CSV order import knows, which are required, and the header that names them."""

from __future__ import annotations

from typing import Final

from postpurchase.domain.errors import InvalidInput

SOURCE: Final = "csv"

LINE_COLUMNS: Final = (
    "sku",
    "name",
    "quantity",
    "unit_price",
    "weight_grams",
    "line_discount",
    "line_tax",
    "line_id",
    "product_id",
    "variant_id",
    "variant_title",
    "requires_shipping",
    "gift_card",
)

COLUMNS: Final = (
    "external_id",
    "number",
    "placed_at",
    "email",
    "phone",
    "customer_name",
    "locale",
    "currency",
    *LINE_COLUMNS,
    "shipping_fee",
    "ship_country",
    "ship_postal_code",
    "ship_region",
    "ship_city",
    "ship_line1",
    "ship_name",
    "promise_date",
    "promise_earliest",
    "discount_code",
    "discount",
    "tax",
    "taxes_included",
    "total",
    "paid",
    "shipping_method",
    "billing_country",
    "billing_postal_code",
    "billing_region",
    "billing_city",
    "billing_line1",
    "billing_name",
    "note",
    "tags",
    "financial_status",
    "accepts_marketing",
)
REQUIRED: Final = frozenset(
    {
        "external_id",
        "placed_at",
        "currency",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "ship_country",
    }
)
LINE_LEVEL: Final = frozenset(LINE_COLUMNS)
ORDER_LEVEL: Final = tuple(c for c in COLUMNS if c not in LINE_LEVEL and c != "external_id")
BILLING: Final = (
    "billing_country",
    "billing_postal_code",
    "billing_region",
    "billing_city",
    "billing_line1",
    "billing_name",
)

MAX_ROWS_PER_ORDER: Final = 1000
MAX_CELL: Final = 1000


def parse_header(row: list[str]) -> dict[str, int]:
    """Column name -> position; unknown, unnamed, repeated or missing required columns fail."""
    index: dict[str, int] = {}
    known = set(COLUMNS)
    for i, raw in enumerate(row):
        name = raw.strip().lower()
        if not name:
            raise InvalidInput(f"column {i + 1} of the header has no name", field="header")
        if name not in known:
            raise InvalidInput(
                f"unknown column {raw.strip()!r}; expected columns: {', '.join(COLUMNS)}",
                field=name,
            )
        if name in index:
            raise InvalidInput(f"column {name!r} appears twice in the header", field=name)
        index[name] = i
    missing = [c for c in COLUMNS if c in REQUIRED and c not in index]
    if missing:
        raise InvalidInput(f"required column(s) missing: {', '.join(missing)}", field=missing[0])
    return index
