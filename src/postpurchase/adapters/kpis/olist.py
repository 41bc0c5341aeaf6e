"""Read Olist-format CSVs (plain or ``.csv.gz``, as Olist publishes them) into KPI orders.

Three files are needed: orders (statuses, purchase, delivery and promised dates),
customers (``customer_id`` → ``customer_unique_id``: Olist gives each order a fresh
``customer_id``, so only the unique id recognises a returning person) and reviews (1–5
stars per order). The files are streamed row by row.

Two kinds of trouble, two answers:

* a file that cannot be used at all (absent, not gzip when named ``.gz``, not UTF-8, a
  required column missing, cut short) raises :class:`OlistKpiInputError`: KPIs computed
  over a silently truncated file would be wrong without saying so;
* a row that cannot be read (wrong column count, an unreadable timestamp or score, a
  delivery before the purchase, a repeated order id) is skipped and counted in the
  :class:`ReadReport`, which the CLI prints: one bad row must not hide the other 99,999.

Olist's timestamps are São Paulo wall-clock time without an offset; it is attached here,
so calendar dates are Brasília time's (the marketplace's clock) and durations are real
elapsed time.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.kpis import KpiOrder, OrderState

SAO_PAULO = ZoneInfo("America/Sao_Paulo")

ORDERS = "olist_orders_dataset"
CUSTOMERS = "olist_customers_dataset"
REVIEWS = "olist_order_reviews_dataset"
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    CUSTOMERS: ("customer_id", "customer_unique_id"),
    REVIEWS: ("order_id", "review_score"),
    ORDERS: (
        "order_id",
        "customer_id",
        "order_status",
        "order_purchase_timestamp",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ),
}
# Olist's statuses (its data dictionary); anything else is read as a live order and counted.
STATES = {
    "delivered": OrderState.DELIVERED,
    "canceled": OrderState.VOID,
    "unavailable": OrderState.VOID,
    "created": OrderState.OPEN,
    "approved": OrderState.OPEN,
    "invoiced": OrderState.OPEN,
    "processing": OrderState.OPEN,
    "shipped": OrderState.OPEN,
}
MAX_EXAMPLES = 5

Progress = Callable[[int, int], None]
"""Called with (bytes read, bytes in all files), compressed bytes for ``.gz`` files."""


class OlistKpiInputError(ValueError):
    """A file cannot be used at all; the message is one line naming it."""


@dataclass(slots=True)
class ReadReport:
    """Rows read and skipped per reason: the CLI prints it, the JSON carries the totals."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    unknown_statuses: Counter[str] = field(default_factory=Counter)
    orders_without_customer: int = 0
    reviews_without_order: int = 0

    def skip(self, file: str, line: int, reason: str) -> None:
        self.skipped[f"{file}: {reason}"] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{file} line {line}: {reason}")

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def notes(self) -> list[str]:
        """Plain sentences about everything not read as-is (empty when all was clean)."""
        lines = []
        if self.skipped_total:
            reasons = ", ".join(f"{k} x{v}" for k, v in sorted(self.skipped.items()))
            lines.append(f"skipped {self.skipped_total} row(s): {reasons}")
            lines.extend(f"  e.g. {example}" for example in self.examples)
        if self.unknown_statuses:
            seen = ", ".join(f"{k!r} x{v}" for k, v in sorted(self.unknown_statuses.items()))
            lines.append(f"unknown order_status read as a live order: {seen}")
        if self.orders_without_customer:
            lines.append(
                f"{self.orders_without_customer} order(s) with a customer_id not in the "
                "customers file: counted, but in no repeat-purchase cohort"
            )
        if self.reviews_without_order:
            lines.append(f"{self.reviews_without_order} review(s) of orders not in the file")
        return lines


@dataclass(slots=True)
class OlistKpiData:
    orders: list[KpiOrder]
    report: ReadReport


def find_file(directory: Path, stem: str) -> Path:
    """``stem.csv`` or else ``stem.csv.gz`` in ``directory``."""
    for suffix in (".csv", ".csv.gz"):
        candidate = directory / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    raise OlistKpiInputError(f"{stem}.csv (or .csv.gz) not found in {directory}")


