"""What a console list page was asked for, checked before any query runs: a malformed
filter is an ``InvalidInput`` naming the parameter, never a silent default or a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import OrderStatus, ShipmentStatus

PER_PAGE = 25
MAX_PAGE = 10_000
MAX_TEXT = 200
_CARRIER = re.compile(r"^[a-z0-9_]{1,48}$")


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a list: page 1 is the newest ``per_page`` rows."""

    number: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


@dataclass(frozen=True, slots=True)
class Paged:
    """The numbers a pager shows; ``previous``/``next`` are page numbers or None."""

    number: int
    per_page: int
    shown: int
    has_more: bool

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.has_more else None

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + (1 if self.shown else 0)

    @property
    def last(self) -> int:
        return (self.number - 1) * self.per_page + self.shown


@dataclass(frozen=True, slots=True)
class OrderQuery:
    text: str = ""
    order_status: OrderStatus | None = None
    shipment_status: ShipmentStatus | None = None
    carrier: str | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    page: Page = Page()

    @property
    def filtered(self) -> bool:
        return bool(
            self.text or self.order_status or self.shipment_status or self.carrier
            or self.placed_from or self.placed_to
        )  # fmt: skip


def clean_text(raw: str | None, field: str = "q") -> str:
    text = " ".join((raw or "").split())
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"at most {MAX_TEXT} characters", field=field)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput("control characters are not allowed", field=field)
    return text


def parse_page(raw: str | None, field: str = "page") -> Page:
    if raw in (None, ""):
        return Page()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(f"a whole number from 1 to {MAX_PAGE}", field=field)
    return Page(int(raw))


def parse_day(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("a date as YYYY-MM-DD", field=field) from None


def parse_order_query(params: Mapping[str, str]) -> OrderQuery:
    def choice(name: str, enum: type[OrderStatus] | type[ShipmentStatus]) -> object:
        raw = params.get(name) or ""
        if not raw:
            return None
        try:
            return enum(raw)
        except ValueError:
            raise InvalidInput("one of " + ", ".join(e.value for e in enum), field=name) from None

    carrier = (params.get("carrier") or "").strip().lower() or None
    if carrier is not None and not _CARRIER.match(carrier):
        raise InvalidInput("a carrier's short name (letters, digits, _)", field="carrier")
    placed_from = parse_day(params.get("from"), "from")
    placed_to = parse_day(params.get("to"), "to")
    if placed_from and placed_to and placed_from > placed_to:
        raise InvalidInput("must not be after 'to'", field="from")
    return OrderQuery(
        text=clean_text(params.get("q")),
        order_status=choice("status", OrderStatus),  # type: ignore[arg-type]
        shipment_status=choice("shipment", ShipmentStatus),  # type: ignore[arg-type]
        carrier=carrier,
        placed_from=placed_from,
        placed_to=placed_to,
        page=parse_page(params.get("page")),
    )
