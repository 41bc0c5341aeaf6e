"""The simulated carrier's own HTTP API, shaped like a real carrier's.

Why: polling, rates and labels must go through the same gateway for the demo, the tests and
the benchmark as for UPS or FedEx, so the simulated carrier is reached over HTTP like they
are, with their habits: an API key per account (wrong key: 401), tracking by numbers in
batches (at most :data:`MAX_TRACK_BATCH` per call, unknown numbers listed as errors), a
latency drawn from a log-normal distribution, and occasional 429 (with ``Retry-After``) and
503 answers. Every random draw comes from one seeded generator, so a run is reproducible.

Routes, one set per carrier under ``/{carrier}`` (``ups``, ``usps``, ``fedex``, ``dhl``,
``canada_post``, ``royal_mail``):

* ``POST /{carrier}/track/v1/shipments`` ``{"trackingNumbers": [...]}``
* ``POST /{carrier}/rate/v1/quotes`` (origin, destination, parcels)
* ``POST /{carrier}/ship/v1/labels`` (with ``Idempotency-Key``), ``DELETE .../labels/{id}``
* ``POST /{carrier}/address/v1/validate``, ``POST /{carrier}/pickup/v1/pickups``
* ``GET /{carrier}/auth/v1/whoami`` (a credentials check)

Scans are the ones ``plans.plan`` computes, visible once the simulator's clock passes them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import math
import random
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from postpurchase.adapters.carriers.simulated import documents
from postpurchase.adapters.carriers.simulated.network import distance_km, hub_for
from postpurchase.adapters.carriers.simulated.plans import SimParcel, plan
from postpurchase.adapters.carriers.simulated.service import (
    CARRIER_SERVICES,
    GROUND,
    quote,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import example_number
from postpurchase.domain.status import ShipmentStatus

MAX_TRACK_BATCH = 50
DEFAULT_API_KEY = "sim_test_key"

# The carrier's own coarse classes of its event codes (its ``statusFamily``), as real
# carriers' APIs have them (UPS activity types, DHL's statusCode).
FAMILY: dict[ShipmentStatus, str] = {
    ShipmentStatus.PENDING: "pre-transit",
    ShipmentStatus.INFO_RECEIVED: "pre-transit",
    ShipmentStatus.IN_TRANSIT: "transit",
    ShipmentStatus.OUT_FOR_DELIVERY: "out-for-delivery",
    ShipmentStatus.AVAILABLE_FOR_PICKUP: "ready-for-pickup",
    ShipmentStatus.ATTEMPT_FAILED: "delivery-attempted",
    ShipmentStatus.EXCEPTION: "exception",
    ShipmentStatus.DELIVERED: "delivered",
    ShipmentStatus.EXPIRED: "unknown",
}
_STATUS_BY_VALUE = {s.value: s for s in ShipmentStatus}

# Price list: base per parcel and per billable kilogram, per service (USD).
_BASE = {GROUND: Decimal("7.40"), "express": Decimal("19.90"), "same_day": Decimal("34.00")}
_PER_KG = {GROUND: Decimal("0.95"), "express": Decimal("2.60"), "same_day": Decimal("3.10")}
_CARRIER_FACTOR = {
    "ups": Decimal("1.00"),
    "fedex": Decimal("1.02"),
    "usps": Decimal("0.88"),
    "dhl": Decimal("1.10"),
    "canada_post": Decimal("0.95"),
    "royal_mail": Decimal("0.90"),
}
DIM_DIVISOR = Decimal(5000)  # cm³ per billable kg, the common express divisor
_POSTAL = {
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
}


@dataclass
class Faults:
    """How unreliable the simulated carrier is: latency and the share of failed answers."""

    latency_ms: float = 120.0  # median of the log-normal latency
    latency_sigma: float = 0.5
    throttle_rate: float = 0.02  # answers 429 with Retry-After
    error_rate: float = 0.01  # answers 503
    retry_after_s: int = 1


@dataclass
class SimulatorState:
    """Parcels and labels the simulated carrier knows, and its clock and dice."""

    seed: int = 0
    api_keys: frozenset[str] = frozenset({DEFAULT_API_KEY})
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _events: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(f"simulated-carrier|{self.seed}")

    # ---- what it knows ------------------------------------------------------------------

    def add_plans(self, events: Iterable[dict[str, Any]]) -> None:
        """Scans from ``plans.plan`` (any parcels, any carriers), kept per parcel in order."""
        with self._lock:
            for e in events:
                self._events[(e["carrier"], e["tracking_number"])].append(e)

    def add_parcel(self, parcel: SimParcel) -> None:
        self.add_plans(plan(parcel, self.seed))

    def visible(self, carrier: str, number: str) -> list[dict[str, Any]] | None:
        """Scans the carrier has made by now; None for a number it never issued."""
        with self._lock:
            events = self._events.get((carrier, number))
        if events is None:
            return None
        now = self.clock()
        return [e for e in events if datetime.fromisoformat(e["occurred_at"]) <= now]

    # ---- its dice -----------------------------------------------------------------------

    def draw(self) -> tuple[float, str | None]:
        """(latency in seconds, fault or None) for one request, from the seeded generator."""
        f = self.faults
        with self._lock:
            self.requests += 1
            latency = f.latency_ms / 1000 * math.exp(self._rng.gauss(0, f.latency_sigma))
            roll = self._rng.random()
        fault = None
        if roll < f.throttle_rate:
            fault = "throttle"
        elif roll < f.throttle_rate + f.error_rate:
            fault = "error"
        return latency, fault

    def label(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._labels.get(key)

    def keep_label(self, key: str, label: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._labels.setdefault(key, label)

    def drop_label(self, label_id: str) -> dict[str, Any] | None:
        with self._lock:
            for key, label in self._labels.items():
                if label["labelId"] == label_id and not label.get("voided"):
                    label["voided"] = True
                    self._labels[key] = label
                    return label
        return None


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"code": code, "message": message}]}, status_code=status, headers=headers
    )


def _shipment(carrier: str, number: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    estimate = next(
        (e["estimated_delivery"] for e in reversed(events) if e.get("estimated_delivery")), None
    )
    return {
        "trackingNumber": number,
        "carrier": carrier,
        "estimatedDeliveryDate": estimate,
        "events": [
            {
                "eventId": e["id"],
                "timestamp": e["occurred_at"],
                "statusFamily": FAMILY[_STATUS_BY_VALUE[e["status"]]],
                "code": e["code"],
                "description": e["description"],
                "location": {
                    "city": e.get("location", {}).get("city"),
                    "region": e.get("location", {}).get("region"),
                    "postalCode": e.get("location", {}).get("postal_code"),
                    "country": e.get("location", {}).get("country"),
                },
            }
            for e in reversed(events)  # newest first, as carriers list them
        ],
    }


MAX_PARCEL_GRAMS = 30_000  # every simulated service's weight limit
DROP_OFF_CARRIERS = frozenset({"usps", "royal_mail", "ups", "canada_post", "dhl"})


def _rejects(address: Address) -> str | None:
    """Why the carrier refuses to deliver there: a street it cannot find (a line naming
    ``nowhere``, the simulator's stand-in for an address that does not exist)."""
    if "nowhere" in (address.line1 or "").lower():
        return f"no such street: {address.line1!r} in {address.postal_code or address.country}"
    return None


def _address(data: Any, where: str) -> Address:
    if not isinstance(data, dict):
        raise _Bad(f"{where} must be an object", where)
    try:
        return Address(
            country=str(data.get("country") or ""),
            postal_code=data.get("postalCode"),
            region=data.get("region"),
            city=data.get("city"),
            line1=data.get("line1"),
            name=data.get("name"),
        )
    except Exception as exc:
        raise _Bad(str(exc), f"{where}.country") from None


class _Bad(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _canonical(address: Address) -> str:
    """The postal code as the post prints it: upper case, the inward code after a space."""
    code = "".join((address.postal_code or "").upper().split())
    if address.country in ("CA", "GB") and len(code) > 3:
        return f"{code[:-3]} {code[-3:]}"
    return code


def _billable_kg(parcel: dict[str, Any]) -> Decimal:
    grams = Decimal(str(parcel.get("weightGrams", 0)))
    if grams <= 0:
        raise _Bad("weightGrams must be positive", "parcels.weightGrams")
    actual = grams / 1000
    dims = [parcel.get(k) for k in ("lengthCm", "widthCm", "heightCm")]
    if all(d is not None for d in dims):
        volume = Decimal(str(dims[0])) * Decimal(str(dims[1])) * Decimal(str(dims[2]))
        actual = max(actual, volume / DIM_DIVISOR)
    # carriers bill whole kilograms, rounded up, minimum one
    return max(Decimal(1), actual.to_integral_value(rounding=ROUND_CEILING))


def _price(carrier: str, service: str, kg: Decimal, km: float) -> Decimal:
    zone = Decimal(1 + min(int(km // 600), 7)) / 4  # 0.25 .. 2.0
    raw = (_BASE[service] + _PER_KG[service] * kg * (1 + zone)) * _CARRIER_FACTOR[carrier]
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def create_app(state: SimulatorState) -> FastAPI:
    """The simulated carrier's HTTP API over ``state``."""
    app = FastAPI(title="postpurchase simulated carrier", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def behave(request: Request, call_next: Any) -> Any:
        parts = request.url.path.strip("/").split("/")
        if not parts or parts[0] not in CARRIER_SERVICES:
            return _error(404, "NOT_FOUND", "no such carrier or route")
        key = request.headers.get("x-api-key") or ""
        latency, fault = state.draw()
        await asyncio.sleep(latency)
        if key not in state.api_keys:
            return _error(401, "UNAUTHORIZED", "invalid API key")
        if fault == "throttle":
            return _error(
                429, "RATE_LIMITED", "too many requests",
                **{"Retry-After": str(state.faults.retry_after_s)},
            )  # fmt: skip
        if fault == "error":
            return _error(503, "UNAVAILABLE", "service temporarily unavailable")
        return await call_next(request)

    @app.exception_handler(_Bad)
    async def bad_request(_: Request, bad: _Bad) -> JSONResponse:
        return JSONResponse(
            {"errors": [{"code": "INVALID", "field": bad.field, "message": str(bad)}]},
            status_code=400,
        )

    @app.get("/{carrier}/auth/v1/whoami")
    async def whoami(carrier: str, x_api_key: str = Header("")) -> dict[str, Any]:
        return {"carrier": carrier, "account": hashlib.sha256(x_api_key.encode()).hexdigest()[:8]}

    @app.post("/{carrier}/track/v1/shipments")
    async def track(carrier: str, request: Request) -> JSONResponse:
        body = await request.json()
        numbers = body.get("trackingNumbers") if isinstance(body, dict) else None
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            return _error(400, "INVALID", "trackingNumbers must be a list of strings")
        if len(numbers) > MAX_TRACK_BATCH:
            return _error(400, "TOO_MANY", f"at most {MAX_TRACK_BATCH} tracking numbers")
        shipments, errors = [], []
        for number in numbers:
            events = state.visible(carrier, number)
            if events is None:
                errors.append(
                    {"trackingNumber": number, "code": "NOT_FOUND", "message": "unknown number"}
                )
            elif not events:
                errors.append(
                    {"trackingNumber": number, "code": "NO_SCANS", "message": "not scanned yet"}
                )
            else:
                shipments.append(_shipment(carrier, number, events))
        return JSONResponse({"shipments": shipments, "errors": errors})

    @app.post("/{carrier}/rate/v1/quotes")
    async def rates(carrier: str, request: Request) -> JSONResponse:
        body = await request.json()
        origin = _address(body.get("origin"), "origin")
        destination = _address(body.get("destination"), "destination")
        parcels = body.get("parcels") or []
        if not parcels:
            raise _Bad("at least one parcel", "parcels")
        kg = sum((_billable_kg(p) for p in parcels), Decimal(0))
        km = distance_km(hub_for(origin), hub_for(destination))
        now = state.clock()
        wanted = body.get("services") or list(CARRIER_SERVICES[carrier])
        out = []
        for service in wanted:
            if service not in CARRIER_SERVICES[carrier]:
                continue
            try:
                day = quote(origin, destination, carrier, service, now)
            except ValueError:
                continue
            out.append(
                {
                    "service": service,
                    "totalCharge": str(_price(carrier, service, kg, km) * len(parcels)),
                    "currency": "USD",
                    "billableWeightKg": str(kg),
                    "deliveryDate": day.isoformat(),
                    "transitDays": max(0, (day - now.date()).days),
                }
            )
        return JSONResponse({"rates": out})

    @app.post("/{carrier}/ship/v1/labels")
    async def buy(carrier: str, request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        if not key:
            raise _Bad("Idempotency-Key header is required", "Idempotency-Key")
        done = state.label(f"{carrier}|{key}")
        if done is not None:
            return JSONResponse(done)
        body = await request.json()
        origin = _address(body.get("origin"), "origin")
        destination = _address(body.get("destination"), "destination")
        service = body.get("service") or GROUND
        if service not in CARRIER_SERVICES[carrier]:
            raise _Bad(f"{carrier} offers {', '.join(CARRIER_SERVICES[carrier])}", "service")
        fmt = str(body.get("labelFormat") or "PDF").upper()
        if fmt not in ("PDF", "ZPL"):
            raise _Bad("labelFormat is PDF or ZPL", "labelFormat")
        parcels = body.get("parcels") or [{}]
        for n, p in enumerate(parcels):
            if int(p.get("weightGrams") or 0) > MAX_PARCEL_GRAMS:
                return _error(
                    422, "PARCEL_TOO_HEAVY",
                    f"parcel {n + 1} weighs over the {MAX_PARCEL_GRAMS} g limit of {service}",
                )  # fmt: skip
        rejected = _rejects(destination)
        if rejected:
            return _error(422, "ADDRESS_REJECTED", rejected)
        if origin.country != destination.country and not body.get("customs"):
            raise _Bad("customs data is required for an international parcel", "customs")
        drop_off = bool(body.get("dropOff"))
        if drop_off and carrier not in DROP_OFF_CARRIERS:
            raise _Bad(f"{carrier} has no label-less drop-off", "dropOff")
        rng = random.Random(f"label|{state.seed}|{carrier}|{key}")
        number = example_number(carrier, rng)
        now = state.clock()
        state.add_parcel(SimParcel(number, carrier, service, origin, destination, now))
        kg = sum((_billable_kg(p) for p in parcels), Decimal(0))
        km = distance_km(hub_for(origin), hub_for(destination))
        make = documents.zpl if fmt == "ZPL" else documents.pdf
        document = make(carrier, service, number, origin, destination)
        label = {
            "labelId": "lbl_"
            + hashlib.blake2b(f"{carrier}|{key}".encode(), digest_size=8).hexdigest(),
            "trackingNumber": number,
            "service": service,
            "labelFormat": fmt,
            "label": base64.b64encode(document).decode("ascii"),
            "totalCharge": str(_price(carrier, service, kg, km)),
            "currency": "USD",
        }
        if drop_off:
            label["dropOffCode"] = f"{carrier.upper()}-DROP-{number}"
        return JSONResponse(state.keep_label(f"{carrier}|{key}", label), status_code=201)

    @app.delete("/{carrier}/ship/v1/labels/{label_id}")
    async def void(carrier: str, label_id: str) -> JSONResponse:
        if state.drop_label(label_id) is None:
            return _error(404, "NOT_FOUND", "no such label, or already voided")
        return JSONResponse({"labelId": label_id, "voided": True})

    @app.post("/{carrier}/address/v1/validate")
    async def validate(carrier: str, request: Request) -> JSONResponse:
        address = _address(await request.json(), "address")
        pattern = _POSTAL.get(address.country)
        given = address.postal_code or ""
        if pattern is None or (pattern.match(given) and given == _canonical(address)):
            return JSONResponse({"valid": True, "messages": []})
        fixed = _canonical(address)
        suggestion = {**address.as_dict(), "postal_code": fixed} if pattern.match(fixed) else None
        return JSONResponse(
            {
                "valid": False,
                "messages": [f"postal code {given!r} is not in the {address.country} format"],
                "suggestion": suggestion,
            }
        )

    @app.post("/{carrier}/pickup/v1/pickups")
    async def pickup(carrier: str, request: Request) -> JSONResponse:
        body = await request.json()
        ready = datetime.fromisoformat(str(body.get("readyAt")))
        confirmation = hashlib.blake2b(
            f"{carrier}|{ready.isoformat()}".encode(), digest_size=5
        ).hexdigest()
        return JSONResponse(
            {"confirmation": confirmation.upper(), "pickupDate": ready.date().isoformat()}
        )

    return app


def catch_up_clock(start: datetime, speed: float) -> Callable[[], datetime]:
    """Simulated time from ``start``, ``speed`` times faster than the wall clock until it
    reaches the present, then the present (a carrier never shows tomorrow's scans)."""
    import time

    w0 = time.monotonic()

    def clock() -> datetime:
        fast = start + timedelta(seconds=(time.monotonic() - w0) * speed)
        return min(fast, datetime.now(UTC))

    return clock
