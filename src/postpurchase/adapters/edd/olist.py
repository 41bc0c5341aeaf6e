"""Read Olist-format CSVs (as Olist publishes them, plain or ``.csv.gz``) into records.

Only the orders and customers files are required. Items, sellers, products, payments and
geolocation add features when present. Rows that cannot be read (bad timestamps, delivery
before purchase, wrong column count) are counted and reported, never fatal: one broken
row must not stop a merchant's import, and a silent skip would hide a data problem.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.domain.edd.geo import Point, Precision

ORDERS = "olist_orders_dataset"
CUSTOMERS = "olist_customers_dataset"
ITEMS = "olist_order_items_dataset"
SELLERS = "olist_sellers_dataset"
PRODUCTS = "olist_products_dataset"
PAYMENTS = "olist_order_payments_dataset"
GEOLOCATION = "olist_geolocation_dataset"

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    ORDERS: (
        "order_id",
        "customer_id",
        "order_status",
        "order_purchase_timestamp",
        "order_delivered_customer_date",
    ),
    CUSTOMERS: ("customer_id", "customer_zip_code_prefix", "customer_state"),
    ITEMS: ("order_id", "product_id", "seller_id"),
    SELLERS: ("seller_id", "seller_zip_code_prefix", "seller_state"),
    PRODUCTS: ("product_id",),
    PAYMENTS: ("order_id", "payment_type"),
    GEOLOCATION: ("geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng"),
}
REQUIRED_FILES = (ORDERS, CUSTOMERS)
MAX_EXAMPLES = 5


class OlistInputError(ValueError):
    """The directory cannot be used at all (a required file or column is missing)."""


@dataclass(slots=True)
class LoadReport:
    """What was read, what was skipped and why: printed by the CLI, asserted by tests."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    def skip(self, file: str, line: int, reason: str) -> None:
        self.skipped[f"{file}: {reason}"] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{file} line {line}: {reason}")

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        parts = [f"{sum(self.rows.values())} rows read"]
        if self.skipped_total:
            reasons = ", ".join(f"{k} x{v}" for k, v in sorted(self.skipped.items()))
            parts.append(f"{self.skipped_total} skipped ({reasons})")
        if self.missing_files:
            parts.append("not found (optional): " + ", ".join(self.missing_files))
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ZipCentroids:
    """Mean coordinates per Olist zip prefix (from the geolocation file, when shipped)."""

    points: dict[str, tuple[float, float]]

    def locate(self, country: str, postal_code: str) -> Point | None:
        if country != "BR":
            return None
        found = self.points.get(postal_code[:5])
        return Point(found[0], found[1], Precision.POSTAL) if found else None


@dataclass(slots=True)
class OlistData:
    records: list[DeliveredShipmentRecord]
    report: LoadReport
    centroids: ZipCentroids | None = None


