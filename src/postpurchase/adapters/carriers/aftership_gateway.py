"""Tracking through the merchant's AfterShip account, behind the carrier port: for a
merchant who prefers AfterShip's tracking for a carrier over the carrier's own API.

Why only tracking: AfterShip's Tracking API tracks; rates and labels are another AfterShip
product with its own accounts, so those operations answer ``unsupported`` (EasyPost's
gateway and karrio's connectors serve them). A number AfterShip does not track yet is
registered (``POST /trackings``) and reported as a problem until its first checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import httpx

from postpurchase.adapters.carriers import failures
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AddressCheck,
    CarrierError,
    CarrierFailure,
    CarrierScan,
    Label,
    LabelRequest,
    NumberProblem,
    Pickup,
    PickupRequest,
    RateQuote,
    RateRequest,
    TrackBatch,
    TrackResult,
)
from postpurchase.domain.tracking import Location

API = "https://api.aftership.com/tracking/2024-10"


def _when(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # AfterShip passes carrier-local times


def _scan(cp: dict[str, Any]) -> CarrierScan | None:
    at = _when(cp.get("checkpoint_time"))
    if at is None:
        return None
    place = {k: cp.get(k) for k in ("city", "state", "postal_code", "zip", "country_region")}
    location = (
        Location(city=place["city"], region=place["state"],
                 postal_code=place["postal_code"] or place["zip"], country=None)
        if any(place.values()) else None
    )  # fmt: skip
    return CarrierScan(
        occurred_at=at, code=cp.get("subtag"), kind=cp.get("tag"),
        description=cp.get("message"), location=location,
    )  # fmt: skip


def _day(value: object) -> date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class AfterShipGateway:
    """One merchant's AfterShip account, used to track one of our carrier slugs."""

    max_batch = 50
    label_keys_honoured = False  # tracking only: AfterShip sells no labels here

    def __init__(
        self,
        carrier: str,
        slug: str,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 20.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.carrier = carrier
        self.timeout = timeout
        self._slug = slug
        self._root = (base_url or API).rstrip("/")
        self._http = client or httpx.Client(headers={"as-api-key": api_key}, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, self._root + path, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException:
            raise failures.timeout(self.carrier, self.timeout) from None
        except httpx.TransportError as exc:
            raise failures.unreachable(self.carrier, exc) from None
        if response.is_success:
            return response.json().get("data") or {}
        try:
            meta = response.json().get("meta") or {}
            detail = f"AfterShip {meta.get('code')}: {meta.get('message')}"
        except (ValueError, AttributeError):
            detail = response.text
        raise failures.from_status(self.carrier, response.status_code, detail,
                                   retry_after=response.headers.get("retry-after"))  # fmt: skip

    def track(self, numbers: Sequence[str]) -> TrackBatch:
        data = self._call("GET", "/trackings", params={
            "tracking_numbers": ",".join(numbers), "slug": self._slug,
        })  # fmt: skip
        found = {t.get("tracking_number"): t for t in data.get("trackings") or ()}
        results, problems = [], []
        for number in numbers:
            tracking = found.get(number)
            if tracking is None:  # not tracked yet: register it, scans come on a later poll
                self._call("POST", "/trackings",
                           json={"tracking_number": number, "slug": self._slug})  # fmt: skip
                problems.append(NumberProblem(number, "REGISTERED", "now tracked by AfterShip"))
                continue
            scans = tuple(s for cp in tracking.get("checkpoints") or () if (s := _scan(cp)))
            if not scans:
                problems.append(NumberProblem(number, str(tracking.get("tag") or "Pending"),
                                              "no checkpoints yet"))  # fmt: skip
                continue
            results.append(TrackResult(
                tracking_number=number, scans=scans,
                estimated_delivery=_day(tracking.get("courier_estimated_delivery_date")
                                        and tracking["courier_estimated_delivery_date"]
                                        .get("estimated_delivery_date")),
                service=tracking.get("shipment_type"),
                tracking_url=tracking.get("courier_tracking_link"),
            ))  # fmt: skip
        return TrackBatch(tuple(results), tuple(problems))

    def check(self) -> None:
        self._call("GET", "/trackings", params={"limit": 1})

    def _unsupported(self, what: str) -> CarrierError:
        return CarrierError(
            self.carrier,
            CarrierFailure.UNSUPPORTED,
            f"AfterShip tracks only; {what} go through EasyPost or karrio",
        )

    def rate(self, request: RateRequest) -> list[RateQuote]:
        raise self._unsupported("rates")

    def buy_label(self, request: LabelRequest) -> Label:
        raise self._unsupported("labels")

    def void_label(self, label: Label) -> None:
        raise self._unsupported("voids")

    def validate_address(self, address: Address) -> AddressCheck:
        raise self._unsupported("address checks")

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        raise self._unsupported("pickups")
