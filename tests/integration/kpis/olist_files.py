"""Write Olist-format files (plain or gzipped) for the KPI reader and CLI tests."""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "customer_unique_id",
    "customer_zip_code_prefix",
    "customer_city",
    "customer_state",
)
REVIEW_COLUMNS = (
    "review_id",
    "order_id",
    "review_score",
    "review_comment_title",
    "review_comment_message",
    "review_creation_date",
    "review_answer_timestamp",
)
ORDERS = "olist_orders_dataset"
CUSTOMERS = "olist_customers_dataset"
REVIEWS = "olist_order_reviews_dataset"

# The shared real data (see its README); CI without it skips the tests that need it.
SHARED_OLIST = Path(
    os.environ.get(
        "POSTPURCHASE_TEST_OLIST_DIR",
        Path(__file__).resolve().parents[3].parent / "shared" / "data" / "olist",
    )
)


def write_csv(
    directory: Path,
    stem: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    gz: bool = False,
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = directory / f"{stem}.csv{'.gz' if gz else ''}"
    data = buffer.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def order_row(
    order_id: str,
    customer_id: str,
    status: str,
    bought: str,
    delivered: str = "",
    promised: str = "",
) -> tuple[str, ...]:
    return (order_id, customer_id, status, bought, "", "", delivered, promised)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)
