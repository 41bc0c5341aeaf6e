"""Shopify webhooks: how fast a delivery is answered, and how fast its order is stored,
against creating the same orders through the API.

Issue 11 asks that a Shopify delivery be answered within 1 s (Shopify gives up after 5 s):
verify, store the raw delivery durably, answer, then process (ADR 0007). This measures that
path on ONE API server process on loopback (`postpurchase.testing.api_server`, as the
other benchmarks), SQLite by default or PostgreSQL in a scratch database, with no worker
process: the API process does the processing itself, right after answering.

Each phase has a merchant of its own, created in the database; its Shopify secret is set
through `PUT /api/v1/merchant/secrets`. The orders are `orders/create` bodies in the shape
Shopify sends (2 to 4 lines, sometimes a SKU-less one; a 10 % code on most orders allocated
to the lines; sales tax per line; shipping lines, customer, addresses: ~10 KB of JSON), each
with its own order and line ids, signed with the merchant's secret. Concurrent clients
(httpx, asyncio, keep-alive) send them as fast as they are answered. The rows:

  baseline POST /api/v1/orders    the same orders through the API: synchronous, the 201
                                  comes once the order is stored. Run with
                                  --baseline-clients (16), the like-for-like row below
  Shopify orders/create           the N deliveries, with as many clients as the baseline,
                                  then with --clients (50): answered once stored in the
                                  inbox, processed after the answer in the same process
  Shopify fulfilment first        --early-orders (N/4) more orders, each one's
                                  fulfillments/create sent just before its orders/create by
                                  the same client, --clients of them: each fulfilment waits
                                  for its order, whose arrival wakes the merchant's waiting
                                  deliveries (--early-orders 0 leaves the row out)

Measured: answer latency p50/p99/max (what Shopify sees), answers per second, and the time
from the first send until the last delivery is processed (the merchant's inbox rows
settled, polled in the database every 20 ms), i.e. deliveries processed and orders stored
per second; ratios against the baseline of the same run. The clock stops at the last
delivery processed; deliveries not processed when none was for 5 s, or 30 s after the last
answer, are counted as stuck (a delivery waiting for a retry that only a worker's sweep
brings: no worker runs here). Also: the server's CPU time per request (it moves far less
than latency when other work shares the machine), the CPU other processes used meanwhile,
in cores (PostgreSQL's backends count there), and the unhandled exceptions in the server's
log, by class.

Run:  .venv/bin/python benchmarks/shopify_webhooks.py [--orders 2000] [--clients 50]
      [--baseline-clients 16] [--early-orders 500]
      [--db sqlite|postgresql|sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from postpurchase.adapters.db import tables
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.carrier_detection import example_number
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import api_server, scratch_pg_database

console = Console(width=240)
CENT = Decimal("0.01")
TAX_RATE = Decimal("0.08875")
STALL = 5.0  # s without a delivery processed: the rest wait for a retry (counted as stuck)
SETTLE_CAP = 30.0  # s after the last answer at most; what is not processed then is counted
POLL = 0.02

# (sku, title, variant title, price, grams)
CATALOGUE = [
    ("TRJ-SLT-M", "Trail Runner Jacket", "Slate / M", "129.00", 780),
    ("TRJ-MOS-L", "Trail Runner Jacket", "Moss / L", "129.00", 810),
    ("MTS-3PK", "Merino Trail Sock 3-pack", None, "24.00", 240),
    ("BNE-CHR", "Ridge Beanie", "Charcoal", "32.00", 110),
    ("HKP-30L", "Summit Pack 30L", "Moss", "149.00", 1350),
    ("BTL-750", "Insulated Bottle 750 ml", "Sand", "38.00", 420),
    ("GLV-TCH-L", "Touchscreen Gloves", "L", "45.00", 120),
    ("TEE-MRN-S", "Merino Tee", "Navy / S", "68.00", 180),
    ("", "Gift wrapping", None, "5.00", 0),  # a SKU-less line, as shops have
]
PLACES = [
    ("Brooklyn", "NY", "New York", "11201", "200 Court St"),
    ("Portland", "OR", "Oregon", "97205", "1120 SW 5th Ave"),
    ("Austin", "TX", "Texas", "78701", "401 Congress Ave"),
    ("Chicago", "IL", "Illinois", "60607", "910 W Van Buren St"),
    ("Denver", "CO", "Colorado", "80202", "1600 Champa St"),
]
NAMES = ["Avery Lee", "Sam Ortiz", "Jordan Kim", "Riley Chen", "Morgan Diaz", "Casey Novak"]


# ---- the orders ---------------------------------------------------------------------------


def _m(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_EVEN))


def _set(value: Decimal) -> dict[str, Any]:
    amount = {"amount": _m(value), "currency_code": "USD"}
    return {"shop_money": amount, "presentment_money": dict(amount)}


@dataclass
class Line:
    line_id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_title: str | None
    price: Decimal
    grams: int
    quantity: int
    discount: Decimal
    tax: Decimal


@dataclass
class Spec:
    """One order, rendered both as Shopify sends it and as POST /api/v1/orders takes it."""

    order_id: int
    number: int
    email: str
    name: str
    place: tuple[str, str, str, str, str]
    created_at: datetime
    lines: list[Line]
    code: str | None
    shipping_title: str
    shipping_code: str
    shipping: Decimal
    marketing: bool
    tags: list[str] = field(default_factory=list)

    @property
    def discounts(self) -> Decimal:
        return sum((li.discount for li in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((li.tax for li in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return sum((li.price * li.quantity for li in self.lines), Decimal(0)) - self.discounts

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.tax


def make_specs(n: int, first_id: int, rng: random.Random) -> list[Spec]:
    specs = []
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    for i in range(n):
        order_id = first_id + i
        code = "WELCOME10" if rng.random() < 0.6 else None
        picked = rng.sample(CATALOGUE[:-1], rng.randint(2, 4))
        if rng.random() < 0.15:
            picked.append(CATALOGUE[-1])
        lines = []
        for k, (sku, title, variant, price, grams) in enumerate(picked):
            qty = rng.choice([1, 1, 1, 2, 3])
            gross = Decimal(price) * qty
            disc = (gross * Decimal("0.10")).quantize(CENT) if code else Decimal(0)
            tax = ((gross - disc) * TAX_RATE).quantize(CENT)
            product = 8_123_981_000_000 + CATALOGUE.index((sku, title, variant, price, grams))
            lines.append(
                Line(order_id * 10 + k, product, product + 36_395_356_000_000, sku, title,
                     variant, Decimal(price), grams, qty, disc, tax)
            )  # fmt: skip
        express = rng.random() < 0.2
        gross = sum((li.price * li.quantity for li in lines), Decimal(0))
        shipping = Decimal("14.95") if express else Decimal(0 if gross >= 150 else "6.95")
        name = rng.choice(NAMES)
        specs.append(
            Spec(
                order_id=order_id, number=1001 + i,
                email=f"{name.split()[0].lower()}.{order_id}@example.com", name=name,
                place=rng.choice(PLACES), created_at=start + timedelta(seconds=37 * i),
                lines=lines, code=code,
                shipping_title="Express" if express else "Standard",
                shipping_code="EXPRESS" if express else "STANDARD", shipping=shipping,
                marketing=rng.random() < 0.4,
                tags=rng.sample(["newsletter", "vip", "wholesale", "first-order"], 2),
            )
        )  # fmt: skip
    return specs


def _address(s: Spec) -> dict[str, Any]:
    city, region_code, region, zip_code, street = s.place
    first, last = s.name.split()
    return {"first_name": first, "address1": street, "phone": "+1 555-0100", "city": city,
            "zip": zip_code, "province": region, "country": "United States",
            "last_name": last, "address2": "Apt 4", "company": None, "latitude": 40.69,
            "longitude": -73.99, "name": s.name, "country_code": "US",
            "province_code": region_code}  # fmt: skip


def shopify_order(s: Spec) -> dict[str, Any]:
    """An orders/create body in the shape Shopify sends (REST Admin API 2025-07)."""
    ts = s.created_at.isoformat()
    first, last = s.name.split()
    disc, tax, sub, tot = s.discounts, s.tax, s.subtotal, s.total
    line_items = []
    for li in s.lines:
        line_items.append({
            "id": li.line_id, "admin_graphql_api_id": f"gid://shopify/LineItem/{li.line_id}",
            "attributed_staffs": [], "current_quantity": li.quantity,
            "fulfillable_quantity": li.quantity, "fulfillment_service": "manual",
            "fulfillment_status": None, "gift_card": False, "grams": li.grams,
            "name": f"{li.title} - {li.variant_title}" if li.variant_title else li.title,
            "price": _m(li.price), "price_set": _set(li.price), "product_exists": True,
            "product_id": li.product_id, "properties": [], "quantity": li.quantity,
            "requires_shipping": True, "sku": li.sku, "taxable": True, "title": li.title,
            "total_discount": "0.00", "total_discount_set": _set(Decimal(0)),
            "variant_id": li.variant_id, "variant_inventory_management": "shopify",
            "variant_title": li.variant_title, "vendor": "North Wind Outfitters",
            "tax_lines": [{"channel_liable": False, "price": _m(li.tax),
                           "price_set": _set(li.tax), "rate": float(TAX_RATE),
                           "title": "NY State Tax"}],
            "duties": [],
            "discount_allocations": [{"amount": _m(li.discount), "amount_set": _set(li.discount),
                                      "discount_application_index": 0}] if s.code else [],
        })  # fmt: skip
    return {
        "id": s.order_id, "admin_graphql_api_id": f"gid://shopify/Order/{s.order_id}",
        "app_id": 580111, "browser_ip": "203.0.113.54",
        "buyer_accepts_marketing": s.marketing, "cancel_reason": None, "cancelled_at": None,
        "cart_token": uuid.uuid5(uuid.NAMESPACE_OID, str(s.order_id)).hex,
        "checkout_id": s.order_id + 31_000_000_000_000,
        "checkout_token": uuid.uuid5(uuid.NAMESPACE_URL, str(s.order_id)).hex,
        "client_details": {"accept_language": "en-US", "browser_height": 812,
                           "browser_ip": "203.0.113.54", "browser_width": 375,
                           "session_hash": None,
                           "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
                                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"},
        "closed_at": None, "company": None, "confirmation_number": f"K{s.order_id % 10**8:08d}",
        "confirmed": True, "contact_email": s.email, "created_at": ts, "currency": "USD",
        "current_subtotal_price": _m(sub), "current_subtotal_price_set": _set(sub),
        "current_total_additional_fees_set": None,
        "current_total_discounts": _m(disc), "current_total_discounts_set": _set(disc),
        "current_total_duties_set": None,
        "current_total_price": _m(tot), "current_total_price_set": _set(tot),
        "current_total_tax": _m(tax), "current_total_tax_set": _set(tax),
        "customer_locale": "en-US", "device_id": None,
        "discount_codes": [{"code": s.code, "amount": _m(disc), "type": "percentage"}]
        if s.code else [],
        "email": s.email, "estimated_taxes": False, "financial_status": "paid",
        "fulfillment_status": None, "landing_site": "/products/trail-runner?utm_source=email",
        "landing_site_ref": None, "location_id": None, "merchant_of_record_app_id": None,
        "name": f"#{s.number}", "note": "Please leave with the concierge." if s.number % 7 == 0
        else None,
        "note_attributes": [{"name": "gift_message", "value": ""}],
        "number": s.number - 1000, "order_number": s.number,
        "order_status_url": f"https://north-wind.example.com/7304/orders/{s.order_id}/authenticate",
        "original_total_additional_fees_set": None, "original_total_duties_set": None,
        "payment_gateway_names": ["shopify_payments"], "phone": None, "po_number": None,
        "presentment_currency": "USD", "processed_at": ts, "reference": None,
        "referring_site": "", "source_identifier": None, "source_name": "web", "source_url": None,
        "subtotal_price": _m(sub), "subtotal_price_set": _set(sub), "tags": ", ".join(s.tags),
        "tax_exempt": False,
        "tax_lines": [{"price": _m(tax), "rate": float(TAX_RATE), "title": "NY State Tax",
                       "price_set": _set(tax), "channel_liable": False}],
        "taxes_included": False, "test": False,
        "token": uuid.uuid5(uuid.NAMESPACE_DNS, str(s.order_id)).hex,
        "total_discounts": _m(disc), "total_discounts_set": _set(disc),
        "total_line_items_price": _m(sub + disc), "total_line_items_price_set": _set(sub + disc),
        "total_outstanding": "0.00", "total_price": _m(tot), "total_price_set": _set(tot),
        "total_shipping_price_set": _set(s.shipping), "total_tax": _m(tax),
        "total_tax_set": _set(tax), "total_tip_received": "0.00",
        "total_weight": sum(li.grams * li.quantity for li in s.lines), "updated_at": ts,
        "user_id": None, "billing_address": _address(s),
        "customer": {
            "id": s.order_id + 2_000_000_000_000, "email": s.email, "created_at": ts,
            "updated_at": ts, "first_name": first, "last_name": last, "state": "enabled",
            "note": None, "verified_email": True, "multipass_identifier": None,
            "tax_exempt": False, "phone": None,
            "email_marketing_consent": {"state": "subscribed" if s.marketing
                                        else "not_subscribed", "opt_in_level": "single_opt_in",
                                        "consent_updated_at": ts},
            "sms_marketing_consent": None, "tags": "", "currency": "USD", "tax_exemptions": [],
            "admin_graphql_api_id": f"gid://shopify/Customer/{s.order_id + 2_000_000_000_000}",
            "default_address": {**_address(s), "id": s.order_id + 3_000_000_000_000,
                                "default": True},
        },
        "discount_applications": [{"target_type": "line_item", "type": "discount_code",
                                   "value": "10.0", "value_type": "percentage",
                                   "allocation_method": "across", "target_selection": "all",
                                   "code": s.code}] if s.code else [],
        "fulfillments": [], "line_items": line_items, "payment_terms": None, "refunds": [],
        "shipping_address": _address(s),
        "shipping_lines": [{
            "id": s.order_id + 4_000_000_000_000, "carrier_identifier": None,
            "code": s.shipping_code, "current_discounted_price_set": _set(s.shipping),
            "discounted_price": _m(s.shipping), "discounted_price_set": _set(s.shipping),
            "is_removed": False, "phone": None, "price": _m(s.shipping),
            "price_set": _set(s.shipping), "requested_fulfillment_service_id": None,
            "source": "shopify", "title": s.shipping_title, "tax_lines": [],
            "discount_allocations": [],
        }],
    }  # fmt: skip


def shopify_fulfillment(s: Spec, tracking_number: str) -> dict[str, Any]:
    """A fulfillments/create body: the whole order in one UPS parcel."""
    at = (s.created_at + timedelta(hours=20)).isoformat()
    url = f"https://www.ups.com/track?tracknum={tracking_number}"
    return {
        "id": s.order_id + 5_000_000_000_000,
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{s.order_id + 5_000_000_000_000}",
        "created_at": at, "location_id": 71234568451, "name": f"#{s.number}.1",
        "order_id": s.order_id, "origin_address": {}, "receipt": {}, "service": "manual",
        "shipment_status": "confirmed", "status": "success", "tracking_company": "UPS",
        "tracking_number": tracking_number, "tracking_numbers": [tracking_number],
        "tracking_url": url, "tracking_urls": [url], "updated_at": at,
        "line_items": [{"id": li.line_id, "quantity": li.quantity, "sku": li.sku,
                        "name": li.title, "title": li.title, "variant_id": li.variant_id,
                        "product_id": li.product_id, "fulfillment_status": "fulfilled",
                        "requires_shipping": True, "price": _m(li.price)}
                       for li in s.lines],
    }  # fmt: skip


def api_order(s: Spec) -> dict[str, Any]:
    """The same order as POST /api/v1/orders takes it."""
    city, region_code, _, zip_code, street = s.place
    address = {
        "country": "US",
        "postal_code": zip_code,
        "region": region_code,
        "city": city,
        "line1": street,
        "line2": "Apt 4",
        "name": s.name,
        "phone": "+1 555-0100",
    }
    return {
        "external_id": str(s.order_id), "number": f"#{s.number}", "email": s.email,
        "customer_name": s.name, "locale": "en", "currency": "USD",
        "lines": [{"sku": li.sku or f"variant-{li.variant_id}", "name": li.title,
                   "quantity": li.quantity, "unit_price": _m(li.price),
                   "weight_grams": li.grams, "discount": _m(li.discount), "tax": _m(li.tax),
                   "external_id": str(li.line_id), "product_id": str(li.product_id),
                   "variant_id": str(li.variant_id), "variant_title": li.variant_title}
                  for li in s.lines],
        "shipping_address": address, "billing_address": address,
        "shipping_fee": _m(s.shipping), "placed_at": s.created_at.isoformat(),
        "accepts_marketing": s.marketing,
        "shipping_method": {"title": s.shipping_title, "code": s.shipping_code},
        "discounts": [{"code": s.code, "kind": "code", "amount": _m(s.discounts)}]
        if s.code else [],
        "tax": _m(s.tax), "taxes_included": False, "total": _m(s.total), "paid": _m(s.total),
        "note": "Please leave with the concierge." if s.number % 7 == 0 else None,
        "note_attributes": {"gift_message": ""}, "tags": s.tags, "financial_status": "paid",
    }  # fmt: skip


# ---- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Result:
    requests: int
    latencies: list[float]  # seconds, per request
    clients: int
    answered_s: float  # first send -> last answer
    settled_s: float  # first send -> the last delivery processed
    orders: int
    errors: Counter[str]
    backlog_at_last_answer: int = 0
    stuck: int = 0  # deliveries still waiting when processing stopped
    outcomes: Counter[str] = field(default_factory=Counter)
    server_cpu_ms: float = 0.0  # the API process's CPU time per request
    others: float = 0.0  # cores other processes used meanwhile (PostgreSQL's backends too)
    client_cpu_s: float = 0.0  # this process's CPU time (the clients and the polling)
    server_errors: Counter[str] = field(default_factory=Counter)


EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Detected|Disconnect|Violation))\b"
)


def busy_seconds() -> float:
    """CPU time the whole machine spent so far (Linux /proc/stat, all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The uvicorn process ``api_server`` started: this process's child running uvicorn."""
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
    raise RuntimeError("no uvicorn child process")


def signed(slug: str, secret: str, topic: str, payload: dict[str, Any]) -> Request:
    raw = orjson.dumps(payload)
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": "north-wind.myshopify.com",
        "X-Shopify-API-Version": "2025-07",
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }
    return Request(f"/webhooks/shopify/{slug}", raw, headers)


