"""The gateway to the simulated carrier's HTTP API (``simulated.api``): the carrier port over
HTTP, as a real carrier's adapter would be, so polling, rates and labels take the same path.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from postpurchase.adapters.carriers import failures
from postpurchase.adapters.carriers.simulated.api import MAX_TRACK_BATCH
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AddressCheck,
    CarrierError,
    CarrierFailure,
    CarrierScan,
    Label,
    LabelFormat,
    LabelRequest,
    NumberProblem,
    Parcel,
    Pickup,
    PickupRequest,
    RateQuote,
    RateRequest,
    TrackBatch,
    TrackResult,
)
from postpurchase.domain.money import Money
from postpurchase.domain.tracking import Location


def _address(a: Address) -> dict[str, Any]:
    return {
        "country": a.country,
        "postalCode": a.postal_code,
        "region": a.region,
        "city": a.city,
        "line1": a.line1,
        "line2": a.line2,
        "name": a.name,
        "phone": a.phone,
    }


def _parcel(p: Parcel) -> dict[str, Any]:
    out: dict[str, Any] = {"weightGrams": p.weight_grams}
    if p.length_cm and p.width_cm and p.height_cm:
        out.update(lengthCm=str(p.length_cm), widthCm=str(p.width_cm), heightCm=str(p.height_cm))
    return out


def _scan(e: dict[str, Any]) -> CarrierScan:
    loc = e.get("location") or {}
    return CarrierScan(
        occurred_at=datetime.fromisoformat(e["timestamp"]),
        code=e.get("code"),
        description=e.get("description"),
        kind=e.get("statusFamily"),
        location=Location(
            city=loc.get("city"),
            region=loc.get("region"),
            postal_code=loc.get("postalCode"),
            country=loc.get("country"),
        )
        if loc
        else None,
        event_id=e.get("eventId"),
    )


_SHARED: httpx.Client | None = None
_SHARED_LOCK = threading.Lock()


def _shared_client() -> httpx.Client:
    """One pooled client for every gateway of the process: building an ``httpx.Client``
    costs ~70 ms of CPU (its TLS context), which a rate request paid once per account, and
    a shared pool keeps connections to the carrier alive between calls. Thread-safe."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED.is_closed:
            _SHARED = httpx.Client(
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
            )
        return _SHARED


class SimulatedGateway:
    """One account at the simulated carrier ``carrier`` served at ``base_url``."""

    max_batch = MAX_TRACK_BATCH
    label_keys_honoured = True  # the simulator answers a key it has seen with the label it sold

    def __init__(
        self,
        carrier: str,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.carrier = carrier
        self.timeout = timeout
        self._root = f"{base_url.rstrip('/')}/{carrier}"
        self._headers = {"X-Api-Key": api_key}
        self._owned = client is not None
        self._http = client or _shared_client()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        try:
            response = self._http.request(
                method, self._root + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except httpx.TimeoutException:
            raise failures.timeout(self.carrier, self.timeout) from None
        except httpx.TransportError as exc:
            raise failures.unreachable(self.carrier, exc) from None
        if response.is_success:
            return response.json()
        try:
            detail = "; ".join(e.get("message", "") for e in response.json().get("errors", []))
        except ValueError:
            detail = response.text
        raise failures.from_status(
            self.carrier,
            response.status_code,
            detail,
            retry_after=response.headers.get("retry-after"),
        )

    def track(self, numbers: Sequence[str]) -> TrackBatch:
        if len(numbers) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} numbers per call")
        body = self._call("POST", "/track/v1/shipments", json={"trackingNumbers": list(numbers)})
        results = tuple(
            TrackResult(
                tracking_number=s["trackingNumber"],
                scans=tuple(_scan(e) for e in s.get("events", [])),
                estimated_delivery=date.fromisoformat(s["estimatedDeliveryDate"])
                if s.get("estimatedDeliveryDate")
                else None,
            )
            for s in body.get("shipments", [])
        )
        problems = tuple(
            NumberProblem(e["trackingNumber"], e.get("code", ""), e.get("message", ""))
            for e in body.get("errors", [])
        )
        return TrackBatch(results, problems)

    def rate(self, request: RateRequest) -> list[RateQuote]:
        body = self._call(
            "POST",
            "/rate/v1/quotes",
            json={
                "origin": _address(request.origin),
                "destination": _address(request.destination),
                "parcels": [_parcel(p) for p in request.parcels],
                "services": list(request.services),
            },
        )
        return [
            RateQuote(
                carrier=self.carrier,
                service=r["service"],
                price=Money(Decimal(r["totalCharge"]), r["currency"]),
                delivery_date=date.fromisoformat(r["deliveryDate"])
                if r.get("deliveryDate")
                else None,
                transit_days=r.get("transitDays"),
            )
            for r in body.get("rates", [])
        ]

    def buy_label(self, request: LabelRequest) -> Label:
        body = self._call(
            "POST",
            "/ship/v1/labels",
            headers={"Idempotency-Key": request.idempotency_key},
            json={
                "origin": _address(request.origin),
                "destination": _address(request.destination),
                "parcels": [_parcel(p) for p in request.parcels],
                "service": request.service,
                "labelFormat": request.label_format.value,
                "reference": request.reference,
                "customs": request.customs.as_dict() if request.customs else None,
                "dropOff": request.drop_off,
            },
        )
        return Label(
            carrier=self.carrier,
            service=body["service"],
            tracking_number=body["trackingNumber"],
            label_id=body["labelId"],
            label_format=LabelFormat(body["labelFormat"]),
            document=base64.b64decode(body["label"]),
            price=Money(Decimal(body["totalCharge"]), body["currency"]),
            drop_off_code=body.get("dropOffCode"),
        )

    def void_label(self, label: Label) -> None:
        self._call("DELETE", f"/ship/v1/labels/{label.label_id}")

    def validate_address(self, address: Address) -> AddressCheck:
        body = self._call("POST", "/address/v1/validate", json=_address(address))
        suggestion = body.get("suggestion")
        return AddressCheck(
            valid=bool(body.get("valid")),
            suggestion=Address.from_dict(suggestion) if suggestion else None,
            messages=tuple(body.get("messages") or ()),
        )

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        body = self._call(
            "POST",
            "/pickup/v1/pickups",
            json={
                "address": _address(request.address),
                "readyAt": request.ready_at.isoformat(),
                "closesAt": request.closes_at.isoformat(),
                "parcelCount": request.parcel_count,
            },
        )
        return Pickup(body["confirmation"], date.fromisoformat(body["pickupDate"]))

    def check(self) -> None:
        self._call("GET", "/auth/v1/whoami")

    def close(self) -> None:
        if self._owned:  # the shared pool outlives any one gateway
            self._http.close()


__all__ = ["CarrierError", "CarrierFailure", "SimulatedGateway"]