class _Meter:
    """Bytes consumed across all files, reported to the progress callback now and then."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def at(self, done: int) -> None:
        if self.progress is not None:
            self.progress(min(self.total, done), self.total)


def _rows(
    path: Path, stem: str, meter: _Meter, report: ReadReport
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) of one file; raise OlistKpiInputError if the file is unusable."""
    base = meter.done
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise OlistKpiInputError(f"{path.name}: cannot open ({exc.strerror or exc})") from exc
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw
    try:
        with raw, stream, io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in REQUIRED_COLUMNS[stem] if c not in header]
            if missing:
                raise OlistKpiInputError(
                    f"{path.name}: missing column(s) {', '.join(missing)}"
                    if header
                    else f"{path.name}: empty file (no header row)"
                )
            count = 0
            for values in reader:
                if not values:
                    continue
                if len(values) != len(header):
                    report.skip(path.name, reader.line_num, "wrong number of columns")
                    continue
                count += 1
                yield reader.line_num, dict(zip(header, values, strict=True))
                if count % 2048 == 0:
                    meter.at(base + raw.tell())
            report.rows[stem] = count
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise OlistKpiInputError(f"{path.name}: not a readable gzip file ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise OlistKpiInputError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise OlistKpiInputError(f"{path.name}: not a readable CSV ({exc})") from exc
    except OSError as exc:
        raise OlistKpiInputError(f"{path.name}: cannot read ({exc.strerror or exc})") from exc
    meter.done = base + path.stat().st_size
    meter.at(meter.done)


def parse_time(value: str) -> datetime | None:
    """An Olist timestamp (``2017-07-09 21:57:05``, São Paulo time); empty → ``None``."""
    value = value.strip()
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=SAO_PAULO) if parsed.tzinfo is None else parsed


def parse_date(value: str) -> date | None:
    """The promised date: Olist writes it as midnight of the day (``2017-08-01 00:00:00``)."""
    value = value.strip()
    return datetime.fromisoformat(value).date() if value else None


def parse_score(value: str) -> int:
    """A review score: a whole number of stars from 1 to 5."""
    score = int(value.strip())
    if not 1 <= score <= 5:
        raise ValueError(f"review score {score} is not 1-5")
    return score


def read_olist(directory: Path | str, progress: Progress | None = None) -> OlistKpiData:
    """Every order of an Olist-format directory as a ``KpiOrder``, with a report of the rest."""
    directory = Path(directory)
    if not directory.is_dir():
        raise OlistKpiInputError(f"{directory} is not a directory")
    paths = {stem: find_file(directory, stem) for stem in REQUIRED_COLUMNS}
    meter = _Meter(sum(p.stat().st_size for p in paths.values()), progress)
    report = ReadReport()

    customers: dict[str, str] = {}
    for _, row in _rows(paths[CUSTOMERS], CUSTOMERS, meter, report):
        unique = row["customer_unique_id"].strip()
        if unique:
            customers[row["customer_id"].strip()] = unique

    scores: dict[str, list[int]] = defaultdict(list)
    for line, row in _rows(paths[REVIEWS], REVIEWS, meter, report):
        try:
            scores[row["order_id"].strip()].append(parse_score(row["review_score"]))
        except ValueError:
            report.skip(paths[REVIEWS].name, line, "review_score not a whole number 1-5")

    orders: list[KpiOrder] = []
    seen: set[str] = set()
    name = paths[ORDERS].name
    for line, row in _rows(paths[ORDERS], ORDERS, meter, report):
        order_id = row["order_id"].strip()
        if not order_id:
            report.skip(name, line, "no order_id")
            continue
        if order_id in seen:
            report.skip(name, line, "order_id seen before")
            continue
        order = _order(order_id, row, customers, scores, report, name, line)
        if order is not None:
            seen.add(order_id)
            orders.append(order)
    report.reviews_without_order = sum(len(v) for k, v in scores.items() if k not in seen)
    return OlistKpiData(orders, report)


def _order(
    order_id: str,
    row: dict[str, str],
    customers: dict[str, str],
    scores: dict[str, list[int]],
    report: ReadReport,
    name: str,
    line: int,
) -> KpiOrder | None:
    status = row["order_status"].strip().lower()
    state = STATES.get(status)
    if state is None:
        report.unknown_statuses[status] += 1
        state = OrderState.OPEN
    try:
        purchased = parse_time(row["order_purchase_timestamp"])
        delivered = parse_time(row["order_delivered_customer_date"])
        promised = parse_date(row["order_estimated_delivery_date"])
    except ValueError:
        report.skip(name, line, "unreadable timestamp")
        return None
    if purchased is None:
        report.skip(name, line, "no order_purchase_timestamp")
        return None
    customer = customers.get(row["customer_id"].strip())
    if customer is None:
        report.orders_without_customer += 1
    try:
        return KpiOrder(
            order_id=order_id,
            customer_key=customer,
            state=state,
            purchased_at=purchased,
            delivered_at=delivered,
            promised_on=promised,
            review_scores=tuple(float(s) for s in scores.get(order_id, ())),
        )
    except InvalidInput as exc:
        report.skip(name, line, exc.message)
        return None
