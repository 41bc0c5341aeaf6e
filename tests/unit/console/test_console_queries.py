"""List filters are checked before any query runs; the pager's numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.console import Paged, parse_order_query
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import OrderStatus, ShipmentStatus


def test_a_full_query_parses() -> None:
    q = parse_order_query(
        {"q": "  #1001  ", "status": "shipped", "shipment": "in_transit", "carrier": "UPS",
         "from": "2026-11-01", "to": "2026-11-30", "page": "3"}
    )  # fmt: skip
    assert q.text == "#1001" and q.order_status is OrderStatus.SHIPPED
    assert q.shipment_status is ShipmentStatus.IN_TRANSIT and q.carrier == "ups"
    assert (q.placed_from, q.placed_to) == (date(2026, 11, 1), date(2026, 11, 30))
    assert q.page.offset == 50 and q.filtered
    assert not parse_order_query({}).filtered


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"shipment": "x"}, "shipment"),
        ({"carrier": "u-p-s"}, "carrier"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
        ({"page": "-1"}, "page"),
        ({"page": "10001"}, "page"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_malformed_parameters_name_themselves(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_order_query(params)
    assert err.value.field == field


@given(st.integers(1, 500), st.integers(0, 25), st.booleans())
def test_pager_numbers(number: int, shown: int, more: bool) -> None:
    p = Paged(number, 25, shown, more and shown == 25)
    assert p.previous == (number - 1 if number > 1 else None)
    assert (p.next is not None) == (more and shown == 25)
    assert p.last - p.first == max(shown - 1, 0) or shown == 0
