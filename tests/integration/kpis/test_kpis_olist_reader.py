"""The Olist reader: what becomes of each status, row and file, on files written here."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from tests.integration.kpis.olist_files import (
    CUSTOMER_COLUMNS,
    CUSTOMERS,
    ORDER_COLUMNS,
    ORDERS,
    REVIEW_COLUMNS,
    REVIEWS,
    order_row,
    write_csv,
)

from postpurchase.adapters.kpis import OlistKpiInputError, read_olist
from postpurchase.domain.kpis import OrderState

STATUSES = {
    "delivered": OrderState.DELIVERED,
    "canceled": OrderState.VOID,
    "unavailable": OrderState.VOID,
    "created": OrderState.OPEN,
    "approved": OrderState.OPEN,
    "invoiced": OrderState.OPEN,
    "processing": OrderState.OPEN,
    "shipped": OrderState.OPEN,
}


def make(directory: Path, orders: list[tuple[str, ...]], *, gz: bool = False) -> Path:
    customers = [(o[1], f"u-{o[1]}", "01001", "sao paulo", "SP") for o in orders]
    write_csv(directory, ORDERS, ORDER_COLUMNS, orders, gz=gz)
    write_csv(directory, CUSTOMERS, CUSTOMER_COLUMNS, customers, gz=gz)
    write_csv(directory, REVIEWS, REVIEW_COLUMNS, [], gz=gz)
    return directory


def test_every_olist_status_has_its_meaning(tmp_path: Path) -> None:
    rows = [
        order_row(f"o-{status}", f"c-{status}", status, "2017-03-01 10:00:00")
        for status in [*STATUSES, "lost_in_space"]
    ]
    data = read_olist(make(tmp_path, rows))
    states = {o.order_id: o.state for o in data.orders}
    assert states == {f"o-{k}": v for k, v in STATUSES.items()} | {
        "o-lost_in_space": OrderState.OPEN
    }
    assert data.report.unknown_statuses == {"lost_in_space": 1}
    assert "unknown order_status" in "\n".join(data.report.notes())


def test_times_are_sao_paulo_and_the_promise_is_a_date(tmp_path: Path) -> None:
    rows = [
        order_row(
            "o1", "c1", "delivered", "2017-07-09 21:57:05", "2017-07-26 10:57:55",
            "2017-08-01 00:00:00",
        ),
        order_row("o2", "c2", "delivered", "2017-07-09 21:57", "", "2017-08-01 00:00:00"),
    ]  # fmt: skip
    data = read_olist(make(tmp_path, rows, gz=True))
    first, second = data.orders
    assert str(first.purchased_at) == "2017-07-09 21:57:05-03:00"
    assert first.promised_on is not None and first.promised_on.isoformat() == "2017-08-01"
    assert first.customer_key == "u-c1"
    assert second.purchased_at.second == 0 and second.delivered_at is None  # minutes only
    assert not second.is_delivered


def test_reviews_join_their_order_and_bad_rows_are_counted(tmp_path: Path) -> None:
    rows = [
        order_row("o1", "c1", "delivered", "2017-03-01 10:00:00", "2017-03-05 10:00:00",
                  "2017-03-10 00:00:00"),
        order_row("o2", "c2", "delivered", "yesterday", "", ""),
        order_row("o3", "c3", "delivered", "2017-03-05 10:00:00", "2017-03-01 10:00:00", ""),
        order_row("o1", "c1", "canceled", "2017-03-01 10:00:00"),
        order_row("o4", "ghost", "shipped", "2017-03-01 10:00:00"),
        ("o5", "c5", "shipped"),
    ]  # fmt: skip
    make(tmp_path, rows)
    reviews = [
        ("r1", "o1", "5", "", "", "", ""),
        ("r2", "o1", "2", "", "", "", ""),
        ("r3", "o1", "five", "", "", "", ""),
        ("r4", "o1", "9", "", "", "", ""),
        ("r5", "o-elsewhere", "4", "", "", "", ""),
    ]
    write_csv(tmp_path, REVIEWS, REVIEW_COLUMNS, reviews)
    customers = [(c, f"u-{c}", "", "", "") for c in ("c1", "c2", "c3", "c5")]
    write_csv(tmp_path, CUSTOMERS, CUSTOMER_COLUMNS, customers)
    data = read_olist(tmp_path)
    assert [o.order_id for o in data.orders] == ["o1", "o4"]
    assert data.orders[0].review_scores == (5.0, 2.0)
    assert data.orders[1].customer_key is None
    report = data.report
    assert dict(report.skipped) == {
        "olist_order_reviews_dataset.csv: review_score not a whole number 1-5": 2,
        "olist_orders_dataset.csv: unreadable timestamp": 1,
        "olist_orders_dataset.csv: delivered before it was purchased": 1,
        "olist_orders_dataset.csv: order_id seen before": 1,
        "olist_orders_dataset.csv: wrong number of columns": 1,
    }
    assert report.orders_without_customer == 1
    assert report.reviews_without_order == 1
    assert report.rows[ORDERS] == 5  # the short row never became a row
    notes = "\n".join(report.notes())
    assert "skipped 6 row(s)" in notes and "line 3: unreadable timestamp" in notes


def test_progress_reaches_the_size_of_all_files(tmp_path: Path) -> None:
    rows = [order_row(f"o{i}", f"c{i}", "shipped", "2017-03-01 10:00:00") for i in range(5000)]
    make(tmp_path, rows, gz=True)
    seen: list[tuple[int, int]] = []
    read_olist(tmp_path, progress=lambda done, total: seen.append((done, total)))
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert len(seen) > 3 and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_plain_csv_is_preferred_when_both_exist(tmp_path: Path) -> None:
    make(tmp_path, [order_row("gz", "c", "shipped", "2017-03-01 10:00:00")], gz=True)
    write_csv(tmp_path, ORDERS, ORDER_COLUMNS, [order_row("plain", "c", "shipped", "2017-03-01")])
    assert [o.order_id for o in read_olist(tmp_path).orders] == ["plain"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / f"{REVIEWS}.csv").unlink(), "olist_order_reviews_dataset.csv (or .csv.gz) "
         "not found"),
        (lambda d: (d / f"{ORDERS}.csv").write_text("order_id,customer_id\n1,2\n"),
         "olist_orders_dataset.csv: missing column(s) order_status, order_purchase_timestamp"),
        (lambda d: (d / f"{CUSTOMERS}.csv").write_text(""), "empty file (no header row)"),
        (lambda d: (d / f"{ORDERS}.csv").write_bytes(b"order_id\n\xff\xfe\n"), "not UTF-8"),
    ],
)  # fmt: skip
def test_unusable_files_raise_one_message(tmp_path: Path, damage: object, message: str) -> None:
    make(tmp_path, [order_row("o", "c", "shipped", "2017-03-01 10:00:00")])
    damage(tmp_path)  # type: ignore[operator]
    with pytest.raises(OlistKpiInputError) as caught:
        read_olist(tmp_path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("what", ["not gzip", "truncated"])
def test_a_broken_gzip_is_an_error_not_a_shorter_file(tmp_path: Path, what: str) -> None:
    rows = [order_row(f"o{i}", f"c{i}", "shipped", "2017-03-01 10:00:00") for i in range(3000)]
    make(tmp_path, rows, gz=True)
    path = tmp_path / f"{ORDERS}.csv.gz"
    whole = path.read_bytes()
    path.write_bytes(b"plain text, named .gz" if what == "not gzip" else whole[: len(whole) // 2])
    with pytest.raises(
        OlistKpiInputError, match=r"olist_orders_dataset\.csv\.gz: not a readable gzip"
    ):
        read_olist(tmp_path)
    assert gzip.decompress(whole)  # the original was fine: the damage is what is refused