async def drive(
    url: str, jobs: list[list[Request]], clients: int, settled: Any = None
) -> tuple[list[float], float, float, int, int, Counter[str]]:
    """Send every job (its requests one after the other) from ``clients`` concurrent
    clients. ``settled()`` (optional) -> how many are still to process; polled until 0.
    Returns the latencies, seconds to the last answer and to the last delivery processed,
    how many were still to process at the last answer and at the end, and the errors."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    it: Iterator[list[Request]] = iter(jobs)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        await client.get("/healthz")

        async def worker() -> None:
            for job in it:
                for req in job:
                    t0 = time.perf_counter()
                    try:
                        r = await client.post(req.path, content=req.body, headers=req.headers)
                        if r.status_code >= 300:
                            errors[f"{r.status_code} {r.text[:120]}"] += 1
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] += 1
                    latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        answered = time.perf_counter() - start
    backlog = left = 0
    settled_s = answered
    if settled is not None:
        backlog = left = await asyncio.to_thread(settled)
        # Until every delivery is settled, or none was for STALL s (one is waiting for a
        # retry that no one else will bring forward), or SETTLE_CAP passed: the clock stops
        # at the last one processed.
        progress = cap = time.perf_counter()
        while left and time.perf_counter() - progress < STALL and progress - cap < SETTLE_CAP:
            await asyncio.sleep(POLL)
            now_left = await asyncio.to_thread(settled)
            if now_left < left:
                progress, left = time.perf_counter(), now_left
        settled_s = max(progress - start, answered)
    return latencies, answered, settled_s, backlog, left, errors


# ---- phases -------------------------------------------------------------------------------


@dataclass
class Bench:
    db_url: str
    data_dir: Path
    engine: Any
    platform: Any
    url: str = ""
    pid: int = 0  # the API server process
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the last run(): server s, others, ours

    def run(self, coro: Any) -> Any:
        """asyncio.run(coro), with the CPU the server, this process and others used."""
        server, busy, mine, began = (
            cpu_seconds(self.pid), busy_seconds(), time.process_time(), time.perf_counter()
        )  # fmt: skip
        out = asyncio.run(coro)
        served, ours = cpu_seconds(self.pid) - server, time.process_time() - mine
        others = max(0.0, busy_seconds() - busy - served - ours) / (time.perf_counter() - began)
        self.cpu = (served, others, ours)
        return out

    def merchant(self, name: str) -> tuple[str, str, str, str]:
        """(id, slug, API key, Shopify secret) of a new merchant; the secret is set through
        the API, as a merchant would."""
        m, key, *_ = create_merchant(
            self.platform.uow(), self.platform.clock, f"{name} {uuid.uuid4().hex[:6]}"
        )
        secret = "shpss_" + hashlib.sha256(m.id.encode()).hexdigest()
        r = httpx.put(
            f"{self.url}/api/v1/merchant/secrets",
            json={"shopify_webhook_secret": secret},
            headers={"Authorization": f"Bearer {key}"},
        )
        r.raise_for_status()
        return m.id, m.slug, key, secret

    def unsettled(self, merchant_id: str, expected: int) -> int:
        w = tables.webhook_inbox.c
        with self.engine.connect() as c:
            done = c.execute(
                select(func.count()).where(w.merchant_id == merchant_id, w.processed_at.isnot(None))
            ).scalar_one()
        return expected - int(done)

    def orders(self, merchant_id: str) -> int:
        o = tables.orders.c
        with self.engine.connect() as c:
            return int(
                c.execute(select(func.count()).where(o.merchant_id == merchant_id)).scalar_one()
            )

    def outcomes(self, merchant_id: str) -> Counter[str]:
        w = tables.webhook_inbox.c
        with self.engine.connect() as c:
            rows = c.execute(
                select(w.topic, w.outcome, w.attempts).where(w.merchant_id == merchant_id)
            ).all()
        out: Counter[str] = Counter()
        for topic, outcome, attempts in rows:
            out[f"{topic} {(outcome or {}).get('result', 'unprocessed')}"] += 1
            out["attempts"] += attempts
        return out


def phase_api(b: Bench, specs: list[Spec], clients: int) -> Result:
    mid, _, key, _ = b.merchant("Bench API")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    jobs = [[Request("/api/v1/orders", orjson.dumps(api_order(s)), headers)] for s in specs]
    lat, answered, _, _, _, errors = b.run(drive(b.url, jobs, clients))
    return Result(len(jobs), lat, clients, answered, answered, b.orders(mid), errors)


def phase_shopify(b: Bench, specs: list[Spec], clients: int) -> Result:
    mid, slug, _, secret = b.merchant("Bench Shopify")
    jobs = [[signed(slug, secret, "orders/create", shopify_order(s))] for s in specs]
    lat, answered, settled, backlog, stuck, errors = b.run(
        drive(b.url, jobs, clients, lambda: b.unsettled(mid, len(jobs)))
    )
    return Result(len(jobs), lat, clients, answered, settled, b.orders(mid), errors, backlog,
                  stuck, b.outcomes(mid))  # fmt: skip


def phase_fulfilment_first(b: Bench, specs: list[Spec], clients: int, rng: random.Random) -> Result:
    mid, slug, _, secret = b.merchant("Bench Early")
    jobs = []
    for s in specs:
        fulfilment = shopify_fulfillment(s, example_number("ups", rng))
        jobs.append(
            [
                signed(slug, secret, "fulfillments/create", fulfilment),
                signed(slug, secret, "orders/create", shopify_order(s)),
            ]
        )
    n = 2 * len(jobs)
    lat, answered, settled, backlog, stuck, errors = b.run(
        drive(b.url, jobs, clients, lambda: b.unsettled(mid, n))
    )
    return Result(n, lat, clients, answered, settled, b.orders(mid), errors, backlog, stuck,
                  b.outcomes(mid))  # fmt: skip


def run_backend(
    backend: str, db_url: str, data_dir: Path, args: argparse.Namespace
) -> list[tuple[str, Result]]:
    engine = make_engine(db_url)
    upgrade(engine)
    platform = bootstrap(Settings(database_url=db_url, data_dir=data_dir), engine=engine)
    env = {
        **os.environ,
        "POSTPURCHASE_DATABASE_URL": db_url,
        "POSTPURCHASE_DATA_DIR": str(data_dir),
        "POSTPURCHASE_LOG_LEVEL": "warning",  # an info line a delivery would cost time
    }
    env.pop("POSTPURCHASE_REDIS_URL", None)
    rng = random.Random(11)
    n, c, cb = args.orders, args.clients, args.baseline_clients
    specs = make_specs(n, 6_100_000_000_000, rng)
    size = statistics.mean(len(orjson.dumps(shopify_order(s))) for s in specs[:200])
    console.print(f"[{backend}] {n} orders, Shopify bodies ~{size / 1024:.1f} KB")
    phases: list[tuple[str, Any]] = [
        ("baseline POST /api/v1/orders", lambda b: phase_api(b, specs, cb)),
        ("Shopify orders/create", lambda b: phase_shopify(b, specs, cb)),
    ]
    if c != cb:
        phases.append(("Shopify orders/create", lambda b: phase_shopify(b, specs, c)))
    if args.early_orders:
        half = make_specs(args.early_orders, 6_200_000_000_000, rng)
        phases.append(
            ("Shopify fulfilment first",
             lambda b: phase_fulfilment_first(b, half, c, rng))
        )  # fmt: skip
    results = []
    log = data_dir / "server.log"
    with ExitStack() as stack:
        # The server's stderr (its tracebacks) goes to a file, summed up per row.
        ours = os.dup(2)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 2)
        try:
            url = stack.enter_context(api_server(env))
        finally:
            os.dup2(ours, 2)
            os.close(fd)
            os.close(ours)
        b = Bench(db_url, data_dir, engine, platform, url, server_pid())
        for name, fn in phases:
            console.print(f"[{backend}] {name} ...")
            time.sleep(1.0)  # a breath between rows
            offset = log.stat().st_size
            r = fn(b)
            served, r.others, r.client_cpu_s = b.cpu
            r.server_cpu_ms = served * 1000 / r.requests
            r.server_errors = server_errors(log, offset)
            results.append((name, r))
    engine.dispose()
    return results


def server_errors(log: Path, offset: int) -> Counter[str]:
    """Unhandled exceptions in the server's log since ``offset``, by exception class."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    found: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("ERROR:") and "Exception in ASGI application" in line:
            found["unhandled (tracebacks)"] += 1
        elif m := EXCEPTION_LINE.match(line):
            name = m.group(1).rsplit(".", 1)[-1]
            if not (m.group(1).startswith("sqlalchemy.exc.") and "(psycopg." in line):
                found[name] += 1  # (a psycopg error SQLAlchemy wraps is counted once)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--baseline-clients", type=int, default=16,
        help="clients for the baseline (and a Shopify row alike); see the docstring",
    )  # fmt: skip
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or both: a,b")
    parser.add_argument(
        "--early-orders", type=int, default=None,
        help="orders for the fulfilment-first row (default: a quarter of --orders; 0: none)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.early_orders is None:
        args.early_orders = args.orders // 4
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    table = Table(title=f"Shopify webhooks, {args.orders} orders a row, one API process")
    cols = ("db", "path", "clients", "requests", "p50 ms", "p99 ms", "max ms", "answers/s",
            "all done s", "orders/s", "CPU ms/req", "others' CPU", "answers/s ×base",
            "orders/s ×base", "p99 ×base", "CPU ×base")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("db", "path") else "right")
    load = os.getloadavg()[0]
    notes = []
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            data_dir = Path(tmp)
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            else:
                url = stack.enter_context(scratch_pg_database(pg, prefix="pp_bench"))
            results = run_backend(backend, url, data_dir, args)
        base = results[0][1]
        base_rate = base.requests / base.answered_s
        base_stored = base.orders / base.settled_s
        base_p99 = pct(base.latencies, 0.99)
        for name, r in results:
            rate = r.requests / r.answered_s
            stored = r.orders / r.settled_s
            p99 = pct(r.latencies, 0.99)
            table.add_row(
                backend, name, str(r.clients), f"{r.requests:,}", f"{pct(r.latencies, 0.5):.1f}",
                f"{p99:.1f}", f"{max(r.latencies) * 1000:.0f}", f"{rate:,.0f}",
                f"{r.settled_s:.2f}" + (f" ({r.stuck} stuck)" if r.stuck else ""),
                f"{stored:,.0f}", f"{r.server_cpu_ms:.1f}", f"{r.others:.2f}",
                f"{rate / base_rate:.2f}", f"{stored / base_stored:.2f}", f"{p99 / base_p99:.2f}",
                f"{r.server_cpu_ms / base.server_cpu_ms:.2f}",
            )  # fmt: skip
            what = f"{backend} {name} ({r.clients} clients):"
            if r.errors:
                notes.append(f"{what} errors {dict(r.errors)}")
            if r.server_errors:
                notes.append(f"{what} server log: {dict(r.server_errors)}")
            if r is not base:
                notes.append(
                    f"{what} {r.backlog_at_last_answer:,} of {r.requests:,} still to process at"
                    f" the last answer ({r.answered_s:.2f} s); {r.orders:,} orders stored;"
                    f" inbox {dict(r.outcomes)}"
                )
            notes.append(f"{what} client CPU {r.client_cpu_s:.1f} s")
    console.print(table)
    for note in notes:
        console.print("  " + note)
    console.print(f"  load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
