"""The carrier port over EasyPost's API, for a merchant who prefers an aggregator for a
carrier: trackers for tracking, shipments for rates and labels, refunds for voids,
address verification.

Why our own few calls and not EasyPost's SDK: the port needs five endpoints, and reaching
them with the ``httpx`` client every other adapter uses keeps timeouts, failures (401 ->
``auth``, 429, 5xx) and replayed tests the same as for the simulated carrier. EasyPost
authenticates with the API key as the HTTP basic-auth user. Weights go in ounces and
lengths in inches (EasyPost's units), converted here once.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from postpurchase.adapters.carriers import failures
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AddressCheck,
    CarrierError,
    CarrierFailure,
    CarrierScan,
    Customs,
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

API = "https://api.easypost.com"
OUNCES_PER_GRAM = Decimal("0.03527396")
INCHES_PER_CM = Decimal("0.39370079")


def _address(a: Address) -> dict[str, Any]:
    return {
        "name": a.name, "street1": a.line1, "street2": a.line2, "city": a.city,
        "state": a.region, "zip": a.postal_code, "country": a.country, "phone": a.phone,
    }  # fmt: skip


def _parcel(p: Parcel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "weight": float((Decimal(p.weight_grams) * OUNCES_PER_GRAM).quantize(Decimal("0.1")))
    }
    for ours, theirs in (("length_cm", "length"), ("width_cm", "width"),
                         ("height_cm", "height")):  # fmt: skip
        value = getattr(p, ours)
        if value is not None:
            out[theirs] = float((value * INCHES_PER_CM).quantize(Decimal("0.1"), ROUND_HALF_UP))
    return out


def _customs(c: Customs) -> dict[str, Any]:
    return {
        "contents_type": c.contents.value if c.contents.value != "return_merchandise"
        else "returned_goods",
        "customs_certify": True, "non_delivery_option": "return",
        "customs_items": [
            {"description": i.description, "quantity": i.quantity,
             "value": str(i.value.amount * i.quantity), "currency": i.value.currency,
             "weight": float((Decimal(i.weight_grams * i.quantity) * OUNCES_PER_GRAM)
                             .quantize(Decimal("0.1"))),
             "hs_tariff_number": i.hs_code, "origin_country": i.origin_country}
            for i in c.items
        ],
    }  # fmt: skip


def _day(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class EasyPostGateway:
    """One merchant's EasyPost account, used for one of our carrier slugs."""

    max_batch = 10  # one tracker per number, created one request each
    label_keys_honoured = False  # EasyPost's shipment buy takes no idempotency key

    def __init__(
        self,
        carrier: str,
        easypost_carrier: str,
        api_key: str,
        *,
        carrier_account_id: str | None = None,
        base_url: str | None = None,
        timeout: float = 20.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.carrier = carrier
        self.timeout = timeout
        self._name = easypost_carrier
        self._account = carrier_account_id
        self._root = (base_url or API).rstrip("/")
        self._http = client or httpx.Client(auth=(api_key, ""), timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, self._root + path, timeout=self.timeout,
                                          **kwargs)  # fmt: skip
        except httpx.TimeoutException:
            raise failures.timeout(self.carrier, self.timeout) from None
        except httpx.TransportError as exc:
            raise failures.unreachable(self.carrier, exc) from None
        if response.is_success:
            return response.json()
        try:
            error = response.json().get("error") or {}
            detail = "; ".join(
                [str(error.get("message") or "")]
                + [f"{e.get('field')}: {e.get('message')}" for e in error.get("errors") or []]
            )
        except (ValueError, AttributeError):
            detail = response.text
        raise failures.from_status(
            self.carrier, response.status_code, f"EasyPost: {detail}",
            retry_after=response.headers.get("retry-after"),
        )  # fmt: skip

    # ---- tracking -----------------------------------------------------------------------

    def track(self, numbers: Sequence[str]) -> TrackBatch:
        results, problems = [], []
        for number in numbers:
            tracker = self._call("POST", "/v2/trackers", json={
                "tracker": {"tracking_code": number, "carrier": self._name}
            })  # fmt: skip
            scans = tuple(
                CarrierScan(
                    occurred_at=datetime.fromisoformat(str(d["datetime"]).replace("Z", "+00:00")),
                    code=d.get("status_detail"),
                    kind=d.get("status"),
                    description=d.get("message"),
                    location=_location(d),
                )
                for d in tracker.get("tracking_details") or ()
                if d.get("datetime")
            )
            if not scans:
                problems.append(NumberProblem(number, str(tracker.get("status") or "unknown"),
                                              "no scans yet"))  # fmt: skip
                continue
            results.append(
                TrackResult(
                    tracking_number=number,
                    scans=scans,
                    estimated_delivery=_day(tracker.get("est_delivery_date")),
                    tracking_url=tracker.get("public_url"),
                )
            )
        return TrackBatch(tuple(results), tuple(problems))

    def check(self) -> None:
        self._call("GET", "/v2/addresses", params={"page_size": 1})

    # ---- rates and labels ---------------------------------------------------------------

    def _shipment(self, origin: Address, destination: Address, parcels: Sequence[Parcel],
                  **extra: Any) -> Any:  # fmt: skip
        if len(parcels) != 1:
            raise CarrierError(self.carrier, CarrierFailure.UNSUPPORTED,
                               "EasyPost shipments carry one parcel each")  # fmt: skip
        body: dict[str, Any] = {
            "to_address": _address(destination), "from_address": _address(origin),
            "parcel": _parcel(parcels[0]), **extra,
        }  # fmt: skip
        if self._account:
            body["carrier_accounts"] = [self._account]
        return self._call("POST", "/v2/shipments", json={"shipment": body})

    def _mine(self, rates: Any) -> list[dict[str, Any]]:
        return [r for r in rates or () if r.get("carrier") == self._name]

    def rate(self, request: RateRequest) -> list[RateQuote]:
        shipment = self._shipment(request.origin, request.destination, request.parcels)
        wanted = set(request.services)
        return [
            RateQuote(
                carrier=self.carrier,
                service=r["service"],
                price=Money(Decimal(str(r["rate"])), r["currency"]),
                delivery_date=_day(r.get("delivery_date")),
                transit_days=r.get("delivery_days") or r.get("est_delivery_days"),
            )
            for r in self._mine(shipment.get("rates"))
            if not wanted or r["service"] in wanted
        ]

    def buy_label(self, request: LabelRequest) -> Label:
        options = {"label_format": request.label_format.value, "label_size": "4x6"}
        extra: dict[str, Any] = {"options": options, "reference": request.reference}
        if request.customs is not None:
            extra["customs_info"] = _customs(request.customs)
        shipment = self._shipment(request.origin, request.destination, request.parcels, **extra)
        rate = next((r for r in self._mine(shipment.get("rates"))
                     if r["service"] == request.service), None)  # fmt: skip
        if rate is None:
            offered = ", ".join(r["service"] for r in self._mine(shipment.get("rates")))
            raise CarrierError(self.carrier, CarrierFailure.REJECTED,
                               f"EasyPost offers no {request.service!r} rate here "
                               f"(offered: {offered or 'none'})", field="service")  # fmt: skip
        bought = self._call("POST", f"/v2/shipments/{shipment['id']}/buy",
                            json={"rate": {"id": rate["id"]}})  # fmt: skip
        label = bought.get("postage_label") or {}
        url = (label.get("label_zpl_url") if request.label_format is LabelFormat.ZPL
               else label.get("label_pdf_url")) or label.get("label_url")  # fmt: skip
        if not url:
            raise CarrierError(self.carrier, CarrierFailure.REJECTED,
                               "EasyPost bought the label but gave no document")  # fmt: skip
        document = self._document(str(url))
        chosen = bought.get("selected_rate") or rate
        return Label(
            carrier=self.carrier, service=chosen["service"],
            tracking_number=bought["tracking_code"], label_id=bought["id"],
            label_format=request.label_format, document=document,
            price=Money(Decimal(str(chosen["rate"])), chosen["currency"]),
        )  # fmt: skip

    def _document(self, url: str) -> bytes:
        """The label file EasyPost links to (a PDF or ZPL file on its storage)."""
        if url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        try:
            response = self._http.get(url, timeout=self.timeout, auth=None)
        except httpx.HTTPError as exc:
            raise failures.unreachable(self.carrier, exc) from None
        if not response.is_success:
            raise failures.from_status(self.carrier, response.status_code, "label file")
        return response.content

    def void_label(self, label: Label) -> None:
        """EasyPost's refund of the shipment (the carrier's void, asked by EasyPost)."""
        done = self._call("POST", f"/v2/shipments/{label.label_id}/refund")
        if done.get("refund_status") in ("rejected", "not_applicable"):
            raise CarrierError(
                self.carrier,
                CarrierFailure.REJECTED,
                f"EasyPost refused the refund ({done.get('refund_status')})",
            )

    def validate_address(self, address: Address) -> AddressCheck:
        found = self._call("POST", "/v2/addresses",
                           json={"address": _address(address), "verify": ["delivery"]})  # fmt: skip
        delivery = (found.get("verifications") or {}).get("delivery") or {}
        messages = tuple(str(e.get("message")) for e in delivery.get("errors") or ())
        suggestion = Address(
            country=found.get("country") or address.country, postal_code=found.get("zip"),
            region=found.get("state"), city=found.get("city"), line1=found.get("street1"),
            line2=found.get("street2") or None, name=address.name, phone=address.phone,
        )  # fmt: skip
        return AddressCheck(
            valid=bool(delivery.get("success")),
            suggestion=suggestion if suggestion != address else None,
            messages=messages,
        )

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        raise CarrierError(self.carrier, CarrierFailure.UNSUPPORTED,
                           "pickups through EasyPost are not offered yet")  # fmt: skip


def _location(d: dict[str, Any]) -> Location | None:
    loc = d.get("tracking_location") or {}
    if not any(loc.get(k) for k in ("city", "state", "country", "zip")):
        return None
    return Location(city=loc.get("city"), region=loc.get("state"),
                    postal_code=loc.get("zip"), country=loc.get("country"))  # fmt: skip