def _find(directory: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.gz"):
        candidate = directory / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _rows(directory: Path, stem: str, report: LoadReport) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) for one file; a missing required column makes the file unusable."""
    path = _find(directory, stem)
    if path is None:
        if stem in REQUIRED_FILES:
            raise OlistInputError(f"{stem}.csv (or .csv.gz) not found in {directory}")
        report.missing_files.append(stem)
        return
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            header = []
        except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
            raise OlistInputError(f"{path.name}: unreadable ({exc})") from exc
        missing = [c for c in REQUIRED_COLUMNS[stem] if c not in header]
        if missing:
            if stem in REQUIRED_FILES:
                raise OlistInputError(f"{path.name}: missing column(s) {', '.join(missing)}")
            report.missing_files.append(f"{stem} (missing column {', '.join(missing)})")
            return
        count = 0
        line = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                line += 1
                report.skip(path.name, line, f"unparseable row ({exc.__class__.__name__})")
                continue
            except (OSError, EOFError):
                report.skip(path.name, line + 1, "file truncated")
                break
            line = reader.line_num
            if not values:
                continue
            if len(values) != len(header):
                report.skip(path.name, line, "wrong number of columns")
                continue
            count += 1
            yield line, dict(zip(header, values, strict=True))
        report.rows[stem] = count


def _ts(value: str) -> datetime | None:
    """Olist timestamps are São Paulo local time without an offset; attach it."""
    value = value.strip()
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=SAO_PAULO) if parsed.tzinfo is None else parsed


def _float(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


@dataclass(slots=True)
class _OrderItems:
    seller_id: str | None = None
    first_item: int = 10**9
    items: int = 0
    value: float = 0.0
    freight: float = 0.0
    weight: float = 0.0
    weight_known: bool = False
    volume: float = 0.0
    volume_known: bool = False
    sellers: set[str] = field(default_factory=set)
    deadline: datetime | None = None


def load_olist(directory: Path | str) -> OlistData:
    """Delivered orders of an Olist-format directory as records, plus a report of the rest."""
    directory = Path(directory)
    if not directory.is_dir():
        raise OlistInputError(f"{directory} is not a directory")
    report = LoadReport()

    customers: dict[str, tuple[str, str]] = {}
    for _, row in _rows(directory, CUSTOMERS, report):
        customers[row["customer_id"]] = (
            row["customer_zip_code_prefix"].strip(),
            row["customer_state"].strip().upper(),
        )
    sellers: dict[str, tuple[str, str]] = {}
    for _, row in _rows(directory, SELLERS, report):
        sellers[row["seller_id"]] = (
            row["seller_zip_code_prefix"].strip(),
            row["seller_state"].strip().upper(),
        )
    products: dict[str, tuple[float | None, float | None]] = {}
    for _, row in _rows(directory, PRODUCTS, report):
        dims = [
            _float(row.get(k))
            for k in ("product_length_cm", "product_height_cm", "product_width_cm")
        ]
        volume = (
            None if any(d is None for d in dims) else math.prod(d for d in dims if d is not None)
        )
        products[row["product_id"]] = (_float(row.get("product_weight_g")), volume)

    items: dict[str, _OrderItems] = defaultdict(_OrderItems)
    for line, row in _rows(directory, ITEMS, report):
        agg = items[row["order_id"]]
        try:
            number = int(row.get("order_item_id") or agg.items + 1)
        except ValueError:
            report.skip(ITEMS, line, "bad order_item_id")
            continue
        agg.items += 1
        agg.value += _float(row.get("price")) or 0.0
        agg.freight += _float(row.get("freight_value")) or 0.0
        agg.sellers.add(row["seller_id"])
        if number < agg.first_item:
            agg.first_item, agg.seller_id = number, row["seller_id"]
        weight, volume = products.get(row["product_id"], (None, None))
        if weight is not None:
            agg.weight, agg.weight_known = agg.weight + weight, True
        if volume is not None:
            agg.volume, agg.volume_known = agg.volume + volume, True
        try:
            deadline = _ts(row.get("shipping_limit_date") or "")
        except ValueError:
            deadline = None
        if deadline is not None and (agg.deadline is None or deadline > agg.deadline):
            agg.deadline = deadline

    slips: set[str] = set()
    paid: set[str] = set()
    for _, row in _rows(directory, PAYMENTS, report):
        paid.add(row["order_id"])
        if row["payment_type"].strip() == "boleto":
            slips.add(row["order_id"])

    centroids = _centroids(directory, report)

    records: list[DeliveredShipmentRecord] = []
    for line, row in _rows(directory, ORDERS, report):
        if row["order_status"].strip() != "delivered":
            continue
        record = _record(row, line, customers, sellers, items, slips, paid, report)
        if record is not None:
            records.append(record)
    records.sort(key=lambda r: (r.ordered_at, r.record_id))
    return OlistData(records, report, centroids)


def _record(
    row: dict[str, str],
    line: int,
    customers: dict[str, tuple[str, str]],
    sellers: dict[str, tuple[str, str]],
    items: dict[str, _OrderItems],
    slips: set[str],
    paid: set[str],
    report: LoadReport,
) -> DeliveredShipmentRecord | None:
    try:
        ordered = _ts(row["order_purchase_timestamp"])
        delivered = _ts(row["order_delivered_customer_date"])
        handed = _ts(row.get("order_delivered_carrier_date") or "")
        quoted = _ts(row.get("order_estimated_delivery_date") or "")
    except ValueError:
        report.skip(ORDERS, line, "unreadable timestamp")
        return None
    if ordered is None:
        report.skip(ORDERS, line, "no purchase time")
        return None
    if delivered is None:
        return None  # delivered status without a date: nothing to learn or score
    if delivered < ordered:
        report.skip(ORDERS, line, "delivered before purchase")
        return None
    if handed is not None and not ordered <= handed <= delivered:
        handed = None  # a carrier date outside the order's life is noise, not a fact
    customer = customers.get(row["customer_id"])
    if customer is None:
        report.skip(ORDERS, line, "unknown customer")
        return None
    order_id = row["order_id"]
    agg = items.get(order_id)
    seller = sellers.get(agg.seller_id) if agg and agg.seller_id else None
    extras: dict[str, float] = {}
    if agg is not None:
        extras["order_value"] = agg.value
        extras["freight_value"] = agg.freight
        extras["items"] = float(agg.items)
        extras["sellers"] = float(len(agg.sellers))
        if agg.deadline is not None:
            extras["handling_deadline_days"] = (agg.deadline - ordered).total_seconds() / 86400
    if order_id in paid:
        extras["pays_by_bank_slip"] = 1.0 if order_id in slips else 0.0
    return DeliveredShipmentRecord(
        record_id=order_id,
        ordered_at=ordered,
        delivered_at=delivered,
        destination_country="BR",
        destination_postal_code=customer[0] or None,
        destination_region=customer[1] or None,
        origin_country="BR" if seller else None,
        origin_postal_code=seller[0] if seller else None,
        origin_region=seller[1] if seller else None,
        origin_id=agg.seller_id if agg else None,
        carrier=None,
        service=None,
        weight_grams=agg.weight if agg and agg.weight_known else None,
        volume_cm3=agg.volume if agg and agg.volume_known else None,
        handed_over_at=handed,
        extras=extras,
        quoted_promise=quoted.date() if quoted else None,
    )


def _centroids(directory: Path, report: LoadReport) -> ZipCentroids | None:
    sums: dict[str, list[float]] = {}
    for _, row in _rows(directory, GEOLOCATION, report):
        lat, lng = row["geolocation_lat"], row["geolocation_lng"]
        try:
            la, lo = float(lat), float(lng)
        except ValueError:
            continue
        if not (-35 < la < 6 and -75 < lo < -30):  # outside Brazil: a known Olist data error
            continue
        acc = sums.setdefault(row["geolocation_zip_code_prefix"].strip().zfill(5), [0.0, 0.0, 0.0])
        acc[0] += la
        acc[1] += lo
        acc[2] += 1
    if not sums:
        return None
    return ZipCentroids({k: (v[0] / v[2], v[1] / v[2]) for k, v in sums.items()})


def quoted_promises(data: OlistData) -> dict[str, date]:
    """Olist's own promised dates by order id (for scoring their promise on the same orders)."""
    return {r.record_id: r.quoted_promise for r in data.records if r.quoted_promise is not None}
